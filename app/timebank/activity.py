"""What each coordinator did to the books: the members they added, the exchanges they recorded,
the hours they credited and the corrections they made. Administrators read it to spot a
coordinator crediting themselves through people they control (issue 15)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from ..audit import AuditEvent
from ..auth.models import Organisation, User
from ..auth.permissions import COORDINATING_ROLES, can_see_coordinator_activity
from ..errors import Forbidden
from ..wording import N_
from .models import Account, Exchange, LedgerTransaction, Leg
from .permissions import NEW_MEMBER_DAYS

CREDITING_KINDS = ("exchange", "grant")
RECENT_ACTIONS = 100


@dataclass(frozen=True)
class CoordinatorActivity:
    coordinator_id: int
    name: str
    organisation: str
    members_added: int
    exchanges_recorded: int
    credits: int
    minutes_credited: int
    reversals: int
    settings_changes: int


@dataclass(frozen=True)
class CoordinatorAction:
    at: datetime
    coordinator: str
    what: str  # "added a member", "credited", "granted", "reversed"
    member: str | None
    minutes: int | None


@dataclass(frozen=True)
class ActivityReport:
    since: datetime
    coordinators: list[CoordinatorActivity]
    recent: list[CoordinatorAction]


def coordinator_activity(
    session: Session, actor: User, now: datetime, days: int = NEW_MEMBER_DAYS
) -> ActivityReport:
    """Every coordinator's activity over the last ``days`` days, busiest creditor first, and the
    latest of their actions. The page and ``GET /api/v1/coordinator-activity`` both show it."""
    if not can_see_coordinator_activity(actor):
        raise Forbidden(N_("Only administrators can see what every coordinator did."))
    since = now - timedelta(days=days)
    coordinators = session.execute(
        select(User.id, User.name, Organisation.name)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(User.role.in_(COORDINATING_ROLES))
        .order_by(Organisation.name, User.name)
    ).all()

    def counts(statement) -> dict[int, tuple]:
        return {row[0]: tuple(row[1:]) for row in session.execute(statement)}

    added = counts(
        select(User.created_by_id, func.count())
        .where(User.created_by_id.is_not(None), User.created_at >= since)
        .group_by(User.created_by_id)
    )
    recorded = counts(
        select(Exchange.recorded_by_id, func.count())
        .where(Exchange.created_at >= since)
        .group_by(Exchange.recorded_by_id)
    )
    credited_minutes = (
        select(Leg.transaction_id, func.sum(Leg.amount_minutes).label("minutes"))
        .where(Leg.amount_minutes > 0)
        .group_by(Leg.transaction_id)
        .subquery()
    )
    posted = counts(
        select(
            LedgerTransaction.created_by_id,
            func.sum(case((LedgerTransaction.kind.in_(CREDITING_KINDS), 1), else_=0)),
            func.sum(
                case(
                    (LedgerTransaction.kind.in_(CREDITING_KINDS), credited_minutes.c.minutes),
                    else_=0,
                )
            ),
            func.sum(case((LedgerTransaction.kind == "reversal", 1), else_=0)),
        )
        .join(credited_minutes, credited_minutes.c.transaction_id == LedgerTransaction.id)
        .where(LedgerTransaction.created_by_id.is_not(None), LedgerTransaction.created_at >= since)
        .group_by(LedgerTransaction.created_by_id)
    )
    settings = counts(
        select(AuditEvent.actor_id, func.count())
        .where(AuditEvent.action == "organisation.settings_changed", AuditEvent.at >= since)
        .group_by(AuditEvent.actor_id)
    )
    rows = []
    for coordinator_id, name, organisation in coordinators:
        credits, minutes, reversals = posted.get(coordinator_id, (0, 0, 0))
        rows.append(
            CoordinatorActivity(
                coordinator_id=coordinator_id,
                name=name,
                organisation=organisation,
                members_added=added.get(coordinator_id, (0,))[0],
                exchanges_recorded=recorded.get(coordinator_id, (0,))[0],
                credits=int(credits or 0),
                minutes_credited=int(minutes or 0),
                reversals=int(reversals or 0),
                settings_changes=settings.get(coordinator_id, (0,))[0],
            )
        )
    rows.sort(key=lambda row: (-row.minutes_credited, row.organisation, row.name))
    return ActivityReport(since=since, coordinators=rows, recent=_recent(session, since))


def _recent(session: Session, since: datetime) -> list[CoordinatorAction]:
    coordinator = aliased(User)
    member = aliased(User)
    actions = [
        CoordinatorAction(at=at, coordinator=who, what="added a member", member=whom, minutes=None)
        for at, who, whom in session.execute(
            select(member.created_at, coordinator.name, member.name)
            .join(coordinator, coordinator.id == member.created_by_id)
            .where(member.created_at >= since)
            .order_by(member.created_at.desc())
            .limit(RECENT_ACTIONS)
        )
    ]
    words = {"exchange": "credited", "grant": "granted", "reversal": "reversed"}
    credited_member = aliased(User)
    for at, who, kind, whom, minutes in session.execute(
        select(
            LedgerTransaction.created_at,
            coordinator.name,
            LedgerTransaction.kind,
            credited_member.name,
            Leg.amount_minutes,
        )
        .join(coordinator, coordinator.id == LedgerTransaction.created_by_id)
        .join(Leg, Leg.transaction_id == LedgerTransaction.id)
        .join(Account, Account.id == Leg.account_id)
        .outerjoin(credited_member, credited_member.id == Account.user_id)
        .where(
            LedgerTransaction.created_at >= since,
            LedgerTransaction.kind.in_(tuple(words)),
            Leg.amount_minutes > 0,
            coordinator.role.in_(COORDINATING_ROLES),
        )
        .order_by(LedgerTransaction.created_at.desc(), Leg.id)
        .limit(RECENT_ACTIONS)
    ):
        actions.append(
            CoordinatorAction(
                at=at,
                coordinator=who,
                what=words[kind],
                member=whom or "the organisation",
                minutes=minutes,
            )
        )
    actions.sort(key=lambda action: action.at, reverse=True)
    return actions[:RECENT_ACTIONS]
