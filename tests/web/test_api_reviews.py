"""API.md "Reviews and outcomes": sign-off → review → a second version → the next review, the
history of versions, and bad input refused with nothing saved."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.clock import london_date, utcnow
from app.peers.models import MemberVoice, PlanReview, PlanVersion, WellbeingAnswer
from app.peers.plans import add_months
from tests.factories import CoordinatorFactory, OrganisationFactory, UserFactory
from tests.helpers import assert_error, bearer
from tests.web.test_api_peers import PLAN


@pytest.fixture()
def org_people(session):
    organisation = OrganisationFactory()
    return {
        "person": UserFactory(organisation=organisation, postcode="LS6 2AB"),
        "coordinator": CoordinatorFactory(organisation=organisation),
        "outsider": CoordinatorFactory(),
        "stranger": UserFactory(organisation=organisation),
    }


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def signed_off_plan(client, people, wellbeing=None) -> dict:
    headers = bearer(people["coordinator"])
    plan = client.post(
        "/api/v1/plans", json={**PLAN, "member_id": people["person"].id}, headers=headers
    ).get_json()
    signed = client.post(
        f"/api/v1/plans/{plan['id']}/sign-off",
        json={
            "wants_peer_support": False,
            "willing_to_support_others": False,
            "wellbeing": wellbeing or {},
        },
        headers=headers,
    )
    assert signed.status_code == 200, signed.get_json()
    return client.get(f"/api/v1/plans/{plan['id']}", headers=headers).get_json()


def test_sign_off_review_new_version_and_next_review_through_the_api(client, session, org_people):
    today = london_date(utcnow())
    coordinator, person = bearer(org_people["coordinator"]), bearer(org_people["person"])
    plan = signed_off_plan(client, org_people, wellbeing={"in_control": 2, "hopeful": 1})
    assert plan["version"] == 1 and plan["reviews"] == []
    assert plan["outcomes"] == PLAN["outcomes"]
    assert [o["text"] for o in plan["outcome_items"]] == PLAN["outcomes"]
    assert plan["wellbeing_at_sign_off"] == {"in_control": 2, "hopeful": 1}
    allotment, cooking = (o["id"] for o in plan["outcome_items"])

    # The person reviews their own plan online.
    first = client.post(
        f"/api/v1/plans/{plan['id']}/reviews",
        json={
            "outcomes": [
                {"outcome_id": allotment, "status": "achieved", "comment": "Every Saturday now"},
                {"outcome_id": cooking, "status": "partly", "comment": "Soup, not much else"},
            ],
            "wellbeing": {"in_control": 3, "hopeful": 3},
            "what_worked": "Lifts from Joe",
            "what_did_not": "Waiting for the PA to start",
            "quote_permission": True,
            "give_and_get_delivery": "partly",
            "changes": "More cooking help; fewer PA hours",
        },
        headers=person,
    )
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["plan_version"] == 1
    assert body["next_review_on"] == add_months(today, 12).isoformat()

    # The coordinator records the change agreed with the NHS team: version 2, current at once.
    changed = client.post(
        f"/api/v1/plans/{plan['id']}/versions",
        json={
            **{k: v for k, v in PLAN.items() if k != "outcomes"},
            "outcomes": ["Cook a meal for friends", PLAN["outcomes"][0]],
            "budget_pence": 1_100_000,
            "split_pence": {"notional": 850_000, "direct_payment": 250_000},
            "reason": "Agreed at the review: cooking matters more now",
        },
        headers=coordinator,
    )
    assert changed.status_code == 201, changed.get_json()
    assert changed.get_json()["version"] == 2
    current = client.get(f"/api/v1/plans/{plan['id']}", headers=person).get_json()
    assert current["version"] == 2 and current["budget_pence"] == 1_100_000
    assert current["outcomes"] == ["Cook a meal for friends", PLAN["outcomes"][0]]
    assert [r["plan_version"] for r in current["reviews"]] == [1]
    review = current["reviews"][0]
    assert review["by_the_person"] and review["what_worked"] == "Lifts from Joe"
    assert {o["status"] for o in review["outcomes"]} == {"achieved", "partly"}
    assert review["wellbeing"] == {"in_control": 3, "hopeful": 3}

    history = client.get(f"/api/v1/plans/{plan['id']}/versions", headers=person).get_json()
    assert [v["version"] for v in history["items"]] == [2, 1]
    newest, oldest = history["items"]
    assert newest["current"] and not oldest["current"]
    assert newest["reason"] == "Agreed at the review: cooking matters more now"
    assert "Outcome added: Cook a meal for friends" in newest["changes"]
    assert oldest["budget_pence"] == 1_250_000 and oldest["outcomes"] == PLAN["outcomes"]
    assert oldest["signed_off_at"] is not None

    # The next review rates version 2's outcomes; version 1's are no longer on the plan.
    new_ids = [o["id"] for o in current["outcome_items"]]
    assert allotment not in new_ids
    stale = client.post(
        f"/api/v1/plans/{plan['id']}/reviews",
        json={"outcomes": [{"outcome_id": allotment, "status": "achieved"}]},
        headers=coordinator,
    )
    assert assert_error(stale, 422)["fields"] == {
        "outcomes.0.outcome_id": "That outcome is not in this version of the plan."
    }
    soon = add_months(today, 6).isoformat()
    second = client.post(
        f"/api/v1/plans/{plan['id']}/reviews",
        json={
            "outcomes": [{"outcome_id": new_ids[0], "status": "not_yet"}],
            "next_review_on": soon,
        },
        headers=coordinator,
    )
    assert second.status_code == 201, second.get_json()
    assert second.get_json()["plan_version"] == 2 and second.get_json()["next_review_on"] == soon
    after = client.get(f"/api/v1/plans/{plan['id']}", headers=coordinator).get_json()
    assert [r["plan_version"] for r in after["reviews"]] == [2, 1]
    assert after["review_due_on"] == soon


def test_bad_reviews_answer_422_with_fields_and_save_nothing(client, session, org_people):
    today = london_date(utcnow())
    headers = bearer(org_people["coordinator"])
    draft = client.post(
        "/api/v1/plans", json={**PLAN, "member_id": org_people["person"].id}, headers=headers
    ).get_json()
    not_signed = client.post(f"/api/v1/plans/{draft['id']}/reviews", json={}, headers=headers)
    assert "status" in assert_error(not_signed, 422)["fields"]

    plan = signed_off_plan(client, org_people)
    outcome = plan["outcome_items"][0]["id"]
    before = (
        count(session, PlanReview),
        count(session, WellbeingAnswer),
        count(session, MemberVoice),
    )
    for body, field in (
        ({"next_review_on": (today - timedelta(days=1)).isoformat()}, "next_review_on"),
        (
            {"next_review_on": (add_months(today, 13) + timedelta(days=1)).isoformat()},
            "next_review_on",
        ),
        ({"wellbeing": {"in_control": 5}}, "wellbeing.in_control"),
        ({"wellbeing": {"in_control": 0}}, "wellbeing.in_control"),
        ({"wellbeing": {"in_control": "3"}}, "wellbeing.in_control"),
        ({"wellbeing": {"no_such_question": 3}}, "wellbeing.no_such_question"),
        ({"outcomes": [{"outcome_id": outcome, "status": "brilliant"}]}, "outcomes.0.status"),
        ({"outcomes": [{"outcome_id": 2_000_000, "status": "achieved"}]}, "outcomes.0.outcome_id"),
    ):
        response = client.post(
            f"/api/v1/plans/{plan['id']}/reviews",
            json={**body, "what_worked": "Something", "quote_permission": True},
            headers=headers,
        )
        assert field in assert_error(response, 422)["fields"], (body, response.get_json())
    session.expire_all()
    assert (
        count(session, PlanReview),
        count(session, WellbeingAnswer),
        count(session, MemberVoice),
    ) == before
    bad_sign_off = client.post(
        f"/api/v1/plans/{draft['id']}/sign-off",
        json={
            "wants_peer_support": False,
            "willing_to_support_others": False,
            "wellbeing": {"hopeful": 7},
        },
        headers=headers,
    )
    assert "wellbeing.hopeful" in assert_error(bad_sign_off, 422)["fields"]
    assert (
        client.get(f"/api/v1/plans/{draft['id']}", headers=headers).get_json()["status"] == "draft"
    )


def test_a_second_review_for_the_same_due_date_is_409_already_reviewed(client, session, org_people):
    headers = bearer(org_people["coordinator"])
    plan = signed_off_plan(client, org_people)
    due = plan["review_due_on"]
    first = client.post(
        f"/api/v1/plans/{plan['id']}/reviews", json={"due_on": due}, headers=headers
    )
    assert first.status_code == 201
    again = client.post(
        f"/api/v1/plans/{plan['id']}/reviews", json={"due_on": due}, headers=headers
    )
    assert assert_error(again, 409)["code"] == "already_reviewed"
    assert count(session, PlanReview) == 1


def test_versions_and_reviews_keep_to_the_plans_permissions(client, session, org_people):
    plan = signed_off_plan(client, org_people)
    change = {**{k: v for k, v in PLAN.items()}, "budget_pence": 1_250_000, "reason": "x"}
    change.pop("outcomes")
    person = bearer(org_people["person"])
    assert_error(
        client.post(f"/api/v1/plans/{plan['id']}/versions", json=change, headers=person), 403
    )
    for who in ("outsider", "stranger"):
        headers = bearer(org_people[who])
        assert_error(client.get(f"/api/v1/plans/{plan['id']}/versions", headers=headers), 404)
        assert_error(
            client.post(f"/api/v1/plans/{plan['id']}/reviews", json={}, headers=headers), 404
        )
    no_reason = client.post(
        f"/api/v1/plans/{plan['id']}/versions",
        json={**change, "reason": "  ", "budget_pence": 1},
        headers=bearer(org_people["coordinator"]),
    )
    assert "reason" in assert_error(no_reason, 422)["fields"]
    assert count(session, PlanVersion) == 1


def test_wellbeing_questions_are_listed(client, org_people):
    questions = client.get("/api/v1/wellbeing-questions", headers=bearer(org_people["person"]))
    assert questions.status_code == 200
    codes = [q["code"] for q in questions.get_json()]
    assert "in_control" in codes and all(q["text"] for q in questions.get_json())
