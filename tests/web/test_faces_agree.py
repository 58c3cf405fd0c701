"""Where a page and the API used to disagree, the service now decides and both follow."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.auth.models import User
from app.clock import utcnow
from app.peers import conditions
from app.peers.models import Referral
from tests.factories import (
    AdminFactory,
    ApprovedPeerProfileFactory,
    AuditEventFactory,
    CoordinatorFactory,
    OrganisationFactory,
    ReferralFactory,
    SignedOffSupportPlanFactory,
    UserFactory,
)
from tests.helpers import bearer, sign_in


def test_the_audit_page_and_api_show_an_administrator_the_same_events(client, session):
    """API.md: administrators read the whole deployment's trail. The page used to show only
    their own organisation's (and 404 for another organisation's member)."""
    admin = AdminFactory()
    elsewhere = AuditEventFactory()  # in another organisation
    mine = AuditEventFactory(actor=CoordinatorFactory(organisation=admin.organisation))
    headers = bearer(admin)
    api = client.get("/api/v1/audit?per_page=200", headers=headers).get_json()
    assert {elsewhere.member_id, mine.member_id} <= {i["member_id"] for i in api["items"]}
    sign_in(client, admin)
    for event in (elsewhere, mine):
        name = session.get(User, event.member_id).name
        page = client.get(f"/audit?member={event.member_id}")
        assert page.status_code == 200 and name in page.get_data(as_text=True)
        one = client.get(f"/api/v1/audit?member_id={event.member_id}", headers=headers)
        assert [i["member_id"] for i in one.get_json()["items"]] == [event.member_id]


def test_a_coordinator_cannot_read_another_organisations_trail_on_either_face(client, session):
    coordinator = CoordinatorFactory()
    outsider_event = AuditEventFactory()
    response = client.get(
        f"/api/v1/audit?member_id={outsider_event.member_id}", headers=bearer(coordinator)
    )
    assert response.status_code == 404
    sign_in(client, coordinator)
    assert client.get(f"/audit?member={outsider_event.member_id}").status_code == 404


def test_a_referral_says_where_it_came_from_the_same_way_on_both_faces(client, session):
    organisation = OrganisationFactory()
    admin = AdminFactory(organisation=organisation)
    person, other = UserFactory(organisation=organisation), UserFactory(organisation=organisation)
    body = {
        "member_id": person.id,
        "support_types": ["talk"],
        "modes": ["phone"],
    }
    assert client.post("/api/v1/referrals", json=body, headers=bearer(admin)).status_code == 201
    sign_in(client, admin)
    page = client.post(
        "/referrals/new",
        data={"member_id": other.id, "support_types": ["talk"], "modes": ["phone"]},
    )
    assert page.status_code == 302, page.get_data(as_text=True)
    sources = dict(session.execute(select(Referral.member_id, Referral.source)).all())
    assert sources[person.id] == sources[other.id] == "coordinator"


def test_coordinators_notes_reach_coordinators_only_on_both_faces(client, session):
    profile = ApprovedPeerProfileFactory(notes="Prefers mornings; check in after a month")
    peer = profile.member
    coordinator = CoordinatorFactory(organisation=peer.organisation)
    for actor, sees in ((coordinator, True), (peer, False)):
        api = client.get(f"/api/v1/peers/{profile.id}", headers=bearer(actor))
        assert api.status_code == 200
        assert ("notes" in api.get_json()) is sees
        sign_in(client, actor)
        page = client.get(f"/peers/{profile.id}").get_data(as_text=True)
        assert ("Prefers mornings" in page) is sees
        client.post("/sign-out")


def test_the_queue_has_one_order_on_the_page_and_through_the_api(client, session):
    """Waiting first, then longest waiting first: decided by the service for both faces."""
    coordinator = CoordinatorFactory()
    organisation = coordinator.organisation
    now = utcnow()

    def referral(days: int, status: str):
        return ReferralFactory(
            member=UserFactory(organisation=organisation),
            status=status,
            waiting_since=now - timedelta(days=days),
        )

    made = [referral(3, "waiting"), referral(30, "matched"), referral(10, "waiting")]
    expected = [made[2].id, made[0].id, made[1].id]
    api = client.get("/api/v1/referrals", headers=bearer(coordinator)).get_json()
    assert [item["id"] for item in api["items"]] == expected
    sign_in(client, coordinator)
    page = client.get("/referrals").get_data(as_text=True)
    positions = [page.index(f'/referrals/{referral_id}"') for referral_id in expected]
    assert positions == sorted(positions)


def test_a_plan_with_its_review_due_reads_the_same_on_both_faces(client, session):
    """PlanView decides the status today (a review may be due) for the page and the API."""
    plan = SignedOffSupportPlanFactory(next_review_on=utcnow().date() - timedelta(days=1))
    coordinator = CoordinatorFactory(organisation=plan.member.organisation)
    api = client.get(f"/api/v1/plans/{plan.id}", headers=bearer(coordinator)).get_json()
    assert api["status"] == "review_due"
    sign_in(client, coordinator)
    assert "Review due" in client.get(f"/plans/{plan.id}").get_data(as_text=True)
    sign_in(client, plan.member)
    mine = client.get(f"/api/v1/plans/{plan.id}", headers=bearer(plan.member)).get_json()
    assert mine["status"] == "review_due"
    assert "Review due" in client.get(f"/plans/{plan.id}").get_data(as_text=True)


def test_a_referral_shows_the_same_conditions_and_wait_on_both_faces(client, session):
    referral = ReferralFactory(waiting_since=utcnow() - timedelta(days=12))
    coordinator = CoordinatorFactory(organisation=referral.member.organisation)
    conditions.record_conditions(
        session,
        actor=coordinator,
        person=referral.member,
        codes=["type_2_diabetes"],
        relationship_kind="own",
        consent_given=True,
        now=utcnow(),
    )
    session.commit()
    api = client.get(f"/api/v1/referrals/{referral.id}", headers=bearer(coordinator)).get_json()
    assert api["condition_codes"] == ["type_2_diabetes"] and api["days_waiting"] == 12
    sign_in(client, coordinator)
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Type 2 diabetes" in page and "12 days" in page
