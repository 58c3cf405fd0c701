"""Stored responses for Idempotency-Key retries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..extensions import db


class IdempotencyRecord(db.Model):
    """One caller's stored answer to one key. It is kept for IDEMPOTENCY_KEY_HOURS, replayed
    only to that caller while they may still see the person it is about (``member_id``), and
    its body is purged of that person's data when their consent is withdrawn or they are
    erased (only ``id`` and ``status`` stay, so a retry still answers "done, this id")."""

    __tablename__ = "idempotency_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int]
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The person the stored response is about (its ``member_id``), when it names one.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    purged_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("user_id", "key"),)
