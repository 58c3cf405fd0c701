"""What needs doing today in a coordinator's organisation: each item a label, a count and a
link, built from cheap counts. The page renders the list as it comes, so a new capability adds
an item here and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..auth.models import User
from ..auth.permissions import coordinates_health_data, is_coordinator
from ..clock import london_date
from ..errors import Forbidden
from ..i18n import N_
from ..jobs.runs import check_in_due
from ..matching.models import Match, MatchCheckIn
from ..peers.models import PeerProfile, Referral, SupportPlan
from ..timebank.exchanges import OVERDUE_DAYS
from ..timebank.models import Exchange

REVIEW_WARNING_DAYS = 14


@dataclass(frozen=True)
class DashboardItem:
    key: str
    label: str  # marked with N_, translated on the page, with label_values filled in there
    count: int
    link: str
    label_values: dict[str, int] = field(default_factory=dict)


def _count(session: Session, statement) -> int:
    return session.scalar(select(func.count()).select_from(statement.subquery()))


def referral_queue(session: Session, actor: User, now: datetime) -> DashboardItem:
    waiting = select(Referral.id).where(
        Referral.organisation_id == actor.organisation_id, Referral.status == "waiting"
    )
    return DashboardItem(
        "referral_queue", N_("People waiting for a peer"), _count(session, waiting), "/referrals"
    )


def exchanges_waiting(session: Session, actor: User, now: datetime) -> DashboardItem:
    overdue = select(Exchange.id).where(
        Exchange.organisation_id == actor.organisation_id,
        Exchange.status == "pending",
        Exchange.created_at < now - timedelta(days=OVERDUE_DAYS),
    )
    return DashboardItem(
        "exchanges_waiting",
        N_("Exchanges waiting more than a week to be confirmed"),
        _count(session, overdue),
        "/exchanges/overdue",
    )


def matches_needing_check_in(session: Session, actor: User, now: datetime) -> DashboardItem:
    """Introduced matches whose 2-week or 3-month check-in has fallen due and is not recorded
    (the same rule the check-in reminder job uses)."""
    today = london_date(now)
    matches = session.execute(
        select(Match.id, Match.introduced_at).where(
            Match.organisation_id == actor.organisation_id, Match.status == "introduced"
        )
    ).all()
    done: dict[int, set[str]] = {}
    for match_id, kind in session.execute(
        select(MatchCheckIn.match_id, MatchCheckIn.kind).where(
            MatchCheckIn.match_id.in_([row.id for row in matches])
        )
    ):
        done.setdefault(match_id, set()).add(kind)
    due = sum(
        1
        for row in matches
        if check_in_due(row.introduced_at, today, done.get(row.id, set())) is not None
    )
    return DashboardItem(
        "matches_needing_check_in",
        N_("Peer matches due a check-in (2 weeks or 3 months after the introduction)"),
        due,
        "/matches?status=introduced",
    )


def reviews_due(session: Session, actor: User, now: datetime) -> DashboardItem:
    horizon = london_date(now) + timedelta(days=REVIEW_WARNING_DAYS)
    due = select(SupportPlan.id).where(
        SupportPlan.organisation_id == actor.organisation_id,
        SupportPlan.status == "signed_off",
        SupportPlan.next_review_on <= horizon,
    )
    return DashboardItem(
        "reviews_due",
        N_("Support plan reviews due in the next %(days)s days or overdue"),
        _count(session, due),
        "/plans",
        {"days": REVIEW_WARNING_DAYS},
    )


def peers_awaiting_approval(session: Session, actor: User, now: datetime) -> DashboardItem:
    drafts = select(PeerProfile.id).where(
        PeerProfile.organisation_id == actor.organisation_id, PeerProfile.approved_at.is_(None)
    )
    return DashboardItem(
        "peers_awaiting_approval",
        N_("Peers waiting for approval"),
        _count(session, drafts),
        "/peers",
    )


ITEMS: list[Callable[[Session, User, datetime], DashboardItem]] = [
    referral_queue,
    matches_needing_check_in,
    exchanges_waiting,
    reviews_due,
    peers_awaiting_approval,
]


def todays_work(session: Session, *, actor: User, now: datetime) -> list[DashboardItem]:
    """The coordinator's own organisation (referrals, plans and peers are special category
    data: an administrator sees their own organisation's, as everywhere else)."""
    if not is_coordinator(actor) or not coordinates_health_data(actor, actor.organisation_id):
        raise Forbidden(N_("Only coordinators can see the dashboard."))
    return [item(session, actor, now) for item in ITEMS]
