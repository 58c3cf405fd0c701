"""Acting for a member: a coordinator does for a member what the member asked them to.

A member who has no email, no smartphone or little English asks a coordinator of their
organisation to act for them; the coordinator records who asked, when, why and until when. While
the coordinator acts, the session loader hands out the *member* as the actor, carrying the
coordinator (``User.acting_coordinator``): every permission check runs as the member, and every
audit event names the coordinator as the actor and the member as ``acting_for_id``.

Every function takes the session, the actor and ``now``; none commits.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit import AuditEvent, record
from ..clock import london_date
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..wording import N_, said
from . import permissions
from .models import ActingArrangement, User

# The Flask session's key naming the arrangement a coordinator acts under (set by the pages).
ACTING_KEY = "acting_for"
MAX_REASON_LENGTH = 500
# An arrangement is asked for again at least once a year.
LONGEST_DAYS = 366


def _member_to_arrange(session: Session, actor: User, member_id: int) -> User:
    member = session.get(User, member_id)
    if member is None or not permissions.coordinates(
        actor, member.organisation_id, admin_anywhere=False
    ):
        raise NotFound(N_("We could not find that member."))
    return member


def member_for_arrangements(session: Session, *, actor: User, member_id: int) -> User:
    """The member whose arrangements a coordinator of their own organisation may read or add."""
    if actor.acting_coordinator is not None:
        raise Forbidden(N_("Stop acting for someone before you arrange to act for another member."))
    return _member_to_arrange(session, actor, member_id)


def arrangements_of(session: Session, member: User) -> list[ActingArrangement]:
    """A member's arrangements, newest first."""
    return list(
        session.scalars(
            select(ActingArrangement)
            .where(ActingArrangement.member_id == member.id)
            .order_by(ActingArrangement.id.desc())
        )
    )


def is_live(arrangement: ActingArrangement, today: date) -> bool:
    return arrangement.ended_at is None and arrangement.asked_on <= today <= arrangement.until


def record_arrangement(
    session: Session,
    *,
    actor: User,
    member_id: int,
    asked_on: date | None,
    reason: str | None,
    until: date | None,
    now: datetime,
) -> ActingArrangement:
    """The member asked ``actor`` to act for them on ``asked_on``, for ``reason``, until ``until``."""
    member = member_for_arrangements(session, actor=actor, member_id=member_id)
    if member.id == actor.id:
        raise ValidationFailed(
            N_("You cannot act for yourself."),
            fields={"member": N_("You cannot act for yourself.")},
        )
    if not permissions.can_be_acted_for(actor, member):
        raise ValidationFailed(
            said(
                N_("You cannot act for %(name)s: only for members of your organisation."),
                name=member.name,
            ),
            fields={"member": N_("Coordinators act only for members of their own organisation.")},
        )
    today = london_date(now)
    errors: dict[str, str] = {}
    if asked_on is None:
        errors["asked_on"] = N_("Enter the date they asked you, for example 1 12 2026.")
    elif asked_on > today:
        errors["asked_on"] = N_("The date they asked you must be today or in the past.")
    text = (reason or "").strip()
    if not text:
        errors["reason"] = N_("Say why they asked you to act for them.")
    elif len(text) > MAX_REASON_LENGTH:
        errors["reason"] = f"Keep the reason to {MAX_REASON_LENGTH} characters or fewer."
    if until is None:
        errors["until"] = N_("Enter the last day you may act for them, for example 31 12 2026.")
    elif until < today:
        errors["until"] = N_("The last day must be today or later.")
    elif until > today + timedelta(days=LONGEST_DAYS):
        errors["until"] = N_("The last day can be at most a year from today: ask them again then.")
    elif asked_on is not None and until < asked_on:
        errors["until"] = N_("The last day must be after the day they asked you.")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), fields=errors)
    arrangement = ActingArrangement(
        organisation_id=member.organisation_id,
        member_id=member.id,
        coordinator_id=actor.id,
        asked_on=asked_on,
        reason=text,
        until=until,
        recorded_at=now,
        recorded_by_id=actor.id,
    )
    session.add(arrangement)
    session.flush()
    record(
        session,
        actor=actor,
        action="acting.arranged",
        object_type="acting_arrangement",
        object_id=arrangement.id,
        member=member,
        now=now,
    )
    return arrangement


def start_acting(
    session: Session, *, actor: User, arrangement_id: int, now: datetime
) -> ActingArrangement:
    """The coordinator starts acting for the member named in their arrangement."""
    if actor.acting_coordinator is not None:
        raise Forbidden(N_("Stop acting for someone before you act for another member."))
    arrangement = session.get(ActingArrangement, arrangement_id)
    if arrangement is None or not permissions.coordinates(
        actor, arrangement.organisation_id, admin_anywhere=False
    ):
        raise NotFound(N_("We could not find that arrangement."))
    if arrangement.coordinator_id != actor.id:
        raise Forbidden(
            said(
                N_("%(member)s asked %(coordinator)s, not you."),
                member=arrangement.member.name,
                coordinator=arrangement.coordinator.name,
            )
        )
    if not permissions.can_act_for(actor, arrangement.member, arrangement, london_date(now)):
        raise Conflict(
            said(
                N_("You can no longer act for %(name)s: the arrangement has ended."),
                name=arrangement.member.name,
            ),
            code="arrangement_ended",
        )
    # Acting begins here: the event already names the member acted for.
    session.add(
        AuditEvent(
            at=now,
            actor_id=actor.id,
            acting_for_id=arrangement.member_id,
            organisation_id=arrangement.organisation_id,
            action="acting.started",
            object_type="acting_arrangement",
            object_id=arrangement.id,
            member_id=arrangement.member_id,
        )
    )
    return arrangement


def acting_identity(
    session: Session, *, coordinator: User, arrangement_id: int, now: datetime
) -> User | None:
    """The member as the coordinator may act for them now, carrying the coordinator; None when the
    arrangement does not (or no longer) allows it."""
    arrangement = session.get(ActingArrangement, arrangement_id)
    if arrangement is None:
        return None
    member = arrangement.member
    if not permissions.can_act_for(coordinator, member, arrangement, london_date(now)):
        return None
    member.acting_coordinator = coordinator
    member.acting_arrangement = arrangement
    return member


def record_acted(
    session: Session,
    *,
    actor: User,
    endpoint: str | None,
    changed: bool,
    object_id: int | None,
    now: datetime,
) -> AuditEvent:
    """One event for one page a coordinator saw or used while acting for a member."""
    event = AuditEvent(
        at=now,
        actor_id=actor.acting_coordinator.id,
        acting_for_id=actor.id,
        organisation_id=actor.organisation_id,
        action="acting.changed" if changed else "acting.viewed",
        object_type=(endpoint or "page")[:40],
        object_id=object_id,
        member_id=actor.id,
    )
    session.add(event)
    return event


def stop_acting(session: Session, *, actor: User, now: datetime) -> User:
    """The coordinator stops acting (the arrangement stays); returns the member."""
    if actor.acting_coordinator is None:
        raise Conflict(N_("You are not acting for anyone."), code="not_acting")
    record(
        session,
        actor=actor,
        action="acting.stopped",
        object_type="acting_arrangement",
        object_id=actor.acting_arrangement.id,
        member=actor,
        now=now,
    )
    return actor


def end_arrangement(
    session: Session, *, actor: User, arrangement_id: int, now: datetime
) -> ActingArrangement:
    """The member (or a coordinator) ends the arrangement: nobody acts for them under it again."""
    if actor.acting_coordinator is not None:
        raise Forbidden(N_("Only the member themselves, signed in, can stop this while you act."))
    arrangement = session.get(ActingArrangement, arrangement_id)
    if arrangement is None or not permissions.can_stop_arrangement(actor, arrangement):
        raise NotFound(N_("We could not find that arrangement."))
    if arrangement.ended_at is not None:
        raise Conflict(N_("This arrangement has already been stopped."), code="already_stopped")
    arrangement.ended_at = now
    arrangement.ended_by_id = actor.id
    record(
        session,
        actor=actor,
        action="acting.ended",
        object_type="acting_arrangement",
        object_id=arrangement.id,
        member=arrangement.member,
        now=now,
    )
    return arrangement


def acted_for_log(session: Session, member: User, limit: int = 200) -> list[AuditEvent]:
    """What coordinators did while acting for the member, newest first (the member's own page)."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.acting_for_id == member.id, AuditEvent.action.startswith("acting."))
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )


# What each page a coordinator used for a member did, in the words the member reads.
ACTED_WORDS = {
    "acting.arranged": N_("Wrote down that you asked them to act for you"),
    "acting.started": N_("Started acting for you"),
    "acting.stopped": N_("Stopped acting for you"),
    "acting.ended": N_("Stopped the arrangement"),
    "main.home": N_("Looked at your home page"),
    "timebank.hours": N_("Looked at your hours"),
    "timebank.exchanges": N_("Looked at your exchanges"),
    "timebank.exchange": N_("Looked at an exchange"),
    "timebank.exchange_new": N_("Recorded an exchange"),
    "timebank.exchange_confirm": N_("Confirmed an exchange"),
    "timebank.exchange_reject": N_("Turned down an exchange"),
    "timebank.exchange_withdraw": N_("Withdrew an exchange"),
    "timebank.exchange_dispute": N_("Disputed an exchange"),
    "timebank.listings": N_("Looked at the listings"),
    "timebank.listings_mine": N_("Looked at your listings"),
    "timebank.listing": N_("Looked at a listing"),
    "timebank.listing_new": N_("Added a listing"),
    "timebank.listing_renew": N_("Renewed a listing"),
    "timebank.listing_withdraw": N_("Withdrew a listing"),
    "notifications.inbox": N_("Read your inbox"),
    "notifications.mark_read": N_("Marked a message as read"),
    "notifications.mark_all_read": N_("Marked every message as read"),
    "peers.plans_page": N_("Looked at your support plan"),
    "peers.plan": N_("Looked at your support plan"),
    "auth.acting_for_you": N_("Looked at who acts for you"),
    "auth.sign_out": N_("Signed out"),
}


def describe_acted(event: AuditEvent) -> str:
    """Plain words for one acting event: the page for a look or a change, else the action."""
    if event.action in ("acting.viewed", "acting.changed"):
        fallback = (
            N_("Changed something") if event.action == "acting.changed" else N_("Looked at a page")
        )
        return ACTED_WORDS.get(event.object_type, fallback)
    return ACTED_WORDS.get(event.action, event.action)
