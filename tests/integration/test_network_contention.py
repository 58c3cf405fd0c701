"""Concurrent confirmations of exchanges across two partner organisations, on PostgreSQL.

Twelve coordinators (six on each side) confirm and reverse the same pending exchanges across
at once, most of the time flowing one way so that the partnership's limit binds. Each posting
locks four accounts (both members and both clearing accounts) in ascending id order. After the
storm: no 500, no deadlock, every organisation's books sum to zero, the net flow never passed the
limit, and it equals the confirmed exchanges across.

Runs outside the rollback fixture with real connections and commits, then empties the tables.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth import services as auth
from app.clock import london_date, utcnow
from app.extensions import db
from app.timebank import exchanges as ex
from app.timebank import partnerships
from app.timebank.models import Exchange, LedgerTransaction, Leg
from app.timebank.services import member_account

# The same second app (a pool with room for every thread) as the contention test within one
# organisation; its pool is larger than this test needs.
from tests.integration.test_ledger_contention import (  # noqa: F401 - busy_app is a fixture
    busy_app,
    deadlocks_counted,
    settle_statistics,
)
from tests.ledger_checks import assert_ledger_invariants, run_client_threads

pytestmark = pytest.mark.postgres_only

THREADS = 12
LIMIT = 240
PENDING = 160
OPERATIONS_PER_THREAD = 30


@pytest.fixture()
def two_partners(busy_app):  # noqa: F811 - the imported fixture, requested by name
    contended, engine = busy_app
    now = utcnow()
    yesterday = london_date(now) - timedelta(days=1)
    with Session(engine) as session:
        sides = [
            auth.create_organisation(
                session,
                actor=None,
                name=name,
                min_balance_minutes=-600,
                max_balance_minutes=600,
            )
            for name in ("Riverside Timebank", "Hillside Timebank")
        ]

        def person(organisation, n, role="member"):
            return auth.create_member(
                session,
                actor=None,
                now=now,
                base_url="http://x",
                new=auth.NewMember(name=f"{role} {n}", role=role, organisation_id=organisation.id),
            )

        coordinators = {o.id: [person(o, n, "coordinator") for n in range(THREADS)] for o in sides}
        members = {o.id: [person(o, n) for n in range(4)] for o in sides}
        first, second = sides
        partnership = partnerships.propose_partnership(
            session,
            actor=coordinators[first.id][0],
            partner_organisation_id=second.id,
            limit_minutes=LIMIT,
            now=now,
        )
        partnerships.accept_partnership(
            session, actor=coordinators[second.id][0], partnership_id=partnership.id, now=now
        )
        rng = random.Random(16)
        confirmer_side = {}
        for _ in range(PENDING):
            giving, getting = (first, second) if rng.random() < 0.75 else (second, first)
            giver, getter = rng.choice(members[giving.id]), rng.choice(members[getting.id])
            exchange = ex.record_exchange(
                session,
                actor=giver,
                new=ex.NewExchange(
                    provider=member_account(session, giver),
                    receiver=member_account(session, getter),
                    minutes=rng.choice([15, 30, 45, 60]),
                    category="cooking",
                    occurred_on=yesterday,
                ),
                now=now,
            )
            confirmer_side[exchange.id] = getting.id
        tokens = {
            organisation_id: [auth.issue_api_token(session, c, now) for c in staff]
            for organisation_id, staff in coordinators.items()
        }
        session.commit()
        network = {
            "tokens": tokens,
            "confirmer_side": confirmer_side,
            "first": first.id,
            "second": second.id,
            "partnership_id": partnership.id,
        }
    return contended, engine, network


EXPECTED = {
    "confirm": {
        200: {None},
        409: {"balance_limit", "partnership_limit", "already_confirmed", "already_reversed"},
    },
    "reverse": {200: {None}, 409: {"not_confirmed", "already_reversed"}},
}


def client_thread(contended, network, seed, outcomes, failures) -> None:
    rng = random.Random(seed)
    client = contended.test_client()
    pending = list(network["confirmer_side"])
    try:
        for _ in range(OPERATIONS_PER_THREAD):
            exchange_id = rng.choice(pending)
            side = network["confirmer_side"][exchange_id]
            if rng.random() < 0.85:
                kind = "confirm"
                headers = {"Authorization": f"Bearer {network['tokens'][side][seed]}"}
                response = client.post(f"/api/v1/exchanges/{exchange_id}/confirm", headers=headers)
            else:
                kind = "reverse"
                other = network["first"] if side == network["second"] else network["second"]
                headers = {"Authorization": f"Bearer {network['tokens'][other][seed]}"}
                response = client.post(
                    f"/api/v1/exchanges/{exchange_id}/reverse",
                    json={"reason": "Contention test"},
                    headers=headers,
                )
            body = response.get_json(silent=True) or {}
            outcomes.append((kind, response.status_code, (body.get("error") or {}).get("code")))
    except BaseException as error:  # noqa: BLE001 - a crashed thread must fail the test
        failures.append(repr(error))


def replay_clearing_within_limit(session, account_id: int) -> int:
    """Every posting that moved the net flow further from zero left it within the limit."""
    balance, checked = 0, 0
    for amount, kind in session.execute(
        select(Leg.amount_minutes, LedgerTransaction.kind)
        .join(LedgerTransaction, LedgerTransaction.id == Leg.transaction_id)
        .where(Leg.account_id == account_id)
        .order_by(Leg.id)
    ):
        before, balance = balance, balance + amount
        if kind == "exchange" and abs(balance) > abs(before):
            assert abs(balance) <= LIMIT, (before, balance)
            checked += 1
    return checked


def test_confirmations_across_keep_every_organisation_whole_under_contention(two_partners):
    contended, engine, network = two_partners
    settle_statistics(engine)
    deadlocks_before = deadlocks_counted(engine)
    outcomes, failures = run_client_threads(client_thread, contended, network, THREADS)

    assert not failures, failures
    assert len(outcomes) == THREADS * OPERATIONS_PER_THREAD
    unexpected = [o for o in outcomes if o[2] not in EXPECTED[o[0]].get(o[1], set())]
    assert not unexpected, Counter(unexpected).most_common(5)
    kinds = Counter((kind, status, code) for kind, status, code in outcomes)
    assert kinds[("confirm", 200, None)] > 0, kinds
    assert kinds[("confirm", 409, "partnership_limit")] > 0, kinds  # the limit really bound

    settle_statistics(engine)
    assert deadlocks_counted(engine) == deadlocks_before
    with Session(engine) as session:
        assert_ledger_invariants(session)
        first, second = network["first"], network["second"]
        ours = partnerships.clearing_account(session, first, second)
        assert replay_clearing_within_limit(session, ours.id) > 0
        confirmed_net = session.scalar(
            select(
                func.coalesce(
                    func.sum(
                        func.coalesce(
                            (Exchange.organisation_id == first).cast(db.Integer) * 2 - 1, 0
                        )
                        * Exchange.minutes
                    ),
                    0,
                )
            ).where(Exchange.status == "confirmed", Exchange.partnership_id.is_not(None))
        )
        assert partnerships.net_minutes(session, first, second) == confirmed_net
        assert abs(confirmed_net) <= LIMIT
        assert partnerships.net_minutes(session, second, first) == -confirmed_net
