"""Sign-in, sign-out, invitations, password reset and adding members through the pages."""

import re

from sqlalchemy import select

from app.auth.models import User
from app.mail import OutboxEmail
from tests.factories import TEST_PASSWORD, CoordinatorFactory, UserFactory
from tests.helpers import sign_in


def link_from_outbox(session, address: str, marker: str) -> str:
    body = session.scalars(
        select(OutboxEmail.body)
        .where(OutboxEmail.to_address == address)
        .order_by(OutboxEmail.id.desc())
    ).first()
    return re.search(rf"https?://\S+({marker}\S+)", body).group(1)


def test_sign_in_and_out(client):
    user = UserFactory()
    response = sign_in(client, user)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert user.name in home.get_data(as_text=True)
    assert client.post("/sign-out").status_code == 302
    assert client.get("/hours").status_code == 302  # back to sign-in


def test_wrong_password_shows_an_error_summary(client):
    user = UserFactory()
    page = client.post("/sign-in", data={"email": user.email, "password": "wrong"}).get_data(
        as_text=True
    )
    assert "There is a problem" in page
    assert "Enter a correct email address and password" in page
    assert 'href="#email"' in page


def test_empty_sign_in_names_each_field(client):
    page = client.post("/sign-in", data={}).get_data(as_text=True)
    assert "Enter your email address." in page and "Enter your password." in page
    assert "<title>Error: Sign in" in page


def test_sign_in_is_throttled_with_429(client):
    user = UserFactory()
    for _ in range(5):
        client.post("/sign-in", data={"email": user.email, "password": "wrong"})
    response = sign_in(client, user)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_sign_in_never_redirects_off_site(client):
    user = UserFactory()
    response = client.post(
        "/sign-in?next=//evil.example/x", data={"email": user.email, "password": TEST_PASSWORD}
    )
    assert response.headers["Location"] == "/"
    client.post("/sign-out")
    response = client.post(
        "/sign-in?next=/hours", data={"email": user.email, "password": TEST_PASSWORD}
    )
    assert response.headers["Location"] == "/hours"


def test_coordinator_invites_a_member_who_sets_a_password(client, session):
    coordinator = CoordinatorFactory()
    sign_in(client, coordinator)
    response = client.post(
        "/members/new",
        data={
            "name": "Nadia Ali",
            "email": "nadia@example.org",
            "postcode": "ls7 2dd",
            "role": "member",
        },
    )
    assert response.status_code == 302
    assert "Nadia Ali" in client.get("/members").get_data(as_text=True)
    client.post("/sign-out")
    path = link_from_outbox(session, "nadia@example.org", "/invitations/")
    assert "Choose your password" in client.get(path).get_data(as_text=True)
    mismatch = client.post(path, data={"password": "a long password", "confirm": "different one"})
    assert "The two passwords do not match." in mismatch.get_data(as_text=True)
    assert (
        client.post(
            path, data={"password": "a long password", "confirm": "a long password"}
        ).status_code
        == 302
    )
    client.post("/sign-out")
    assert client.get(path).status_code == 404  # used once
    nadia = session.scalar(select(User).where(User.email == "nadia@example.org"))
    assert sign_in(client, nadia, "a long password").status_code == 302


def test_bad_member_form_changes_nothing(client, session):
    coordinator = CoordinatorFactory()
    sign_in(client, coordinator)
    page = client.post(
        "/members/new", data={"name": "Bad Postcode", "postcode": "nowhere", "role": "member"}
    ).get_data(as_text=True)
    assert "Enter a real UK postcode" in page and 'href="#postcode"' in page
    assert session.scalar(select(User).where(User.name == "Bad Postcode")) is None


def test_members_cannot_see_member_pages(client):
    sign_in(client, UserFactory())
    assert client.get("/members").status_code == 403
    assert client.get("/members/new").status_code == 403


def test_password_reset_round_trip(client, session):
    user = UserFactory()
    page = client.post("/password/forgot", data={"email": user.email}).get_data(as_text=True)
    assert "Check your email" in page
    unknown = client.post("/password/forgot", data={"email": "ghost@example.org"}).get_data(
        as_text=True
    )
    assert "Check your email" in unknown  # says nothing about who has an account
    path = link_from_outbox(session, user.email, "/password/reset/")
    assert (
        client.post(
            path, data={"password": "brand new password", "confirm": "brand new password"}
        ).status_code
        == 302
    )
    client.post("/sign-out")
    assert sign_in(client, user, "brand new password").status_code == 302


def test_expired_or_unknown_links_explain_themselves(client):
    response = client.get("/invitations/not-a-real-token")
    assert response.status_code == 404
    assert "expired or has already been used" in response.get_data(as_text=True)


def test_forms_need_a_csrf_token(app, session):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        user = UserFactory()
        response = client.post("/sign-in", data={"email": user.email, "password": TEST_PASSWORD})
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
