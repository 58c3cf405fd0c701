"""What the scheduled jobs have already done, so running them twice does nothing twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..extensions import db


class ReminderSent(db.Model):
    """One row per reminder sent: its kind, the object it is about, who got it and which
    occasion it was for (``due_marker``: a review date, a listing's expiry, a digest's week).
    The unique key is what makes every job idempotent, whatever the scheduler does."""

    __tablename__ = "reminder_sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int]
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    due_marker: Mapped[str] = mapped_column(String(40))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("kind", "object_id", "recipient_id", "due_marker"),)
