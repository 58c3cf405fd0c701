"""The contribution report: what an organisation's community gave in a period, exactly.

Every figure is an SQL aggregate (no loop over exchange rows here): the exchange figures from
confirmed exchanges whose ``occurred_on`` is in the period (both ends included; a reversed
exchange's status is ``reversed``, so it never counts), the people figures from the members'
hours accounts on either side (the organisation's own account and its chest are not people).
What leaves the organisation goes through ``app.reports.disclosure`` first.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from ..auth.models import Organisation, User
from ..clock import LONDON, london_date
from ..errors import ValidationFailed
from ..i18n import N_
from ..matching.models import Match
from ..peers.models import PlanSupport, Referral, SupportPlan
from ..timebank.categories import category_name
from ..timebank.models import Account, Exchange

MAX_YEARS = 5
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999
# What is wrong with a period's ends, in the words the report page shows (translated there, with
# the values put in the same way).
PERIOD_PROBLEMS = (
    N_("Enter a date, like 2026-01-31."),
    N_("Enter a real date as YYYY-MM-DD, like 2026-01-31."),
    N_("Enter a year from %(earliest)s to %(latest)s."),
    N_("The end of the period must be the same as or after its start."),
    N_("A report covers at most %(years)s years."),
)
NO_DATE, NOT_A_DATE, YEAR_OUT_OF_RANGE, END_BEFORE_START, TOO_LONG = PERIOD_PROBLEMS
PERIOD_VALUES = {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR, "years": MAX_YEARS}
UNKNOWN_DISTRICT = N_("Not known")  # shown on the report page in its language
# Give-and-get supports the ledger and matches can deliver (community groups and family are
# planned too, but nothing here records them).
DELIVERABLE_TYPES = ("timebank", "peer")
DAYS_A_YEAR = 365


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def as_dict(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[first moment, first moment after) of the period in England, as naive UTC."""

        def midnight(day: date) -> datetime:
            moment = datetime.combine(day, time(), tzinfo=LONDON)
            return moment.astimezone(UTC).replace(tzinfo=None)

        return midnight(self.start), midnight(self.end + timedelta(days=1))

    def months(self) -> list[str]:
        found, year, month = [], self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            found.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _parse_date(raw: Any, name: str, problems: dict[str, str]) -> date | None:
    if raw is None or raw == "":
        problems[name] = NO_DATE
        return None
    if not isinstance(raw, str) or not _ISO_DATE.fullmatch(raw):
        problems[name] = NOT_A_DATE
        return None
    try:
        parsed = date.fromisoformat(raw)
    except ValueError:
        problems[name] = NOT_A_DATE
        return None
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        problems[name] = YEAR_OUT_OF_RANGE % PERIOD_VALUES
        return None
    return parsed


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, month=3, day=1)


def parse_period(raw_from: Any, raw_to: Any) -> Period:
    """A period from the request's ``from`` and ``to`` (YYYY-MM-DD), both ends included, at most
    five years, ``from`` not after ``to``. Anything else is ValidationFailed naming the field."""
    problems: dict[str, str] = {}
    start = _parse_date(raw_from, "from", problems)
    end = _parse_date(raw_to, "to", problems)
    if start and end:
        if start > end:
            problems["to"] = END_BEFORE_START
        elif end >= _years_after(start, MAX_YEARS):
            problems["to"] = TOO_LONG % PERIOD_VALUES
    if problems:
        raise ValidationFailed(N_("Choose a period for the report."), fields=problems)
    assert start is not None and end is not None
    return Period(start, end)


def month_period(month: str) -> Period:
    """``2026-03`` → 1 to 31 March 2026."""
    if not isinstance(month, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}", month):
        raise ValidationFailed(
            N_("Give the month as YYYY-MM."), fields={"month": N_("Use YYYY-MM.")}
        )
    year, number = int(month[:4]), int(month[5:])
    if not (1 <= number <= 12 and EARLIEST_YEAR <= year <= LATEST_YEAR):
        raise ValidationFailed(
            N_("Give the month as YYYY-MM."), fields={"month": N_("Use YYYY-MM.")}
        )
    first = date(year, number, 1)
    following = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return Period(first, following - timedelta(days=1))


def social_value_pence(minutes: int, hourly_rate_pence: int) -> int:
    """Hours × the hourly rate, to the nearest penny (halves up), in integers only."""
    return (minutes * hourly_rate_pence + 30) // 60


@dataclass
class ContributionReport:
    organisation_id: int
    period: Period
    hourly_rate_pence: int
    hours_exchanged_minutes: int = 0
    exchanges: int = 0
    active_members: int = 0
    members_giving: int = 0
    members_receiving: int = 0
    members_both: int = 0
    new_members: int = 0
    peer_matches_introduced: int = 0
    median_days_signoff_to_introduction: float | int | None = None
    peer_support_minutes: int = 0
    peers_giving_support: int = 0
    social_value_pence: int = 0
    by_category: list[dict[str, Any]] = field(default_factory=list)
    by_locality: list[dict[str, Any]] = field(default_factory=list)
    by_month: list[dict[str, Any]] = field(default_factory=list)
    give_and_get: dict[str, int] = field(default_factory=dict)
    # Across partner organisations: the minutes this organisation's members gave to partners'
    # members, and received from them; and one row per partner.
    partner_minutes_given: int = 0
    partner_minutes_received: int = 0
    by_partner: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["period"] = self.period.as_dict()
        return body


# --- the queries --------------------------------------------------------------------------------


def _confirmed_in(organisation_id: int, period: Period):
    """Confirmed in the period, in this organisation's books: an exchange across organisations
    counts once for each side (each side's report counts only its own members)."""
    return and_(
        or_(
            Exchange.organisation_id == organisation_id,
            Exchange.partner_organisation_id == organisation_id,
        ),
        Exchange.status == "confirmed",
        Exchange.occurred_on.between(period.start, period.end),
    )


def _sides(organisation_id: int, period: Period):
    """One row per member side of each exchange in the period: (user, gave, got, minutes, …)."""
    where = _confirmed_in(organisation_id, period)
    gave = select(
        Exchange.provider_account_id.label("account_id"),
        literal(1).label("gave"),
        literal(0).label("got"),
        Exchange.minutes.label("minutes"),
        Exchange.category.label("category"),
        Exchange.occurred_on.label("occurred_on"),
    ).where(where)
    got = select(
        Exchange.receiver_account_id.label("account_id"),
        literal(0).label("gave"),
        literal(1).label("got"),
        Exchange.minutes.label("minutes"),
        Exchange.category.label("category"),
        Exchange.occurred_on.label("occurred_on"),
    ).where(where)
    sides = union_all(gave, got).subquery("sides")
    return (
        select(
            Account.user_id.label("user_id"),
            sides.c.gave,
            sides.c.got,
            sides.c.minutes,
            sides.c.category,
            sides.c.occurred_on,
        )
        .join(Account, Account.id == sides.c.account_id)
        .where(Account.kind == "member", Account.organisation_id == organisation_id)
        .subquery("member_sides")
    )


def _district():
    # Postcodes are stored normalised ("LS6 2AB"): the district is all but the last 4 characters.
    return func.substr(User.postcode, 1, func.length(User.postcode) - 4)


def _people(session: Session, organisation_id: int, period: Period, breakdowns: bool):
    sides = _sides(organisation_id, period)
    per_person = (
        select(
            sides.c.user_id,
            func.max(sides.c.gave).label("gave"),
            func.max(sides.c.got).label("got"),
            func.sum(sides.c.minutes * sides.c.gave).label("minutes_given"),
            func.sum(sides.c.minutes * sides.c.got).label("minutes_received"),
        )
        .group_by(sides.c.user_id)
        .subquery("per_person")
    )
    both = case((per_person.c.gave + per_person.c.got == 2, 1), else_=0)
    localities: list[dict[str, Any]] = []
    category_people: dict[str, int] = {}
    month_people: dict[str, int] = {}
    if not breakdowns:
        totals = session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(per_person.c.gave), 0),
                func.coalesce(func.sum(per_person.c.got), 0),
                func.coalesce(func.sum(both), 0),
            ).select_from(per_person)
        ).one()
        return tuple(totals), localities, category_people, month_people
    # With breakdowns the totals are the sums of the districts' rows (each person has one).
    district = func.coalesce(_district(), UNKNOWN_DISTRICT).label("district")
    totals = [0, 0, 0, 0]
    for row in session.execute(
        select(
            district,
            func.count(),
            func.sum(per_person.c.gave),
            func.sum(per_person.c.got),
            func.sum(both),
            func.sum(per_person.c.minutes_given),
            func.sum(per_person.c.minutes_received),
        )
        .join(User, User.id == per_person.c.user_id)
        .group_by(district)
        .order_by(district)
    ):
        totals = [t + int(n) for t, n in zip(totals, row[1:5], strict=True)]
        localities.append(
            {
                "district": row[0],
                "people": row[1],
                "minutes_given": int(row[5]),
                "minutes_received": int(row[6]),
            }
        )
    # People in each category and month: group to (key, person) first, then count; PostgreSQL
    # hashes that, where count(DISTINCT …) would sort.
    pairs = select(sides.c.category, sides.c.user_id).group_by(sides.c.category, sides.c.user_id)
    pairs = pairs.subquery("category_people")
    category_people = dict(
        session.execute(select(pairs.c.category, func.count()).group_by(pairs.c.category)).all()
    )
    year = cast(extract("year", sides.c.occurred_on), Integer).label("year")
    month = cast(extract("month", sides.c.occurred_on), Integer).label("month")
    monthly = select(year, month, sides.c.user_id).group_by(year, month, sides.c.user_id)
    monthly = monthly.subquery("month_people")
    for y, m, n in session.execute(
        select(monthly.c.year, monthly.c.month, func.count()).group_by(
            monthly.c.year, monthly.c.month
        )
    ):
        month_people[f"{int(y):04d}-{int(m):02d}"] = n
    return totals, localities, category_people, month_people


def _matches(session: Session, organisation_id: int, period: Period):
    start, after = period.utc_bounds()
    introduced = and_(
        Match.organisation_id == organisation_id,
        Match.introduced_at >= start,
        Match.introduced_at < after,
    )
    count = session.scalar(select(func.count()).select_from(Match).where(introduced))
    # One row per introduction whose referral came from a signed-off plan (matches, not exchanges).
    pairs = session.execute(
        select(SupportPlan.signed_off_at, Match.introduced_at)
        .join(Referral, Referral.id == Match.referral_id)
        .join(SupportPlan, SupportPlan.id == Referral.plan_id)
        .where(
            introduced,
            SupportPlan.signed_off_at.is_not(None),
            SupportPlan.signed_off_at <= Match.introduced_at,
        )
    ).all()
    days = [(london_date(at) - london_date(signed)).days for signed, at in pairs]
    median = statistics.median(days) if days else None
    if isinstance(median, float) and median.is_integer():
        median = int(median)
    return count or 0, median


def _give_and_get(session: Session, organisation_id: int, period: Period) -> dict[str, int]:
    """Planned: each signed-off plan's deliverable give-and-get hours a month, for the days of the
    period from its sign-off (a month being a twelfth of 365 days). Delivered: confirmed minutes
    in the period that those people received after sign-off, from members or from a peer."""
    plans = session.execute(
        select(
            SupportPlan.member_id,
            SupportPlan.signed_off_on,
            func.coalesce(func.sum(PlanSupport.hours_per_month), 0),
        )
        .outerjoin(
            PlanSupport,
            and_(
                PlanSupport.plan_id == SupportPlan.id,
                PlanSupport.version == SupportPlan.version,  # the current version's supports
                PlanSupport.kind == "give_and_get",
                PlanSupport.type.in_(DELIVERABLE_TYPES),
            ),
        )
        .where(
            SupportPlan.organisation_id == organisation_id,
            SupportPlan.status == "signed_off",
            SupportPlan.signed_off_on <= period.end,
        )
        .group_by(SupportPlan.id, SupportPlan.member_id, SupportPlan.signed_off_on)
    ).all()
    planned_twelfths = 0
    for _member, signed_off_on, hours in plans:  # one row per plan
        days = (period.end - max(period.start, signed_off_on)).days + 1
        planned_twelfths += int(hours) * 60 * days * 12
    planned = (planned_twelfths + DAYS_A_YEAR // 2) // DAYS_A_YEAR
    receiver = Account.__table__.alias("receiver")
    person = func.coalesce(Referral.member_id, receiver.c.user_id)
    delivered = session.scalar(
        select(func.coalesce(func.sum(Exchange.minutes), 0))
        .select_from(Exchange)
        .join(receiver, receiver.c.id == Exchange.receiver_account_id)
        .outerjoin(Match, Match.id == Exchange.match_id)
        .outerjoin(Referral, Referral.id == Match.referral_id)
        .where(
            _confirmed_in(organisation_id, period),
            or_(receiver.c.kind == "member", Exchange.match_id.is_not(None)),
            select(SupportPlan.id)
            .where(
                SupportPlan.member_id == person,
                SupportPlan.organisation_id == organisation_id,
                SupportPlan.status == "signed_off",
                SupportPlan.signed_off_on <= Exchange.occurred_on,
            )
            .exists(),
        )
    )
    return {
        "people": len({member for member, _, _ in plans}),
        "planned_minutes": planned,
        "delivered_minutes": int(delivered or 0),
    }


def _across_partners(session: Session, organisation_id: int, period: Period):
    """Hours that flowed each way between this organisation's members and each partner's."""
    rows = session.execute(
        select(
            Exchange.organisation_id,
            Exchange.partner_organisation_id,
            Exchange.provider_account_id,
            Exchange.receiver_account_id,
            Exchange.minutes,
        ).where(_confirmed_in(organisation_id, period), Exchange.partnership_id.is_not(None))
    ).all()
    if not rows:
        return []
    per_partner: dict[int, dict[str, Any]] = {}
    for home, away, provider, receiver, minutes in rows:
        gave = home == organisation_id
        partner_id = away if gave else home
        row = per_partner.setdefault(
            partner_id, {"exchanges": 0, "minutes_given": 0, "minutes_received": 0, "ours": set()}
        )
        row["exchanges"] += 1
        row["minutes_given" if gave else "minutes_received"] += minutes
        row["ours"].add(provider if gave else receiver)
    names = dict(
        session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(per_partner))
        ).all()
    )
    return [
        {
            "partner_organisation_id": partner_id,
            "name": names[partner_id],
            "people": len(row["ours"]),
            "exchanges": row["exchanges"],
            "minutes_given": row["minutes_given"],
            "minutes_received": row["minutes_received"],
        }
        for partner_id, row in sorted(per_partner.items(), key=lambda item: names[item[0]])
    ]


def compute_contribution(
    session: Session, organisation: Organisation, period: Period, *, breakdowns: bool = True
) -> ContributionReport:
    """The exact figures (no permission check: callers are the guarded service, jobs, benches)."""
    organisation_id = organisation.id
    if breakdowns and session.get_bind().dialect.name == "postgresql":
        # The breakdowns hash a few hundred thousand (person, month) pairs: with the default
        # 4 MB they spill to disk. For this transaction only.
        session.execute(text("SET LOCAL work_mem = '64MB'"))
    report = ContributionReport(organisation_id, period, organisation.hourly_rate_pence)
    exchanges, minutes = session.execute(
        select(func.count(), func.coalesce(func.sum(Exchange.minutes), 0)).where(
            _confirmed_in(organisation_id, period)
        )
    ).one()
    report.exchanges, report.hours_exchanged_minutes = exchanges, int(minutes)
    report.social_value_pence = social_value_pence(
        report.hours_exchanged_minutes, report.hourly_rate_pence
    )
    totals, localities, category_people, month_people = _people(
        session, organisation_id, period, breakdowns
    )
    (
        report.active_members,
        report.members_giving,
        report.members_receiving,
        report.members_both,
    ) = (int(n) for n in totals)
    start, after = period.utc_bounds()
    report.new_members = session.scalar(
        select(func.count())
        .select_from(User)
        .join(Account, and_(Account.user_id == User.id, Account.kind == "member"))
        .where(
            User.organisation_id == organisation_id,
            User.created_at >= start,
            User.created_at < after,
        )
    )
    report.peer_matches_introduced, report.median_days_signoff_to_introduction = _matches(
        session, organisation_id, period
    )
    support_minutes, peers = session.execute(
        select(
            func.coalesce(func.sum(Exchange.minutes), 0),
            func.count(func.distinct(Exchange.provider_account_id)),
        ).where(_confirmed_in(organisation_id, period), Exchange.match_id.is_not(None))
    ).one()
    report.peer_support_minutes, report.peers_giving_support = int(support_minutes), peers
    report.give_and_get = _give_and_get(session, organisation_id, period)
    report.by_partner = _across_partners(session, organisation_id, period)
    report.partner_minutes_given = sum(row["minutes_given"] for row in report.by_partner)
    report.partner_minutes_received = sum(row["minutes_received"] for row in report.by_partner)
    if not breakdowns:
        report.by_partner = []
    if breakdowns:
        report.by_locality = localities
        category = Exchange.category
        for code, count, total in session.execute(
            select(category, func.count(), func.sum(Exchange.minutes))
            .where(_confirmed_in(organisation_id, period))
            .group_by(category)
            .order_by(category)
        ):
            report.by_category.append(
                {
                    "category": code,
                    "name": category_name(code),
                    "people": category_people.get(code, 0),
                    "exchanges": count,
                    "minutes": int(total),
                }
            )
        year = cast(extract("year", Exchange.occurred_on), Integer)
        month = cast(extract("month", Exchange.occurred_on), Integer)
        by_month = {
            f"{int(y):04d}-{int(m):02d}": (count, int(total))
            for y, m, count, total in session.execute(
                select(year, month, func.count(), func.sum(Exchange.minutes))
                .where(_confirmed_in(organisation_id, period))
                .group_by(year, month)
            )
        }
        for key in period.months():
            count, total = by_month.get(key, (0, 0))
            report.by_month.append(
                {
                    "month": key,
                    "people": month_people.get(key, 0),
                    "exchanges": count,
                    "minutes": total,
                }
            )
    return report
