"""Hole 7 of issue 15: health data at rest in browsers and cookies. Every page and API answer
says ``Cache-Control: no-store``; no flash message puts plan text or a person's name into the
session cookie, and the cookie itself is encrypted, not only signed."""

from __future__ import annotations

import base64
import binascii
import zlib

import pytest
from itsdangerous import BadSignature

from app.security import EncryptedCookieSerializer
from tests.factories import CoordinatorFactory, SupportPlanFactory, UserFactory
from tests.helpers import bearer, sign_in
from tests.web.test_pages_peers import add_support, create_plan

PLAN_TEXT = "Hydrotherapy at Kirkstall pool for my MS"


def readable_forms(cookie: str) -> list[bytes]:
    """What anyone holding the cookie can read without the key: itsdangerous's payload is
    base64 (zlib-compressed when it starts with a dot) before the first dot."""
    forms = [cookie.encode()]
    for part in cookie.lstrip(".").split("."):
        try:
            raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            continue
        forms.append(raw)
        try:
            forms.append(zlib.decompress(raw))
        except zlib.error:
            pass
    return forms


def test_plan_text_never_reaches_the_session_cookie(client, session):
    """Before: "Support added: <description>" was flashed into the signed, readable cookie."""
    coordinator = CoordinatorFactory()
    person = UserFactory(organisation=coordinator.organisation, name="Petra Plainview")
    sign_in(client, coordinator)
    plan_id = create_plan(client, person)
    add_support(client, plan_id, kind="paid", description=PLAN_TEXT, annual_cost="300")
    cookie = client.get_cookie("session").value
    for form in readable_forms(cookie):
        assert PLAN_TEXT.encode() not in form
        assert b"Hydrotherapy" not in form
        assert b"Petra" not in form
    with client.session_transaction() as stored:  # decrypted with the key: no plan text either
        flashes = " ".join(message for _category, message in stored.get("_flashes", []))
    assert "support is added" in flashes and PLAN_TEXT not in flashes


def test_adding_a_member_flashes_no_name_or_email(client, session):
    coordinator = CoordinatorFactory()
    sign_in(client, coordinator)
    response = client.post(
        "/members/new",
        data={"name": "Nadia Nameless", "email": "nadia@example.org", "role": "member"},
    )
    assert response.status_code == 302
    with client.session_transaction() as stored:
        flashes = " ".join(message for _category, message in stored.get("_flashes", []))
    assert flashes and "Nadia" not in flashes and "nadia@example.org" not in flashes


def test_the_session_cookie_is_encrypted_and_refuses_tampering(app):
    serializer = EncryptedCookieSerializer(app.secret_key)
    token = serializer.dumps({"_flashes": [("success", "Petra's plan")]})
    assert all(b"Petra" not in form for form in readable_forms(token))
    assert serializer.loads(token) == {"_flashes": [("success", "Petra's plan")]}
    with pytest.raises(BadSignature):
        serializer.loads(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))
    with pytest.raises(BadSignature):
        EncryptedCookieSerializer("another key entirely, also long enough").loads(token)


def test_pages_with_personal_data_are_not_stored_by_browsers(client, session):
    coordinator = CoordinatorFactory()
    plan = SupportPlanFactory(member=UserFactory(organisation=coordinator.organisation))
    sign_in(client, coordinator)
    for path in ("/", "/hours", "/members", f"/plans/{plan.id}", "/inbox", "/no-such-page"):
        response = client.get(path)
        assert response.headers.get("Cache-Control") == "no-store", path
    # The sign-in page (and its errors) too: it may show the email typed.
    client.post("/sign-out")
    assert client.get("/sign-in").headers["Cache-Control"] == "no-store"
    # Static files are shared by everyone and may be cached.
    assert client.get("/static/app.css").headers.get("Cache-Control") != "no-store"


def test_api_answers_are_not_stored_either(client, session):
    coordinator = CoordinatorFactory()
    person = UserFactory(organisation=coordinator.organisation)
    headers = bearer(coordinator)
    plan = SupportPlanFactory(member=person)
    for path in (f"/api/v1/members/{person.id}", f"/api/v1/plans/{plan.id}", "/api/v1/members"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    denied = client.get(f"/api/v1/members/{person.id}")
    assert denied.status_code == 401 and denied.headers["Cache-Control"] == "no-store"
    created = client.post(
        "/api/v1/plans",
        json={
            "member_id": person.id,
            "budget_pence": 100,
            "management": "notional",
            "outcomes": ["x"],
            "supports": [],
        },
        headers=headers,
    )
    assert created.headers["Cache-Control"] == "no-store"
