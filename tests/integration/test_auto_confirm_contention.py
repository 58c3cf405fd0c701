"""The scheduler confirming many exchanges in one transaction while coordinators record on the
same accounts: no deadlock, every ledger invariant kept (PostgreSQL).

The job used to lock each exchange's two accounts, post, then lock the next exchange's: across
one transaction that takes account locks out of id order, and a request locking the same
accounts in order could wait on it while it waited on the request. It now locks every due
exchange, then every account they touch, in ascending id order before posting any.
"""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.auth import services as auth
from app.auth.models import User
from app.clock import london_date, utcnow
from app.extensions import db
from app.jobs import runs
from app.timebank import exchanges as ex
from app.timebank.models import Exchange
from app.timebank.services import member_account
from tests.integration.test_ledger_contention import deadlocks_counted, settle_statistics
from tests.ledger_checks import (
    assert_ledger_invariants,
    empty_committed_tables,
    seed_busy_organisation,
)

pytestmark = pytest.mark.postgres_only

MEMBERS = 5
PENDING = 60
RECORDERS = 4
RECORDS_EACH = 15


@pytest.fixture()
def due_network(app, postgres_only):
    engine = db.engine
    now = utcnow()
    with Session(engine) as session:
        organisation = auth.create_organisation(
            session, actor=None, name="Auto-confirm Timebank", max_balance_minutes=6000
        )
        organisation.auto_confirm_days = 14

        coordinators, members = seed_busy_organisation(
            session,
            organisation,
            coordinators=RECORDERS,
            members=MEMBERS,
            pending=PENDING,
            seed=3,
            on=london_date(now) - timedelta(days=20),
            now=now,
        )
        session.execute(update(Exchange).values(created_at=now - timedelta(days=20)))
        session.commit()
        # The notices go out first; the confirmations a day later.
        runs.run_auto_confirmations(session, now - timedelta(days=1, hours=1))
        session.commit()
        ids = {"coordinators": [c.id for c in coordinators], "members": [m.id for m in members]}
    yield engine, now, ids
    empty_committed_tables(engine)


def test_the_scheduler_confirming_many_never_deadlocks_with_requests(due_network):
    engine, now, ids = due_network
    settle_statistics(engine)
    before = deadlocks_counted(engine)
    failures: list[str] = []
    confirmed: list[int] = []

    def job():
        try:
            with Session(engine) as session:
                confirmed.append(runs.run_auto_confirmations(session, now))
                session.commit()
        except BaseException as error:  # noqa: BLE001 - a crashed thread must fail the test
            failures.append(f"job: {error!r}")

    def recorder(seed: int):
        rng = random.Random(seed)
        try:
            for _ in range(RECORDS_EACH):
                with Session(engine) as session:
                    actor = session.get(User, ids["coordinators"][seed])
                    giver_id, getter_id = rng.sample(ids["members"], 2)
                    ex.record_exchange(
                        session,
                        actor=actor,
                        new=ex.NewExchange(
                            provider=member_account(session, session.get(User, giver_id)),
                            receiver=member_account(session, session.get(User, getter_id)),
                            minutes=30,
                            category="gardening",
                            occurred_on=london_date(now),
                        ),
                        now=now,
                    )
                    session.commit()
        except BaseException as error:  # noqa: BLE001
            failures.append(f"recorder {seed}: {error!r}")

    threads = [threading.Thread(target=job)] + [
        threading.Thread(target=recorder, args=(seed,)) for seed in range(RECORDERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not failures, failures
    assert confirmed and confirmed[0] == PENDING  # every due exchange confirmed
    settle_statistics(engine)
    assert deadlocks_counted(engine) == before
    with Session(engine) as session:
        assert (
            session.scalar(select(Exchange.id).where(Exchange.status == "pending").limit(1)) is None
        )
        assert_ledger_invariants(session)
