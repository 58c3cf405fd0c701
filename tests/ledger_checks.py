"""Invariant checks over the ledger's rows, shared by the concurrency and property tests."""

from __future__ import annotations

from sqlalchemy import select

from app.timebank.models import Account, LedgerTransaction, Leg
from app.timebank.services import limits_for


def assert_no_confirmation_passed_a_limit(session, organisation_id: int | None = None) -> int:
    """Replay each account's legs in posting order: every leg that was not a correction must have
    left the balance within the limit it moved towards (a reversal may correct past a limit).
    Returns how many legs were checked, so a caller can prove the check ran."""
    statement = (
        select(Leg.account_id, Leg.amount_minutes, LedgerTransaction.kind)
        .join(LedgerTransaction, Leg.transaction_id == LedgerTransaction.id)
        .order_by(Leg.id)
    )
    if organisation_id is not None:
        statement = statement.where(LedgerTransaction.organisation_id == organisation_id)
    accounts = {account.id: account for account in session.scalars(select(Account))}
    running: dict[int, int] = {}
    checked = 0
    for account_id, amount, kind in session.execute(statement):
        balance = running.get(account_id, 0) + amount
        running[account_id] = balance
        if kind == "reversal":
            continue
        limits = limits_for(accounts[account_id])
        if amount < 0 and limits.min_minutes is not None:
            assert balance >= limits.min_minutes, (account_id, balance, limits)
        if amount > 0 and limits.max_minutes is not None:
            assert balance <= limits.max_minutes, (account_id, balance, limits)
        checked += 1
    return checked
