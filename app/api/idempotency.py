"""The Idempotency-Key store's rules: how long an answer is kept, whom it is about, who may
have it replayed, and forgetting a person.

A stored answer can hold special category data (a peer's condition codes, a plan's outcomes).
So it is replayed only to the caller who made it, for IDEMPOTENCY_KEY_HOURS, and only while
that caller may still see the person it is about (``member_id``), with an audit row like any
other read of their data. When the person's consent is withdrawn, or they are erased, every
answer about them (or made by them) keeps only its ``id`` and ``status``: a retry still learns
"done, this id" and creates nothing twice, but no copy of what they told us survives.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from .. import audit
from ..auth.models import User
from ..auth.permissions import can_see_health_data
from ..clock import utcnow
from ..errors import NotFound
from .models import IdempotencyRecord

DEFAULT_HOURS = 24
KEPT_AFTER_PURGE = ("id", "status")


def expires_before(now: datetime, hours: int = DEFAULT_HOURS) -> datetime:
    """Records created at or before this moment have expired."""
    return now - timedelta(hours=hours)


def subject_of(body: str, path_member_id: int | None) -> int | None:
    """The person a stored answer is about: its ``member_id``, or the member in the path."""
    try:
        parsed = json.loads(body or "null")
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        member_id = parsed.get("member_id")
        if isinstance(member_id, int) and not isinstance(member_id, bool):
            return member_id
    return path_member_id


def redacted(body: str) -> str:
    """What a purged answer keeps: its id and status, nothing about anyone."""
    try:
        parsed = json.loads(body or "null")
    except ValueError:
        return "{}"
    if not isinstance(parsed, dict):
        return "{}"
    return json.dumps({key: parsed[key] for key in KEPT_AFTER_PURGE if key in parsed})


def check_replay(session: Session, record: IdempotencyRecord, caller: User, now: datetime) -> None:
    """Before a stored answer is replayed: the caller may still see the person it is about
    (else 404, as a fresh request would say), and the replay is audited as a read."""
    if record.member_id is None or record.purged_at is not None:
        return
    person = session.get(User, record.member_id)
    if person is None or not can_see_health_data(caller, person):
        raise NotFound("We could not find that member.")
    audit.record(
        session,
        actor=caller,
        action="api.replayed",
        object_type="idempotency_record",
        object_id=record.id,
        member=person,
        now=now,
    )


def forget_person(session: Session, person: User, now: datetime | None = None) -> int:
    """Purge every stored answer about ``person`` or made by them. Returns how many."""
    when = now or utcnow()
    records = session.scalars(
        select(IdempotencyRecord).where(
            or_(IdempotencyRecord.member_id == person.id, IdempotencyRecord.user_id == person.id),
            IdempotencyRecord.purged_at.is_(None),
        )
    ).all()
    for record in records:
        record.response_body = redacted(record.response_body)
        record.purged_at = when
    session.flush()
    return len(records)


def purge_expired(session: Session, now: datetime, hours: int = DEFAULT_HOURS) -> int:
    """The scheduled job: delete every record older than the configured hours."""
    return session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at <= expires_before(now, hours))
    ).rowcount
