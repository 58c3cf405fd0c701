"""The inbox (API and pages), email preferences, disputes, the automatic-confirmation setting
and the coordinator's dashboard, through the test client."""

from __future__ import annotations

from datetime import timedelta

from app.clock import utcnow
from app.notifications.models import Notification
from tests.factories import (
    CoordinatorFactory,
    ExchangeFactory,
    MatchFactory,
    NotificationFactory,
    OrganisationFactory,
    ReferralFactory,
    UserFactory,
)
from tests.helpers import assert_error, bearer, sign_in, sql_statements


def test_api_lists_the_callers_inbox_paginated_exactly_as_the_contract(client, session):
    person = UserFactory()
    older = NotificationFactory(recipient=person, created_at=utcnow() - timedelta(days=1))
    newer = NotificationFactory(recipient=person)
    NotificationFactory()  # someone else's
    response = client.get("/api/v1/notifications?per_page=1", headers=bearer(person))
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"items", "page", "per_page", "total"}
    assert (body["page"], body["per_page"], body["total"]) == (1, 1, 2)
    [item] = body["items"]
    assert set(item) == {"id", "kind", "text", "created_at", "read"}
    assert item["id"] == newer.id and item["read"] is False
    assert item["created_at"].endswith("+00:00")
    page_two = client.get("/api/v1/notifications?per_page=1&page=2", headers=bearer(person))
    assert page_two.get_json()["items"][0]["id"] == older.id


def test_api_marks_only_the_callers_own_notification_as_read(client, session):
    person = UserFactory()
    mine = NotificationFactory(recipient=person)
    theirs = NotificationFactory()
    response = client.post(f"/api/v1/notifications/{mine.id}/read", headers=bearer(person))
    assert response.status_code == 200 and response.get_json()["read"] is True
    again = client.post(f"/api/v1/notifications/{mine.id}/read", headers=bearer(person))
    assert again.status_code == 200
    assert_error(
        client.post(f"/api/v1/notifications/{theirs.id}/read", headers=bearer(person)),
        404,
    )
    assert session.get(Notification, theirs.id).read_at is None


def test_the_party_asked_to_confirm_disputes_a_pending_exchange_through_the_api(client, session):
    exchange = ExchangeFactory()
    receiver = exchange.receiver_account.user
    provider = exchange.provider_account.user
    assert_error(
        client.post(f"/api/v1/exchanges/{exchange.id}/dispute", headers=bearer(provider)), 403
    )
    response = client.post(f"/api/v1/exchanges/{exchange.id}/dispute", headers=bearer(receiver))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "pending" and body["disputed_at"]
    assert "dispute" not in body["allowed_actions"] and "confirm" in body["allowed_actions"]
    assert_error(
        client.post(f"/api/v1/exchanges/{exchange.id}/dispute", headers=bearer(receiver)),
        409,
        "already_disputed",
    )


def test_automatic_confirmation_is_an_organisation_setting_off_or_n_days(client, session):
    coordinator = CoordinatorFactory()
    url = f"/api/v1/organisations/{coordinator.organisation_id}/settings"
    body = {"min_balance_minutes": -600, "max_balance_minutes": 6000, "hourly_rate_pence": 1500}
    unchanged = client.post(url, json=body, headers=bearer(coordinator))
    assert unchanged.get_json()["auto_confirm_days"] == 14  # the default
    seven = client.post(url, json={**body, "auto_confirm_days": 7}, headers=bearer(coordinator))
    assert seven.get_json()["auto_confirm_days"] == 7
    off = client.post(url, json={**body, "auto_confirm_days": None}, headers=bearer(coordinator))
    assert off.status_code == 200 and off.get_json()["auto_confirm_days"] is None
    assert_error(
        client.post(url, json={**body, "auto_confirm_days": 1}, headers=bearer(coordinator)),
        422,
        field="auto_confirm_days",
    )


def test_settings_page_sets_automatic_confirmation(client, session):
    coordinator = CoordinatorFactory()
    sign_in(client, coordinator)
    form = {"min_hours": "10", "max_hours": "100", "hourly_rate": "15"}
    client.post("/organisation/settings", data={**form, "auto_confirm_days": "21"})
    assert coordinator.organisation.auto_confirm_days == 21
    client.post("/organisation/settings", data={**form, "auto_confirm_days": ""})
    assert coordinator.organisation.auto_confirm_days is None
    page = client.post("/organisation/settings", data={**form, "auto_confirm_days": "1"})
    assert "Enter a whole number of days from 2 to 365" in page.get_data(as_text=True)


def test_dispute_button_on_the_exchange_page(client, session):
    exchange = ExchangeFactory()
    sign_in(client, exchange.receiver_account.user)
    page = client.get(f"/exchanges/{exchange.id}").get_data(as_text=True)
    assert f"/exchanges/{exchange.id}/dispute" in page
    response = client.post(f"/exchanges/{exchange.id}/dispute", follow_redirects=True)
    assert "You disputed the exchange" in response.get_data(as_text=True)
    assert exchange.disputed_at is not None


def test_header_shows_the_unread_count_in_one_query_for_screen_readers_too(client, session):
    person = UserFactory()
    NotificationFactory.create_batch(3, recipient=person)
    NotificationFactory(recipient=person, read_at=utcnow())
    sign_in(client, person)
    with sql_statements() as statements:
        page = client.get("/hours").get_data(as_text=True)
    assert '<span class="govuk-visually-hidden">3 unread</span>' in page
    assert "Inbox<span" in page
    counts = [s for s in statements if "count(" in s.lower() and "notification" in s.lower()]
    assert len(counts) == 1


def test_inbox_page_marks_one_and_then_all_as_read(client, session):
    person = UserFactory()
    first = NotificationFactory(recipient=person, text="Your listing expires soon.")
    NotificationFactory(recipient=person)
    sign_in(client, person)
    page = client.get("/inbox").get_data(as_text=True)
    assert page.count("<h1") == 1 and "Your listing expires soon." in page
    assert "You have 2 unread messages." in page
    client.post(f"/inbox/{first.id}/read")
    assert first.read_at is not None
    assert "You have 1 unread message." in client.get("/inbox").get_data(as_text=True)
    client.post("/inbox/read-all")
    assert "You have no unread messages." in client.get("/inbox").get_data(as_text=True)
    other = NotificationFactory()
    assert client.post(f"/inbox/{other.id}/read").status_code == 404


def test_preferences_page_saves_email_choices_and_the_digest_opt_in(client, session):
    person = UserFactory()
    sign_in(client, person)
    page = client.get("/inbox/preferences").get_data(as_text=True)
    assert 'value="plan_review" checked' in page
    client.post(
        "/inbox/preferences",
        data={"email": ["listing_expiring"], "subscribed": ["weekly_digest"]},
    )
    from app.notifications import services

    chosen = {p.kind: p for p in services.preferences_of(session, person)}
    assert chosen["weekly_digest"].subscribed is True
    assert chosen["listing_expiring"].email is True
    assert chosen["plan_review"].email is False


def test_coordinator_sees_what_is_waiting_for_a_member_without_email(client, session):
    coordinator = CoordinatorFactory()
    person = UserFactory(organisation=coordinator.organisation, email=None)
    NotificationFactory(recipient=person, text="An exchange is waiting for you.")
    sign_in(client, coordinator)
    members = client.get("/members").get_data(as_text=True)
    assert f"/members/{person.id}/inbox" in members
    page = client.get(f"/members/{person.id}/inbox").get_data(as_text=True)
    assert "An exchange is waiting for you." in page
    outsider = CoordinatorFactory()
    client.post("/sign-out")
    sign_in(client, outsider)
    assert client.get(f"/members/{person.id}/inbox").status_code == 404


def test_dashboard_lists_counts_and_links_for_coordinators_only(client, session):
    organisation = OrganisationFactory()
    coordinator = CoordinatorFactory(organisation=organisation)
    ReferralFactory.create_batch(2, member__organisation=organisation, coordinator=coordinator)
    old = ExchangeFactory(provider__organisation=organisation)
    old.created_at = utcnow() - timedelta(days=9)
    introduced = utcnow() - timedelta(days=15)
    MatchFactory(
        referral__member__organisation=organisation,
        status="introduced",
        accepted_at=introduced,
        introduced_at=introduced,
    )
    session.commit()
    sign_in(client, coordinator)
    page = client.get("/dashboard").get_data(as_text=True)
    assert page.count("<h1") == 1 and "What needs doing today" in page
    assert "People waiting for a peer" in page and 'href="/referrals"' in page
    assert "Exchanges waiting more than a week to be confirmed" in page
    assert "Peer matches due a check-in" in page
    from app.dashboard import services

    counts = {
        i.key: i.count for i in services.todays_work(session, actor=coordinator, now=utcnow())
    }
    assert counts == {
        "referral_queue": 2,
        "matches_needing_check_in": 1,
        "exchanges_waiting": 1,
        "reviews_due": 0,
        "peers_awaiting_approval": 0,
    }
    client.post("/sign-out")
    sign_in(client, UserFactory(organisation=organisation))
    assert client.get("/dashboard").status_code == 403
