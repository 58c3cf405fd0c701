"""app.peers.conditions called directly: consent, withdrawal, who sees conditions, the audit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.peers import conditions
from app.peers.models import Condition, HealthDataConsent, MemberCondition
from tests.factories import AdminFactory
from tests.integration.conftest import NOW, actions, audit_trail


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def record(session, people, *, actor=None, codes=None, consent=True, **kwargs):
    return conditions.record_conditions(
        session,
        actor=actor or people.coordinator,
        person=people.person,
        codes=people.codes if codes is None else codes,
        consent_given=consent,
        now=NOW,
        **kwargs,
    )


@pytest.mark.parametrize("consent", [None, False, 1, "yes"])
def test_conditions_need_explicit_consent_and_nothing_is_saved_without_it(session, people, consent):
    with pytest.raises(ValidationFailed) as caught:
        record(session, people, consent=consent)
    assert caught.value.code == "consent_required"
    assert set(caught.value.fields) == {"health_data_consent"}
    assert count(session, MemberCondition) == 0
    assert count(session, HealthDataConsent) == 0
    assert actions(session, people.person) == []


def test_no_conditions_need_no_consent(session, people):
    assert record(session, people, codes=[], consent=None) == []
    assert count(session, HealthDataConsent) == 0


def test_recorded_conditions_live_under_a_consent_naming_who_and_when(session, people):
    assert record(session, people) == people.codes
    consent = session.scalar(select(HealthDataConsent))
    assert consent.member_id == people.person.id
    assert consent.recorded_by_id == people.coordinator.id
    assert consent.recorded_at == NOW and consent.withdrawn_at is None
    rows = session.scalars(select(MemberCondition)).all()
    assert sorted(row.condition_code for row in rows) == sorted(people.codes)
    assert {row.consent_id for row in rows} == {consent.id}
    assert audit_trail(session, people.person) == [("conditions.recorded", people.coordinator.id)]


def test_unknown_codes_are_named_and_nothing_is_saved(session, people):
    with pytest.raises(ValidationFailed) as caught:
        record(session, people, codes=[people.codes[0], "no_such_condition"])
    assert "no_such_condition" in caught.value.fields["condition_codes"]
    assert count(session, MemberCondition) == 0


@pytest.mark.parametrize("who", ["person", "other", "outsider"])
def test_only_the_persons_own_coordinators_record_conditions(session, people, who):
    with pytest.raises(Forbidden):
        record(session, people, actor=getattr(people, who))
    assert count(session, MemberCondition) == 0


def test_replace_sets_exactly_these_codes_for_one_relationship(session, people):
    first, second = people.codes
    record(session, people, codes=[first, second])
    record(session, people, codes=[first], relationship_kind="carer")
    record(session, people, codes=[second], replace=True)
    rows = session.execute(
        select(MemberCondition.condition_code, MemberCondition.relationship_kind)
    ).all()
    assert sorted(rows) == sorted([(second, "own"), (first, "carer")])


def test_withdrawing_consent_deletes_every_condition_at_once(session, people):
    first, second = people.codes
    record(session, people, codes=[first])
    record(session, people, codes=[second], relationship_kind="carer")
    removed = conditions.withdraw_consent(
        session, actor=people.person, member_id=people.person.id, now=NOW
    )
    assert removed == 2
    assert count(session, MemberCondition) == 0
    consents = session.scalars(select(HealthDataConsent)).all()
    assert len(consents) == 2
    assert all(c.withdrawn_at == NOW and c.withdrawn_by_id == people.person.id for c in consents)
    assert conditions.live_consent(session, people.person) is None
    assert (
        conditions.conditions_of(session, actor=people.coordinator, person=people.person, now=NOW)
        == []
    )
    assert ("consent.withdrawn", people.person.id) in audit_trail(session, people.person)


def test_a_coordinator_may_withdraw_consent_for_the_person(session, people):
    record(session, people)
    assert (
        conditions.withdraw_consent(
            session, actor=people.coordinator, member_id=people.person.id, now=NOW
        )
        == 2
    )


@pytest.mark.parametrize("who", ["other", "outsider"])
def test_nobody_else_may_withdraw_consent(session, people, who):
    record(session, people)
    with pytest.raises(NotFound):
        conditions.withdraw_consent(
            session, actor=getattr(people, who), member_id=people.person.id, now=NOW
        )
    assert count(session, MemberCondition) == 2


def test_the_person_and_their_coordinator_see_conditions_and_each_view_is_audited(session, people):
    record(session, people)
    for viewer in (people.person, people.coordinator):
        seen = conditions.conditions_of(session, actor=viewer, person=people.person, now=NOW)
        assert sorted(c.code for c in seen) == sorted(people.codes)
    viewed = [e for e in audit_trail(session, people.person) if e[0] == "conditions.viewed"]
    assert viewed == [
        ("conditions.viewed", people.person.id),
        ("conditions.viewed", people.coordinator.id),
    ]


@pytest.mark.parametrize("who", ["other", "outsider"])
def test_nobody_else_sees_conditions_and_a_refusal_is_not_audited_as_a_view(session, people, who):
    record(session, people)
    with pytest.raises(NotFound):
        conditions.conditions_of(session, actor=getattr(people, who), person=people.person, now=NOW)
    with pytest.raises(NotFound):
        conditions.get_person_for_health_data(session, getattr(people, who), people.person.id)
    assert "conditions.viewed" not in actions(session, people.person)


def test_only_administrators_add_conditions_and_names_are_unique_ignoring_case(session, people):
    details = {"code": "lupus", "name": "Lupus", "group": "Joints, muscles and pain"}
    with pytest.raises(Forbidden):
        conditions.add_condition(session, actor=people.coordinator, now=NOW, **details)
    admin = AdminFactory()
    added = conditions.add_condition(session, actor=admin, now=NOW, **details)
    assert session.get(Condition, "lupus") is added and added.added_by_id == admin.id
    with pytest.raises(Conflict) as caught:
        conditions.add_condition(
            session, actor=admin, now=NOW, code="lupus_2", name="LUPUS", group="Other"
        )
    assert caught.value.code == "condition_exists"


def test_a_condition_code_has_a_fixed_shape(session):
    with pytest.raises(ValidationFailed) as caught:
        conditions.add_condition(
            session, actor=AdminFactory(), now=NOW, code="Type 2!", name="", group=""
        )
    assert set(caught.value.fields) == {"code", "name", "group"}
