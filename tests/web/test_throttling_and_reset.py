"""Holes 5 and 6 of issue 15: throttling behind a proxy, and "forgot password" telling nobody
who is registered (same answer, no SMTP inside the request, throttled like sign-in)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.mail import OutboxEmail, deliver_outbox
from app.security import trust_proxies
from tests.factories import TEST_PASSWORD, UserFactory
from tests.integration.test_outbox_and_mail_logs import SMTP_CONFIG, FakeSmtp

PROXY = "10.0.0.1"


@pytest.fixture()
def behind_one_proxy(app, monkeypatch):
    """The app as production configures it behind one TLS proxy (TRUSTED_PROXIES=1)."""
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app)  # restored after the test
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)
    trust_proxies(app)
    return app


def _sign_in(client, email, password, person_address):
    return client.post(
        "/sign-in",
        data={"email": email, "password": password},
        headers={"X-Forwarded-For": person_address},
        environ_base={"REMOTE_ADDR": PROXY},
    )


def test_behind_a_proxy_one_persons_failures_do_not_lock_out_everyone(
    behind_one_proxy, client, session
):
    """Before: every request came from the proxy's address, so 20 failures locked out all."""
    person = UserFactory()
    for number in range(25):
        _sign_in(client, f"guess{number}@example.org", "wrong password", "203.0.113.9")
    assert _sign_in(client, "x@example.org", "wrong", "203.0.113.9").status_code == 429
    assert _sign_in(client, person.email, TEST_PASSWORD, "198.51.100.7").status_code == 302


def test_without_trusted_proxies_a_forged_header_escapes_nothing(client, session):
    for number in range(20):
        client.post(
            "/sign-in",
            data={"email": f"guess{number}@example.org", "password": "wrong"},
            headers={"X-Forwarded-For": f"198.51.100.{number}"},
        )
    forged = client.post(
        "/sign-in",
        data={"email": "another@example.org", "password": "wrong"},
        headers={"X-Forwarded-For": "192.0.2.200"},
    )
    assert forged.status_code == 429


def test_sixty_successful_sign_ins_a_minute_from_one_address_behind_the_proxy(
    behind_one_proxy, app, session
):
    people = [UserFactory() for _ in range(60)]
    for person in people:
        client = app.test_client()
        assert _sign_in(client, person.email, TEST_PASSWORD, "203.0.113.50").status_code == 302


@pytest.fixture()
def smtp(app, monkeypatch):
    FakeSmtp.sent = []
    monkeypatch.setattr("app.mail.smtplib.SMTP", FakeSmtp)
    for key, value in SMTP_CONFIG.items():
        monkeypatch.setitem(app.config, key, value)
    return FakeSmtp


def _forgot(client, email, address="192.0.2.44"):
    return client.post(
        "/password/forgot", data={"email": email}, environ_base={"REMOTE_ADDR": address}
    )


def test_forgot_password_answers_the_same_and_sends_nothing_inside_the_request(
    app, client, session, smtp
):
    """Before: a registered address had its email sent by SMTP before the answer, so the
    answer took longer exactly when the address was registered."""
    registered = UserFactory(email="known@example.org")
    known = _forgot(client, registered.email)
    assert smtp.sent == []  # queued, not sent while the person waits
    unknown = _forgot(client, "stranger@example.org")
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True).replace("known@", "X@") == unknown.get_data(
        as_text=True
    ).replace("stranger@", "X@")
    waiting = session.scalars(select(OutboxEmail).where(OutboxEmail.sent_at.is_(None))).all()
    assert [email.to_address for email in waiting] == ["known@example.org"]
    # The outbox job (the scheduler's, every minute) sends it.
    deliver_outbox(session, app.config, waiting[0].created_at)
    assert smtp.sent == ["known@example.org"]


def test_forgot_password_is_throttled_per_address_like_sign_in(client, session):
    """Before: nothing counted reset requests, so anyone could probe or flood without limit."""
    for number in range(20):
        assert _forgot(client, f"probe{number}@example.org").status_code == 200
    throttled = _forgot(client, "probe-more@example.org")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"]
    assert "Too many requests for a new password" in throttled.get_data(as_text=True)
    assert _forgot(client, "probe-more@example.org", address="192.0.2.45").status_code == 200


def test_forgot_password_is_throttled_per_account_whether_or_not_it_exists(client, session):
    UserFactory(email="target@example.org")
    for address, email in (
        ("198.51.100.", "target@example.org"),
        ("203.0.113.", "ghost@example.org"),
    ):
        statuses = [_forgot(client, email, address=f"{address}{n}").status_code for n in range(6)]
        assert statuses == [200] * 5 + [429]
    # Asking for resets never locks the person out of signing in.
    signed_in = client.post(
        "/sign-in", data={"email": "target@example.org", "password": TEST_PASSWORD}
    )
    assert signed_in.status_code == 302
    resets = session.scalar(select(func.count()).select_from(OutboxEmail))
    assert resets <= 3  # and never floods their inbox
