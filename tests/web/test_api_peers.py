"""API.md "Conditions, peers, plans, referrals": the journey, consent, and who may see what."""

import pytest
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.peers.models import MemberCondition, PeerProfile, SupportPlan
from tests.factories import CoordinatorFactory, OrganisationFactory, UserFactory
from tests.helpers import assert_error, bearer


@pytest.fixture()
def org_people(session):
    organisation = OrganisationFactory()
    return {
        "person": UserFactory(organisation=organisation, postcode="LS6 2AB"),
        "other": UserFactory(organisation=organisation),
        "coordinator": CoordinatorFactory(organisation=organisation),
        "outsider": CoordinatorFactory(),
    }


PLAN = {
    "budget_pence": 1_250_000,
    "management": "mixed",
    "split_pence": {"notional": 1_000_000, "direct_payment": 250_000},
    "outcomes": ["I want to get to the allotment twice a week", "Cook for myself again"],
    "supports": [
        {
            "kind": "paid",
            "description": "Personal assistant, 6 hours a week",
            "provider": "Own PA",
            "annual_pence": 900_000,
        },
        {
            "kind": "give_and_get",
            "type": "timebank",
            "description": "Lifts to the allotment",
            "hours_per_month": 8,
        },
        {
            "kind": "give_and_get",
            "type": "peer",
            "description": "Talking to someone who has been there",
            "hours_per_month": 2,
        },
    ],
}

SIGN_OFF = {
    "wants_peer_support": True,
    "willing_to_support_others": True,
    "condition_codes": ["multiple_sclerosis"],
    "health_data_consent": True,
    "support_types": ["talk", "support_planning"],
    "modes": ["phone", "in_person"],
    "preferences": {"languages": ["Urdu"], "peer_gender": "female"},
}


def test_conditions_taxonomy_has_at_least_40_with_groups(client, org_people):
    conditions = client.get("/api/v1/conditions", headers=bearer(org_people["person"])).get_json()
    assert len(conditions) >= 40
    codes = {c["code"] for c in conditions}
    assert {
        "type_1_diabetes",
        "type_2_diabetes",
        "copd",
        "multiple_sclerosis",
        "dementia",
        "psychosis",
        "autism",
        "learning_disability",
        "acquired_brain_injury",
        "sight_loss",
        "continuing_healthcare",
    } <= codes
    assert all(c["group"] for c in conditions)


def test_only_admins_add_conditions(client, org_people, session):
    from tests.factories import AdminFactory

    body = {"code": "lupus", "name": "Lupus", "group": "Joints, muscles and pain"}
    assert_error(
        client.post("/api/v1/conditions", json=body, headers=bearer(org_people["coordinator"])), 403
    )
    assert (
        client.post("/api/v1/conditions", json=body, headers=bearer(AdminFactory())).status_code
        == 201
    )
    assert_error(client.post("/api/v1/conditions", json=body, headers=bearer(AdminFactory())), 409)


def test_draft_plan_to_sign_off_to_referral_in_the_queue(client, org_people, session):
    person, coordinator = org_people["person"], org_people["coordinator"]
    headers = bearer(coordinator)
    created = client.post("/api/v1/plans", json={**PLAN, "member_id": person.id}, headers=headers)
    assert created.status_code == 201, created.get_json()
    plan = created.get_json()
    assert plan["status"] == "draft" and plan["paid_annual_pence"] == 900_000
    assert plan["give_and_get_hours_per_month"] == 10
    signed = client.post(f"/api/v1/plans/{plan['id']}/sign-off", json=SIGN_OFF, headers=headers)
    assert signed.status_code == 200, signed.get_json()
    body = signed.get_json()
    assert body["status"] == "signed_off" and body["review_due_on"] and body["referral_id"]
    assert_error(
        client.post(f"/api/v1/plans/{plan['id']}/sign-off", json=SIGN_OFF, headers=headers),
        409,
        "already_signed_off",
    )
    queue = client.get("/api/v1/referrals?status=waiting", headers=headers).get_json()
    assert [r["id"] for r in queue["items"]] == [body["referral_id"]]
    referral = queue["items"][0]
    assert referral["condition_codes"] == ["multiple_sclerosis"]
    assert referral["postcode"] == "LS6 2AB" and referral["preferences"]["languages"] == ["Urdu"]
    # willing to support others: a draft peer profile for a coordinator to follow up
    draft = session.scalar(select(PeerProfile).where(PeerProfile.member_id == person.id))
    assert draft is not None and draft.approved_at is None and draft.source == "sign_off"


def test_review_falls_three_months_after_sign_off_then_twelve(client, org_people):
    from datetime import date

    headers = bearer(org_people["coordinator"])
    plan = client.post(
        "/api/v1/plans", json={**PLAN, "member_id": org_people["person"].id}, headers=headers
    ).get_json()
    signed = client.post(
        f"/api/v1/plans/{plan['id']}/sign-off",
        json={"wants_peer_support": False, "willing_to_support_others": False},
        headers=headers,
    ).get_json()
    assert signed["referral_id"] is None
    signed_on, due = (
        date.fromisoformat(signed["signed_off_on"]),
        date.fromisoformat(signed["review_due_on"]),
    )
    assert (due.year * 12 + due.month) - (signed_on.year * 12 + signed_on.month) == 3
    reviewed = client.post(f"/api/v1/plans/{plan['id']}/review", headers=headers).get_json()
    next_due = date.fromisoformat(reviewed["review_due_on"])
    assert (next_due.year * 12 + next_due.month) - (signed_on.year * 12 + signed_on.month) == 12


def test_conditions_without_consent_are_refused_and_nothing_is_saved(client, org_people, session):
    headers = bearer(org_people["coordinator"])
    plan = client.post(
        "/api/v1/plans", json={**PLAN, "member_id": org_people["person"].id}, headers=headers
    ).get_json()
    error = assert_error(
        client.post(
            f"/api/v1/plans/{plan['id']}/sign-off",
            json={**SIGN_OFF, "health_data_consent": None},
            headers=headers,
        ),
        422,
        "consent_required",
        "health_data_consent",
    )
    assert error
    assert session.get(SupportPlan, plan["id"]).status == "draft"
    assert session.scalar(select(func.count()).select_from(MemberCondition)) == 0
    assert_error(
        client.post(
            "/api/v1/referrals",
            json={
                "member_id": org_people["person"].id,
                "condition_codes": ["autism"],
                "support_types": ["talk"],
                "modes": ["phone"],
            },
            headers=headers,
        ),
        422,
        "consent_required",
    )


def test_mixed_budget_must_add_up(client, org_people):
    headers = bearer(org_people["coordinator"])
    body = {**PLAN, "member_id": org_people["person"].id, "split_pence": {"notional": 1}}
    assert_error(client.post("/api/v1/plans", json=body, headers=headers), 422, field="split_pence")


@pytest.mark.parametrize("split", ["absent", None, {}])
def test_a_mixed_budget_may_leave_the_split_unknown(client, session, org_people, split):
    """API.md names no split: a partner system coding to it can create a mixed plan."""
    headers = bearer(org_people["coordinator"])
    body = {**PLAN, "member_id": org_people["person"].id}
    if split == "absent":
        del body["split_pence"]
    else:
        body["split_pence"] = split
    response = client.post("/api/v1/plans", json=body, headers=headers)
    assert response.status_code == 201, response.json
    assert response.json["management"] == "mixed" and response.json["split_pence"] == {}
    assert session.get(SupportPlan, response.json["id"]).split_pence == {}


def test_the_split_is_documented_and_optional(client):
    spec = client.get("/api/v1/openapi.json").json
    schema = spec["components"]["schemas"]["PlanCreate"]
    assert "split_pence" in schema["properties"]
    assert "not yet known" in schema["properties"]["split_pence"]["description"]
    assert "split_pence" not in schema.get("required", [])


def test_referral_by_partner_validates_postcode_and_codes(client, org_people):
    headers = bearer(org_people["coordinator"])
    base = {
        "member_id": org_people["other"].id,
        "support_types": ["talk"],
        "modes": ["video"],
        "health_data_consent": True,
    }
    assert_error(
        client.post("/api/v1/referrals", json={**base, "postcode": "nope"}, headers=headers),
        422,
        field="postcode",
    )
    assert_error(
        client.post(
            "/api/v1/referrals", json={**base, "condition_codes": ["flu"]}, headers=headers
        ),
        422,
        field="condition_codes",
    )
    created = client.post(
        "/api/v1/referrals",
        json={**base, "postcode": "bt71nn", "condition_codes": ["autism"], "is_carer": True},
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["postcode"] == "BT7 1NN" and created.get_json()["status"] == "waiting"
    assert created.get_json()["condition_codes"] == ["autism"]


def test_peer_needs_dbs_for_in_person_practical_support(client, org_people):
    headers = bearer(org_people["coordinator"])
    body = {
        "member_id": org_people["other"].id,
        "condition_codes": ["type_2_diabetes"],
        "health_data_consent": True,
        "support_types": ["talk", "practical"],
        "modes": ["in_person"],
        "capacity": 2,
        "travel_km": 8,
        "languages": ["English", "Punjabi"],
        "approved": True,
    }
    assert_error(
        client.post("/api/v1/peers", json=body, headers=headers), 422, field="dbs_checked_on"
    )
    created = client.post(
        "/api/v1/peers", json={**body, "dbs_checked_on": "2025-06-01"}, headers=headers
    )
    assert created.status_code == 201, created.get_json()
    peer = created.get_json()
    assert peer["approved"] and peer["condition_codes"] == ["type_2_diabetes"]
    paused = client.post(f"/api/v1/peers/{peer['id']}/pause", headers=bearer(org_people["other"]))
    assert paused.status_code == 200 and paused.get_json()["paused"] is True


def test_willing_person_becomes_an_approved_peer(client, org_people, session):
    headers = bearer(org_people["coordinator"])
    plan = client.post(
        "/api/v1/plans", json={**PLAN, "member_id": org_people["person"].id}, headers=headers
    ).get_json()
    client.post(f"/api/v1/plans/{plan['id']}/sign-off", json=SIGN_OFF, headers=headers)
    draft = session.scalar(
        select(PeerProfile).where(PeerProfile.member_id == org_people["person"].id)
    )
    assert_error(
        client.post(f"/api/v1/peers/{draft.id}/approve", headers=headers),
        422,
        field="support_types",
    )
    from app.clock import utcnow
    from app.peers import profiles

    profiles.update_peer(
        session,
        actor=org_people["coordinator"],
        peer_id=draft.id,
        now=utcnow(),
        details=profiles.PeerDetails(support_types=["talk"], modes=["phone"]),
    )
    session.commit()
    approved = client.post(f"/api/v1/peers/{draft.id}/approve", headers=headers)
    assert approved.status_code == 200 and approved.get_json()["approved"] is True


def test_consent_withdrawal_removes_conditions_everywhere(client, org_people, session):
    person, coordinator = org_people["person"], org_people["coordinator"]
    headers = bearer(coordinator)
    plan = client.post(
        "/api/v1/plans", json={**PLAN, "member_id": person.id}, headers=headers
    ).get_json()
    referral_id = client.post(
        f"/api/v1/plans/{plan['id']}/sign-off", json=SIGN_OFF, headers=headers
    ).get_json()["referral_id"]
    assert client.get(f"/api/v1/members/{person.id}/conditions", headers=bearer(person)).get_json()[
        "condition_codes"
    ]
    withdrawn = client.post(f"/api/v1/members/{person.id}/consent/withdraw", headers=bearer(person))
    assert withdrawn.status_code == 200 and withdrawn.get_json()["conditions_removed"] == 1
    assert (
        client.get(f"/api/v1/referrals/{referral_id}", headers=headers).get_json()[
            "condition_codes"
        ]
        == []
    )
    assert (
        client.get(f"/api/v1/members/{person.id}/conditions", headers=headers).get_json()[
            "condition_codes"
        ]
        == []
    )
    queue = client.get("/api/v1/referrals", headers=headers).get_json()
    assert all(item["condition_codes"] == [] for item in queue["items"])
    assert session.scalar(select(func.count()).select_from(MemberCondition)) == 0


def test_audit_trail_shows_who_viewed_and_changed_health_data(client, org_people, session):
    person, coordinator = org_people["person"], org_people["coordinator"]
    headers = bearer(coordinator)
    plan = client.post(
        "/api/v1/plans", json={**PLAN, "member_id": person.id}, headers=headers
    ).get_json()
    client.post(f"/api/v1/plans/{plan['id']}/sign-off", json=SIGN_OFF, headers=headers)
    client.get(f"/api/v1/plans/{plan['id']}", headers=headers)
    client.get(f"/api/v1/members/{person.id}/conditions", headers=headers)
    events = client.get(f"/api/v1/audit?member_id={person.id}", headers=headers).get_json()["items"]
    actions = {e["action"] for e in events}
    assert {
        "plan.created",
        "plan.signed_off",
        "plan.viewed",
        "conditions.recorded",
        "conditions.viewed",
        "referral.created",
    } <= actions
    assert all(e["actor_id"] == coordinator.id for e in events)
    assert_error(client.get("/api/v1/audit", headers=bearer(person)), 403)
    assert_error(
        client.get(f"/api/v1/audit?member_id={person.id}", headers=bearer(org_people["outsider"])),
        404,
    )


def test_audit_events_are_append_only(session, org_people):
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    from app import audit

    audit.record(
        session, actor=org_people["coordinator"], action="test", object_type="x", object_id=1
    )
    session.commit()
    for statement in ("UPDATE audit_event SET action = 'y'", "DELETE FROM audit_event"):
        with pytest.raises(DatabaseError):
            with session.begin_nested():
                session.execute(text(statement))
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def _journey(client, org_people):
    """A signed-off plan with conditions, a referral and a peer profile for ``person``."""
    person, coordinator = org_people["person"], org_people["coordinator"]
    headers = bearer(coordinator)
    plan = client.post(
        "/api/v1/plans", json={**PLAN, "member_id": person.id}, headers=headers
    ).get_json()
    referral_id = client.post(
        f"/api/v1/plans/{plan['id']}/sign-off", json=SIGN_OFF, headers=headers
    ).get_json()["referral_id"]
    peer = client.post(
        "/api/v1/peers",
        headers=headers,
        json={
            "member_id": org_people["other"].id,
            "condition_codes": ["epilepsy"],
            "health_data_consent": True,
            "support_types": ["talk"],
            "modes": ["phone"],
            "approved": True,
        },
    ).get_json()
    return plan["id"], referral_id, peer["id"]


def test_no_endpoint_shows_one_members_conditions_or_plan_to_another(client, org_people):
    plan_id, referral_id, peer_id = _journey(client, org_people)
    person = org_people["person"]
    for viewer in (org_people["other"], org_people["outsider"], UserFactory()):
        if viewer is org_people["other"]:
            continue  # the peer's own profile is theirs; checked below
        headers = bearer(viewer)
        for path in (
            f"/api/v1/plans/{plan_id}",
            f"/api/v1/referrals/{referral_id}",
            f"/api/v1/members/{person.id}/conditions",
            f"/api/v1/peers/{peer_id}",
        ):
            assert_error(client.get(path, headers=headers), 404)
        for path in (
            f"/api/v1/plans/{plan_id}/sign-off",
            f"/api/v1/plans/{plan_id}/review",
            f"/api/v1/members/{person.id}/consent/withdraw",
            f"/api/v1/referrals/{referral_id}/close",
        ):
            response = client.post(
                path,
                json={"wants_peer_support": False, "willing_to_support_others": False},
                headers=headers,
            )
            assert response.status_code == 404, (path, response.status_code)
        listed = client.get("/api/v1/referrals", headers=headers)
        assert listed.status_code == 200 and listed.get_json()["total"] == 0
        plans = client.get("/api/v1/plans", headers=headers)
        assert plans.get_json()["total"] == 0
    # the other member (a peer here) sees their own peer profile but not the person's data
    other = bearer(org_people["other"])
    assert client.get(f"/api/v1/peers/{peer_id}", headers=other).status_code == 200
    for path in (
        f"/api/v1/plans/{plan_id}",
        f"/api/v1/referrals/{referral_id}",
        f"/api/v1/members/{person.id}/conditions",
    ):
        assert_error(client.get(path, headers=other), 404)
    assert client.get("/api/v1/plans", headers=other).get_json()["total"] == 0
    assert_error(client.get("/api/v1/peers", headers=other), 403)
    # the person sees their own plan and referral
    own = bearer(person)
    assert client.get(f"/api/v1/plans/{plan_id}", headers=own).status_code == 200
    assert client.get(f"/api/v1/referrals/{referral_id}", headers=own).status_code == 200


def test_members_cannot_create_plans_peers_or_referrals(client, org_people):
    headers = bearer(org_people["other"])
    person_id = org_people["person"].id
    assert_error(
        client.post("/api/v1/plans", json={**PLAN, "member_id": person_id}, headers=headers), 403
    )
    assert_error(
        client.post(
            "/api/v1/referrals",
            json={"member_id": person_id, "support_types": ["talk"], "modes": ["phone"]},
            headers=headers,
        ),
        403,
    )
    assert_error(
        client.post(
            "/api/v1/peers",
            json={"member_id": person_id, "support_types": ["talk"], "modes": ["phone"]},
            headers=headers,
        ),
        403,
    )


def test_review_schedule_is_configurable(app, client, org_people):
    from datetime import date

    app.config["PLAN_FIRST_REVIEW_MONTHS"] = 6
    try:
        headers = bearer(org_people["coordinator"])
        plan = client.post(
            "/api/v1/plans", json={**PLAN, "member_id": org_people["person"].id}, headers=headers
        ).get_json()
        signed = client.post(
            f"/api/v1/plans/{plan['id']}/sign-off",
            json={"wants_peer_support": False, "willing_to_support_others": False},
            headers=headers,
        ).get_json()
    finally:
        app.config["PLAN_FIRST_REVIEW_MONTHS"] = 3
    signed_on, due = (
        date.fromisoformat(signed["signed_off_on"]),
        date.fromisoformat(signed["review_due_on"]),
    )
    assert (due.year * 12 + due.month) - (signed_on.year * 12 + signed_on.month) == 6


def test_lists_of_plans_and_peers_are_audited_for_each_person(client, org_people, session):
    from app.audit import AuditEvent

    _journey(client, org_people)
    headers = bearer(org_people["coordinator"])
    assert client.get("/api/v1/plans", headers=headers).status_code == 200
    assert client.get("/api/v1/peers", headers=headers).status_code == 200
    actions = set(session.execute(select(AuditEvent.action, AuditEvent.member_id)).all())
    assert ("plan.listed", org_people["person"].id) in actions
    assert ("peer.listed", org_people["other"].id) in actions


def test_a_sign_off_volunteer_becomes_a_peer_through_the_api(client, org_people, session):
    headers = bearer(org_people["coordinator"])
    plan = client.post(
        "/api/v1/plans", json={**PLAN, "member_id": org_people["person"].id}, headers=headers
    ).get_json()
    client.post(f"/api/v1/plans/{plan['id']}/sign-off", json=SIGN_OFF, headers=headers)
    draft = session.scalar(
        select(PeerProfile).where(PeerProfile.member_id == org_people["person"].id)
    )
    created = client.post(
        "/api/v1/peers",
        headers=headers,
        json={
            "member_id": org_people["person"].id,
            "support_types": ["talk"],
            "modes": ["phone"],
            "approved": True,
        },
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["id"] == draft.id and created.get_json()["approved"] is True
    assert created.get_json()["condition_codes"] == ["multiple_sclerosis"]  # kept from sign-off
    again = client.post(
        "/api/v1/peers",
        headers=headers,
        json={
            "member_id": org_people["person"].id,
            "support_types": ["talk"],
            "modes": ["phone"],
        },
    )
    assert_error(again, 409, "peer_exists")
