"""Posting to the double-entry ledger: the only code that changes a balance.

A posting locks every account it touches with SELECT … FOR UPDATE in ascending id order (so
concurrent postings queue instead of deadlocking or losing an update), checks each account's
limits against the locked balance, then inserts one transaction with legs that sum to zero and
moves the cached balances in the same database transaction. Nothing is ever updated or deleted:
a correction is a reversal that posts the opposite legs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..auth.models import User
from ..errors import Conflict
from .durations import describe_minutes
from .models import Account, LedgerTransaction, Leg
from .services import account_name, limits_for


class BalanceLimit(Conflict):
    code = "balance_limit"


def lock_accounts(session: Session, account_ids: Sequence[int]) -> dict[int, Account]:
    """Lock the accounts in ascending id order and reload their balances from the database."""
    accounts = session.scalars(
        select(Account)
        .where(Account.id.in_(sorted(set(account_ids))))
        .order_by(Account.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {account.id: account for account in accounts}


def check_limits(account: Account, amount: int) -> None:
    """Raise BalanceLimit if moving ``amount`` minutes would take the account past a limit."""
    limits = limits_for(account)
    after = account.balance_minutes + amount
    name = account_name(account)
    if amount < 0 and limits.min_minutes is not None and after < limits.min_minutes:
        raise BalanceLimit(
            f"This would take {name}'s balance to {describe_minutes(after)}, and it cannot go "
            f"below {describe_minutes(limits.min_minutes)}. Nothing has been moved.",
            fields={"minutes": "This is more time than the balance allows."},
        )
    if amount > 0 and limits.max_minutes is not None and after > limits.max_minutes:
        raise BalanceLimit(
            f"This would take {name}'s balance to {describe_minutes(after)}, and it cannot go "
            f"above {describe_minutes(limits.max_minutes)}. Nothing has been moved.",
            fields={"minutes": "This is more time than the balance allows."},
        )


def post(
    session: Session,
    *,
    organisation_id: int,
    kind: str,
    legs: Sequence[tuple[int, int]],
    actor: User | None,
    now: datetime,
    exchange_id: int | None = None,
    reverses_id: int | None = None,
    reason: str | None = None,
    enforce_limits: bool = True,
) -> LedgerTransaction:
    """Post ``legs`` — (account id, minutes) pairs that sum to zero — as one transaction."""
    if len(legs) < 2 or sum(amount for _, amount in legs) != 0 or any(a == 0 for _, a in legs):
        raise ValueError(f"An unbalanced posting was attempted: {legs!r}")
    accounts = lock_accounts(session, [account_id for account_id, _ in legs])
    if enforce_limits:
        for account_id, amount in legs:
            check_limits(accounts[account_id], amount)
    transaction = LedgerTransaction(
        organisation_id=organisation_id,
        kind=kind,
        exchange_id=exchange_id,
        reverses_id=reverses_id,
        reason=reason,
        created_by_id=actor.id if actor else None,
        created_at=now,
    )
    session.add(transaction)
    session.flush()
    for account_id, amount in legs:
        account = accounts[account_id]
        account.balance_minutes += amount
        session.add(
            Leg(transaction_id=transaction.id, account_id=account_id, amount_minutes=amount)
        )
        audit.record(
            session,
            actor=actor,
            action=f"ledger.{kind}",
            object_type="ledger_transaction",
            object_id=transaction.id,
            member_id=account.user_id,
            organisation_id=organisation_id,
            now=now,
        )
    session.flush()
    return transaction


def reverse(
    session: Session, *, original: LedgerTransaction, actor: User, reason: str, now: datetime
) -> LedgerTransaction:
    """Post the exact opposite of ``original``. A correction may take a balance past its usual
    limits (the hours were already spent); the chest's floor still holds in the database."""
    return post(
        session,
        organisation_id=original.organisation_id,
        kind="reversal",
        legs=[(leg.account_id, -leg.amount_minutes) for leg in original.legs],
        actor=actor,
        now=now,
        exchange_id=original.exchange_id,
        reverses_id=original.id,
        reason=reason,
        enforce_limits=False,
    )
