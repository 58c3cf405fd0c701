"""The plans, sign-off, referrals, peers, health data, audit and conditions pages."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.clock import london_date, utcnow
from app.peers import conditions, plans, profiles
from app.peers.conditions import CONSENT_MESSAGE
from app.peers.models import (
    HealthDataConsent,
    MemberCondition,
    PeerProfile,
    PlanSupport,
    Referral,
    SupportPlan,
)
from app.peers.views import format_pounds
from app.templating import format_date
from app.timebank import exchanges as ex
from tests.factories import (
    AdminFactory,
    CoordinatorFactory,
    OrganisationFactory,
    UserFactory,
    account_of,
)
from tests.helpers import sign_in

PERSON = "Priya Testperson"
MS = "Multiple sclerosis"


@pytest.fixture()
def people(session):
    """The person, another member and a coordinator of one organisation; a coordinator of
    another organisation."""
    organisation = OrganisationFactory()
    return {
        "person": UserFactory(organisation=organisation, name=PERSON, postcode="LS6 2AB"),
        "other": UserFactory(organisation=organisation, name="Olly Othermember"),
        "coordinator": CoordinatorFactory(organisation=organisation, name="Cora Coordinator"),
        "outsider": CoordinatorFactory(name="Oscar Outsider"),
    }


def as_user(client, user):
    client.post("/sign-out")
    response = sign_in(client, user)
    assert response.status_code == 302, response.get_data(as_text=True)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def one_h1(response) -> str:
    headings = re.findall(r"<h1[^>]*>(.*?)</h1>", text_of(response), re.S)
    assert len(headings) == 1, headings
    return headings[0].strip()


def field_error(response, field: str) -> str:
    """The error summary links to the field, and the field shows its message."""
    body = text_of(response)
    assert "There is a problem" in body
    assert f'href="#{field}"' in body, body
    match = re.search(rf'id="{field}-error" class="govuk-error-message">(.*?)</p>', body, re.S)
    assert match, f"no error shown on {field}"
    return match.group(1)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


PLAN_FORM = {
    "budget": "12,500",
    "management": "mixed",
    "split_notional": "10,000",
    "split_third_party": "",
    "split_direct_payment": "2500.00",
    "outcomes": "I want to get to the allotment twice a week\n\nCook for myself again\n",
    "started_without_money": "y",
}

SIGN_OFF_FORM = {
    "wants_peer_support": "yes",
    "condition_codes": ["multiple_sclerosis"],
    "support_types": ["talk", "support_planning"],
    "modes": ["phone", "in_person"],
    "languages": "Urdu, english",
    "peer_gender": "Female",
    "health_data_consent": "y",
    "willing_to_support_others": "yes",
}


def create_plan(client, person, **changes):
    response = client.post("/plans/new", data={**PLAN_FORM, "member_id": person.id, **changes})
    assert response.status_code == 302, text_of(response)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def add_support(client, plan_id, **data):
    response = client.post(f"/plans/{plan_id}/supports/new", data=data)
    assert response.status_code == 302, text_of(response)
    return response


def signed_off_plan(session, people):
    """A plan signed off through the services, with a referral and a draft peer profile."""
    coordinator, person = people["coordinator"], people["person"]
    now = utcnow()
    plan = plans.create_plan(
        session,
        actor=coordinator,
        details=plans.PlanDetails(
            member_id=person.id,
            budget_pence=500_000,
            supports=[plans.SupportLine(kind="paid", description="Gym pass", annual_pence=30_000)],
        ),
        now=now,
    )
    plan, referral = plans.sign_off(
        session,
        actor=coordinator,
        plan_id=plan.id,
        answers=plans.SignOff(
            wants_peer_support=True,
            willing_to_support_others=True,
            condition_codes=["multiple_sclerosis"],
            support_types=["talk"],
            modes=["phone"],
            consent_given=True,
        ),
        now=now,
    )
    session.commit()
    return plan, referral, profiles.peer_of(session, person)


# --- money --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pence", "words"),
    [(1_250_000, "£12,500.00"), (0, "£0.00"), (5, "£0.05"), (123_456_789, "£1,234,567.89")],
)
def test_pounds_filter_formats_pence(pence, words):
    assert format_pounds(pence) == words


# --- the journey --------------------------------------------------------------------------------


def test_journey_from_draft_plan_to_sign_off_to_queue_to_approved_peer(client, session, people):
    person, coordinator, other = people["person"], people["coordinator"], people["other"]
    as_user(client, coordinator)

    page = client.get(f"/plans/new?member={person.id}")
    assert page.status_code == 200
    assert one_h1(page) == f"Write a support plan for {PERSON}"
    assert re.search(
        rf'<option (selected value="{person.id}"|value="{person.id}" selected)', text_of(page)
    )

    plan_id = create_plan(client, person)
    plan = session.get(SupportPlan, plan_id)
    assert plan.budget_pence == 1_250_000 and plan.status == "draft"
    assert plan.split_pence == {"notional": 1_000_000, "third_party": 0, "direct_payment": 250_000}
    assert plan.outcomes == ["I want to get to the allotment twice a week", "Cook for myself again"]
    assert plan.started_without_money

    add_support(
        client,
        plan_id,
        kind="paid",
        description="Personal assistant, 6 hours a week",
        provider="Own PA",
        annual_cost="9,000",
    )
    add_support(
        client,
        plan_id,
        kind="give_and_get",
        type="timebank",
        description="Lifts to the allotment",
        hours_per_month="8",
    )
    add_support(
        client,
        plan_id,
        kind="give_and_get",
        type="peer",
        description="Talking to someone who has been there",
        hours_per_month="2",
    )
    session.expire_all()
    assert [s.description for s in session.get(SupportPlan, plan_id).supports] == [
        "Personal assistant, 6 hours a week",
        "Lifts to the allotment",
        "Talking to someone who has been there",
    ]

    # Give and get is delivered through the timebank: 90 minutes of lifts the person received.
    ex.record_exchange(
        session,
        actor=coordinator,
        new=ex.NewExchange(
            provider=account_of(other),
            receiver=account_of(person),
            minutes=90,
            category="transport",
            occurred_on=london_date(utcnow()),
            description="Lift",
        ),
        now=utcnow(),
    )
    session.commit()

    page = client.get(f"/plans/{plan_id}")
    body = text_of(page)
    assert one_h1(page) == PERSON
    assert body.count("govuk-grid-column-one-half") == 2
    # Started as if there were no money: give and get comes first.
    assert body.index("Give-and-get supports") < body.index("Paid supports")
    for words in ("£12,500.00", "£9,000.00", "Own PA", "Lifts to the allotment", "Draft"):
        assert words in body, words
    assert "1 hour 30 minutes" in body
    assert "Sign off the plan" in body and "Record a review" not in body

    page = client.get(f"/plans/{plan_id}/sign-off")
    assert one_h1(page) == f"Sign off {PERSON}’s plan"
    assert f"Would {PERSON} like peer support from now on?" in text_of(page)
    assert f"Would {PERSON} be prepared to support someone else later?" in text_of(page)
    assert CONSENT_MESSAGE in text_of(page)

    signed = client.post(f"/plans/{plan_id}/sign-off", data=SIGN_OFF_FORM)
    assert signed.status_code == 302, text_of(signed)
    review = plans.add_months(london_date(utcnow()), 3)
    page = client.get(signed.headers["Location"])
    body = text_of(page)
    assert f"The first review is due by {format_date(review)}" in body
    referral = session.scalar(select(Referral).where(Referral.member_id == person.id))
    draft = session.scalar(select(PeerProfile).where(PeerProfile.member_id == person.id))
    assert referral.plan_id == plan_id and referral.source == "sign_off"
    assert referral.languages == ["Urdu", "English"] and referral.peer_gender == "female"
    assert draft.source == "sign_off" and not draft.approved
    assert f'href="/referrals/{referral.id}"' in body and f'href="/peers/{draft.id}"' in body
    assert "Record a review" in body and "Signed off" in body

    queue = client.get("/referrals")
    body = text_of(queue)
    assert one_h1(queue) == "Referrals for peer support"
    assert PERSON in body and MS in body and "Waiting for a peer" in body
    assert "LS6" in body and "LS6 2AB" not in body  # the postcode district only
    assert "A chat with someone who has been there" in body

    detail = client.get(f"/referrals/{referral.id}")
    assert one_h1(detail) == PERSON and MS in text_of(detail)

    peers_page = client.get("/peers")
    assert PERSON in text_of(peers_page) and "Offered at sign-off" in text_of(peers_page)

    edit = client.get(f"/peers/{draft.id}/edit")
    assert one_h1(edit) == f"Change {PERSON}’s details and checks"
    today = london_date(utcnow())
    saved = client.post(
        f"/peers/{draft.id}/edit",
        data={
            "support_types": ["talk", "accompany"],
            "modes": ["phone", "in_person"],
            "languages": "urdu, English",
            "capacity": "2",
            "travel_km": "10",
            "gender": "Female",
            "references_checked_on-day": str(today.day),
            "references_checked_on-month": str(today.month),
            "references_checked_on-year": str(today.year),
            "dbs_checked_on-day": str(today.day),
            "dbs_checked_on-month": str(today.month),
            "dbs_checked_on-year": str(today.year),
            "notes": "Keen to help with planning",
        },
    )
    assert saved.status_code == 302, text_of(saved)
    session.expire_all()
    draft = session.get(PeerProfile, draft.id)
    assert draft.capacity == 2 and draft.languages == ["Urdu", "English"]
    assert draft.dbs_checked_on == today and not draft.approved

    approved = client.post(f"/peers/{draft.id}/approve")
    assert approved.status_code == 302
    session.expire_all()
    assert session.get(PeerProfile, draft.id).approved_by_id == coordinator.id
    page = client.get(f"/peers/{draft.id}")
    assert "Approved" in text_of(page) and MS in text_of(page)

    review_page = client.post(f"/plans/{plan_id}/review", follow_redirects=True)
    assert "The review is recorded" in text_of(review_page)
    assert session.get(SupportPlan, plan_id).next_review_on == plans.add_months(today, 12)

    trail = client.get(f"/audit?member={person.id}")
    body = text_of(trail)
    assert one_h1(trail) == f"Audit trail for {PERSON}"
    for words in (
        "Signed off a support plan",
        "Looked at a support plan",
        "Recorded health conditions",
        "Saw a referral in the queue",
        "Approved a peer",
        "Cora Coordinator",
    ):
        assert words in body, words


def test_the_person_sees_their_own_plan_referral_and_profile_but_changes_nothing(
    client, session, people
):
    plan, referral, draft = signed_off_plan(session, people)
    as_user(client, people["person"])
    page = client.get(f"/plans/{plan.id}")
    assert page.status_code == 200 and one_h1(page) == "Your support plan"
    assert "Gym pass" in text_of(page) and "Record a review" not in text_of(page)
    assert PERSON in text_of(client.get("/plans"))
    assert client.get(f"/referrals/{referral.id}").status_code == 200
    assert MS in text_of(client.get(f"/members/{people['person'].id}/health"))
    assert client.get(f"/peers/{draft.id}").status_code == 200
    assert client.post(f"/peers/{draft.id}/pause").status_code == 302
    session.expire_all()
    assert session.get(PeerProfile, draft.id).paused
    for path in (f"/plans/{plan.id}/edit", f"/plans/{plan.id}/supports/new", "/referrals"):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/plans/{plan.id}/review").status_code == 403
    assert client.post(f"/referrals/{referral.id}/close").status_code == 403
    assert client.post(f"/peers/{draft.id}/approve").status_code == 403


def test_review_is_due_on_the_list_once_the_date_has_come(client, session, people):
    plan, _referral, _draft = signed_off_plan(session, people)
    plan.next_review_on = london_date(utcnow()) - timedelta(days=1)
    session.commit()
    as_user(client, people["coordinator"])
    body = text_of(client.get("/plans"))
    assert PERSON in body and "Review due" in body


# --- rules shown as field errors ----------------------------------------------------------------


def test_sign_off_without_consent_is_a_field_error_and_saves_nothing(client, session, people):
    as_user(client, people["coordinator"])
    plan_id = create_plan(client, people["person"])
    before = [
        count(session, m) for m in (Referral, PeerProfile, MemberCondition, HealthDataConsent)
    ]
    answers = {k: v for k, v in SIGN_OFF_FORM.items() if k != "health_data_consent"}
    page = client.post(f"/plans/{plan_id}/sign-off", data=answers)
    assert page.status_code == 200
    assert CONSENT_MESSAGE in field_error(page, "health_data_consent")
    assert 'value="multiple_sclerosis" checked' in text_of(page)  # what was typed is kept
    session.expire_all()
    assert session.get(SupportPlan, plan_id).status == "draft"
    after = [count(session, m) for m in (Referral, PeerProfile, MemberCondition, HealthDataConsent)]
    assert after == before


def test_referral_and_peer_without_consent_are_field_errors(client, session, people):
    as_user(client, people["coordinator"])
    page = client.post(
        "/referrals/new",
        data={
            "member_id": people["person"].id,
            "condition_codes": ["copd"],
            "support_types": ["talk"],
            "modes": ["phone"],
        },
    )
    assert CONSENT_MESSAGE in field_error(page, "health_data_consent")
    page = client.post(
        "/peers/new",
        data={
            "member_id": people["other"].id,
            "carer_condition_codes": ["dementia"],
            "support_types": ["talk"],
            "modes": ["phone"],
            "capacity": "1",
            "travel_km": "5",
        },
    )
    assert CONSENT_MESSAGE in field_error(page, "health_data_consent")
    assert count(session, Referral) == count(session, PeerProfile) == 0
    assert count(session, MemberCondition) == 0


def test_sign_off_asks_what_support_when_they_want_peer_support(client, session, people):
    as_user(client, people["coordinator"])
    plan_id = create_plan(client, people["person"])
    page = client.post(
        f"/plans/{plan_id}/sign-off",
        data={"wants_peer_support": "yes", "health_data_consent": "y"},
    )
    assert "Choose at least one kind of support" in field_error(page, "support_types")
    assert "Choose at least one way to meet" in field_error(page, "modes")
    assert "Choose yes" in field_error(page, "willing_to_support_others")
    assert session.get(SupportPlan, plan_id).status == "draft"


def test_sign_off_with_no_peer_support_makes_no_referral(client, session, people):
    as_user(client, people["coordinator"])
    plan_id = create_plan(client, people["person"])
    response = client.post(
        f"/plans/{plan_id}/sign-off",
        data={"wants_peer_support": "no", "willing_to_support_others": "no"},
    )
    assert response.status_code == 302
    assert session.get(SupportPlan, plan_id).status == "signed_off"
    assert count(session, Referral) == count(session, PeerProfile) == 0
    again = client.get(f"/plans/{plan_id}/sign-off", follow_redirects=True)
    assert "already been signed off" in text_of(again)


def peer_form(member, **changes):
    return {
        "member_id": member.id,
        "condition_codes": ["stroke"],
        "health_data_consent": "y",
        "support_types": ["accompany"],
        "modes": ["in_person"],
        "capacity": "1",
        "travel_km": "5",
        "approve": "y",
        **changes,
    }


def test_approving_in_person_accompanying_without_a_dbs_date_is_a_field_error(
    client, session, people
):
    as_user(client, people["coordinator"])
    page = client.post("/peers/new", data=peer_form(people["other"]))
    assert page.status_code == 200
    assert "needs a DBS check on file" in field_error(page, "dbs_checked_on")
    assert count(session, PeerProfile) == 0 and count(session, MemberCondition) == 0

    # Saved as a draft, the approve button shows the same rule on the edit form.
    created = client.post("/peers/new", data=peer_form(people["other"], approve=""))
    assert created.status_code == 302, text_of(created)
    peer_id = int(created.headers["Location"].rsplit("/", 1)[1])
    page = client.post(f"/peers/{peer_id}/approve")
    assert page.status_code == 200
    assert "needs a DBS check on file" in field_error(page, "dbs_checked_on")
    assert "cannot be approved yet" in text_of(page)
    session.expire_all()
    assert not session.get(PeerProfile, peer_id).approved

    page = client.post(
        f"/peers/{peer_id}/edit",
        data={
            **peer_form(people["other"]),
            "dbs_checked_on-day": "31",
            "dbs_checked_on-month": "2",
        },
    )
    assert "must include a year" in field_error(page, "dbs_checked_on")


def test_adding_a_peer_starts_from_the_conditions_already_held(client, session, people):
    signed_off_plan(session, people)  # the person was referred with multiple sclerosis
    other = people["other"]
    as_user(client, people["coordinator"])
    page = client.get(f"/peers/new?member={people['person'].id}")
    assert 'value="multiple_sclerosis" checked' in text_of(page)
    assert session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == "conditions.viewed", AuditEvent.member_id == people["person"].id
        )
    )
    made = client.post(
        f"/peers/new?member={other.id}",
        data=peer_form(
            other, support_types=["talk"], modes=["phone"], carer_condition_codes=["dementia"]
        ),
    )
    assert made.status_code == 302, text_of(made)
    profile = session.scalar(select(PeerProfile).where(PeerProfile.member_id == other.id))
    assert profile.approved and profile.support_types == ["talk"]
    kinds = session.execute(
        select(MemberCondition.condition_code, MemberCondition.relationship_kind).where(
            MemberCondition.member_id == other.id
        )
    ).all()
    assert sorted(kinds) == [("dementia", "carer"), ("stroke", "own")]


def test_a_dbs_date_in_the_future_is_refused(client, session, people):
    as_user(client, people["coordinator"])
    tomorrow = london_date(utcnow()) + timedelta(days=1)
    page = client.post(
        "/peers/new",
        data=peer_form(
            people["other"],
            **{
                "dbs_checked_on-day": str(tomorrow.day),
                "dbs_checked_on-month": str(tomorrow.month),
                "dbs_checked_on-year": str(tomorrow.year),
            },
        ),
    )
    assert "today or in the past" in field_error(page, "dbs_checked_on")


@pytest.mark.parametrize(
    ("budget", "message"),
    [
        ("twelve thousand", "in pounds and pence"),
        ("12,50", "in pounds and pence"),
        ("12500.505", "no more than 2 numbers after the point"),
        ("-50", "cannot be less than £0"),
        ("", "Enter the yearly budget"),
        ("20,000,000", "£10,000,000 or less"),
    ],
)
def test_bad_money_is_a_field_error(client, session, people, budget, message):
    as_user(client, people["coordinator"])
    page = client.post(
        "/plans/new", data={**PLAN_FORM, "member_id": people["person"].id, "budget": budget}
    )
    assert page.status_code == 200
    assert message in field_error(page, "budget")
    assert count(session, SupportPlan) == 0


def test_money_with_pence_is_read_exactly(client, session, people):
    as_user(client, people["coordinator"])
    plan_id = create_plan(
        client, people["person"], budget="£12500.5", management="notional", split_notional="x"
    )
    plan = session.get(SupportPlan, plan_id)
    assert plan.budget_pence == 1_250_050 and plan.split_pence == {}


def test_a_mixed_budget_must_add_up(client, session, people):
    as_user(client, people["coordinator"])
    page = client.post(
        "/plans/new",
        data={**PLAN_FORM, "member_id": people["person"].id, "split_direct_payment": "1"},
    )
    assert "must add up to the whole budget" in field_error(page, "split_notional")
    assert count(session, SupportPlan) == 0


def test_a_mixed_budget_may_leave_the_split_unknown(client, session, people):
    as_user(client, people["coordinator"])
    plan_id = create_plan(
        client,
        people["person"],
        split_notional="",
        split_third_party="",
        split_direct_payment="",
    )
    plan = session.get(SupportPlan, plan_id)
    assert plan.management == "mixed" and plan.split_pence == {}
    page = text_of(client.get(f"/plans/{plan_id}"))
    assert "split between notional, third party and direct payment is not known yet" in page


def test_a_support_needs_the_fields_for_its_kind(client, session, people):
    as_user(client, people["coordinator"])
    plan_id = create_plan(client, people["person"])
    page = client.post(
        f"/plans/{plan_id}/supports/new",
        data={"kind": "paid", "description": "Gym", "annual_cost": "lots"},
    )
    assert "in pounds and pence" in field_error(page, "annual_cost")
    page = client.post(
        f"/plans/{plan_id}/supports/new",
        data={"kind": "give_and_get", "description": "Gardening", "hours_per_month": "1.5"},
    )
    assert "Choose the kind of give and get" in field_error(page, "type")
    assert "whole number" in field_error(page, "hours_per_month")
    page = client.post(f"/plans/{plan_id}/supports/new", data={"description": "Gym"})
    assert "Choose whether" in field_error(page, "kind")
    assert count(session, PlanSupport) == 0


def test_editing_a_plan_keeps_its_supports_and_a_support_can_be_removed(client, session, people):
    as_user(client, people["coordinator"])
    plan_id = create_plan(client, people["person"])
    add_support(client, plan_id, kind="paid", description="Gym", annual_cost="300")
    add_support(client, plan_id, kind="paid", description="Taxi", annual_cost="120.50")
    page = client.get(f"/plans/{plan_id}/edit")
    assert 'value="12500.00"' in text_of(page)
    saved = client.post(
        f"/plans/{plan_id}/edit",
        data={**PLAN_FORM, "budget": "20,000", "management": "third_party"},
    )
    assert saved.status_code == 302, text_of(saved)
    session.expire_all()
    plan = session.get(SupportPlan, plan_id)
    assert plan.budget_pence == 2_000_000 and plan.management == "third_party"
    assert [(s.description, s.annual_pence) for s in plan.supports] == [
        ("Gym", 30_000),
        ("Taxi", 12_050),
    ]
    gym = plan.supports[0]
    assert client.post(f"/plans/{plan_id}/supports/{gym.id}/remove").status_code == 302
    session.expire_all()
    assert [s.description for s in session.get(SupportPlan, plan_id).supports] == ["Taxi"]


# --- health data and consent --------------------------------------------------------------------


def test_withdrawing_consent_removes_conditions_from_the_referral_and_health_pages(
    client, session, people
):
    person = people["person"]
    as_user(client, people["coordinator"])
    made = client.post(
        "/referrals/new",
        data={
            "member_id": person.id,
            "condition_codes": ["multiple_sclerosis", "depression"],
            "health_data_consent": "y",
            "postcode": "ls1 4ap",
            "support_types": ["talk"],
            "modes": ["video"],
            "languages": "Polish",
        },
    )
    assert made.status_code == 302, text_of(made)
    referral_path = made.headers["Location"]
    assert MS in text_of(client.get(referral_path))
    health = client.get(f"/members/{person.id}/health")
    assert "<li>Multiple sclerosis (MS)</li>" in text_of(health)
    assert "<li>Depression</li>" in text_of(health)
    assert "Recorded on" in text_of(health) and "Cora Coordinator" in text_of(health)

    as_user(client, person)  # the person withdraws it themselves
    own = client.get(f"/members/{person.id}/health")
    assert one_h1(own) == "Your health conditions and consent" and MS in text_of(own)
    assert "Record conditions" not in text_of(own)
    withdrawn = client.post(f"/members/{person.id}/health/withdraw", follow_redirects=True)
    assert "2 conditions were removed" in text_of(withdrawn)
    assert MS not in text_of(withdrawn)

    as_user(client, people["coordinator"])
    referral_page = text_of(client.get(referral_path))
    assert MS not in referral_page and "Depression" not in referral_page
    assert "None recorded" in referral_page
    health = text_of(client.get(f"/members/{person.id}/health"))
    assert "No consent is held" in health
    assert "<li>Multiple sclerosis (MS)</li>" not in health
    assert MS not in text_of(client.get("/referrals"))
    assert count(session, MemberCondition) == 0


def test_coordinator_records_conditions_only_with_consent(client, session, people):
    person = people["person"]
    as_user(client, people["coordinator"])
    page = client.post(f"/members/{person.id}/health", data={"condition_codes": ["asthma"]})
    assert CONSENT_MESSAGE in field_error(page, "health_data_consent")
    assert count(session, MemberCondition) == 0
    saved = client.post(
        f"/members/{person.id}/health",
        data={
            "condition_codes": ["asthma"],
            "carer_condition_codes": ["autism"],
            "health_data_consent": "y",
        },
    )
    assert saved.status_code == 302
    page = client.get(f"/members/{person.id}/health")
    assert "<li>Asthma</li>" in text_of(page) and "<li>Autism</li>" in text_of(page)
    assert 'value="asthma" checked' in text_of(page)


# --- conditions and the audit trail -------------------------------------------------------------


def test_everyone_sees_the_conditions_and_only_admins_add_them(client, session, people):
    as_user(client, people["other"])
    page = client.get("/conditions")
    assert one_h1(page) == "Conditions"
    assert "Neurological" in text_of(page) and "Add a condition" not in text_of(page)
    assert client.post("/conditions", data={"code": "lupus"}).status_code == 403

    as_user(client, AdminFactory(organisation=people["person"].organisation))
    page = client.post("/conditions", data={"code": "Lupus!", "name": "Lupus", "group": "Joints"})
    assert "lower-case letters" in field_error(page, "code")
    page = client.post("/conditions", data={"code": "asthma_2", "name": "Asthma", "group": "X"})
    assert "already in the list" in text_of(page)
    added = client.post(
        "/conditions", data={"code": "lupus", "name": "Lupus", "group": "Joints, muscles and pain"}
    )
    assert added.status_code == 302
    assert "Lupus" in text_of(client.get("/conditions"))


def test_audit_trail_is_for_the_coordinators_own_organisation(client, session, people):
    signed_off_plan(session, people)
    as_user(client, people["outsider"])
    page = client.get("/audit")
    assert page.status_code == 200 and PERSON not in text_of(page)
    assert "Signed off a support plan" not in text_of(page)


# --- who may see what ---------------------------------------------------------------------------


def pages_about_the_person(session, people):
    """Every page this module adds that shows or changes the person's data: (method, path, data)."""
    plan, referral, draft = signed_off_plan(session, people)
    person, coordinator = people["person"], people["coordinator"]
    conditions.record_conditions(
        session,
        actor=coordinator,
        person=person,
        codes=["dementia"],
        relationship_kind="carer",
        consent_given=True,
        now=utcnow(),
    )
    draft_plan = plans.create_plan(
        session,
        actor=coordinator,
        details=plans.PlanDetails(member_id=person.id, budget_pence=100),
        now=utcnow(),
    )
    session.commit()
    support = plan.supports[0]
    details = {"support_types": ["talk"], "modes": ["phone"], "capacity": "1", "travel_km": "1"}
    return [
        ("GET", f"/plans/{plan.id}", None),
        ("GET", f"/plans/{plan.id}/edit", None),
        ("POST", f"/plans/{plan.id}/edit", {**PLAN_FORM, "management": "notional"}),
        ("GET", f"/plans/{plan.id}/supports/new", None),
        (
            "POST",
            f"/plans/{plan.id}/supports/new",
            {"kind": "paid", "description": "x", "annual_cost": "1"},
        ),
        ("POST", f"/plans/{plan.id}/supports/{support.id}/remove", {}),
        ("GET", f"/plans/{draft_plan.id}/sign-off", None),
        ("POST", f"/plans/{draft_plan.id}/sign-off", SIGN_OFF_FORM),
        ("POST", f"/plans/{plan.id}/review", {}),
        ("GET", f"/plans/new?member={person.id}", None),
        ("GET", f"/referrals/{referral.id}", None),
        ("POST", f"/referrals/{referral.id}/close", {}),
        ("GET", f"/referrals/new?member={person.id}", None),
        ("GET", f"/peers/{draft.id}", None),
        ("GET", f"/peers/{draft.id}/edit", None),
        ("POST", f"/peers/{draft.id}/edit", {**details, "approve": "y"}),
        ("POST", f"/peers/{draft.id}/approve", {}),
        ("POST", f"/peers/{draft.id}/pause", {}),
        ("POST", f"/peers/{draft.id}/resume", {}),
        ("GET", f"/peers/new?member={person.id}", None),
        ("GET", f"/members/{person.id}/health", None),
        (
            "POST",
            f"/members/{person.id}/health",
            {"condition_codes": [], "health_data_consent": "y"},
        ),
        ("POST", f"/members/{person.id}/health/withdraw", {}),
        ("GET", f"/audit?member={person.id}", None),
    ]


# Pages for everyone signed in (or every coordinator), which list only what the viewer may see.
LISTS = ["/plans", "/referrals", "/peers", "/audit", "/conditions", "/referrals/new", "/peers/new"]
CREATE_FOR_THE_PERSON = ["/plans/new", "/referrals/new", "/peers/new"]


def state(session, people):
    session.expire_all()
    person = people["person"]
    return {
        "plans": sorted(
            (p.status, p.budget_pence, p.management, p.next_review_on, len(p.supports))
            for p in session.scalars(select(SupportPlan))
        ),
        "referrals": [(r.status, r.closed_at) for r in session.scalars(select(Referral))],
        "peers": [
            (p.approved_at, p.paused, p.capacity) for p in session.scalars(select(PeerProfile))
        ],
        "conditions": sorted(
            session.scalars(
                select(MemberCondition.condition_code).where(MemberCondition.member_id == person.id)
            )
        ),
        "consents": count(session, HealthDataConsent),
    }


@pytest.mark.parametrize("viewer", ["other", "outsider"])
def test_nobody_else_sees_or_changes_the_persons_pages(client, session, people, viewer):
    pages = pages_about_the_person(session, people)
    person = people["person"]
    before = state(session, people)
    as_user(client, people[viewer])
    secrets = (PERSON, MS, "Dementia", "Gym pass")

    for method, path, data in pages:
        response = client.get(path) if method == "GET" else client.post(path, data=data)
        body = text_of(response)
        if viewer == "other":
            # Another member: pages for coordinators are refused for the role; the person's
            # own pages do not exist for them.
            assert response.status_code in (403, 404), (method, path, response.status_code)
        else:
            assert response.status_code == 404, (method, path, response.status_code)
        for secret in secrets:
            assert secret not in body, (method, path, secret)

    for path in LISTS:
        response = client.get(path)
        expected = 200 if viewer == "outsider" or path in ("/plans", "/conditions") else 403
        assert response.status_code == expected, (path, response.status_code)
        assert PERSON not in text_of(response), path

    # Creating something for the person by posting their id directly is refused too.
    for path in CREATE_FOR_THE_PERSON:
        response = client.post(
            path,
            data={
                **PLAN_FORM,
                **peer_form(person),
                "support_types": ["talk"],
                "modes": ["phone"],
                "approve": "",
            },
        )
        assert response.status_code in (200, 403), (path, response.status_code)
        if response.status_code == 200:
            assert "Choose the person from the list" in field_error(response, "member_id")
        assert PERSON not in text_of(response)

    assert state(session, people) == before
    views = session.scalars(
        select(AuditEvent.action).where(AuditEvent.actor_id == people[viewer].id)
    ).all()
    assert views == []  # nothing was shown, so nothing was recorded as seen


def test_signed_out_people_are_sent_to_sign_in(client, session, people):
    plan, _referral, _draft = signed_off_plan(session, people)
    for path in ("/plans", f"/plans/{plan.id}", "/referrals", "/peers", "/conditions", "/audit"):
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_unknown_ids_are_not_found(client, session, people):
    as_user(client, people["coordinator"])
    for path in (
        "/plans/999999",
        "/referrals/999999",
        "/peers/999999",
        "/members/999999/health",
        "/plans/new?member=abc",
        "/audit?member=99999999999",
        "/plans/99999999999",
    ):
        assert client.get(path).status_code == 404, path


def test_every_page_has_one_h1(client, session, people):
    plan, referral, draft = signed_off_plan(session, people)
    as_user(client, people["coordinator"])
    for path in (
        "/plans",
        "/plans/new",
        f"/plans/{plan.id}",
        f"/plans/{plan.id}/edit",
        f"/plans/{plan.id}/supports/new",
        "/referrals",
        "/referrals/new",
        f"/referrals/{referral.id}",
        "/peers",
        "/peers/new",
        f"/peers/{draft.id}",
        f"/peers/{draft.id}/edit",
        f"/members/{people['person'].id}/health",
        "/audit",
        "/conditions",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        one_h1(response)
        assert "style=" not in text_of(response) and "<script>" not in text_of(response), path
