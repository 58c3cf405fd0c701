"""Snapshots of the contribution report, kept so a published figure never changes later."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..extensions import db

SNAPSHOT_DISCLOSURES = ("coordinator", "published")


class ReportSnapshot(db.Model):
    """The report for one organisation and period, as one level of disclosure showed it when it
    was taken. Written once (unique per organisation, period and disclosure), never updated."""

    __tablename__ = "report_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    period_start: Mapped[date]
    period_end: Mapped[date]
    disclosure: Mapped[str] = mapped_column(String(20))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint(
            "organisation_id",
            "period_start",
            "period_end",
            "disclosure",
            name="uq_report_snapshot_period",
        ),
        CheckConstraint(f"disclosure IN {SNAPSHOT_DISCLOSURES!r}", name="disclosure_known"),
        CheckConstraint("period_start <= period_end", name="period_in_order"),
    )
