"""Hole 2 of issue 15: Idempotency-Key replays leaked health data. A stored answer expires,
is served only to its own caller while they may still see the person, is audited when replayed,
and is purged of the person's data when their consent is withdrawn."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.api.idempotency import purge_expired
from app.api.models import IdempotencyRecord
from app.audit import AuditEvent
from app.auth.services import PERSON_FORGOTTEN, forget_person
from app.clock import utcnow
from app.jobs import runs
from tests.factories import CoordinatorFactory, IdempotencyRecordFactory, UserFactory
from tests.helpers import assert_error, bearer

PEER = {
    "condition_codes": ["epilepsy"],
    "health_data_consent": True,
    "support_types": ["talk"],
    "modes": ["phone"],
}


@pytest.fixture()
def recorded_peer(client, session):
    """A coordinator records a peer's conditions with an Idempotency-Key."""
    coordinator = CoordinatorFactory()
    member = UserFactory(organisation=coordinator.organisation)
    headers = {**bearer(coordinator), "Idempotency-Key": "peer-1"}
    body = {**PEER, "member_id": member.id}
    first = client.post("/api/v1/peers", json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["condition_codes"] == ["epilepsy"]
    return {
        "coordinator": coordinator,
        "member": member,
        "headers": headers,
        "body": body,
        "first": first.get_json(),
    }


def replay(client, recorded_peer):
    return client.post(
        "/api/v1/peers", json=recorded_peer["body"], headers=recorded_peer["headers"]
    )


def test_a_replay_after_consent_is_withdrawn_shows_no_conditions(client, session, recorded_peer):
    """Before: the stored answer, condition codes and all, was replayed after withdrawal."""
    member = recorded_peer["member"]
    withdrawn = client.post(
        f"/api/v1/members/{member.id}/consent/withdraw",
        headers=bearer(recorded_peer["coordinator"]),
    )
    assert withdrawn.status_code == 200
    again = replay(client, recorded_peer)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == {"id": recorded_peer["first"]["id"]}  # done, this id; nothing else
    assert "epilepsy" not in again.get_data(as_text=True)
    stored = session.scalars(select(IdempotencyRecord.response_body)).all()
    assert all("epilepsy" not in body for body in stored)


def test_a_replay_is_audited_as_a_read_of_the_persons_data(client, session, recorded_peer):
    member = recorded_peer["member"]
    replay(client, recorded_peer)
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "api.replayed", AuditEvent.member_id == member.id)
        )
        == 1
    )


def test_a_caller_who_may_no_longer_see_the_person_gets_no_replay(client, session, recorded_peer):
    """Before: a coordinator demoted to member still had the conditions replayed."""
    coordinator = recorded_peer["coordinator"]
    coordinator.role = "member"
    session.commit()
    assert_error(replay(client, recorded_peer), 404)


def test_another_callers_key_is_never_served(client, session, recorded_peer):
    colleague = CoordinatorFactory(organisation=recorded_peer["coordinator"].organisation)
    headers = {**bearer(colleague), "Idempotency-Key": "peer-1"}
    answer = client.post("/api/v1/peers", json=recorded_peer["body"], headers=headers)
    assert "Idempotent-Replayed" not in answer.headers  # run as their own request (a conflict)
    assert answer.status_code != 201 or answer.get_json()["id"] != recorded_peer["first"]["id"]


def test_a_key_expires_after_the_configured_hours(app, client, session):
    """Before: kept forever, so a key used a year ago still answered with the old response."""
    assert app.config["IDEMPOTENCY_KEY_HOURS"] == 24
    coordinator = CoordinatorFactory()
    headers = {**bearer(coordinator), "Idempotency-Key": "member-1"}
    first = client.post("/api/v1/members", json={"name": "Early Bird"}, headers=headers)
    record = session.scalar(select(IdempotencyRecord))
    record.created_at = utcnow() - timedelta(hours=24, minutes=1)
    session.commit()
    later = client.post("/api/v1/members", json={"name": "Early Bird"}, headers=headers)
    assert later.status_code == 201 and "Idempotent-Replayed" not in later.headers
    assert later.get_json()["id"] != first.get_json()["id"]


def test_the_scheduled_job_deletes_expired_records(app, session):
    now = utcnow()
    old = IdempotencyRecordFactory(created_at=now - timedelta(hours=25)).id
    young = IdempotencyRecordFactory(created_at=now - timedelta(hours=23)).id
    assert "idempotency_expiry" in runs.JOBS
    counts = runs.run_due(session, now, runs.JobSettings(idempotency_key_hours=24))
    assert counts["idempotency_expiry"] == 1
    ids = session.scalars(select(IdempotencyRecord.id)).all()
    assert ids == [young] and old not in ids
    assert purge_expired(session, now + timedelta(hours=2)) == 1


def test_forgetting_a_person_purges_what_they_sent_and_what_is_about_them(session):
    """The hook the erasure (privacy branch) also calls."""
    person = UserFactory()
    about = IdempotencyRecordFactory(
        member_id=person.id,
        response_body='{"id": 7, "status": "waiting", "condition_codes": ["x"]}',
    )
    by = IdempotencyRecordFactory(user=person, response_body='{"id": 8, "outcomes": ["swim"]}')
    other = IdempotencyRecordFactory(response_body='{"id": 9, "name": "Someone Else"}')
    assert "api" in PERSON_FORGOTTEN
    forget_person(session, person)
    assert about.response_body == '{"id": 7, "status": "waiting"}' and about.purged_at
    assert by.response_body == '{"id": 8}'
    assert other.response_body == '{"id": 9, "name": "Someone Else"}' and other.purged_at is None
