"""The timebank: hours accounts, the double-entry ledger, exchanges, listings and statements."""
