"""Many simultaneous confirmations on PostgreSQL: no lost update, no breached limit, no deadlock.

Runs outside the rollback fixture with real connections and commits, then empties the tables.
"""

from __future__ import annotations

import random
import threading
import traceback
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.auth import services as auth
from app.auth.models import User
from app.clock import london_date, utcnow
from app.errors import DomainError
from app.extensions import db
from app.timebank import exchanges as ex
from app.timebank.models import Account, Exchange, LedgerTransaction, Leg
from app.timebank.services import member_account
from tests.ledger_checks import assert_no_confirmation_passed_a_limit, empty_committed_tables

pytestmark = pytest.mark.postgres_only

THREADS = 8
MEMBERS = 12
PENDING = 400
OPERATIONS_PER_THREAD = 80
JOIN_SECONDS = 240
# Every operation ends in one of these: it happened, or a rule of the domain refused it.
KNOWN_OUTCOMES = {
    "confirmed",
    "reversed",
    "balance_limit",
    "already_confirmed",
    "already_reversed",
    "not_confirmed",
}


@pytest.fixture()
def committed_network(app, postgres_only):
    engine = db.engine
    with Session(engine) as session:
        organisation = auth.create_organisation(
            session,
            actor=None,
            name="Concurrency Timebank",
            min_balance_minutes=-120,
            max_balance_minutes=180,
        )
        coordinator = auth.create_member(
            session,
            actor=None,
            now=utcnow(),
            base_url="http://x",
            new=auth.NewMember(
                name="Coordinator", role="coordinator", organisation_id=organisation.id
            ),
        )
        members = [
            auth.create_member(
                session,
                actor=None,
                now=utcnow(),
                base_url="http://x",
                new=auth.NewMember(name=f"Member {n}", organisation_id=organisation.id),
            )
            for n in range(MEMBERS)
        ]
        rng = random.Random(7)
        yesterday = london_date(utcnow()) - timedelta(days=1)
        for _ in range(PENDING):
            giver, getter = rng.sample(members, 2)
            ex.record_exchange(
                session,
                actor=giver,
                new=ex.NewExchange(
                    provider=member_account(session, giver),
                    receiver=member_account(session, getter),
                    minutes=rng.choice([15, 30, 45, 60, 90]),
                    category="cooking",
                    occurred_on=yesterday,
                ),
                now=utcnow(),
            )
        session.commit()
        ids = {"coordinator": coordinator.id, "organisation": organisation.id}
    yield ids
    empty_committed_tables(engine)  # keeping the reference data the migrations seeded


def worker(
    engine,
    seed: int,
    exchange_ids: list[int],
    coordinator_id: int,
    outcomes: Counter,
    crashes: list[str],
    lock: threading.Lock,
):
    """Run OPERATIONS_PER_THREAD operations, counting each one's outcome. Anything that is not
    a domain refusal or a database error is kept in ``crashes`` (with its traceback), so a
    worker that dies, or an operation that fails some other way, fails the test."""
    try:
        rng = random.Random(seed)
        for _ in range(OPERATIONS_PER_THREAD):
            result = operate(engine, rng, rng.choice(exchange_ids), coordinator_id)
            with lock:
                outcomes[result] += 1
    except BaseException:  # noqa: BLE001 - a crash of any kind must reach the test
        with lock:
            crashes.append(f"worker {seed}:\n{traceback.format_exc()}")


def operate(engine, rng: random.Random, exchange_id: int, coordinator_id: int) -> str:
    with Session(engine) as session:
        try:
            exchange = session.get(Exchange, exchange_id)
            action = rng.random()
            if action < 0.85:
                # the other party confirms; sometimes the coordinator does
                awaiting = (
                    session.get(Account, exchange.awaiting_account_id)
                    if exchange.awaiting_account_id
                    else None
                )
                actor_id = awaiting.user_id if awaiting and rng.random() < 0.7 else coordinator_id
                ex.confirm_exchange(
                    session,
                    actor=session.get(User, actor_id),
                    exchange_id=exchange_id,
                    now=utcnow(),
                )
                result = "confirmed"
            else:
                ex.reverse_exchange(
                    session,
                    actor=session.get(User, coordinator_id),
                    exchange_id=exchange_id,
                    reason="Concurrency test",
                    now=utcnow(),
                )
                result = "reversed"
            session.commit()
            return result
        except DomainError as error:
            session.rollback()
            return error.code
        except OperationalError as error:  # a deadlock would land here
            session.rollback()
            return f"database:{getattr(error.orig, 'sqlstate', '?')}"


def test_concurrent_confirmations_keep_every_invariant(committed_network):
    with Session(db.engine) as session:
        exchange_ids = list(session.scalars(select(Exchange.id)))
    outcomes: Counter = Counter()
    crashes: list[str] = []
    lock = threading.Lock()
    coordinator_id = committed_network["coordinator"]
    threads = [
        threading.Thread(
            target=worker,
            args=(db.engine, seed, exchange_ids, coordinator_id, outcomes, crashes, lock),
            daemon=True,
        )
        for seed in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)

    assert not [thread.name for thread in threads if thread.is_alive()], "a worker hung"
    assert not crashes, "\n".join(crashes)
    # every operation of every worker finished, each with a known outcome
    assert sum(outcomes.values()) == THREADS * OPERATIONS_PER_THREAD, outcomes
    assert set(outcomes) <= KNOWN_OUTCOMES, outcomes
    assert outcomes["confirmed"] > 0 and outcomes["balance_limit"] > 0, outcomes

    with Session(db.engine) as session:
        # the sum of all balances stays zero
        assert session.scalar(select(func.sum(Account.balance_minutes))) == 0
        # stored balance = recomputed from the legs, and within limits
        sums = dict(
            session.execute(
                select(Leg.account_id, func.sum(Leg.amount_minutes)).group_by(Leg.account_id)
            ).all()
        )
        for account in session.scalars(select(Account)):
            assert account.balance_minutes == sums.get(account.id, 0)
        # no confirmation ever took an account past its limits (reversals may correct past one)
        assert assert_no_confirmation_passed_a_limit(session) > 0
        # every transaction balances
        assert (
            session.scalar(
                select(func.count()).select_from(
                    select(Leg.transaction_id)
                    .group_by(Leg.transaction_id)
                    .having(func.sum(Leg.amount_minutes) != 0)
                    .subquery()
                )
            )
            == 0
        )
        # each exchange posted at most once and reversed at most once; statuses agree with postings
        postings = Counter(
            session.execute(select(LedgerTransaction.exchange_id, LedgerTransaction.kind)).all()
        )
        assert all(count == 1 for count in postings.values())
        for exchange in session.scalars(select(Exchange)):
            posted = (exchange.id, "exchange") in postings
            reversed_ = (exchange.id, "reversal") in postings
            assert posted == (exchange.status in ("confirmed", "reversed"))
            assert reversed_ == (exchange.status == "reversed")
