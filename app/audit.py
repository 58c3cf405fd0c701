"""The audit trail: who viewed or changed special category data, plans, peer checks and the
ledger. Append-only (the database refuses UPDATE and DELETE)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from sqlalchemy import (
    ForeignKey,
    Index,
    Insert,
    Integer,
    String,
    bindparam,
    insert,
    select,
    union_all,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from .clock import utcnow
from .extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    member_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Set when a coordinator (``actor_id``) acted for a member: "coordinator X acting for
    # member Y". The permission checks ran as the member; the audit names the coordinator.
    acting_for_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (
        Index("ix_audit_event_member_at", "member_id", "at"),
        Index("ix_audit_event_organisation_at", "organisation_id", "at"),
    )


def who_acted(actor) -> tuple[int | None, int | None]:
    """(actor_id, acting_for_id): the person who really acted, and the member they acted for
    when a coordinator acts for someone (the actor is then the member, carrying the coordinator)."""
    if actor is None:
        return None, None
    coordinator = getattr(actor, "acting_coordinator", None)
    if coordinator is not None:
        return coordinator.id, actor.id
    return actor.id, None


def record(
    session: Session,
    *,
    actor,
    action: str,
    object_type: str,
    object_id: int | None,
    member=None,
    member_id: int | None = None,
    organisation_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """Append one event to the unit of work (it commits, or vanishes, with the change it records)."""
    actor_id, acting_for_id = who_acted(actor)
    session.add(
        AuditEvent(
            at=now or utcnow(),
            actor_id=actor_id,
            acting_for_id=acting_for_id,
            organisation_id=organisation_id
            or (member.organisation_id if member is not None else None)
            or (actor.organisation_id if actor is not None else None),
            action=action,
            object_type=object_type,
            object_id=object_id,
            member_id=member.id if member is not None else member_id,
        )
    )


def record_for_members(
    session: Session,
    *,
    actor,
    action: str,
    object_type: str,
    object_id: int,
    members: Sequence[tuple[int | None, int | None]],
    now: datetime,
) -> None:
    """One event for each (member id, organisation id) — the same rows ``record()`` would add —
    written at once with one INSERT instead of through the unit of work's bookkeeping. For the
    ledger's hot paths, where everything the events refer to is already in the database; like
    ``record()`` the rows commit, or vanish, with the change they record."""
    actor_id, acting_for_id = who_acted(actor)
    parameters = {
        "at": now,
        "actor_id": actor_id,
        "acting_for_id": acting_for_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
    }
    for n, (member_id, organisation_id) in enumerate(members):
        parameters[f"member_{n}"], parameters[f"organisation_{n}"] = member_id, organisation_id
    session.execute(_insert_events(len(members)), parameters)


_EVENT_COLUMNS = ("at", "actor_id", "acting_for_id", "action", "object_type", "object_id")


@cache
def _insert_events(count: int) -> Insert:
    """``count`` events in one INSERT, built and compiled once for each count: ``INSERT … SELECT
    … UNION ALL SELECT …``, because SQLAlchemy compiles a multi-row VALUES afresh every time."""
    table = AuditEvent.__table__
    names = [*_EVENT_COLUMNS, "member_id", "organisation_id"]
    # Foreign keys take their type from the column they refer to, which is not known yet at
    # import; every id here is an integer.
    shared = [
        bindparam(name, type_=Integer if name.endswith("_id") else table.c[name].type)
        for name in _EVENT_COLUMNS
    ]
    return insert(table).from_select(
        names,
        union_all(
            *(
                select(
                    *shared,
                    bindparam(f"member_{n}", type_=Integer),
                    bindparam(f"organisation_{n}", type_=Integer),
                )
                for n in range(count)
            )
        ),
    )


def record_list_view(
    session: Session,
    *,
    actor,
    action: str,
    object_type: str,
    shown: list[tuple[int, int]],
    now: datetime,
) -> None:
    """One event for each (object id, member id) a list showed: a list of plans, peers or
    referrals is a view of each person's data, so each person's trail records it."""
    actor_id, acting_for_id = who_acted(actor)
    session.add_all(
        AuditEvent(
            at=now,
            actor_id=actor_id,
            acting_for_id=acting_for_id,
            organisation_id=actor.organisation_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            member_id=member_id,
        )
        for object_id, member_id in shown
    )
