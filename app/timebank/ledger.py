"""Posting to the double-entry ledger: the only code that changes a balance.

A posting locks every account it touches with SELECT … FOR NO KEY UPDATE in ascending id order
(so concurrent postings queue instead of deadlocking or losing an update), checks each account's
limits against the locked balance, then inserts one transaction with legs that sum to zero and
moves the cached balances in the same database transaction.

Lock, then write: a caller that inserts a row referencing the accounts (an exchange, whose foreign
keys take a KEY SHARE lock on both accounts in whatever order its sides come) must call
``lock_accounts`` *before* that insert and pass the result to ``post``. Locking after such an
insert is how two transactions came to wait on each other. NO KEY UPDATE (rather than UPDATE) is
the strength a balance change needs, and it does not conflict with the KEY SHARE locks that
merely recording a pending exchange takes, so those never queue behind a posting. Nothing is ever updated or deleted:
a correction is a reversal that posts the opposite legs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache

from sqlalchemy import (
    Insert,
    Integer,
    Select,
    Update,
    bindparam,
    case,
    insert,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session, contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from .. import audit
from ..auth.models import User
from ..errors import Conflict, DomainError
from ..wording import Sentence
from .durations import describe_minutes
from .models import Account, LedgerTransaction, Leg
from .services import account_name, limits_for


def N_(text: str) -> str:  # noqa: N802 - gettext's "marked here, translated where it is shown"
    """Marks a message for the catalogue: pages show it with ``translated()``; the API's JSON
    keeps it in English beside its stable code."""
    return text


def worded(error_class: type[DomainError], template: str, values: dict[str, str], **kwargs):
    """A domain error whose message is ``template`` (marked with ``N_``) filled with ``values``:
    the API sends that English, and a page words it in its own language from the same template
    (``error.template``, ``error.values``)."""
    error = error_class(Sentence(template, values), **kwargs)
    error.template, error.values = template, values
    return error


class BalanceLimit(Conflict):
    code = "balance_limit"


def lock_accounts(session: Session, account_ids: Sequence[int]) -> dict[int, Account]:
    """Lock the accounts in ascending id order and reload their balances from the database.

    Each account's organisation comes in the same statement, because a member's limits are its
    organisation's and ``check_limits`` reads them under the lock; so does a member account's
    holder, whom the permission checks on an exchange (``self_dealer``) and its answer read.
    Only the account rows are locked (FOR NO KEY UPDATE OF account): organisations and people
    are read, never changed, by a posting. Call it before inserting anything that references
    these accounts (see the module docstring).
    """
    accounts = session.scalars(_lock_in_order(), {"ids": sorted(set(account_ids))}).all()
    return {account.id: account for account in accounts}


# The statements of a posting are built once: composing a statement costs about as much CPU as
# running it, and a confirmation runs five of them.
@cache
def _lock_in_order() -> Select:
    return (
        select(Account)
        .join(Account.organisation)
        .outerjoin(Account.user)
        .options(contains_eager(Account.organisation), contains_eager(Account.user))
        .where(Account.id.in_(bindparam("ids", expanding=True)))
        .order_by(Account.id)
        .with_for_update(of=Account, key_share=True)
        .execution_options(populate_existing=True)
    )


def check_limits(account: Account, amount: int) -> None:
    """Raise BalanceLimit if moving ``amount`` minutes would take the account past a limit.

    The holder's name is only looked up when the check fails: naming a member loads their user
    row, and a passing check (nearly every posting) has no use for it.
    """
    limits = limits_for(account)
    after = account.balance_minutes + amount
    if amount < 0 and limits.min_minutes is not None and after < limits.min_minutes:
        raise worded(
            BalanceLimit,
            N_(
                "This would take %(name)s's balance to %(after)s, and it cannot go below "
                "%(limit)s. Nothing has been moved."
            ),
            {
                "name": account_name(account),
                "after": describe_minutes(after),
                "limit": describe_minutes(limits.min_minutes),
            },
            fields={"minutes": N_("This is more time than the balance allows.")},
        )
    if amount > 0 and limits.max_minutes is not None and after > limits.max_minutes:
        raise worded(
            BalanceLimit,
            N_(
                "This would take %(name)s's balance to %(after)s, and it cannot go above "
                "%(limit)s. Nothing has been moved."
            ),
            {
                "name": account_name(account),
                "after": describe_minutes(after),
                "limit": describe_minutes(limits.max_minutes),
            },
            fields={"minutes": N_("This is more time than the balance allows.")},
        )


# The rows of a posting are written with SQL expressions rather than through the session's unit
# of work: a posting is a fixed handful of inserts and one relative update, and the unit of work's
# bookkeeping (change tracking, dependency sorting), or loading the new transaction as an ORM
# object, cost more than the statements themselves.
_insert_transaction = insert(LedgerTransaction.__table__).returning(
    LedgerTransaction.__table__.c.id
)


@cache
def _insert_legs(count: int) -> Insert:
    """All of a posting's legs in one INSERT: the database checks that each statement's legs keep
    every organisation's books balanced (a statement trigger), so they cannot go one by one.
    ``INSERT … SELECT … UNION ALL SELECT …`` rather than a multi-row VALUES, which SQLAlchemy
    compiles afresh every time; this one is compiled once."""
    return insert(Leg.__table__).from_select(
        ["transaction_id", "account_id", "amount_minutes"],
        union_all(
            *(
                select(
                    bindparam("transaction_id", type_=Integer),
                    bindparam(f"account_{n}", type_=Integer),
                    bindparam(f"amount_{n}", type_=Integer),
                )
                for n in range(count)
            )
        ),
    )


@cache
def _move_balances(count: int) -> Update:
    """One UPDATE moving ``count`` accounts' balances, each by its own amount: ``balance +
    CASE WHEN id = :account_0 THEN :amount_0 … END WHERE id IN (:account_0, …)``."""
    account = Account.__table__
    ids = [bindparam(f"account_{n}", type_=Integer) for n in range(count)]
    amounts = [bindparam(f"amount_{n}", type_=Integer) for n in range(count)]
    return (
        update(account)
        .where(account.c.id.in_(ids))
        .values(
            balance_minutes=account.c.balance_minutes
            + case(*((account.c.id == ids[n], amounts[n]) for n in range(count)))
        )
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
    locked: Mapping[int, Account] | None = None,
) -> int:
    """Post ``legs`` — (account id, minutes) pairs that sum to zero — as one transaction, and
    return its id (``session.get(LedgerTransaction, id)`` for a caller that shows it).

    ``locked`` is what ``lock_accounts`` returned, for a caller that had to lock the accounts
    earlier in the same database transaction (to check who may act on them); the accounts are
    then not selected a second time.
    """
    if len(legs) < 2 or sum(amount for _, amount in legs) != 0 or any(a == 0 for _, a in legs):
        raise ValueError(f"An unbalanced posting was attempted: {legs!r}")
    if locked is None:
        locked = lock_accounts(session, [account_id for account_id, _ in legs])
    elif any(account_id not in locked for account_id, _ in legs):
        # Locking the rest now could take a lower id after a higher one and risk a deadlock.
        raise ValueError(f"A posting names accounts that were not locked first: {legs!r}")
    if enforce_limits:
        for account_id, amount in legs:
            check_limits(locked[account_id], amount)
    # INSERT … RETURNING id: the transaction in one round trip.
    transaction_id = session.execute(
        _insert_transaction,
        {
            "organisation_id": organisation_id,
            "kind": kind,
            "exchange_id": exchange_id,
            "reverses_id": reverses_id,
            "reason": reason,
            "created_by_id": actor.id if actor else None,
            "created_at": now,
        },
    ).scalar_one()
    rows: dict[str, int] = {"transaction_id": transaction_id}
    for n, (account_id, amount) in enumerate(legs):
        rows[f"account_{n}"], rows[f"amount_{n}"] = account_id, amount
    session.execute(_insert_legs(len(legs)), rows)
    # A relative update, so the balance the database stores is the locked one plus the legs
    # even if this session's copy were stale; the copy is then brought level without a reload.
    # One statement for every account the posting moves (two legs on one account add up).
    moves: dict[int, int] = {}
    for account_id, amount in legs:
        moves[account_id] = moves.get(account_id, 0) + amount
    parameters = {}
    for n, (account_id, amount) in enumerate(moves.items()):
        parameters[f"account_{n}"], parameters[f"amount_{n}"] = account_id, amount
    session.execute(_move_balances(len(moves)), parameters)
    for account_id, amount in legs:
        account = locked[account_id]
        set_committed_value(account, "balance_minutes", account.balance_minutes + amount)
    # The same events audit.record() would add: one for each leg, naming the member it moves,
    # each in the books it moves (across, two organisations').
    audit.record_for_members(
        session,
        actor=actor,
        action=f"ledger.{kind}",
        object_type="ledger_transaction",
        object_id=transaction_id,
        members=[
            (locked[account_id].user_id, locked[account_id].organisation_id)
            for account_id, _ in legs
        ],
        now=now,
    )
    return transaction_id


def reverse(
    session: Session, *, original: LedgerTransaction, actor: User, reason: str, now: datetime
) -> int:
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
