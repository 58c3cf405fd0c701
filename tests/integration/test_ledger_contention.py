"""Sixteen coordinators at once through the API, on five hot accounts: no 500, no deadlock.

Each thread is a partner system signed in as its own coordinator. They record exchanges on
members' behalf (confirmed at once, so the exchange row and its posting share one transaction),
confirm and reverse exchanges, and members record pending ones, all on the same five accounts.
Recording on behalf used to insert the exchange (whose foreign keys take KEY SHARE locks on both
accounts, in whatever order its sides came) before the posting locked the accounts in id order:
two such requests waited on each other and PostgreSQL killed one. Locks are now taken first, in
id order, so there is nothing to retry.

Runs outside the rollback fixture with real connections and commits, on its own app (a pool big
enough for every thread), then empties the tables.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app import create_app
from app.auth import services as auth
from app.clock import london_date, utcnow
from app.extensions import db
from app.timebank.models import Exchange
from tests.ledger_checks import (
    assert_ledger_invariants,
    empty_committed_tables,
    run_client_threads,
    seed_busy_organisation,
)

pytestmark = pytest.mark.postgres_only

THREADS = 16
HOT_MEMBERS = 5
PENDING = 150
OPERATIONS_PER_THREAD = 40


def deadlocks_counted(engine) -> int:
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_stat_clear_snapshot()"))
        return connection.scalar(
            text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        )


def settle_statistics(engine) -> None:
    """Close every pooled connection and wait until their backends have gone: a backend hands
    its counters (deadlocks among them) to the shared statistics when it exits."""
    engine.dispose()
    with engine.connect() as connection:
        for _ in range(100):
            others = connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            if not others:
                return
            time.sleep(0.1)


@pytest.fixture()
def busy_app(app, postgres_only):
    """A second app on the same database whose pool has room for every thread at once."""
    contended = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": THREADS + 2, "max_overflow": 0},
        },
    )
    with contended.app_context():
        engine = db.engine
    yield contended, engine
    empty_committed_tables(engine)
    engine.dispose()


@pytest.fixture()
def hot_network(busy_app):
    contended, engine = busy_app
    now = utcnow()
    with Session(engine) as session:
        organisation = auth.create_organisation(
            session,
            actor=None,
            name="Contention Timebank",
            min_balance_minutes=-180,
            max_balance_minutes=240,
        )

        coordinators, members = seed_busy_organisation(
            session,
            organisation,
            coordinators=THREADS,
            members=HOT_MEMBERS,
            pending=PENDING,
            seed=11,
            on=london_date(now) - timedelta(days=1),
            now=now,
        )
        network = {
            "coordinator_tokens": [auth.issue_api_token(session, c, now) for c in coordinators],
            "member_tokens": {m.id: auth.issue_api_token(session, m, now) for m in members},
            "member_ids": [m.id for m in members],
            "yesterday": (london_date(now) - timedelta(days=1)).isoformat(),
        }
        session.commit()
        network["pending_ids"] = list(session.scalars(select(Exchange.id)))
    return contended, engine, network


EXPECTED = {
    "record on behalf": {201: {None}, 409: {"balance_limit"}},
    "record pending": {201: {None}},
    "confirm": {200: {None}, 409: {"balance_limit", "already_confirmed", "already_reversed"}},
    "reverse": {200: {None}, 409: {"not_confirmed", "already_reversed"}},
}


def client_thread(contended, network, seed: int, outcomes: list, failures: list) -> None:
    rng = random.Random(seed)
    client = contended.test_client()
    coordinator = {"Authorization": f"Bearer {network['coordinator_tokens'][seed]}"}
    try:
        for _ in range(OPERATIONS_PER_THREAD):
            roll = rng.random()
            giver, getter = rng.sample(network["member_ids"], 2)
            body = {
                "provider_id": giver,
                "receiver_id": getter,
                "minutes": rng.choice([30, 45, 60, 90]),
                "category": "gardening",
                "occurred_on": network["yesterday"],
            }
            if roll < 0.45:
                kind = "record on behalf"
                response = client.post("/api/v1/exchanges", json=body, headers=coordinator)
            elif roll < 0.55:
                kind = "record pending"
                member = {"Authorization": f"Bearer {network['member_tokens'][giver]}"}
                response = client.post("/api/v1/exchanges", json=body, headers=member)
            elif roll < 0.9:
                kind = "confirm"
                exchange_id = rng.choice(network["pending_ids"])
                response = client.post(
                    f"/api/v1/exchanges/{exchange_id}/confirm", headers=coordinator
                )
            else:
                kind = "reverse"
                exchange_id = rng.choice(network["pending_ids"])
                response = client.post(
                    f"/api/v1/exchanges/{exchange_id}/reverse",
                    json={"reason": "Contention test"},
                    headers=coordinator,
                )
            body = response.get_json(silent=True) or {}
            code = (body.get("error") or {}).get("code")
            outcomes.append((kind, response.status_code, code))
    except BaseException as error:  # noqa: BLE001 - a crashed thread must fail the test
        failures.append(repr(error))


def test_sixteen_coordinators_on_five_hot_accounts_never_deadlock(hot_network):
    contended, engine, network = hot_network
    settle_statistics(engine)
    deadlocks_before = deadlocks_counted(engine)
    outcomes, failures = run_client_threads(client_thread, contended, network, THREADS)

    assert not failures, failures
    assert len(outcomes) == THREADS * OPERATIONS_PER_THREAD  # every thread ran to the end
    unexpected = [
        outcome
        for outcome in outcomes
        if outcome[2] not in EXPECTED[outcome[0]].get(outcome[1], set())
    ]
    assert not unexpected, Counter(unexpected).most_common(5)
    kinds = Counter((kind, status) for kind, status, _ in outcomes)
    assert kinds[("record on behalf", 201)] > 0 and kinds[("confirm", 200)] > 0, kinds
    assert kinds[("record on behalf", 409)] + kinds[("confirm", 409)] > 0, kinds

    settle_statistics(engine)
    assert deadlocks_counted(engine) == deadlocks_before
    with Session(engine) as session:
        assert_ledger_invariants(session)
