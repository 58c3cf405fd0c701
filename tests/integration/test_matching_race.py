"""Two coordinators propose the last place of the same peer at the same moment: exactly one
proposal is made. PostgreSQL only (real connections, real commits, real row locks)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import create_app
from app.auth import services as auth
from app.clock import utcnow
from app.errors import Conflict
from app.extensions import db
from app.matching import workflow
from app.matching.models import Match
from app.peers import profiles, referrals
from tests.ledger_checks import empty_committed_tables

pytestmark = pytest.mark.postgres_only


@pytest.fixture()
def racing(app, postgres_only):
    other = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
    )
    with other.app_context():
        engine = db.engine
    now = utcnow()
    with Session(engine) as session:
        organisation = auth.create_organisation(session, actor=None, name="Race Network")

        def person(name, role="member"):
            return auth.create_member(
                session,
                actor=None,
                now=now,
                base_url="http://x",
                new=auth.NewMember(
                    name=name, role=role, organisation_id=organisation.id, postcode="LS6 2AB"
                ),
            )

        coordinators = [person(f"Coordinator {n}", "coordinator") for n in range(2)]
        peer = profiles.create_peer(
            session,
            actor=coordinators[0],
            member_id=person("Esther Peer").id,
            details=profiles.PeerDetails(support_types=["talk"], modes=["phone"], capacity=1),
            condition_codes=[],
            carer_condition_codes=[],
            consent_given=None,
            approve=True,
            now=now,
        )
        waiting = [
            referrals.create_referral(
                session,
                actor=coordinators[0],
                request=referrals.ReferralRequest(
                    member_id=person(f"Person {n}").id, support_types=["talk"], modes=["phone"]
                ),
                now=now,
            )
            for n in range(2)
        ]
        session.commit()
        ids = [c.id for c in coordinators], peer.id, [r.id for r in waiting]
    yield engine, ids
    empty_committed_tables(engine)
    engine.dispose()


def test_two_coordinators_racing_for_the_last_place_one_wins(racing):
    engine, (coordinator_ids, peer_id, referral_ids) = racing
    start = threading.Barrier(2)
    # Both wait here after proposing and before committing, so that without the lock on the
    # peer both would count no live match and both would commit. With it, the second is still
    # waiting for the lock: the first gives up waiting after a second and commits.
    before_commit = threading.Barrier(2, timeout=1)
    outcomes: list[str] = []
    failures: list[BaseException] = []

    def propose(n: int) -> None:
        try:
            with Session(engine) as session:
                from app.auth.models import User

                actor = session.get(User, coordinator_ids[n])
                start.wait()
                try:
                    workflow.propose_match(
                        session,
                        actor=actor,
                        referral_id=referral_ids[n],
                        peer_id=peer_id,
                        now=utcnow(),
                    )
                except Conflict as refused:
                    session.rollback()
                    outcomes.append(refused.code)
                    return
                try:
                    before_commit.wait()
                except threading.BrokenBarrierError:
                    pass
                session.commit()
                outcomes.append("proposed")
        except BaseException as error:  # noqa: BLE001 - a crashed thread must fail the test
            failures.append(error)

    threads = [threading.Thread(target=propose, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures, failures
    assert sorted(outcomes) == ["peer_at_capacity", "proposed"]
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Match)) == 1
