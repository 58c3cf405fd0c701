"""Holes 8 and 9 of issue 15: one bad email never blocks the outbox; no link is ever logged."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth import services as auth
from app.clock import utcnow
from app.errors import ValidationFailed
from app.mail import OutboxEmail, deliver_outbox, queue_email
from tests.factories import OrganisationFactory, OutboxEmailFactory, UserFactory

SMTP_CONFIG = {"MAIL_SERVER": "smtp.example.org", "MAIL_SENDER": "Give and Get <gg@example.org>"}


class FakeSmtp:
    """smtplib.SMTP as a context manager that records what it was given."""

    sent: list[str] = []

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, *args):
        pass

    def send_message(self, message):
        FakeSmtp.sent.append(message["To"])


@pytest.fixture()
def smtp(monkeypatch):
    FakeSmtp.sent = []
    monkeypatch.setattr("app.mail.smtplib.SMTP", FakeSmtp)
    return FakeSmtp


def test_a_message_that_cannot_be_built_is_marked_and_the_rest_are_sent(session, smtp):
    """Before: a subject with a line break raised inside the loop, and every later email
    (a password reset included) stayed unsent."""
    broken = OutboxEmailFactory(to_address="first@example.org", subject="Invited to A\nBcc: x")
    reset = OutboxEmailFactory(to_address="reset@example.org", subject="Reset your password")
    now = utcnow()

    assert deliver_outbox(session, SMTP_CONFIG, now) == 1

    assert smtp.sent == ["reset@example.org"]
    assert reset.sent_at == now
    assert broken.sent_at is None and broken.attempts == 1 and broken.last_error
    assert broken.next_attempt_at > now
    # Not tried again until its time comes, then tried again (and still marked).
    assert deliver_outbox(session, SMTP_CONFIG, now + timedelta(minutes=1)) == 0
    assert broken.attempts == 1
    deliver_outbox(session, SMTP_CONFIG, broken.next_attempt_at)
    assert broken.attempts == 2 and broken.next_attempt_at > now + timedelta(minutes=5)


def test_a_message_that_fails_to_send_is_retried_later_and_then_sent(session, smtp, monkeypatch):
    email = OutboxEmailFactory(to_address="later@example.org")
    now = utcnow()
    monkeypatch.setattr(FakeSmtp, "send_message", lambda self, message: 1 / 0)
    deliver_outbox(session, SMTP_CONFIG, now)
    assert email.sent_at is None and "ZeroDivisionError" in email.last_error
    monkeypatch.undo()
    monkeypatch.setattr("app.mail.smtplib.SMTP", FakeSmtp)
    assert deliver_outbox(session, SMTP_CONFIG, email.next_attempt_at) == 1
    assert email.sent_at is not None


@pytest.mark.parametrize("name", ["Leeds\nBcc: everyone@example.org", "Tab\there", "A\u2028B"])
def test_organisation_and_person_names_refuse_line_breaks(session, name):
    with pytest.raises(ValidationFailed) as caught:
        auth.create_organisation(session, actor=None, name=name)
    assert "name" in caught.value.fields
    organisation = OrganisationFactory()
    with pytest.raises(ValidationFailed):
        auth.create_member(
            session,
            actor=None,
            new=auth.NewMember(name=name, organisation_id=organisation.id),
            now=utcnow(),
            base_url="http://x",
        )


def test_a_subject_is_one_line_whatever_it_was_given(session):
    email = queue_email(session, to="a@example.org", subject="One\r\ntwo", body="b")
    assert email.subject == "One two"


def test_no_reset_or_invitation_link_reaches_the_log(session, caplog):
    """Before: without MAIL_SERVER the whole body, links and tokens included, was logged."""
    person = UserFactory(email="logs@example.org")
    raw_invitation = auth.invite(session, user=person, now=utcnow(), base_url="https://gg.example")
    auth.request_password_reset(
        session, email="logs@example.org", now=utcnow(), base_url="https://gg.example"
    )
    session.commit()
    with caplog.at_level(logging.DEBUG):
        deliver_outbox(session, {}, utcnow())
    logged = caplog.text
    assert "logs@example.org" in logged  # the email was written out, only without its links
    assert raw_invitation not in logged
    assert "https://gg.example" not in logged
    assert "/password/reset/" not in logged and "/invitations/" not in logged
    bodies = session.scalars(select(OutboxEmail.body)).all()
    assert any(raw_invitation in body for body in bodies)  # the email itself keeps its link


def test_a_developer_reads_a_link_on_their_own_terminal_not_in_the_log(app, session):
    person = UserFactory(email="dev@example.org")
    raw = auth.invite(session, user=person, now=utcnow(), base_url="http://127.0.0.1:5000")
    session.commit()
    result = app.test_cli_runner().invoke(args=["mail", "show", "--to", "dev@example.org"])
    assert result.exit_code == 0 and raw in result.output
    missing = app.test_cli_runner().invoke(args=["mail", "show", "--to", "nobody@example.org"])
    assert missing.exit_code != 0
