"""app.peers.plans called directly: validation, sign-off, reviews, delivered hours, who sees."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.clock import london_date, utcnow
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.peers import plans
from app.peers.models import MemberCondition, PeerProfile, Referral, SupportPlan
from app.peers.plans import PlanDetails, SignOff, SupportLine
from app.timebank import exchanges as ex
from app.timebank.services import organisation_account
from tests.factories import (
    ConfirmedExchangeFactory,
    CoordinatorFactory,
    ExchangeFactory,
    SignedOffSupportPlanFactory,
    SupportPlanFactory,
    UserFactory,
    account_of,
)
from tests.integration.conftest import NOW, actions, audit_trail

PAID = SupportLine(kind="paid", description="Personal assistant", annual_pence=900_000)
TIMEBANK = SupportLine(kind="give_and_get", type="timebank", description="Lifts", hours_per_month=8)


def details(people, **changes) -> PlanDetails:
    values = {
        "member_id": people.person.id,
        "budget_pence": 1_250_000,
        "management": "mixed",
        "split_pence": {"notional": 1_000_000, "direct_payment": 250_000},
        "outcomes": ["  Cook for myself again  ", ""],
        "supports": [PAID, TIMEBANK],
        **changes,
    }
    return PlanDetails(**values)


def create(session, people, actor=None, **changes) -> SupportPlan:
    return plans.create_plan(
        session, actor=actor or people.coordinator, details=details(people, **changes), now=NOW
    )


def refused_fields(session, people, **changes) -> set[str]:
    with pytest.raises(ValidationFailed) as caught:
        create(session, people, **changes)
    assert session.scalar(select(func.count()).select_from(SupportPlan)) == 0
    return set(caught.value.fields)


def test_a_mixed_budget_whose_parts_add_up_is_accepted(session, people):
    plan = create(session, people)
    assert plan.status == "draft" and plan.created_by_id == people.coordinator.id
    assert plan.split_pence == {"notional": 1_000_000, "direct_payment": 250_000}
    assert plan.outcomes == ["Cook for myself again"]
    assert [s.kind for s in plan.supports] == ["paid", "give_and_get"]
    assert plans.totals(plan) == {"paid_annual_pence": 900_000, "give_and_get_hours_per_month": 8}
    assert audit_trail(session, people.person) == [("plan.created", people.coordinator.id)]


@pytest.mark.parametrize(
    "split",
    [
        {"notional": 1_000_000},  # short of the budget
        {"notional": 1_000_000, "direct_payment": 250_001},  # over it
        {"notional": 1_250_000, "pocket_money": 0},  # not a way to manage money
        {"notional": 1_300_000, "direct_payment": -50_000},  # adds up, but with a negative part
    ],
)
def test_a_mixed_budget_must_add_up_from_known_non_negative_parts(session, people, split):
    assert refused_fields(session, people, split_pence=split) == {"split_pence"}


def test_a_split_only_belongs_to_a_mixed_budget(session, people):
    plan = create(session, people, management="direct_payment", split_pence={"notional": 5})
    assert plan.split_pence == {}


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (SupportLine(kind="paid", description="PA"), "supports.1.annual_pence"),
        (SupportLine(kind="paid", description="PA", annual_pence=-1), "supports.1.annual_pence"),
        (
            SupportLine(kind="give_and_get", description="x", type="nope", hours_per_month=2),
            "supports.1.type",
        ),
        (
            SupportLine(kind="give_and_get", description="x", type="peer", hours_per_month=745),
            "supports.1.hours_per_month",
        ),
        (SupportLine(kind="gift", description="x"), "supports.1.kind"),
        (SupportLine(kind="paid", description="  ", annual_pence=1), "supports.1.description"),
    ],
)
def test_each_support_is_checked_for_its_kind(session, people, line, field):
    assert refused_fields(session, people, supports=[PAID, line]) == {field}


def test_the_budget_and_management_are_checked(session, people):
    assert refused_fields(session, people, budget_pence=-1, management="cash") == {
        "budget_pence",
        "management",
    }


def test_only_the_persons_coordinators_write_plans(session, people):
    with pytest.raises(Forbidden):
        create(session, people, actor=people.other)
    with pytest.raises(ValidationFailed) as caught:
        create(session, people, actor=people.outsider)
    assert set(caught.value.fields) == {"member_id"}


def test_an_update_replaces_the_supports_and_is_audited(session, people):
    plan = create(session, people)
    plans.update_plan(
        session,
        actor=people.coordinator,
        plan_id=plan.id,
        details=details(people, management="notional", split_pence={}, supports=[TIMEBANK]),
        now=NOW,
    )
    assert [s.kind for s in plan.supports] == ["give_and_get"] and plan.management == "notional"
    assert "plan.changed" in actions(session, people.person)


def test_the_person_and_their_coordinators_see_the_plan_and_each_view_is_audited(session, people):
    plan = SupportPlanFactory(member=people.person)
    for viewer in (people.person, people.coordinator):
        assert plans.get_plan_for(session, viewer, plan.id, now=NOW) is plan
    assert audit_trail(session, people.person) == [
        ("plan.viewed", people.person.id),
        ("plan.viewed", people.coordinator.id),
    ]


@pytest.mark.parametrize("who", ["other", "outsider"])
def test_nobody_else_finds_the_plan(session, people, who):
    plan = SupportPlanFactory(member=people.person)
    actor = getattr(people, who)
    with pytest.raises(NotFound):
        plans.get_plan_for(session, actor, plan.id, now=NOW)
    with pytest.raises(NotFound):
        plans.sign_off(
            session,
            actor=actor,
            plan_id=plan.id,
            answers=SignOff(wants_peer_support=False, willing_to_support_others=False),
            now=NOW,
        )
    assert plan.status == "draft"
    assert actions(session, people.person) == []


def test_the_plan_list_is_the_coordinators_organisation_or_the_persons_own(session, people):
    own = SupportPlanFactory(member=people.person)
    neighbours = SupportPlanFactory(member=people.other)
    SupportPlanFactory()  # another organisation's
    listed = lambda actor: [p.id for p in session.scalars(plans.plans_query(actor))]  # noqa: E731
    assert listed(people.coordinator) == [neighbours.id, own.id]
    assert listed(people.person) == [own.id]
    assert listed(people.outsider) == []


# --- sign-off -----------------------------------------------------------------------------------


def sign_off(session, people, plan, **answers):
    values = {"wants_peer_support": False, "willing_to_support_others": False, **answers}
    return plans.sign_off(
        session, actor=people.coordinator, plan_id=plan.id, answers=SignOff(**values), now=NOW
    )


def test_sign_off_sets_the_first_review_by_the_london_calendar(session, people):
    plan = SupportPlanFactory(member=people.person)
    signed, referral = sign_off(session, people, plan)
    assert referral is None
    assert signed.status == "signed_off" and signed.signed_off_at == NOW
    assert signed.signed_off_by_id == people.coordinator.id
    # 23:30 UTC on 14 July is 15 July in London; the first review is three months on.
    assert signed.signed_off_on == date(2025, 7, 15)
    assert signed.next_review_on == date(2025, 10, 15)
    assert plans.effective_status(signed, date(2025, 10, 14)) == "signed_off"
    assert plans.effective_status(signed, date(2025, 10, 15)) == "review_due"
    assert session.scalar(select(func.count()).select_from(Referral)) == 0
    assert session.scalar(select(func.count()).select_from(PeerProfile)) == 0
    assert actions(session, people.person)[-1] == "plan.signed_off"


def test_sign_off_refers_the_person_and_offers_a_draft_peer_profile_as_they_wished(session, people):
    plan = SupportPlanFactory(member=people.person)
    signed, referral = sign_off(
        session,
        people,
        plan,
        wants_peer_support=True,
        willing_to_support_others=True,
        condition_codes=people.codes[:1],
        consent_given=True,
        support_types=["talk"],
        modes=["phone"],
        languages=["urdu"],
        peer_gender="Female",
    )
    assert referral.status == "waiting" and referral.source == "sign_off"
    assert referral.plan_id == plan.id and referral.member_id == people.person.id
    assert referral.waiting_since == NOW and referral.postcode == "LS6 2AB"
    assert referral.languages == ["Urdu"] and referral.peer_gender == "female"
    assert session.scalar(select(MemberCondition.condition_code)) == people.codes[0]
    draft = session.scalar(select(PeerProfile).where(PeerProfile.member_id == people.person.id))
    assert draft.source == "sign_off" and not draft.approved
    assert {"conditions.recorded", "referral.created", "peer.created", "plan.signed_off"} <= set(
        actions(session, people.person)
    )


def test_sign_off_with_conditions_but_no_consent_changes_nothing(session, people):
    plan = SupportPlanFactory(member=people.person)
    with pytest.raises(ValidationFailed) as caught:
        sign_off(
            session,
            people,
            plan,
            wants_peer_support=True,
            condition_codes=people.codes,
            support_types=["talk"],
            modes=["phone"],
        )
    assert caught.value.code == "consent_required"
    session.rollback()  # what the unit of work does with a domain error
    assert session.get(SupportPlan, plan.id).status == "draft"
    assert session.scalar(select(func.count()).select_from(Referral)) == 0
    assert session.scalar(select(func.count()).select_from(MemberCondition)) == 0


def test_a_plan_is_signed_off_once_and_only_by_a_coordinator(session, people):
    plan = SupportPlanFactory(member=people.person)
    with pytest.raises(Forbidden):
        plans.sign_off(
            session,
            actor=people.person,
            plan_id=plan.id,
            answers=SignOff(wants_peer_support=False, willing_to_support_others=False),
            now=NOW,
        )
    sign_off(session, people, plan)
    with pytest.raises(Conflict) as caught:
        sign_off(session, people, plan)
    assert caught.value.code == "already_signed_off"


def test_a_review_is_for_a_signed_off_plan_and_sets_the_next_a_year_on(session, people):
    draft = SupportPlanFactory(member=people.person)
    with pytest.raises(Conflict) as caught:
        plans.record_review(session, actor=people.coordinator, plan_id=draft.id, now=NOW)
    assert caught.value.code == "not_signed_off"
    signed = SignedOffSupportPlanFactory(member=people.other)
    reviewed = plans.record_review(session, actor=people.coordinator, plan_id=signed.id, now=NOW)
    assert reviewed.last_reviewed_on == date(2025, 7, 15)
    assert reviewed.next_review_on == date(2026, 7, 15)
    assert "plan.reviewed" in actions(session, people.other)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 7, 15), 12, date(2026, 7, 15)),
    ],
)
def test_months_are_added_by_the_calendar(start, months, expected):
    assert plans.add_months(start, months) == expected


def _peer_support_paid_by_the_organisation(session, peer, person, minutes):
    coordinator = CoordinatorFactory(organisation=person.organisation)
    ex.record_exchange(
        session,
        actor=coordinator,
        new=ex.NewExchange(
            provider=account_of(peer),
            receiver=organisation_account(session, person.organisation_id),
            minutes=minutes,
            category="peer_support",
            occurred_on=london_date(utcnow()),
            beneficiary=person,
        ),
        now=utcnow(),
    )
    session.commit()


def test_delivered_hours_count_confirmed_exchanges_received_since_sign_off(session, people):
    today = london_date(utcnow())
    plan = SignedOffSupportPlanFactory(member=people.person)
    helper = UserFactory(organisation=people.person.organisation)
    received = {"provider": helper, "receiver": people.person}
    _peer_support_paid_by_the_organisation(session, helper, people.person, 60)
    ConfirmedExchangeFactory(**received, minutes=30, category="support_planning")
    ConfirmedExchangeFactory(**received, minutes=45, category="gardening")
    ExchangeFactory(**received, minutes=120, category="cooking")  # pending: not delivered
    ConfirmedExchangeFactory(provider=people.person, receiver=helper, minutes=15)  # given
    ConfirmedExchangeFactory(**received, minutes=20, occurred_on=today - timedelta(days=1))
    plan.signed_off_at = datetime.combine(today, datetime.min.time()) + timedelta(hours=12)
    delivered = plans.delivered_minutes(session, plan)
    assert delivered == {"timebank": 45, "peer": 90, "community": 0, "family": 0}
