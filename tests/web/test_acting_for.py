"""Acting for a member, through the test client: a coordinator records what the member asked,
acts for them (seeing only what they see, doing only what may be done for them), and every
request is audited as "coordinator X acting for member Y"; the member sees it and stops it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.audit import AuditEvent
from app.auth.models import ActingArrangement
from app.clock import london_date, utcnow
from app.notifications.models import Notification
from app.timebank.models import Exchange, Listing
from tests.factories import (
    ActingArrangementFactory,
    AdminFactory,
    CoordinatorFactory,
    ExchangeFactory,
    ListingFactory,
    NotificationFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.helpers import bearer, sign_in


def _date(prefix: str, day) -> dict[str, str]:
    return {
        f"{prefix}-day": str(day.day),
        f"{prefix}-month": str(day.month),
        f"{prefix}-year": str(day.year),
    }


def _member_without_email(organisation):
    return UserFactory(
        organisation=organisation, email=None, password_hash=None, name="Kath Nomail"
    )


def _acting(client, coordinator, member):
    arrangement = ActingArrangementFactory(coordinator=coordinator, member=member)
    sign_in(client, coordinator)
    response = client.post(f"/acting/{arrangement.id}/start")
    assert response.status_code == 302
    return arrangement


def _events(session, **where):
    return session.scalars(select(AuditEvent).filter_by(**where).order_by(AuditEvent.id)).all()


def test_coordinator_records_what_a_member_without_email_asked_and_starts_acting(client, session):
    coordinator = CoordinatorFactory(name="Sam Coordinator")
    member = _member_without_email(coordinator.organisation)
    sign_in(client, coordinator)
    page = client.get("/members")
    assert f"/members/{member.id}/acting" in page.get_data(as_text=True)
    today = london_date(utcnow())
    response = client.post(
        f"/members/{member.id}/acting",
        data={
            **_date("asked_on", today),
            "reason": "No email; asked at the coffee morning.",
            **_date("until", today + timedelta(days=60)),
        },
    )
    assert response.status_code == 302
    arrangement = session.scalars(select(ActingArrangement)).one()
    assert (arrangement.member_id, arrangement.coordinator_id) == (member.id, coordinator.id)
    assert arrangement.reason == "No email; asked at the coffee morning."
    assert arrangement.until == today + timedelta(days=60)

    client.post(f"/acting/{arrangement.id}/start")
    home = client.get("/").get_data(as_text=True)
    assert "Hello, Kath Nomail" in home
    assert 'role="region" aria-labelledby="acting-banner-title"' in home
    assert "Sam Coordinator, you are acting for Kath Nomail" in home
    assert "Stop acting for Kath Nomail" in home
    # The member's navigation, not the coordinator's.
    assert 'href="/members"' not in home and 'href="/dashboard"' not in home


def test_arrangement_form_refuses_a_missing_reason_and_a_last_day_in_the_past(client, session):
    coordinator = CoordinatorFactory()
    member = UserFactory(organisation=coordinator.organisation)
    sign_in(client, coordinator)
    today = london_date(utcnow())
    response = client.post(
        f"/members/{member.id}/acting",
        data={
            **_date("asked_on", today),
            "reason": "",
            **_date("until", today - timedelta(days=1)),
        },
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Say why they asked you to act for them." in text
    assert session.scalars(select(ActingArrangement)).all() == []


def test_nobody_acts_for_themselves_another_organisation_or_a_coordinator(client, session):
    coordinator = CoordinatorFactory()
    other_coordinator = CoordinatorFactory(organisation=coordinator.organisation)
    stranger = UserFactory()  # another organisation
    admin = AdminFactory()
    today = london_date(utcnow())
    data = {**_date("asked_on", today), "reason": "Asked", **_date("until", today)}
    sign_in(client, coordinator)
    assert client.post(f"/members/{stranger.id}/acting", data=data).status_code == 404
    mine = client.post(f"/members/{coordinator.id}/acting", data=data)
    assert mine.status_code == 200 and "You cannot act for yourself." in mine.get_data(as_text=True)
    theirs = client.post(f"/members/{other_coordinator.id}/acting", data=data)
    assert theirs.status_code == 200
    assert session.scalars(select(ActingArrangement)).all() == []
    # An administrator of another organisation cannot act for this organisation's members.
    client.post("/sign-out")
    sign_in(client, admin)
    assert client.post(f"/members/{stranger.id}/acting", data=data).status_code == 404


def test_acting_coordinator_records_and_confirms_exchanges_renews_listings_and_reads_inbox(
    client, session
):
    coordinator = CoordinatorFactory(name="Sam Coordinator")
    organisation = coordinator.organisation
    member = _member_without_email(organisation)
    neighbour = UserFactory(organisation=organisation, name="Nia Neighbour")
    waiting = ExchangeFactory(provider=neighbour, receiver=member, description="Fixed a shelf")
    listing = ListingFactory(user=member, expires_on=london_date(utcnow()) + timedelta(days=3))
    message = NotificationFactory(recipient=member)
    arrangement = _acting(client, coordinator, member)

    # Records an exchange as the member: pending, waiting for the neighbour (a coordinator's own
    # record would be confirmed at once; acting for someone lends no coordinator's rights).
    today = london_date(utcnow())
    response = client.post(
        "/exchanges/new",
        data={
            "direction": "gave",
            "other": str(neighbour.id),
            "minutes": "1h",
            "category": "cooking",
            **_date("occurred_on", today),
            "description": "Soup for Nia",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    recorded = session.scalars(select(Exchange).where(Exchange.description == "Soup for Nia")).one()
    assert recorded.status == "pending"
    assert recorded.recorded_by_id == member.id

    # Confirms the exchange waiting for the member.
    assert client.post(f"/exchanges/{waiting.id}/confirm").status_code == 302
    session.expire_all()
    assert session.get(Exchange, waiting.id).status == "confirmed"

    # Renews the member's listing, and reads their inbox.
    assert client.post(f"/listings/{listing.id}/renew").status_code == 302
    session.expire_all()
    assert session.get(Listing, listing.id).expires_on > today + timedelta(days=3)
    inbox = client.get("/inbox").get_data(as_text=True)
    assert message.text in inbox
    assert client.post(f"/inbox/{message.id}/read").status_code == 302
    session.expire_all()
    assert session.get(Notification, message.id).read_at is not None

    # Every request is audited as the coordinator acting for the member...
    acted = _events(session, actor_id=coordinator.id, acting_for_id=member.id)
    pages = [(event.action, event.object_type) for event in acted]
    assert ("acting.changed", "timebank.exchange_new") in pages
    assert ("acting.changed", "timebank.exchange_confirm") in pages
    assert ("acting.changed", "timebank.listing_renew") in pages
    assert ("acting.viewed", "notifications.inbox") in pages
    assert ("acting.changed", "notifications.mark_read") in pages
    # ...and so are the ledger's own events: the coordinator named, the member acted for.
    assert {"exchange.recorded", "ledger.exchange"} <= {event.action for event in acted}
    assert all(event.member_id == member.id for event in acted if event.action.startswith("acting"))

    # The coordinator stops; their own pages come back.
    client.post("/acting/stop")
    assert "Hello, " + coordinator.name in client.get("/").get_data(as_text=True)
    stopped = _events(session, action="acting.stopped")
    assert [(e.actor_id, e.acting_for_id, e.object_id) for e in stopped] == [
        (coordinator.id, member.id, arrangement.id)
    ]
    # The audit page says who acted for whom.
    trail = client.get(f"/audit?member={member.id}").get_data(as_text=True)
    assert "Sam Coordinator, acting for Kath Nomail" in trail
    assert "Renewed a listing" in trail


def test_acting_never_shows_what_the_member_could_not_see(client, session):
    coordinator = CoordinatorFactory()
    organisation = coordinator.organisation
    member = UserFactory(organisation=organisation)
    someone = UserFactory(organisation=organisation)
    theirs = ExchangeFactory(provider=someone, receiver=UserFactory(organisation=organisation))
    _acting(client, coordinator, member)
    # The coordinator could see these; the member cannot, so neither can they while acting.
    assert client.get(f"/exchanges/{theirs.id}").status_code == 404
    assert client.get("/members").status_code == 403
    assert client.get(f"/members/{someone.id}/hours").status_code == 404
    assert client.get("/audit").status_code == 403
    assert client.get("/dashboard").status_code == 403


def test_acting_refuses_changes_the_member_did_not_ask_for(client, session):
    coordinator = CoordinatorFactory()
    member = UserFactory(organisation=coordinator.organisation)
    _acting(client, coordinator, member)
    response = client.post("/inbox/preferences", data={})
    assert response.status_code == 403
    assert "Stop acting for them to do anything else" in response.get_data(as_text=True)
    response = client.post(f"/members/{member.id}/health/withdraw")
    assert response.status_code == 403
    # Nor may they arrange to act for anyone else while acting.
    assert client.get(f"/members/{member.id}/acting").status_code == 403


def test_acting_ends_at_the_until_date(client, session):
    coordinator = CoordinatorFactory()
    member = UserFactory(organisation=coordinator.organisation, name="Ada Member")
    arrangement = _acting(client, coordinator, member)
    assert "Hello, Ada Member" in client.get("/").get_data(as_text=True)
    arrangement.asked_on = london_date(utcnow()) - timedelta(days=10)
    arrangement.until = london_date(utcnow()) - timedelta(days=1)
    session.commit()
    home = client.get("/").get_data(as_text=True)
    assert "Hello, " + coordinator.name in home
    assert "no longer acting for that member" in home
    assert client.post(f"/acting/{arrangement.id}/start").status_code == 302
    assert "Hello, " + coordinator.name in client.get("/").get_data(as_text=True)


def test_only_the_coordinator_the_member_asked_may_act(client, session):
    coordinator = CoordinatorFactory()
    colleague = CoordinatorFactory(organisation=coordinator.organisation)
    member = UserFactory(organisation=coordinator.organisation, name="Bo Member")
    arrangement = ActingArrangementFactory(coordinator=coordinator, member=member)
    sign_in(client, colleague)
    client.post(f"/acting/{arrangement.id}/start")
    assert "Hello, Bo Member" not in client.get("/").get_data(as_text=True)
    assert _events(session, action="acting.started") == []


def test_member_sees_who_acted_for_them_and_stops_it(client, session):
    coordinator = CoordinatorFactory(name="Sam Coordinator")
    member = UserFactory(organisation=coordinator.organisation, name="Ada Member")
    arrangement = _acting(client, coordinator, member)
    client.get("/inbox")
    client.post("/acting/stop")
    client.post("/sign-out")

    sign_in(client, member)
    page = client.get("/acting-for-you").get_data(as_text=True)
    assert "Sam Coordinator" in page
    assert arrangement.reason in page
    assert "Read your inbox" in page and "Started acting for you" in page
    assert client.post(f"/acting/{arrangement.id}/end").status_code == 302
    session.expire_all()
    assert session.get(ActingArrangement, arrangement.id).ended_at is not None
    client.post("/sign-out")

    # The coordinator can no longer act under it.
    sign_in(client, coordinator)
    client.post(f"/acting/{arrangement.id}/start")
    assert "Hello, Ada Member" not in client.get("/").get_data(as_text=True)


def test_a_member_cannot_stop_someone_elses_arrangement(client, session):
    arrangement = ActingArrangementFactory()
    outsider = UserFactory(organisation=OrganisationFactory())
    sign_in(client, outsider)
    client.post(f"/acting/{arrangement.id}/end")
    session.expire_all()
    assert session.get(ActingArrangement, arrangement.id).ended_at is None


def test_api_audit_names_the_member_a_coordinator_acted_for(client, session):
    coordinator = CoordinatorFactory()
    member = UserFactory(organisation=coordinator.organisation)
    _acting(client, coordinator, member)
    client.get("/inbox")
    client.post("/acting/stop")
    response = client.get(f"/api/v1/audit?member_id={member.id}", headers=bearer(coordinator))
    items = response.get_json()["items"]
    read = [item for item in items if item["action"] == "acting.viewed"]
    assert read and all(
        (item["actor_id"], item["acting_for_id"]) == (coordinator.id, member.id) for item in read
    )
