"""Reports: the contribution report's figures, disclosure control, exports and snapshots."""
