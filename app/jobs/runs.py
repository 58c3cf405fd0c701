"""The jobs. Each takes the session and ``now`` (naive UTC), adds and flushes, and never
commits: whoever runs it (``flask jobs run-due``, the scheduler, a test) owns the unit of work.

Every reminder is claimed first in ``reminder_sent`` under a unique key (kind, object,
recipient, occasion), so a job run twice, or catching up after a week down, sends each
reminder once. Each job sends what is due *now* (a review already overdue gets the overdue
reminder, not a late "due soon" as well).

"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from .. import language
from ..auth.models import Organisation, User
from ..auth.permissions import COORDINATING_ROLES
from ..clock import london_date
from ..errors import Conflict
from ..language import speaker
from ..matching.models import Match, MatchCheckIn
from ..notifications import services as inbox
from ..peers.models import PeerProfile, Referral, SupportPlan
from ..peers.plans import add_months
from ..postcodes import district
from ..reports import services as reports
from ..reports.models import ReportSnapshot
from ..timebank import exchanges as timebank_exchanges
from ..timebank.ledger import BalanceLimit
from ..timebank.models import Account, Exchange, Listing
from ..timebank.permissions import needs_second_coordinator
from ..timebank.services import account_name
from .models import ReminderSent


@dataclass(frozen=True)
class JobSettings:
    """What the jobs read from configuration (``settings_from`` in the CLI builds it)."""

    referral_escalation_days: int = 14
    pending_reminder_days: int = 7
    review_warning_days: int = 14
    listing_warning_days: int = 7
    digest_days: int = 7
    base_url: str = "http://127.0.0.1:5000"
    idempotency_key_hours: int = 24


DEFAULTS = JobSettings()


def format_day(day: date, locale: str | None = None) -> str:
    return language.format_day(day, locale)


# --- sending once ---------------------------------------------------------------------------


def claim(
    session: Session, *, kind: str, object_id: int, recipient_id: int, marker: str, now: datetime
) -> bool:
    """Record that this reminder is being sent; False if it was sent before. The unique key
    settles a race with another copy of the job (the loser's savepoint rolls back)."""
    already = session.scalar(
        select(ReminderSent.id).where(
            ReminderSent.kind == kind,
            ReminderSent.object_id == object_id,
            ReminderSent.recipient_id == recipient_id,
            ReminderSent.due_marker == marker,
        )
    )
    if already is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                ReminderSent(
                    kind=kind,
                    object_id=object_id,
                    recipient_id=recipient_id,
                    due_marker=marker,
                    sent_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


def send_once(
    session: Session,
    *,
    reminder: str,
    object_id: int,
    marker: str,
    recipients: Iterable[User],
    kind: str,
    text_for: Callable[[User], str],
    link: str | None,
    now: datetime,
    settings: JobSettings,
) -> int:
    """Send a reminder to each active recipient who has not had it for this occasion."""
    sent = 0
    seen: set[int] = set()
    for person in recipients:
        if person.id in seen or not person.active:
            continue
        seen.add(person.id)
        if claim(
            session,
            kind=reminder,
            object_id=object_id,
            recipient_id=person.id,
            marker=marker,
            now=now,
        ):
            inbox.notify(
                session,
                recipient=person,
                kind=kind,
                text=text_for(person),
                link=link,
                now=now,
                base_url=settings.base_url,
            )
            sent += 1
    return sent


def coordinators_of(session: Session, organisation_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(
                User.organisation_id == organisation_id,
                User.role.in_(COORDINATING_ROLES),
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


class _Coordinators:
    """Coordinators per organisation, each looked up once per run."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[int, list[User]] = {}

    def __call__(self, organisation_id: int) -> list[User]:
        if organisation_id not in self.cache:
            self.cache[organisation_id] = coordinators_of(self.session, organisation_id)
        return self.cache[organisation_id]


# --- plan reviews ---------------------------------------------------------------------------


def run_plan_reviews(session: Session, now: datetime, settings: JobSettings = DEFAULTS) -> int:
    """Reviews falling due within 14 days, and overdue ones → the person and their
    organisation's coordinators: one "due soon" and one "overdue" per review date."""
    today = london_date(now)
    horizon = today + timedelta(days=settings.review_warning_days)
    coordinators = _Coordinators(session)
    sent = 0
    plans = session.scalars(
        select(SupportPlan)
        .where(SupportPlan.status == "signed_off", SupportPlan.next_review_on <= horizon)
        .options(joinedload(SupportPlan.member))
        .order_by(SupportPlan.id)
    )
    for plan in plans:
        due = plan.next_review_on
        overdue = due < today

        def text_for(person: User, plan=plan, due=due, overdue=overdue) -> str:
            _ = speaker(person.locale).gettext  # every reminder in its recipient's language
            values = {"name": plan.member.name, "day": format_day(due, person.locale)}
            if person.id == plan.member_id:
                if overdue:
                    return _(
                        "Your support plan review is overdue: it was due on %(day)s.", **values
                    )
                return _("Your support plan review is due on %(day)s.", **values)
            if overdue:
                return _(
                    "%(name)s’s support plan review is overdue: it was due on %(day)s.", **values
                )
            return _("%(name)s’s support plan review is due on %(day)s.", **values)

        sent += send_once(
            session,
            reminder="plan_review_overdue" if overdue else "plan_review_due",
            object_id=plan.id,
            marker=due.isoformat(),
            recipients=[plan.member, *coordinators(plan.organisation_id)],
            kind=inbox.PLAN_REVIEW,
            text_for=text_for,
            link=f"/plans/{plan.id}",
            now=now,
            settings=settings,
        )
    return sent


# --- referrals ------------------------------------------------------------------------------


def run_referral_escalations(
    session: Session, now: datetime, settings: JobSettings = DEFAULTS
) -> int:
    """Referrals waiting longer than REFERRAL_ESCALATION_DAYS → the organisation's
    coordinators, once for each referral (a declined proposal keeps its original wait)."""
    cutoff = now - timedelta(days=settings.referral_escalation_days)
    coordinators = _Coordinators(session)
    sent = 0
    referrals = session.scalars(
        select(Referral)
        .where(Referral.status == "waiting", Referral.waiting_since <= cutoff)
        .options(joinedload(Referral.member))
        .order_by(Referral.waiting_since, Referral.id)
    )
    for referral in referrals:
        days = (now - referral.waiting_since).days
        since = london_date(referral.waiting_since)
        sent += send_once(
            session,
            reminder="referral_escalated",
            object_id=referral.id,
            marker=f"after-{settings.referral_escalation_days}d",
            recipients=coordinators(referral.organisation_id),
            kind=inbox.REFERRAL_WAITING,
            text_for=lambda person, r=referral, d=days, s=since: speaker(person.locale).gettext(
                "%(name)s has waited %(days)s days for a peer (since %(day)s).",
                name=r.member.name,
                days=d,
                day=format_day(s, person.locale),
            ),
            link=f"/referrals/{referral.id}",
            now=now,
            settings=settings,
        )
    return sent


# --- exchanges ------------------------------------------------------------------------------


def _pending_exchanges(session: Session, older_than: datetime):
    return (
        select(Exchange)
        .where(Exchange.status == "pending", Exchange.created_at <= older_than)
        .options(
            joinedload(Exchange.provider_account).joinedload(Account.user),
            joinedload(Exchange.receiver_account).joinedload(Account.user),
            joinedload(Exchange.provider_account).joinedload(Account.organisation),
        )
        .order_by(Exchange.created_at, Exchange.id)
    )


def who_must_confirm(exchange: Exchange, coordinators: _Coordinators) -> list[User]:
    """The member the exchange waits for, or — when it waits for the organisation's own
    account — the organisation's coordinators."""
    for account in (exchange.provider_account, exchange.receiver_account):
        if account.id == exchange.awaiting_account_id and account.kind == "member":
            return [account.user]
    return coordinators(exchange.organisation_id)


def _parties(exchange: Exchange, coordinators: _Coordinators) -> list[User]:
    """Both sides: each member, or the coordinators for the organisation's account."""
    people: list[User] = []
    for account in (exchange.provider_account, exchange.receiver_account):
        if account.kind == "member":
            people.append(account.user)
        else:
            people.extend(coordinators(exchange.organisation_id))
    return people


def _about(exchange: Exchange, person: User) -> dict[str, str]:
    """What a reminder says about an exchange, in ``person``'s language."""
    return {
        "time": language.format_minutes(exchange.minutes, person.locale),
        "giver": account_name(exchange.provider_account),
        "receiver": account_name(exchange.receiver_account),
        "day": format_day(exchange.occurred_on, person.locale),
    }


def run_pending_exchange_reminders(
    session: Session, now: datetime, settings: JobSettings = DEFAULTS
) -> int:
    """Exchanges pending more than 7 days → the party who must confirm, once."""
    coordinators = _Coordinators(session)
    sent = 0
    cutoff = now - timedelta(days=settings.pending_reminder_days)
    for exchange in session.scalars(_pending_exchanges(session, cutoff)).unique():
        sent += send_once(
            session,
            reminder="exchange_pending",
            object_id=exchange.id,
            marker=f"after-{settings.pending_reminder_days}d",
            recipients=who_must_confirm(exchange, coordinators),
            kind=inbox.EXCHANGE_PENDING,
            text_for=lambda person, e=exchange: speaker(person.locale).gettext(
                "%(time)s from %(giver)s to %(receiver)s on %(day)s is waiting for you to "
                "confirm it or turn it down.",
                **_about(e, person),
            ),
            link=f"/exchanges/{exchange.id}",
            now=now,
            settings=settings,
        )
    return sent


AUTO_CONFIRM_NOTICE = "exchange_auto_confirm_notice"


def run_auto_confirmations(
    session: Session, now: datetime, settings: JobSettings = DEFAULTS
) -> int:
    """In organisations with ``auto_confirm_days``: a day before, tell the party who must
    confirm that it will be confirmed unless they dispute it; once the days have passed *and*
    that notice is at least a day old, confirm it through the ledger with no actor. A
    balance limit leaves it pending and tells both sides (once). Returns how many confirmed.

    Waiting for the notice means a scheduler that was down never confirms without warning: on
    catching up it gives the notice first, and confirms a day later.
    """
    coordinators = _Coordinators(session)
    confirmed = 0
    days_by_organisation = dict(
        session.execute(
            select(Organisation.id, Organisation.auto_confirm_days).where(
                Organisation.auto_confirm_days.is_not(None)
            )
        ).all()
    )
    if not days_by_organisation:
        return 0
    shortest = min(days_by_organisation.values())
    candidates = session.scalars(
        _pending_exchanges(session, now - timedelta(days=shortest - 1)).where(
            Exchange.disputed_at.is_(None),
            Exchange.organisation_id.in_(list(days_by_organisation)),
            # An exchange across organisations waits for the other side: never automatic.
            Exchange.partner_organisation_id.is_(None),
        )
    ).unique()
    due: list[tuple[Exchange, int]] = []
    for exchange in list(candidates):
        if needs_second_coordinator(exchange) is not None:
            continue  # a coordinator's own new member: a second coordinator confirms, not time
        days = days_by_organisation[exchange.organisation_id]
        due_at = exchange.created_at + timedelta(days=days)
        if now < due_at - timedelta(days=1):
            continue
        notice_at = session.scalar(
            select(func.min(ReminderSent.sent_at)).where(
                ReminderSent.kind == AUTO_CONFIRM_NOTICE, ReminderSent.object_id == exchange.id
            )
        )
        if notice_at is None:
            on = london_date(max(due_at, now + timedelta(days=1)))
            send_once(
                session,
                reminder=AUTO_CONFIRM_NOTICE,
                object_id=exchange.id,
                marker="notice",
                recipients=who_must_confirm(exchange, coordinators),
                kind=inbox.EXCHANGE_AUTO_CONFIRM,
                text_for=lambda person, e=exchange, on=on: speaker(person.locale).gettext(
                    "%(time)s from %(giver)s to %(receiver)s on %(day)s will be confirmed "
                    "automatically on %(on)s unless you confirm it, turn it down or dispute it "
                    "before then.",
                    on=format_day(on, person.locale),
                    **_about(e, person),
                ),
                link=f"/exchanges/{exchange.id}",
                now=now,
                settings=settings,
            )
            continue
        if now < due_at or now < notice_at + timedelta(days=1):
            continue
        due.append((exchange, days))
    timebank_exchanges.lock_for_confirmation(session, [exchange.id for exchange, _ in due])
    for exchange, days in due:
        try:
            with session.begin_nested():
                timebank_exchanges.confirm_automatically(session, exchange_id=exchange.id, now=now)
        except BalanceLimit as error:
            send_once(
                session,
                reminder="exchange_auto_confirm_held",
                object_id=exchange.id,
                marker="balance_limit",
                recipients=_parties(exchange, coordinators),
                kind=inbox.EXCHANGE_AUTO_CONFIRM,
                text_for=lambda person, e=exchange, why=error.message: speaker(
                    person.locale
                ).gettext(
                    "%(time)s from %(giver)s to %(receiver)s on %(day)s could not be "
                    "confirmed automatically: %(why)s It is still waiting.",
                    why=speaker(person.locale).translated(why),
                    **_about(e, person),
                ),
                link=f"/exchanges/{exchange.id}",
                now=now,
                settings=settings,
            )
            continue
        except Conflict:
            continue  # settled, withdrawn or disputed by someone since it was read: nothing to do
        confirmed += 1
        send_once(
            session,
            reminder="exchange_auto_confirmed",
            object_id=exchange.id,
            marker="confirmed",
            recipients=_parties(exchange, coordinators),
            kind=inbox.EXCHANGE_AUTO_CONFIRM,
            text_for=lambda person, e=exchange, d=days: speaker(person.locale).gettext(
                "%(time)s from %(giver)s to %(receiver)s on %(day)s was confirmed "
                "automatically after %(days)s days, and the hours have moved.",
                days=d,
                **_about(e, person),
            ),
            link=f"/exchanges/{exchange.id}",
            now=now,
            settings=settings,
        )
    return confirmed


# --- listings -------------------------------------------------------------------------------


def run_listing_expiry_reminders(
    session: Session, now: datetime, settings: JobSettings = DEFAULTS
) -> int:
    """Listings expiring within a week unless renewed → their owner, once per expiry date."""
    today = london_date(now)
    sent = 0
    listings = session.scalars(
        select(Listing)
        .where(
            Listing.withdrawn_at.is_(None),
            Listing.expires_on >= today,
            Listing.expires_on <= today + timedelta(days=settings.listing_warning_days),
        )
        .options(joinedload(Listing.user))
        .order_by(Listing.expires_on, Listing.id)
    )
    for listing in listings:
        sent += send_once(
            session,
            reminder="listing_expiring",
            object_id=listing.id,
            marker=listing.expires_on.isoformat(),
            recipients=[listing.user],
            kind=inbox.LISTING_EXPIRING,
            text_for=lambda person, item=listing: speaker(person.locale).gettext(
                "Your listing “%(title)s” expires on %(day)s. Renew it to keep it in the listings.",
                title=item.title,
                day=format_day(item.expires_on, person.locale),
            ),
            link=f"/listings/{listing.id}",
            now=now,
            settings=settings,
        )
    return sent


# --- the weekly digest ----------------------------------------------------------------------


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def run_weekly_digest(session: Session, now: datetime, settings: JobSettings = DEFAULTS) -> int:
    """For members who opted in: the offers and requests added in the last week in their
    organisation, by people in their postcode district (their whole organisation when they
    have no postcode). One digest per member per week; none when there is nothing new."""
    today = london_date(now)
    week = iso_week(today)
    since = now - timedelta(days=settings.digest_days)
    new_by_organisation: dict[int, list[Listing]] = {}
    sent = 0
    for member in session.scalars(inbox.subscribers(session, inbox.WEEKLY_DIGEST)):
        if member.organisation_id not in new_by_organisation:
            new_by_organisation[member.organisation_id] = list(
                session.scalars(
                    select(Listing)
                    .where(
                        Listing.organisation_id == member.organisation_id,
                        Listing.created_at >= since,
                        Listing.created_at <= now,
                        Listing.withdrawn_at.is_(None),
                        Listing.expires_on >= today,
                    )
                    .options(joinedload(Listing.user))
                    .order_by(Listing.created_at.desc(), Listing.id.desc())
                )
            )
        home = district(member.postcode) if member.postcode else None
        near = [
            listing
            for listing in new_by_organisation[member.organisation_id]
            if listing.user_id != member.id
            and (
                home is None or (listing.user.postcode and district(listing.user.postcode) == home)
            )
        ]
        if not near:
            continue
        offers = sum(1 for listing in near if listing.kind == "offer")
        requests = len(near) - offers
        say = speaker(member.locale)
        lines = "\n".join(
            say.gettext("- Offer: %(title)s", title=listing.title)
            if listing.kind == "offer"
            else say.gettext("- Request: %(title)s", title=listing.title)
            for listing in near[:20]
        )
        counts = {
            "offers": say.ngettext("%(num)s offer", "%(num)s offers", offers),
            "requests": say.ngettext("%(num)s request", "%(num)s requests", requests),
            "district": home,
            "lines": lines,
        }
        text = (
            say.gettext(
                "New this week in %(district)s: %(offers)s and %(requests)s.\n%(lines)s", **counts
            )
            if home
            else say.gettext(
                "New this week in your organisation: %(offers)s and %(requests)s.\n%(lines)s",
                **counts,
            )
        )
        sent += send_once(
            session,
            reminder="weekly_digest",
            object_id=member.id,
            marker=week,
            recipients=[member],
            kind=inbox.WEEKLY_DIGEST,
            text_for=lambda _person, text=text: text,
            link="/listings",
            now=now,
            settings=settings,
        )
    return sent


# --- all of them ----------------------------------------------------------------------------

# --- matches ---------------------------------------------------------------------------------

# When a match's check-ins fall due, after the introduction: (kind, what to call it, when).
CHECK_INS = (
    ("3_months", "3-month", lambda day: add_months(day, 3)),
    ("2_weeks", "2-week", lambda day: day + timedelta(days=14)),
)


def check_in_due(
    introduced_at: datetime, today: date, done: set[str]
) -> tuple[str, str, date] | None:
    """The check-in a match introduced at ``introduced_at`` needs now: the latest one fallen due
    and not yet recorded (after downtime, a 3-month check-in supersedes a missed 2-week one)."""
    introduced = london_date(introduced_at)
    for kind, words, when in CHECK_INS:
        due = when(introduced)
        if due <= today:
            return None if kind in done else (kind, words, due)
    return None


def run_match_check_ins(session: Session, now: datetime, settings: JobSettings = DEFAULTS) -> int:
    """Introduced matches whose 2-week or 3-month check-in has fallen due and is not recorded →
    both people (the peer and the person supported), once for each check-in."""
    today = london_date(now)
    sent = 0
    matches = session.scalars(
        select(Match)
        .where(Match.status == "introduced", Match.introduced_at.is_not(None))
        .options(
            joinedload(Match.referral).joinedload(Referral.member),
            joinedload(Match.peer).joinedload(PeerProfile.member),
        )
        .order_by(Match.id)
    ).unique()
    for match in matches:
        done = set(
            session.scalars(select(MatchCheckIn.kind).where(MatchCheckIn.match_id == match.id))
        )
        due = check_in_due(match.introduced_at, today, done)
        if due is None:
            continue
        kind, words, day = due
        person, peer = match.referral.member, match.peer.member

        def text_for(recipient: User, kind=kind, day=day, person=person, peer=peer) -> str:
            values = {
                "name": (peer if recipient.id == person.id else person).name,
                "day": format_day(day, recipient.locale),
            }
            _ = speaker(recipient.locale).gettext
            if kind == "2_weeks":
                return _(
                    "Your 2-week check-in on peer support with %(name)s was due on %(day)s. "
                    "Say how it is going.",
                    **values,
                )
            return _(
                "Your 3-month check-in on peer support with %(name)s was due on %(day)s. "
                "Say how it is going.",
                **values,
            )

        sent += send_once(
            session,
            reminder=f"match_check_in_{kind}",
            object_id=match.id,
            marker=kind,
            recipients=[person, peer],
            kind=inbox.MATCH_CHECK_IN,
            text_for=text_for,
            link=f"/matches/{match.id}",
            now=now,
            settings=settings,
        )
    return sent


# --- reports ---------------------------------------------------------------------------------


def run_report_snapshots(session: Session, now: datetime, settings: JobSettings = DEFAULTS) -> int:
    """Keep last month's contribution report for every organisation, once (both levels of
    disclosure), so a figure once published never changes. Returns how many were new."""
    today = london_date(now)
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    before = session.scalar(select(func.count()).select_from(ReportSnapshot))
    for organisation_id in session.scalars(select(Organisation.id).order_by(Organisation.id)):
        reports.take_monthly_snapshot(session, organisation_id, last_month, now)
    return session.scalar(select(func.count()).select_from(ReportSnapshot)) - before


JOBS: dict[str, Callable[[Session, datetime, JobSettings], int]] = {
    "plan_reviews": run_plan_reviews,
    "referral_escalations": run_referral_escalations,
    "pending_exchange_reminders": run_pending_exchange_reminders,
    "auto_confirmations": run_auto_confirmations,
    "listing_expiry_reminders": run_listing_expiry_reminders,
    "weekly_digest": run_weekly_digest,
    "match_check_ins": run_match_check_ins,
    "report_snapshots": run_report_snapshots,
}


def run_due(session: Session, now: datetime, settings: JobSettings = DEFAULTS) -> dict[str, int]:
    """Every job as of ``now``, in one unit of work the caller commits."""
    return {name: job(session, now, settings) for name, job in JOBS.items()}
