"""The contribution report's exact figures equal an independent computation in Python from the
same generated data (reversals, pending exchanges, several categories and districts, peer
support on introduced matches, plans), and snapshots never change once kept."""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest

from app.clock import london_date, utcnow
from app.errors import ValidationFailed
from app.matching import workflow
from app.reports import disclosure as dc
from app.reports import services
from app.reports.contribution import Period, compute_contribution, parse_period
from app.reports.models import ReportSnapshot
from app.timebank import exchanges as ex
from app.timebank import services as timebank
from tests.factories import (
    CoordinatorFactory,
    MatchFactory,
    OrganisationFactory,
    PlanSupportFactory,
    SignedOffSupportPlanFactory,
    UserFactory,
)

POSTCODES = ["LS6 2AB", "LS6 3AA", "LS7 1AB", "LS20 1AA", "BD1 1AA", None]
CATEGORIES = ["cooking", "gardening", "diy", "transport", "befriending"]


@dataclass
class Given:
    provider_user: object | None  # None: the organisation's own account
    receiver_user: object | None
    minutes: int
    category: str
    occurred_on: date
    status: str
    peer_support: bool = False


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12))


def _world(session, seed: int):
    rng = random.Random(seed)
    today = london_date(utcnow())
    period = Period(today - timedelta(days=75), today - timedelta(days=5))
    organisation = OrganisationFactory(
        min_balance_minutes=-100_000, max_balance_minutes=100_000, hourly_rate_pence=1234
    )
    coordinator = CoordinatorFactory(organisation=organisation, postcode="LS6 2AB")
    other_coordinator = CoordinatorFactory(organisation=organisation, postcode=None)
    members = []
    for _ in range(rng.randint(14, 24)):
        joined = utcnow() - timedelta(days=rng.choice([1, 30, 200]))
        members.append(
            UserFactory(
                organisation=organisation, postcode=rng.choice(POSTCODES), created_at=joined
            )
        )
    # Someone in another organisation, whose exchanges never count here.
    stranger_a, stranger_b = UserFactory(), None
    stranger_b = UserFactory(organisation=stranger_a.organisation)
    given: list[Given] = []

    for _ in range(rng.randint(40, 70)):
        provider, receiver = rng.sample(members, 2)
        day = period.start + timedelta(days=rng.randint(-20, period.days + 3))
        day = min(day, today)
        record = Given(
            provider, receiver, rng.randint(1, 240), rng.choice(CATEGORIES), day, "pending"
        )
        exchange = ex.record_exchange(
            session,
            actor=provider,
            new=ex.NewExchange(
                provider=timebank.member_account(session, provider),
                receiver=timebank.member_account(session, receiver),
                minutes=record.minutes,
                category=record.category,
                occurred_on=day,
                description="",
            ),
            now=utcnow(),
        )
        fate = rng.random()
        if fate < 0.8:
            ex.confirm_exchange(session, actor=receiver, exchange_id=exchange.id, now=utcnow())
            record.status = "confirmed"
            if fate < 0.15:
                ex.reverse_exchange(
                    session,
                    actor=coordinator,
                    exchange_id=exchange.id,
                    reason="Mistake",
                    now=utcnow(),
                )
                record.status = "reversed"
        given.append(record)
    ex.confirm_exchange(
        session,
        actor=stranger_b,
        exchange_id=ex.record_exchange(
            session,
            actor=stranger_a,
            new=ex.NewExchange(
                provider=timebank.member_account(session, stranger_a),
                receiver=timebank.member_account(session, stranger_b),
                minutes=90,
                category="cooking",
                occurred_on=period.start,
                description="",
            ),
            now=utcnow(),
        ).id,
        now=utcnow(),
    )

    # Plans, matches introduced (in the period, and before it) and peer support logged on them.
    introductions = []
    plans = []
    for i in range(rng.randint(3, 6)):
        person, peer_user = members[i], members[-1 - i]  # one plan and one peer profile each
        signed_off = _noon(period.start - timedelta(days=rng.randint(0, 60)))
        plan = SignedOffSupportPlanFactory(
            member=person,
            coordinator=coordinator,
            signed_off_at=signed_off,
            supports=[],
        )
        PlanSupportFactory(
            plan=plan, type=rng.choice(["timebank", "peer"]), hours_per_month=rng.randint(1, 8)
        )
        PlanSupportFactory(plan=plan, type="family", hours_per_month=20)  # not delivered here
        plans.append(plan)
        match = MatchFactory(
            referral__member=person,
            referral__plan_id=plan.id,
            referral__coordinator=coordinator,
            peer__member=peer_user,
        )
        introduced_on = period.start + timedelta(days=rng.randint(-10, period.days - 1))
        workflow.accept_match(session, actor=peer_user, match_id=match.id, now=_noon(introduced_on))
        workflow.introduce_match(
            session, actor=other_coordinator, match_id=match.id, now=_noon(introduced_on)
        )
        introductions.append((signed_off, _noon(introduced_on)))
        for _ in range(rng.randint(1, 3)):
            day = introduced_on + timedelta(days=rng.randint(0, 20))
            if day > today:
                continue
            record = Given(
                peer_user, None, rng.randint(15, 120), "peer_support", day, "confirmed", True
            )
            support = workflow.log_support(
                session,
                actor=other_coordinator,
                match_id=match.id,
                minutes=record.minutes,
                occurred_on=day,
                description="",
                now=utcnow(),
            )
            record.person = person
            assert support.status == "confirmed"
            given.append(record)
    session.commit()
    return (
        organisation,
        period,
        members + [coordinator, other_coordinator],
        given,
        introductions,
        plans,
    )


def _district(user) -> str:
    return user.postcode.split(" ")[0] if user.postcode else "Not known"


def _expected(organisation, period, people, given, introductions, plans):
    counted = [
        g for g in given if g.status == "confirmed" and period.start <= g.occurred_on <= period.end
    ]
    gave = {g.provider_user.id for g in counted if g.provider_user is not None}
    got = {g.receiver_user.id for g in counted if g.receiver_user is not None}
    by_id = {p.id: p for p in people}
    minutes = sum(g.minutes for g in counted)
    start = datetime.combine(period.start, time()) - timedelta(hours=1)  # BST or GMT: checked below
    in_period = [at for _, at in introductions if period.start <= london_date(at) <= period.end]
    days = [
        (london_date(at) - london_date(signed)).days
        for signed, at in introductions
        if period.start <= london_date(at) <= period.end
    ]
    localities = {}
    for person_id in gave | got:
        row = localities.setdefault(
            _district(by_id[person_id]),
            {"people": 0, "minutes_given": 0, "minutes_received": 0},
        )
        row["people"] += 1
    for g in counted:
        if g.provider_user is not None:
            localities[_district(g.provider_user)]["minutes_given"] += g.minutes
        if g.receiver_user is not None:
            localities[_district(g.receiver_user)]["minutes_received"] += g.minutes
    categories = {}
    for g in counted:
        row = categories.setdefault(g.category, {"people": set(), "exchanges": 0, "minutes": 0})
        row["exchanges"] += 1
        row["minutes"] += g.minutes
        row["people"] |= {u.id for u in (g.provider_user, g.receiver_user) if u is not None}
    planned_twelfths = 0
    holders = set()
    for plan in plans:
        holders.add(plan.member_id)
        hours = sum(s.hours_per_month for s in plan.supports if s.type in ("timebank", "peer"))
        covered = (period.end - max(period.start, plan.signed_off_on)).days + 1
        planned_twelfths += hours * 60 * covered * 12
    signed = {p.member_id: p.signed_off_on for p in plans}
    delivered = 0
    for g in counted:
        person = getattr(g, "person", None) if g.peer_support else g.receiver_user
        if person is not None and person.id in signed and signed[person.id] <= g.occurred_on:
            delivered += g.minutes
    del start
    return {
        "hours_exchanged_minutes": minutes,
        "exchanges": len(counted),
        "active_members": len(gave | got),
        "members_giving": len(gave),
        "members_receiving": len(got),
        "members_both": len(gave & got),
        "new_members": sum(period.start <= london_date(p.created_at) <= period.end for p in people),
        "peer_matches_introduced": len(in_period),
        "median_days_signoff_to_introduction": statistics.median(days) if days else None,
        "peer_support_minutes": sum(g.minutes for g in counted if g.peer_support),
        "peers_giving_support": len({g.provider_user.id for g in counted if g.peer_support}),
        "social_value_pence": round(minutes * organisation.hourly_rate_pence / 60 + 1e-9),
        "by_locality": [{"district": d, **localities[d]} for d in sorted(localities)],
        "by_category": [
            {
                "category": c,
                "people": len(r["people"]),
                "exchanges": r["exchanges"],
                "minutes": r["minutes"],
            }
            for c, r in sorted(categories.items())
        ],
        "give_and_get": {
            "people": len(holders),
            "planned_minutes": (planned_twelfths + 182) // 365,
            "delivered_minutes": delivered,
        },
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exact_figures_equal_an_independent_computation(session, seed):
    organisation, period, people, given, introductions, plans = _world(session, seed)
    report = compute_contribution(session, organisation, period).as_dict()
    expected = _expected(organisation, period, people, given, introductions, plans)
    assert any(g.status == "reversed" for g in given)
    assert expected["peer_matches_introduced"] > 0 and len(expected["by_locality"]) > 2
    for key, value in expected.items():
        if key == "by_category":
            assert [{k: r[k] for k in value[0]} for r in report[key]] == value
        elif key == "median_days_signoff_to_introduction" and value is not None:
            assert report[key] == pytest.approx(value)
        else:
            assert report[key] == value, key
    months = report["by_month"]
    assert sum(r["minutes"] for r in months) == report["hours_exchanged_minutes"]
    assert sum(r["exchanges"] for r in months) == report["exchanges"]
    assert [r["month"] for r in months] == period.months()


@pytest.mark.parametrize("seed", [4, 5])
def test_suppression_holds_in_every_breakdown_of_real_data(session, seed):
    organisation, period, *_ = _world(session, seed)
    exact = compute_contribution(session, organisation, period).as_dict()
    for view, blank, limit in (
        (dc.coordinator_view(exact), None, 4),
        (dc.published_view(exact), dc.HIDDEN, 7),
    ):
        for name, additive in dc.BREAKDOWNS.items():
            hidden = [i for i, row in enumerate(view[name]) if row["suppressed"]]
            for i, row in enumerate(exact[name]):
                if 1 <= row["people"] <= limit:
                    assert i in hidden
            assert len(hidden) != 1 or all(
                r["people"] == 0 for i, r in enumerate(exact[name]) if i not in hidden
            )
            for i in hidden:
                assert all(view[name][i][k] is blank for k in (*additive, "people"))


def test_a_tiny_organisation_publishes_stars_not_figures(session):
    organisation = OrganisationFactory()
    a, b = UserFactory(organisation=organisation), UserFactory(organisation=organisation)
    today = london_date(utcnow())
    exchange = ex.record_exchange(
        session,
        actor=a,
        new=ex.NewExchange(
            provider=timebank.member_account(session, a),
            receiver=timebank.member_account(session, b),
            minutes=50,
            category="cooking",
            occurred_on=today,
            description="",
        ),
        now=utcnow(),
    )
    ex.confirm_exchange(session, actor=b, exchange_id=exchange.id, now=utcnow())
    exact = compute_contribution(session, organisation, Period(today, today)).as_dict()
    published = dc.published_view(exact)
    assert exact["active_members"] == 2 and exact["hours_exchanged_minutes"] == 50
    assert published["active_members"] == "*" and published["hours_exchanged_minutes"] == "*"
    assert published["social_value_pence"] == "*"
    assert all(row["suppressed"] for row in published["by_category"])


@pytest.mark.parametrize(
    ("raw_from", "raw_to", "field"),
    [
        ("2026-02-01", "2026-01-31", "to"),
        ("2026-13-01", "2026-12-31", "from"),
        ("01/02/2026", "2026-12-31", "from"),
        ("2026-01-01", "", "to"),
        ("2020-01-01", "2025-01-01", "to"),
        ("２０２６-01-01", "2026-02-01", "from"),
        ("0001-01-01", "2026-01-01", "from"),
    ],
)
def test_a_bad_period_names_its_field(raw_from, raw_to, field):
    with pytest.raises(ValidationFailed) as caught:
        parse_period(raw_from, raw_to)
    assert field in caught.value.fields


def test_five_years_less_a_day_is_allowed():
    assert parse_period("2020-01-01", "2024-12-31").days == 1827


def test_periods_use_the_calendar_in_england():
    start, after = Period(date(2026, 7, 1), date(2026, 7, 31)).utc_bounds()
    assert start == datetime(2026, 6, 30, 23) and after == datetime(2026, 7, 31, 23)


def test_a_monthly_snapshot_is_kept_once_and_never_changes(session):
    organisation = OrganisationFactory()
    a, b = UserFactory(organisation=organisation), UserFactory(organisation=organisation)
    coordinator = CoordinatorFactory(organisation=organisation)
    today = london_date(utcnow())
    last_month_day = today.replace(day=1) - timedelta(days=1)
    exchange = ex.record_exchange(
        session,
        actor=a,
        new=ex.NewExchange(
            provider=timebank.member_account(session, a),
            receiver=timebank.member_account(session, b),
            minutes=75,
            category="diy",
            occurred_on=last_month_day,
            description="",
        ),
        now=utcnow(),
    )
    ex.confirm_exchange(session, actor=b, exchange_id=exchange.id, now=utcnow())
    session.commit()
    first = services.take_monthly_snapshot(session, organisation.id, last_month_day, utcnow())
    session.commit()
    assert {s.disclosure for s in first} == {"coordinator", "published"}
    kept = {s.disclosure: s.body for s in first}
    assert kept["coordinator"]["hours_exchanged_minutes"] == 75
    assert kept["published"]["hours_exchanged_minutes"] == "*"
    # Reversed afterwards: the live report changes, the kept one does not.
    ex.reverse_exchange(
        session, actor=coordinator, exchange_id=exchange.id, reason="Wrong", now=utcnow()
    )
    session.commit()
    again = services.take_monthly_snapshot(session, organisation.id, last_month_day, utcnow())
    assert [s.id for s in again] == [s.id for s in first]
    assert again[0].body["hours_exchanged_minutes"] == 75
    assert session.query(ReportSnapshot).filter_by(organisation_id=organisation.id).count() == 2
    live = compute_contribution(
        session, organisation, again[0] and Period(last_month_day.replace(day=1), last_month_day)
    )
    assert live.hours_exchanged_minutes == 0
    with pytest.raises(ValidationFailed):
        services.take_monthly_snapshot(session, organisation.id, today, utcnow())


def test_the_rate_source_names_who_set_it(session):
    from app.auth import services as auth

    organisation = OrganisationFactory()
    coordinator = CoordinatorFactory(organisation=organisation, name="Sam Okafor")
    assert services.rate_source(session, organisation).set_by is None
    auth.update_organisation_settings(
        session,
        actor=coordinator,
        organisation_id=organisation.id,
        min_balance_minutes=-600,
        max_balance_minutes=6000,
        hourly_rate_pence=1850,
    )
    session.commit()
    source = services.rate_source(session, organisation)
    assert source.set_by == "Sam Okafor" and "£18.50" in source.text
