"""Hole 3 of issue 15: sessions and tokens that end. A copied session cookie stops working at
sign-out and at a password reset; a reset or "sign out everywhere" ends every session and token;
tokens expire, record when they were last used, and can be listed and revoked by their owner."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from app.auth import services as auth
from app.auth.models import ApiToken
from app.clock import utcnow
from tests.factories import ApiTokenFactory, CoordinatorFactory, UserFactory
from tests.helpers import assert_error, bearer, sign_in
from tests.web.test_pages_foundation import link_from_outbox


def _copy_of_session(app, client):
    """A second browser holding a copy of ``client``'s session cookie (a stolen cookie)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_copied_session_cookie_stops_working_at_sign_out(app, client, session):
    person = UserFactory()
    sign_in(client, person)
    thief = _copy_of_session(app, client)
    assert thief.get("/hours").status_code == 200  # the copy works while the session lives
    client.post("/sign-out")
    assert thief.get("/hours").status_code == 302  # before: still 200 after sign-out
    assert "/sign-in" in thief.get("/hours").headers["Location"]


def test_a_password_reset_ends_every_session_and_token(app, client, session):
    person = UserFactory()
    sign_in(client, person)
    thief = _copy_of_session(app, client)
    headers = bearer(person)
    assert client.get("/api/v1/notifications", headers=headers).status_code == 200

    other = app.test_client()
    other.post("/password/forgot", data={"email": person.email})
    link = link_from_outbox(session, person.email, "/password/reset/")
    other.post(link, data={"password": "a new password 1", "confirm": "a new password 1"})

    assert thief.get("/hours").status_code == 302
    assert client.get("/hours").status_code == 302
    assert_error(client.get("/api/v1/notifications", headers=headers), 401)
    assert other.get("/hours").status_code == 200  # the person who reset stays signed in


def test_sign_out_everywhere_from_the_tokens_page(app, client, session):
    person = UserFactory()
    headers = bearer(person)
    sign_in(client, person)
    thief = _copy_of_session(app, client)
    page = client.get("/account/tokens")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "Sign out everywhere" in page.get_data(as_text=True)
    assert client.post("/account/sign-out-everywhere").status_code == 302
    assert thief.get("/hours").status_code == 302
    assert client.get("/hours").status_code == 302
    assert_error(client.get("/api/v1/notifications", headers=headers), 401)


def test_sign_out_everywhere_through_the_api(client, session):
    person = UserFactory()
    first, second = bearer(person), bearer(person)
    response = client.post("/api/v1/auth/sign-out-everywhere", headers=first)
    assert response.status_code == 200 and response.get_json() == {"revoked_tokens": 2}
    assert_error(client.get("/api/v1/notifications", headers=second), 401)


def test_tokens_expire_after_the_configured_days(client, session):
    person = UserFactory()
    days = current_app.config["API_TOKEN_DAYS"]
    assert days == 90
    ApiTokenFactory(user=person, raw="gg_old", created_at=utcnow() - timedelta(days=days, hours=1))
    ApiTokenFactory(user=person, raw="gg_young", created_at=utcnow() - timedelta(days=days - 1))
    assert_error(
        client.get("/api/v1/notifications", headers={"Authorization": "Bearer gg_old"}), 401
    )
    young = client.get("/api/v1/notifications", headers={"Authorization": "Bearer gg_young"})
    assert young.status_code == 200


def test_tokens_expire_as_configured(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "API_TOKEN_DAYS", 7)
    person = UserFactory()
    ApiTokenFactory(user=person, raw="gg_week", created_at=utcnow() - timedelta(days=8))
    assert_error(
        client.get("/api/v1/notifications", headers={"Authorization": "Bearer gg_week"}), 401
    )


def test_a_token_records_when_it_was_last_used_even_by_a_read(client, session):
    person = UserFactory()
    token = ApiTokenFactory(user=person, raw="gg_used")
    assert token.last_used_at is None
    assert (
        client.get("/api/v1/notifications", headers={"Authorization": "Bearer gg_used"}).status_code
        == 200
    )
    session.expire_all()
    used = session.scalar(select(ApiToken).where(ApiToken.id == token.id))
    assert used.last_used_at is not None


def test_a_person_lists_and_revokes_their_own_tokens_through_the_api(client, session):
    person = UserFactory()
    headers = bearer(person)
    ApiTokenFactory(user=person, raw="gg_spare", name="Spreadsheet")
    someone_else = ApiTokenFactory(user=UserFactory(), raw="gg_theirs")
    listed = client.get("/api/v1/auth/tokens", headers=headers)
    assert listed.status_code == 200
    items = listed.get_json()["items"]
    assert [item["name"] for item in items] == ["Spreadsheet", "API token"]
    assert {item["status"] for item in items} == {"active"}
    assert set(items[0]) >= {"id", "name", "created_at", "expires_at", "last_used_at", "status"}
    spare = items[0]["id"]
    assert client.delete(f"/api/v1/auth/tokens/{spare}", headers=headers).status_code == 204
    assert_error(
        client.get("/api/v1/notifications", headers={"Authorization": "Bearer gg_spare"}), 401
    )
    # Another person's token is not the caller's to see or revoke.
    assert_error(client.delete(f"/api/v1/auth/tokens/{someone_else.id}", headers=headers), 404)
    assert (
        client.get(
            "/api/v1/notifications", headers={"Authorization": "Bearer gg_theirs"}
        ).status_code
        == 200
    )


def test_a_person_revokes_a_token_on_the_tokens_page(client, session):
    person = UserFactory()
    token = ApiTokenFactory(user=person, raw="gg_page", name="Old laptop")
    sign_in(client, person)
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "Old laptop" in page and "Working" in page
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 302
    assert "Revoked" in client.get("/account/tokens").get_data(as_text=True)
    assert_error(
        client.get("/api/v1/notifications", headers={"Authorization": "Bearer gg_page"}), 401
    )
    # A coordinator's page revokes only their own tokens, never a member's through this page.
    coordinator = CoordinatorFactory(organisation=person.organisation)
    member_token = ApiTokenFactory(user=person, raw="gg_member")
    coordinator_client = client.application.test_client()
    sign_in(coordinator_client, coordinator)
    assert coordinator_client.post(f"/account/tokens/{member_token.id}/revoke").status_code == 404


def test_end_every_session_is_a_service_the_cli_and_pages_share(session):
    person = UserFactory()
    auth.issue_api_token(session, person, utcnow())
    version = person.session_version
    assert auth.end_every_session(session, person, utcnow()) == 1
    assert person.session_version == version + 1
    assert auth.user_for_session(session, f"{person.id}:{version}") is None
    assert auth.user_for_session(session, f"{person.id}:{version + 1}") == person
    assert auth.user_for_session(session, str(person.id)) is None  # an old-style cookie
