"""The reports' use cases: the contribution report as the actor may see it, where the hourly
rate came from, and monthly snapshots that fix published figures for good.

Services take the session, the actor and ``now``; they never import Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..audit import AuditEvent
from ..auth.models import Organisation, User
from ..clock import london_date
from ..errors import Forbidden, NotFound, ValidationFailed
from ..i18n import N_
from . import disclosure as dc
from .commissioners import compute_commissioners
from .contribution import Period, compute_contribution, month_period
from .models import ReportSnapshot
from .permissions import can_read_reports, can_see_organisation

RATE_SET = "organisation.hourly_rate_set"


def report_organisation(session: Session, actor: User, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not can_see_organisation(actor, organisation_id):
        raise NotFound(N_("We could not find that organisation."))
    if not can_read_reports(actor, organisation_id):
        raise Forbidden(N_("Only the organisation's coordinators can see its reports."))
    return organisation


RATE_NEVER_SET = N_(
    "%(pounds)s an hour: the rate every organisation starts with, not changed in the "
    "organisation's settings since."
)
RATE_SET_BY = N_("%(pounds)s an hour: set in the organisation's settings by %(name)s on %(day)s.")
RATE_SET_BY_SOMEONE = N_(
    "%(pounds)s an hour: set in the organisation's settings by someone no longer named on %(day)s."
)


@dataclass(frozen=True)
class RateSource:
    hourly_rate_pence: int
    set_by: str | None
    set_on: date | None

    @property
    def sentence(self) -> str:
        """Which of the sentences above says where the rate came from (its values: ``pounds``,
        ``name`` and ``day``, which a page puts in as its language writes them)."""
        if self.set_on is None:
            return RATE_NEVER_SET
        return RATE_SET_BY if self.set_by else RATE_SET_BY_SOMEONE

    @property
    def text(self) -> str:
        pounds = f"£{self.hourly_rate_pence // 100:,}.{self.hourly_rate_pence % 100:02d}"
        day = f"{self.set_on:%-d %B %Y}" if self.set_on else ""
        return self.sentence % {"pounds": pounds, "name": self.set_by, "day": day}


def rate_source(session: Session, organisation: Organisation) -> RateSource:
    """Who set the hourly rate and when, from the audit trail (the settings record it)."""
    row = session.execute(
        select(AuditEvent.at, User.name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            AuditEvent.action == RATE_SET,
            AuditEvent.object_type == "organisation",
            AuditEvent.object_id == organisation.id,
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return RateSource(organisation.hourly_rate_pence, None, None)
    return RateSource(organisation.hourly_rate_pence, row[1], london_date(row[0]))


def disclosed_report(
    session: Session,
    organisation: Organisation,
    period: Period,
    disclosure: str,
    *,
    breakdowns: bool = True,
) -> dict[str, Any]:
    if disclosure not in dc.DISCLOSURES:
        raise ValidationFailed(
            N_("Choose coordinator or published."),
            fields={"disclosure": N_("Choose a disclosure.")},
        )
    exact = compute_contribution(session, organisation, period, breakdowns=breakdowns)
    body = dc.disclose(exact.as_dict(), disclosure)
    body["hourly_rate_source"] = rate_source(session, organisation).text
    if breakdowns:
        body["commissioners"] = dc.disclose_commissioners(
            compute_commissioners(session, organisation.id, period), disclosure
        )
    return body


def contribution_for(
    session: Session,
    actor: User,
    organisation_id: int,
    period: Period,
    disclosure: str,
    now: datetime,
) -> dict[str, Any]:
    """The contribution report as ``disclosure`` shows it, for the organisation's coordinators."""
    organisation = report_organisation(session, actor, organisation_id)
    return disclosed_report(session, organisation, period, disclosure)


# --- snapshots ----------------------------------------------------------------------------------


def take_monthly_snapshot(
    session: Session, organisation_id: int, month: str | date, now: datetime
) -> list[ReportSnapshot]:
    """Keep the month's report at both levels of disclosure, once. A month is taken only after
    it has ended (in England), and running this again returns what was kept, unchanged, so a
    figure once published never moves (a reversal afterwards changes live reports only)."""
    key = month if isinstance(month, str) else f"{month.year:04d}-{month.month:02d}"
    period = month_period(key)
    if london_date(now) <= period.end:
        raise ValidationFailed(
            N_("A month is kept once it has ended."),
            fields={"month": N_("Choose a month that has ended.")},
        )
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(N_("We could not find that organisation."))
    kept = []
    for disclosure in dc.DISCLOSURES:
        existing = _find_snapshot(session, organisation_id, period, disclosure)
        if existing is None:
            body = disclosed_report(session, organisation, period, disclosure)
            try:
                with session.begin_nested():  # a second scheduler may have just kept it
                    existing = ReportSnapshot(
                        organisation_id=organisation_id,
                        period_start=period.start,
                        period_end=period.end,
                        disclosure=disclosure,
                        body=body,
                        created_at=now,
                    )
                    session.add(existing)
            except IntegrityError:
                existing = _find_snapshot(session, organisation_id, period, disclosure)
        kept.append(existing)
    return kept


def _find_snapshot(
    session: Session, organisation_id: int, period: Period, disclosure: str
) -> ReportSnapshot | None:
    return session.scalar(
        select(ReportSnapshot).where(
            ReportSnapshot.organisation_id == organisation_id,
            ReportSnapshot.period_start == period.start,
            ReportSnapshot.period_end == period.end,
            ReportSnapshot.disclosure == disclosure,
        )
    )


def snapshots_for(
    session: Session, actor: User, organisation_id: int, disclosure: str | None = None
) -> list[ReportSnapshot]:
    """The kept snapshots, newest period first (the organisation's coordinators)."""
    report_organisation(session, actor, organisation_id)
    statement = select(ReportSnapshot).where(ReportSnapshot.organisation_id == organisation_id)
    if disclosure is not None:
        statement = statement.where(ReportSnapshot.disclosure == disclosure)
    return list(
        session.scalars(
            statement.order_by(ReportSnapshot.period_start.desc(), ReportSnapshot.disclosure)
        )
    )
