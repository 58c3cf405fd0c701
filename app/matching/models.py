"""Postcode centroids: where a unit postcode, a sector or a district is, on the National Grid."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Connection,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

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


# --- each peer's grid point, kept in step -----------------------------------------------------
#
# ``peer_profile.grid_easting``/``grid_northing`` copy the member's unit postcode centroid (the
# join ``user_account.postcode = postcode_centroid.postcode``; None when there is none) so that a
# candidate query's bounding box is a range on one index, with no join per peer. The copy can go
# stale in four ways, and each is covered here, for every caller, whatever the layer:
#
# - a peer profile is created (or moved to another member)      → the flush hook below;
# - a member's postcode changes (an edit, an erasure)             → the flush hook;
# - a centroid is added, moved or deleted through the ORM          → the flush hook;
# - centroids are bulk-loaded (``geo.import_*``: COPY or executemany) → ``refresh_peer_grid``
#   over every peer at the end of the load (the benchmark's COPY of peers calls it too).
#
# The copy only chooses whom the capped candidate list considers: the facts that hard rules and
# scores read (``candidates._peer_rows_statement``) still join the centroid itself.

_peer, _user = PeerProfile.__table__, User.__table__
_centroid = PostcodeCentroid.__table__
_CHUNK = 500  # ids or postcodes a statement: under SQLite's bound-parameter limit


def _member_grid(column):
    """The peer's member's unit centroid ``column`` (easting or northing), or NULL."""
    return (
        select(column)
        .where(_user.c.id == _peer.c.member_id, _centroid.c.postcode == _user.c.postcode)
        .scalar_subquery()
    )


def refresh_peer_grid(
    connection: Connection,
    *,
    member_ids: Iterable[int] = (),
    peer_ids: Iterable[int] = (),
    postcodes: Iterable[str] = (),
    everyone: bool = False,
) -> None:
    """Bring the grid point of the peers named (by member, by profile, or living at one of the
    postcodes) — or of every peer — level with their centroid. Rows already level are not
    written, so a refresh that changes nothing writes nothing."""
    easting, northing = _member_grid(_centroid.c.easting), _member_grid(_centroid.c.northing)
    differs = or_(
        _peer.c.grid_easting.is_distinct_from(easting),
        _peer.c.grid_northing.is_distinct_from(northing),
    )
    statement = update(_peer).values(grid_easting=easting, grid_northing=northing)
    if everyone:
        connection.execute(statement.where(differs))
        return
    filters = []
    for values, test in (
        (sorted(set(member_ids)), lambda chunk: _peer.c.member_id.in_(chunk)),
        (sorted(set(peer_ids)), lambda chunk: _peer.c.id.in_(chunk)),
        (
            sorted(set(postcodes)),
            lambda chunk: _peer.c.member_id.in_(
                select(_user.c.id).where(_user.c.postcode.in_(chunk))
            ),
        ),
    ):
        for start in range(0, len(values), _CHUNK):
            filters.append(test(values[start : start + _CHUNK]))
    for where in filters:
        connection.execute(statement.where(where, differs))


def _changed(obj, *names: str) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "after_flush")
def _keep_peer_grid(session: Session, _context) -> None:
    """After every flush: refresh the peers whose grid point the flush may have moved."""
    members: set[int] = set()
    peers: set[int] = set()
    postcodes: set[str] = set()
    for obj in session.new:
        if isinstance(obj, PeerProfile):
            peers.add(obj.id)
        elif isinstance(obj, PostcodeCentroid):
            postcodes.add(obj.postcode)
    for obj in session.dirty:
        if isinstance(obj, User) and _changed(obj, "postcode"):
            members.add(obj.id)
        elif isinstance(obj, PeerProfile) and _changed(obj, "member_id"):
            peers.add(obj.id)
        elif isinstance(obj, PostcodeCentroid) and _changed(obj, "postcode", "easting", "northing"):
            history = inspect(obj).attrs.postcode.history
            postcodes.update(p for p in (*history.deleted, obj.postcode) if p)
    for obj in session.deleted:
        if isinstance(obj, PostcodeCentroid):
            postcodes.add(obj.postcode)
    if members or peers or postcodes:
        refresh_peer_grid(
            session.connection(), member_ids=members, peer_ids=peers, postcodes=postcodes
        )
        session.info["peer_grid_refreshed"] = True


@event.listens_for(Session, "after_flush_postexec")
def _expire_peer_grid(session: Session, _context) -> None:
    """A profile loaded before the refresh reads its new grid point from the database."""
    if session.info.pop("peer_grid_refreshed", False):
        for obj in list(session.identity_map.values()):
            if isinstance(obj, PeerProfile):
                session.expire(obj, ["grid_easting", "grid_northing"])


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
