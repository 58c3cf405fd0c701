"""The review pages: sign-off with wellbeing → a review by the person online → a new version by
the coordinator → the next review, and the plan page's history of both versions."""

from datetime import timedelta

import pytest

from app.clock import london_date, utcnow
from app.peers import plans
from app.peers.models import (
    MemberVoice,
    PlanReview,
    PlanVersion,
    SupportPlan,
    VoiceTheme,
    WellbeingAnswer,
)
from tests.factories import CoordinatorFactory, MatchFactory, OrganisationFactory, UserFactory
from tests.helpers import bearer
from tests.web.test_pages_peers import (
    PLAN_FORM,
    add_support,
    as_user,
    count,
    create_plan,
    field_error,
    one_h1,
    text_of,
)

PERSON_NAME = "Priya Testperson"


@pytest.fixture()
def people(session):
    organisation = OrganisationFactory()
    return {
        "person": UserFactory(organisation=organisation, name="Priya Testperson"),
        "other": UserFactory(organisation=organisation),
        "coordinator": CoordinatorFactory(organisation=organisation, name="Cora Coordinator"),
        "outsider": CoordinatorFactory(),
    }


SIGN_OFF_NO_PEER = {
    "wants_peer_support": "no",
    "willing_to_support_others": "no",
    "wellbeing_in_control": "2",
    "wellbeing_hopeful": "1",
}


def date_parts(name: str, day) -> dict:
    return {f"{name}-day": day.day, f"{name}-month": day.month, f"{name}-year": day.year}


def signed_off(client, session, people) -> SupportPlan:
    as_user(client, people["coordinator"])
    plan_id = create_plan(client, people["person"])
    add_support(
        client,
        plan_id,
        kind="give_and_get",
        type="timebank",
        description="Lifts",
        hours_per_month="8",
    )
    response = client.post(f"/plans/{plan_id}/sign-off", data=SIGN_OFF_NO_PEER)
    assert response.status_code == 302, text_of(response)
    session.expire_all()
    return session.get(SupportPlan, plan_id)


def test_a_plan_goes_from_sign_off_to_review_to_a_new_version_to_the_next_review(
    client, session, people
):
    today = london_date(utcnow())
    plan = signed_off(client, session, people)
    assert count(session, WellbeingAnswer) == 2
    allotment, cooking = plan.outcome_items

    # The person reviews their own plan online.
    as_user(client, people["person"])
    page = client.get(f"/plans/{plan.id}")
    assert "Review your plan" in text_of(page)
    form = client.get(f"/plans/{plan.id}/reviews/new")
    assert form.status_code == 200 and one_h1(form) == "Review your support plan"
    assert "Give and get since" in text_of(form) and allotment.text in text_of(form)
    reviewed = client.post(
        f"/plans/{plan.id}/reviews/new",
        data={
            f"outcome_{allotment.id}": "achieved",
            f"comment_{allotment.id}": "Every Saturday now",
            f"outcome_{cooking.id}": "partly",
            "give_and_get_delivery": "partly",
            "wellbeing_in_control": "3",
            "wellbeing_hopeful": "3",
            "what_worked": "Lifts from Joe",
            "what_did_not": "Waiting for the PA",
            "quote_permission": "y",
            "changes": "More help with cooking",
            "due_on": plan.next_review_on.isoformat(),
            **date_parts("next_review_on", plans.add_months(today, 12)),
        },
    )
    assert reviewed.status_code == 302, text_of(reviewed)
    session.expire_all()
    review = session.query(PlanReview).one()
    assert review.by_the_person and review.plan_version == 1
    assert {o.status for o in review.outcomes} == {"achieved", "partly"}
    assert session.query(MemberVoice).one().quote_permission

    # Sending the same form again is refused: that due date has its review.
    again = client.post(
        f"/plans/{plan.id}/reviews/new",
        data={
            "due_on": review.due_on.isoformat(),
            **date_parts("next_review_on", plans.add_months(today, 6)),
        },
    )
    assert again.status_code == 200 and "already been recorded" in text_of(again)
    assert count(session, PlanReview) == 1

    # The coordinator records the change agreed with the NHS team: version 2.
    as_user(client, people["coordinator"])
    edit = client.get(f"/plans/{plan.id}/edit")
    assert "Why is the plan changing?" in text_of(edit)
    no_reason = client.post(
        f"/plans/{plan.id}/edit",
        data={
            **PLAN_FORM,
            "outcomes": "Cook a meal for friends\nI want to get to the allotment twice a week",
        },
    )
    assert "Say why the plan changed" in field_error(no_reason, "reason")
    changed = client.post(
        f"/plans/{plan.id}/edit",
        data={
            **PLAN_FORM,
            "outcomes": "Cook a meal for friends\nI want to get to the allotment twice a week",
            "reason": "Agreed at the review: cooking matters more now",
        },
    )
    assert changed.status_code == 302, text_of(changed)
    session.expire_all()
    plan = session.get(SupportPlan, plan.id)
    assert plan.version == 2 and plan.outcomes[0] == "Cook a meal for friends"
    assert [s.description for s in plan.supports] == ["Lifts"]
    assert count(session, PlanVersion) == 2

    # A support taken out of a signed-off plan: a third version, with why.
    lifts = plan.supports[0]
    confirm = client.get(f"/plans/{plan.id}/supports/{lifts.id}/remove")
    assert one_h1(confirm) == "Remove Lifts"
    removed = client.post(
        f"/plans/{plan.id}/supports/{lifts.id}/remove", data={"reason": "Joe moved away"}
    )
    assert removed.status_code == 302, text_of(removed)
    session.expire_all()
    plan = session.get(SupportPlan, plan.id)
    assert plan.version == 3 and plan.supports == []

    # The next review, by the coordinator, rates version 3's outcomes.
    meal = plan.outcome_items[0]
    next_review = client.post(
        f"/plans/{plan.id}/reviews/new",
        data={
            f"outcome_{meal.id}": "not_yet",
            "due_on": plan.next_review_on.isoformat(),
            **date_parts("next_review_on", today + timedelta(days=90)),
        },
    )
    assert next_review.status_code == 302, text_of(next_review)
    page = text_of(client.get(f"/plans/{plan.id}"))
    assert "History of the plan" in page
    for words in (
        "Version 3 (current)",
        "Version 2",
        "Version 1",
        "Agreed at the review: cooking matters more now",
        "Outcome added: Cook a meal for friends",
        "Reviewed",
        "Every Saturday now",
        "Lifts from Joe",
        "Mostly true",
    ):
        assert words in page, words


def test_bad_review_answers_are_shown_on_the_form_and_nothing_is_saved(client, session, people):
    today = london_date(utcnow())
    plan = signed_off(client, session, people)
    outcome = plan.outcome_items[0]
    for data, field in (
        (date_parts("next_review_on", today - timedelta(days=1)), "next_review_on"),
        (date_parts("next_review_on", plans.add_months(today, 14)), "next_review_on"),
        (
            {"wellbeing_hopeful": "9", **date_parts("next_review_on", plans.add_months(today, 12))},
            "wellbeing_hopeful",
        ),
        (
            {
                f"outcome_{outcome.id}": "splendid",
                **date_parts("next_review_on", plans.add_months(today, 12)),
            },
            f"outcome_{outcome.id}",
        ),
    ):
        response = client.post(f"/plans/{plan.id}/reviews/new", data={**data, "what_worked": "x"})
        assert response.status_code == 200
        assert field_error(response, field), field
    assert count(session, PlanReview) == 0 and count(session, MemberVoice) == 0


def test_a_draft_is_not_reviewed_and_others_cannot_review(client, session, people):
    as_user(client, people["coordinator"])
    plan_id = create_plan(client, people["person"])
    page = client.get(f"/plans/{plan_id}/reviews/new", follow_redirects=True)
    assert "reviewed once it has been signed off" in text_of(page)
    plan = signed_off(client, session, people)
    as_user(client, people["other"])
    assert client.get(f"/plans/{plan.id}/reviews/new").status_code == 404
    as_user(client, people["outsider"])
    assert client.post(f"/plans/{plan.id}/reviews/new", data={}).status_code == 404


def test_coordinators_tag_what_members_said_and_the_pack_counts_themes_and_quotes(
    client, session, people
):
    today = london_date(utcnow())
    plan = signed_off(client, session, people)
    as_user(client, people["person"])
    client.post(
        f"/plans/{plan.id}/reviews/new",
        data={
            "what_worked": "Someone who gets it",
            "quote_permission": "y",
            **date_parts("next_review_on", plans.add_months(today, 12)),
        },
    )
    assert client.get("/voice").status_code == 403
    as_user(client, people["coordinator"])
    page = client.get("/voice")
    assert one_h1(page) == "What members said" and "Someone who gets it" in text_of(page)
    assert client.post("/voice/themes/suggested").status_code == 302
    assert client.post("/voice/themes", data={"name": "Transport"}).status_code == 302
    session.expire_all()
    voice = session.query(MemberVoice).one()
    theme = session.query(VoiceTheme).filter_by(name="Transport").one()
    assert (
        client.post(f"/voice/{voice.id}/tags", data={"themes": [str(theme.id)]}).status_code == 302
    )
    session.expire_all()
    assert [t.theme_id for t in session.get(MemberVoice, voice.id).tags] == [theme.id]
    pack = text_of(
        client.get(f"/reports/pack?start={today.replace(day=1)}&end={today}&disclosure=coordinator")
    )
    assert "For commissioners: outcomes and members’ voice" in pack
    assert "“Someone who gets it”" in pack and "Themes: Transport" in pack
    assert PERSON_NAME not in pack.split("For commissioners")[1]


def test_closing_a_match_keeps_what_the_person_said(client, session, people):
    match = MatchFactory(status="introduced", introduced_at=utcnow())
    coordinator = CoordinatorFactory(organisation=match.referral.member.organisation)
    closed = client.post(
        f"/api/v1/matches/{match.id}/close",
        json={
            "outcome": "Plan written together",
            "what_worked": "Talking to someone who had been there",
            "what_did_not": "",
            "quote_permission": True,
        },
        headers=bearer(coordinator),
    )
    assert closed.status_code == 200, closed.get_json()
    voice = session.query(MemberVoice).one()
    assert voice.source == "match" and voice.member_id == match.referral.member_id
    assert voice.quote_permission and voice.what_worked.startswith("Talking")
