"""The rules of acting for a member, on the service and the permission predicates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit import AuditEvent, record
from app.auth import acting, permissions
from app.clock import london_date, utcnow
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.factories import (
    ActingArrangementFactory,
    AdminFactory,
    CoordinatorFactory,
    UserFactory,
)


def test_act_for_holds_from_the_day_asked_to_the_until_date_inclusive(session):
    arrangement = ActingArrangementFactory()
    coordinator, member = arrangement.coordinator, arrangement.member
    start, end = arrangement.asked_on, arrangement.until
    assert permissions.can_act_for(coordinator, member, arrangement, start)
    assert permissions.can_act_for(coordinator, member, arrangement, end)
    assert not permissions.can_act_for(coordinator, member, arrangement, end + timedelta(days=1))
    assert not permissions.can_act_for(coordinator, member, arrangement, start - timedelta(days=1))


def test_act_for_refuses_a_stopped_arrangement_and_anyone_it_does_not_name(session):
    arrangement = ActingArrangementFactory()
    today = arrangement.asked_on
    colleague = CoordinatorFactory(organisation=arrangement.coordinator.organisation)
    assert not permissions.can_act_for(colleague, arrangement.member, arrangement, today)
    other = UserFactory(organisation=arrangement.member.organisation)
    assert not permissions.can_act_for(arrangement.coordinator, other, arrangement, today)
    arrangement.ended_at = utcnow()
    assert not permissions.can_act_for(
        arrangement.coordinator, arrangement.member, arrangement, today
    )


def test_nobody_is_acted_for_by_themselves_another_organisation_or_as_a_coordinator(session):
    coordinator = CoordinatorFactory()
    assert not permissions.can_be_acted_for(coordinator, coordinator)
    assert not permissions.can_be_acted_for(coordinator, UserFactory())  # elsewhere
    assert not permissions.can_be_acted_for(AdminFactory(), UserFactory())  # admin elsewhere
    colleague = CoordinatorFactory(organisation=coordinator.organisation)
    assert not permissions.can_be_acted_for(coordinator, colleague)
    member = UserFactory(organisation=coordinator.organisation)
    assert permissions.can_be_acted_for(coordinator, member)
    member.active = False
    assert not permissions.can_be_acted_for(coordinator, member)


def test_only_the_asked_for_changes_are_allowed_while_acting():
    assert permissions.can_do_while_acting("peers.member_health", "GET")
    assert permissions.can_do_while_acting("timebank.exchange_confirm", "POST")
    assert permissions.can_do_while_acting("timebank.listing_renew", "POST")
    assert not permissions.can_do_while_acting("peers.member_health_withdraw", "POST")
    assert not permissions.can_do_while_acting("notifications.preferences", "POST")
    assert not permissions.can_do_while_acting("auth.acting_end", "POST")


def test_record_arrangement_checks_the_dates_and_the_reason(session):
    coordinator = CoordinatorFactory()
    member = UserFactory(organisation=coordinator.organisation)
    now = utcnow()
    today = london_date(now)
    cases = [
        (today + timedelta(days=1), "Asked", today + timedelta(days=2), "asked_on"),
        (today, " ", today, "reason"),
        (today, "Asked", today - timedelta(days=1), "until"),
        (today, "Asked", today + timedelta(days=400), "until"),
        (today, "x" * 501, today, "reason"),
        (None, "Asked", today, "asked_on"),
    ]
    for asked_on, reason, until, field in cases:
        with pytest.raises(ValidationFailed) as error:
            acting.record_arrangement(
                session,
                actor=coordinator,
                member_id=member.id,
                asked_on=asked_on,
                reason=reason,
                until=until,
                now=now,
            )
        assert field in error.value.fields
    arrangement = acting.record_arrangement(
        session,
        actor=coordinator,
        member_id=member.id,
        asked_on=today - timedelta(days=3),
        reason="  Asked at the drop-in  ",
        until=today + timedelta(days=30),
        now=now,
    )
    assert arrangement.reason == "Asked at the drop-in"
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "acting.arranged"))
    assert (event.actor_id, event.member_id) == (coordinator.id, member.id)


def test_identity_carries_the_coordinator_and_audit_names_both(session):
    arrangement = ActingArrangementFactory()
    member = acting.acting_identity(
        session, coordinator=arrangement.coordinator, arrangement_id=arrangement.id, now=utcnow()
    )
    assert member.id == arrangement.member_id
    assert member.acting_coordinator is arrangement.coordinator
    record(session, actor=member, action="plan.viewed", object_type="support_plan", object_id=1)
    session.flush()
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "plan.viewed")).one()
    assert (event.actor_id, event.acting_for_id) == (arrangement.coordinator_id, member.id)
    member.acting_coordinator = None  # the instance outlives this test's request


def test_identity_is_none_after_the_until_date(session):
    arrangement = ActingArrangementFactory()
    later = utcnow() + timedelta(days=40)
    assert (
        acting.acting_identity(
            session, coordinator=arrangement.coordinator, arrangement_id=arrangement.id, now=later
        )
        is None
    )
    with pytest.raises(Conflict):
        acting.start_acting(
            session, actor=arrangement.coordinator, arrangement_id=arrangement.id, now=later
        )


def test_start_is_refused_to_a_colleague_and_hidden_from_another_organisation(session):
    arrangement = ActingArrangementFactory()
    colleague = CoordinatorFactory(organisation=arrangement.coordinator.organisation)
    with pytest.raises(Forbidden):
        acting.start_acting(session, actor=colleague, arrangement_id=arrangement.id, now=utcnow())
    with pytest.raises(NotFound):
        acting.start_acting(
            session, actor=CoordinatorFactory(), arrangement_id=arrangement.id, now=utcnow()
        )


def test_end_arrangement_once_by_the_member(session):
    arrangement = ActingArrangementFactory()
    acting.end_arrangement(
        session, actor=arrangement.member, arrangement_id=arrangement.id, now=utcnow()
    )
    assert arrangement.ended_by_id == arrangement.member_id
    with pytest.raises(Conflict):
        acting.end_arrangement(
            session, actor=arrangement.member, arrangement_id=arrangement.id, now=utcnow()
        )
    with pytest.raises(NotFound):
        acting.end_arrangement(
            session, actor=UserFactory(), arrangement_id=arrangement.id, now=utcnow()
        )
