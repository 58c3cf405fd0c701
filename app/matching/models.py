"""Postcode centroids: where a unit postcode, a sector or a district is, on the National Grid."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..clock import utcnow
from ..extensions import db
from ..peers.models import PeerProfile, Referral

CENTROID_KINDS = ("unit", "sector", "district")


class PostcodeCentroid(db.Model):
    """``postcode`` is normalised: a unit 'LS6 2AB', a sector 'LS6 2' or a district 'LS6'.
    Eastings and northings are whole metres on the British National Grid (OSGB36)."""

    __tablename__ = "postcode_centroid"

    postcode: Mapped[str] = mapped_column(String(8), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    easting: Mapped[int]
    northing: Mapped[int]

    __table_args__ = (
        CheckConstraint(f"kind IN {CENTROID_KINDS!r}", name="kind_known"),
        # The National Grid's extent: anything outside it is not a British postcode's centroid.
        CheckConstraint(
            "easting BETWEEN 0 AND 700000 AND northing BETWEEN 0 AND 1300000", name="on_grid"
        ),
        # The locality bounding box of a candidate query.
        Index("ix_postcode_centroid_grid", "easting", "northing"),
    )


# --- matches ------------------------------------------------------------------------------------

MATCH_STATUSES = ("proposed", "accepted", "introduced", "closed", "declined")
LIVE_MATCH_STATUSES = ("proposed", "accepted", "introduced")
CHECK_IN_KINDS = ("2_weeks", "3_months", "ad_hoc")
_LIVE = "status IN ('proposed', 'accepted', 'introduced')"


class Match(db.Model):
    """A referral and a peer: proposed → accepted → introduced → closed, or declined.

    A *live* match (proposed, accepted or introduced) takes one of the peer's places; a referral
    has at most one live match at a time (a partial unique index says so to the database).
    """

    __tablename__ = "peer_match"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"))
    peer_profile_id: Mapped[int] = mapped_column(ForeignKey("peer_profile.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    score: Mapped[float | None]
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    accepted_at: Mapped[datetime | None]
    introduced_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    introduced_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None]
    declined_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    declined_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    peer_feedback: Mapped[str | None] = mapped_column(Text)
    person_feedback: Mapped[str | None] = mapped_column(Text)

    referral: Mapped[Referral] = relationship()
    peer: Mapped[PeerProfile] = relationship()
    check_ins: Mapped[list[MatchCheckIn]] = relationship(
        back_populates="match", order_by="MatchCheckIn.id"
    )

    __table_args__ = (
        CheckConstraint(f"status IN {MATCH_STATUSES!r}", name="status_known"),
        CheckConstraint(
            "status != 'declined' OR (declined_at IS NOT NULL AND decline_reason IS NOT NULL)",
            name="declined_has_reason",
        ),
        CheckConstraint(
            "status NOT IN ('introduced', 'closed') OR introduced_at IS NOT NULL",
            name="introduced_has_time",
        ),
        Index(
            "uq_peer_match_live_referral",
            "referral_id",
            unique=True,
            sqlite_where=text(_LIVE),
            postgresql_where=text(_LIVE),
        ),
        Index("ix_peer_match_peer_status", "peer_profile_id", "status"),
        Index("ix_peer_match_organisation_status", "organisation_id", "status"),
        Index("ix_peer_match_referral", "referral_id"),
    )

    @property
    def live(self) -> bool:
        return self.status in LIVE_MATCH_STATUSES


class MatchCheckIn(db.Model):
    """A check-in on a match: the 2-week and 3-month ones, or any other (``ad_hoc``)."""

    __tablename__ = "match_check_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("peer_match.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="ad_hoc")
    note: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    match: Mapped[Match] = relationship(back_populates="check_ins")
    by: Mapped[User] = relationship()

    __table_args__ = (CheckConstraint(f"kind IN {CHECK_IN_KINDS!r}", name="kind_known"),)


class DeclinedPair(db.Model):
    """A referral and a peer that were declined: never proposed again (unique, so never twice)."""

    __tablename__ = "declined_pair"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"))
    peer_profile_id: Mapped[int] = mapped_column(ForeignKey("peer_profile.id"), index=True)
    match_id: Mapped[int | None] = mapped_column(ForeignKey("peer_match.id"))
    declined_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("referral_id", "peer_profile_id"),)
