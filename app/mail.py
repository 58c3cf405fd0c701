"""Email through an outbox table: queued in the unit of work, sent after it commits.

Sent by SMTP when MAIL_SERVER is set, written to the log otherwise (development and demos), with
every link removed: a link in an email is a token (an invitation, a password reset), and a log is
read by more people than a mailbox. A message that fails is marked and tried again later, with a
growing wait; it never stops the messages behind it.
"""

from __future__ import annotations

import logging
import re
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import String, Text, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .clock import utcnow
from .extensions import db

log = logging.getLogger("giveandget.mail")

MAX_ATTEMPTS = 5
RETRY_MINUTES = 5  # then 10, 20, 40: a server that is down for an hour loses nothing
_LINK = re.compile(r"https?://\S+")


class OutboxEmail(db.Model):
    """Email waits here until it is sent, so a rolled-back request never sends mail."""

    __tablename__ = "outbox_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # After a failure, not tried again before this (None: try at once).
    next_attempt_at: Mapped[datetime | None]


def queue_email(
    session: Session, *, to: str, subject: str, body: str, send_after_commit: bool = True
) -> OutboxEmail:
    """Queue an email. ``send_after_commit=False`` leaves it for the outbox job (the scheduler
    sends the outbox every minute): a request whose answer must not depend on whether an email
    was sent (a password reset, which would otherwise say who is registered) never waits on SMTP."""
    # A header is one line: a line break in a name must never reach the SMTP library.
    subject = " ".join(subject.split())
    if len(subject) > 200:
        subject = subject[:199] + "…"
    email = OutboxEmail(to_address=to, subject=subject, body=body)
    session.add(email)
    if send_after_commit:
        session.info["outbox_pending"] = True  # the caller sends once its unit of work commits
    return email


def flush_outbox_after_commit(session: Session, config: dict[str, Any], now: datetime) -> None:
    """Send what a just-committed unit of work queued. Failures stay in the outbox for
    `flask mail send` (run it from cron or the scheduler) to retry."""
    if not session.info.pop("outbox_pending", False):
        return
    try:
        deliver_outbox(session, config, now)
    except Exception:  # noqa: BLE001 - the change is saved; sending is retried later
        session.rollback()
        log.exception("Could not deliver the outbox")


def deliver_outbox(session: Session, config: dict[str, Any], now: datetime) -> int:
    """Send every unsent email; safe to run twice. Returns how many were sent. Commits each."""
    pending = session.scalars(
        select(OutboxEmail)
        .where(
            OutboxEmail.sent_at.is_(None),
            OutboxEmail.attempts < MAX_ATTEMPTS,
            or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now),
        )
        .order_by(OutboxEmail.id)
        .with_for_update(skip_locked=True)
    ).all()
    sent = 0
    for email in pending:
        email.attempts += 1
        try:
            _send(email, config)
        except Exception as error:  # noqa: BLE001 - one bad message never blocks the rest
            email.last_error = f"{type(error).__name__}: {error}"[:1000]
            email.next_attempt_at = now + timedelta(
                minutes=RETRY_MINUTES * 2 ** (email.attempts - 1)
            )
            log.warning("Could not send email %s (attempt %s): %s", email.id, email.attempts, error)
        else:
            email.sent_at = now
            email.next_attempt_at = None
            sent += 1
        session.commit()
    return sent


def without_links(text: str) -> str:
    """What may be logged of an email: every link (and so every token) removed."""
    return _LINK.sub("[link removed]", text)


def _send(email: OutboxEmail, config: dict[str, Any]) -> None:
    server = config.get("MAIL_SERVER")
    if not server:
        log.info(
            "Email to %s (no MAIL_SERVER, not sent; links removed): %s\n%s",
            email.to_address,
            without_links(email.subject),
            without_links(email.body),
        )
        return
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message.set_content(email.body)
    with smtplib.SMTP(server, config.get("MAIL_PORT", 587), timeout=20) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
