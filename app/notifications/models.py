"""Tables for the inbox and each person's choice of email per kind of notification."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..extensions import db


class Notification(db.Model):
    """One message in a person's inbox. Read once ``read_at`` is set; never deleted by the app."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    # A path on this site (``/exchanges/7``), never an absolute URL from outside.
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # The language ``text`` was written in: the recipient's when it was sent (None: English, the
    # source language). A page in another language marks the text with it (``lang``).
    locale: Mapped[str | None] = mapped_column(String(10))

    __table_args__ = (
        # The header's unread count and the inbox page both read by recipient, unread first.
        Index("ix_notification_recipient_read", "recipient_id", "read_at"),
    )


class NotificationPreference(db.Model):
    """How a person wants one kind of notification. No row means the kind's defaults
    (``app.notifications.services.KINDS``)."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Reminders always reach the inbox; for an optional kind (the weekly digest) this is the
    # person's opt-in.
    subscribed: Mapped[bool] = mapped_column(default=True)
    email: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
