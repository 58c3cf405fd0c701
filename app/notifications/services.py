"""Sending a notification (to the inbox, and by email when the person wants that kind),
reading and marking the inbox, and each person's preferences.

Services take the session and now; they never import Flask. Whoever owns the unit of work
commits, then sends the email this queued (``app.mail.flush_outbox_after_commit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .. import audit
from ..auth.models import User
from ..auth.permissions import coordinates_health_data
from ..errors import NotFound
from ..language import N_, speaker
from ..mail import queue_email
from .models import Notification, NotificationPreference

MAX_TEXT = 2000


@dataclass(frozen=True)
class Kind:
    label: str  # in the preferences page's words (marked: show with ``translated``)
    optional: bool = False  # an opt-in (the digest); reminders always reach the inbox
    email_by_default: bool = True


PLAN_REVIEW = "plan_review"
REFERRAL_WAITING = "referral_waiting"
EXCHANGE_PENDING = "exchange_pending"
EXCHANGE_AUTO_CONFIRM = "exchange_auto_confirm"
LISTING_EXPIRING = "listing_expiring"
WEEKLY_DIGEST = "weekly_digest"
MATCH_CHECK_IN = "match_check_in"

KINDS: dict[str, Kind] = {
    PLAN_REVIEW: Kind(N_("Support plan reviews falling due")),
    REFERRAL_WAITING: Kind(N_("Referrals waiting a long time for a peer")),
    EXCHANGE_PENDING: Kind(N_("Exchanges waiting for you to confirm")),
    EXCHANGE_AUTO_CONFIRM: Kind(N_("Exchanges about to be, or just, confirmed automatically")),
    LISTING_EXPIRING: Kind(N_("Your listings about to expire")),
    MATCH_CHECK_IN: Kind(
        N_("Check-ins on peer support: 2 weeks and 3 months after an introduction")
    ),
    WEEKLY_DIGEST: Kind(
        N_("A weekly digest of new offers and requests near you"),
        optional=True,
        email_by_default=False,
    ),
}


@dataclass(frozen=True)
class Preference:
    kind: str
    label: str
    optional: bool
    subscribed: bool
    email: bool


def preferences_of(session: Session, user: User) -> list[Preference]:
    """Every kind, with the person's choice or the kind's default."""
    stored = {
        row.kind: row
        for row in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    result = []
    for code, kind in KINDS.items():
        row = stored.get(code)
        result.append(
            Preference(
                kind=code,
                label=kind.label,
                optional=kind.optional,
                subscribed=row.subscribed if row else not kind.optional,
                email=row.email if row else kind.email_by_default,
            )
        )
    return result


def preference_for(session: Session, user: User, kind: str) -> Preference:
    return next(p for p in preferences_of(session, user) if p.kind == kind)


def set_preferences(
    session: Session,
    *,
    actor: User,
    email_kinds: set[str],
    subscribed_kinds: set[str],
    now: datetime,
) -> list[Preference]:
    """The person's own choices: which kinds also come by email, which optional kinds they
    want at all. Unknown kinds are ignored (a form only offers the known ones)."""
    stored = {
        row.kind: row
        for row in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == actor.id)
        )
    }
    for code, kind in KINDS.items():
        row = stored.get(code)
        if row is None:
            row = NotificationPreference(user_id=actor.id, kind=code)
            session.add(row)
        row.subscribed = code in subscribed_kinds if kind.optional else True
        row.email = code in email_kinds
        row.updated_at = now
    session.flush()
    return preferences_of(session, actor)


def subscribers(session: Session, kind: str):
    """A select of the people who opted in to an optional kind."""
    return (
        select(User)
        .join(NotificationPreference, NotificationPreference.user_id == User.id)
        .where(
            NotificationPreference.kind == kind,
            NotificationPreference.subscribed.is_(True),
            User.active.is_(True),
        )
        .order_by(User.id)
    )


def notify(
    session: Session,
    *,
    recipient: User,
    kind: str,
    text: str,
    now: datetime,
    link: str | None = None,
    base_url: str = "",
    subject: str | None = None,
) -> Notification:
    """Put a notification in the person's inbox and, if they have an email address and want
    this kind by email, queue an email too (sent after the caller's commit). ``text`` and
    ``subject`` are in the recipient's language (``app.language.speaker(recipient.locale)``):
    the inbox keeps them as written, and the email's own words are added in it too."""
    if kind not in KINDS:
        raise ValueError(f"Unknown kind of notification: {kind!r}")
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    notification = Notification(
        recipient_id=recipient.id,
        kind=kind,
        text=text,
        link=link,
        created_at=now,
        locale=speaker(recipient.locale).locale,
    )
    session.add(notification)
    if recipient.email and preference_for(session, recipient, kind).email:
        body = text
        if link:
            body += f"\n\n{base_url.rstrip('/')}{link}"
        body += "\n\n" + speaker(recipient.locale).gettext(
            "You can see this in your Give and Get inbox, and choose which messages come "
            "by email: %(link)s",
            link=f"{base_url.rstrip('/')}/inbox/preferences",
        )
        queue_email(session, to=recipient.email, subject=subject or text.split("\n")[0], body=body)
    session.flush()
    return notification


# --- reading the inbox ----------------------------------------------------------------------


def inbox_query(user: User):
    """The person's notifications, unread first, newest first within each."""
    return (
        select(Notification)
        .where(Notification.recipient_id == user.id)
        .order_by(
            Notification.read_at.is_not(None),
            Notification.created_at.desc(),
            Notification.id.desc(),
        )
    )


def unread_count(session: Session, user: User) -> int:
    """One indexed count, for the header on every page."""
    return session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
    )


def mark_read(
    session: Session, *, actor: User, notification_id: int, now: datetime
) -> Notification:
    """Only the recipient marks their own; anyone else's is simply not found."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.recipient_id != actor.id:
        raise NotFound(N_("We could not find that notification."))
    if notification.read_at is None:
        notification.read_at = now
    return notification


def mark_all_read(session: Session, *, actor: User, now: datetime) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.recipient_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def waiting_for(
    session: Session, *, actor: User, member_id: int, now: datetime
) -> tuple[User, list[Notification]]:
    """What is unread in a member's inbox, for a coordinator of their organisation (a member
    without email sees it only when they sign in, or when the coordinator tells them)."""
    person = session.get(User, member_id)
    # Reminders name plan reviews and referrals: special category data, so the health-data
    # rule (the person's own organisation's coordinators), and the look is audited.
    if person is None or not coordinates_health_data(actor, person.organisation_id):
        raise NotFound(N_("We could not find that member."))
    audit.record(
        session,
        actor=actor,
        action="inbox.viewed",
        object_type="user",
        object_id=person.id,
        member=person,
        now=now,
    )
    unread = list(
        session.scalars(
            select(Notification)
            .where(Notification.recipient_id == person.id, Notification.read_at.is_(None))
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(200)
        )
    )
    return person, unread
