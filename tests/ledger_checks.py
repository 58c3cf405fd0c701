"""Invariant checks over the ledger's rows, shared by the concurrency and property tests."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select, text

from app.timebank.models import Account, Exchange, LedgerTransaction, Leg
from app.timebank.services import limits_for


def assert_no_confirmation_passed_a_limit(session, organisation_id: int | None = None) -> int:
    """Replay each account's legs in posting order: every leg that was not a correction (or
    history moved in from another timebank) must have
    left the balance within the limit it moved towards (a reversal may correct past a limit).
    Returns how many legs were checked, so a caller can prove the check ran."""
    statement = (
        select(Leg.account_id, Leg.amount_minutes, LedgerTransaction.kind, Exchange.imported)
        .join(LedgerTransaction, Leg.transaction_id == LedgerTransaction.id)
        .outerjoin(Exchange, Exchange.id == LedgerTransaction.exchange_id)
        .order_by(Leg.id)
    )
    if organisation_id is not None:
        statement = statement.where(LedgerTransaction.organisation_id == organisation_id)
    accounts = {account.id: account for account in session.scalars(select(Account))}
    running: dict[int, int] = {}
    checked = 0
    for account_id, amount, kind, imported in session.execute(statement):
        balance = running.get(account_id, 0) + amount
        running[account_id] = balance
        if kind == "reversal" or imported:  # history moved in is imported as it happened
            continue
        limits = limits_for(accounts[account_id])
        if amount < 0 and limits.min_minutes is not None:
            assert balance >= limits.min_minutes, (account_id, balance, limits)
        if amount > 0 and limits.max_minutes is not None:
            assert balance <= limits.max_minutes, (account_id, balance, limits)
        checked += 1
    return checked


def assert_ledger_invariants(session) -> None:
    """Every invariant of the ledger over whatever is committed: all balances sum to zero, each
    stored balance equals its legs, every transaction balances, no confirmation passed a limit,
    and each exchange was posted at most once and reversed at most once, as its status says."""
    assert session.scalar(select(func.sum(Account.balance_minutes))) == 0
    assert_every_organisation_sums_to_zero(session)
    sums = dict(
        session.execute(
            select(Leg.account_id, func.sum(Leg.amount_minutes)).group_by(Leg.account_id)
        ).all()
    )
    for account in session.scalars(select(Account)):
        assert account.balance_minutes == sums.get(account.id, 0), account.id
    unbalanced = session.scalar(
        select(func.count()).select_from(
            select(Leg.transaction_id)
            .group_by(Leg.transaction_id)
            .having(func.sum(Leg.amount_minutes) != 0)
            .subquery()
        )
    )
    assert unbalanced == 0
    assert assert_no_confirmation_passed_a_limit(session) > 0
    postings = Counter(
        session.execute(
            select(LedgerTransaction.exchange_id, LedgerTransaction.kind).where(
                LedgerTransaction.exchange_id.is_not(None)
            )
        ).all()
    )
    assert all(count == 1 for count in postings.values()), postings.most_common(3)
    for exchange in session.scalars(select(Exchange)):
        posted = (exchange.id, "exchange") in postings
        reversed_ = (exchange.id, "reversal") in postings
        assert posted == (exchange.status in ("confirmed", "reversed")), exchange.id
        assert reversed_ == (exchange.status == "reversed"), exchange.id


def assert_every_organisation_sums_to_zero(session) -> None:
    """Each organisation's accounts (members, its own, its chest, its clearing accounts) sum
    to zero, and so do each transaction's legs within each organisation's books."""
    by_organisation = session.execute(
        select(Account.organisation_id, func.sum(Account.balance_minutes)).group_by(
            Account.organisation_id
        )
    ).all()
    assert all(total == 0 for _, total in by_organisation), by_organisation
    unbalanced = session.execute(
        select(Leg.transaction_id, Account.organisation_id)
        .join(Account, Account.id == Leg.account_id)
        .group_by(Leg.transaction_id, Account.organisation_id)
        .having(func.sum(Leg.amount_minutes) != 0)
        .limit(3)
    ).all()
    assert not unbalanced, unbalanced


def run_client_threads(target, contended, network, threads: int) -> tuple[list, list]:
    """Run ``target(contended, network, seed, outcomes, failures)`` in ``threads`` threads at
    once (seeds 0..threads-1) and wait for them all; returns (outcomes, failures)."""
    import threading

    outcomes: list = []
    failures: list = []
    running = [
        threading.Thread(target=target, args=(contended, network, seed, outcomes, failures))
        for seed in range(threads)
    ]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return outcomes, failures


# Reference data the migrations seed, which an emptied database must keep: the condition
# taxonomy and the other languages' names of conditions, groups and categories.
SEEDED_TABLES = ("condition", "name_translation")


def empty_committed_tables(engine) -> None:
    """Empty everything a test committed outside the rollback fixture, keeping the reference
    data the migrations seeded (``SEEDED_TABLES``)."""
    from app.extensions import db

    tables = {name: db.metadata.tables[name] for name in SEEDED_TABLES}
    with engine.begin() as connection:
        kept = {
            name: [dict(row) for row in connection.execute(select(table)).mappings()]
            for name, table in tables.items()
        }
        names = [t.name for t in reversed(db.metadata.sorted_tables)]
        connection.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY"))
        for name, rows in kept.items():
            if rows:
                connection.execute(tables[name].insert(), rows)


def seed_busy_organisation(
    session, organisation, *, coordinators: int, members: int, pending: int, seed: int, on, now
):
    """People for a concurrency test: ``coordinators`` and ``members`` in the organisation, and
    ``pending`` exchanges recorded between random pairs of the members (cooking, 15–60 minutes,
    occurred ``on``), committed by the caller. Returns (coordinators, members)."""
    import random

    from app.auth import services as auth
    from app.timebank import exchanges as ex
    from app.timebank.services import member_account

    def person(name: str, role: str = "member"):
        return auth.create_member(
            session,
            actor=None,
            now=now,
            base_url="http://x",
            new=auth.NewMember(name=name, role=role, organisation_id=organisation.id),
        )

    staff = [person(f"Coordinator {n}", "coordinator") for n in range(coordinators)]
    people = [person(f"Member {n}") for n in range(members)]
    rng = random.Random(seed)
    for _ in range(pending):
        giver, getter = rng.sample(people, 2)
        ex.record_exchange(
            session,
            actor=giver,
            new=ex.NewExchange(
                provider=member_account(session, giver),
                receiver=member_account(session, getter),
                minutes=rng.choice([15, 30, 45, 60]),
                category="cooking",
                occurred_on=on,
            ),
            now=now,
        )
    return staff, people
