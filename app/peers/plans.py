"""Support plans: money and give-and-get side by side, sign-off, versions and the review
schedule.

A draft is written in place (it is version 1 until sign-off). A signed-off plan is never edited
in place: every change (the details, a support added or taken out) makes a new version, current
at once, with what changed, when, by whom and why; the earlier versions keep their supports and
outcomes (and the reviews that rated them).

Give-and-get delivered so far is counted from the ledger: confirmed (not reversed) exchanges the
person received since the plan started — peer support and help with a plan count as "peer",
everything else as "timebank".
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from .. import audit
from ..auth.models import User
from ..auth.permissions import coordinates_health_data
from ..clock import london_date
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..timebank import exchanges as timebank_exchanges
from ..wording import N_, Sentence, as_data, said
from . import conditions, profiles, referrals, wellbeing
from .models import (
    GIVE_AND_GET_TYPES,
    MANAGEMENT,
    MemberVoice,
    PlanOutcome,
    PlanReview,
    PlanSupport,
    PlanVersion,
    Referral,
    ReviewOutcome,
    SupportPlan,
    WellbeingAnswer,
)
from .permissions import (
    can_manage_plan,
    can_review_plan,
    can_see_plan,
    can_write_plans,
    sees_organisation_queue,
)

MAX_BUDGET_PENCE = 10_000_000_00  # ten million pounds a year: anything above is a typing error
MAX_SUPPORTS = 50
PEER_CATEGORIES = ("peer_support", "support_planning")
FIRST_REVIEW_MONTHS = 3
REVIEW_INTERVAL_MONTHS = 12


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class SupportLine:
    kind: str
    description: str
    annual_pence: int | None = None
    provider: str = ""
    type: str | None = None
    hours_per_month: int | None = None


@dataclass
class PlanDetails:
    member_id: int
    budget_pence: int = 0
    management: str = "notional"
    split_pence: dict[str, int] = field(default_factory=dict)
    outcomes: list[str] = field(default_factory=list)
    supports: list[SupportLine] = field(default_factory=list)
    started_without_money: bool = False
    # Why a signed-off plan changed (the change agreed with the NHS team); unused for a draft.
    reason: str = ""


def _validate(details: PlanDetails) -> None:
    errors: dict[str, str] = {}
    if (
        not isinstance(details.budget_pence, int)
        or not 0 <= details.budget_pence <= MAX_BUDGET_PENCE
    ):
        errors["budget_pence"] = N_("Enter the yearly budget in pence, from 0.")
    if details.management not in MANAGEMENT:
        errors["management"] = N_("Choose notional, third_party, direct_payment or mixed.")
    if details.management == "mixed":
        # The split is optional: a mixed budget whose parts are not yet known has none. When it
        # is given, it must account for the whole budget.
        split = details.split_pence or {}
        if not split:
            pass
        elif set(split) - {"notional", "third_party", "direct_payment"} or any(
            not isinstance(v, int) or v < 0 for v in split.values()
        ):
            errors["split_pence"] = N_("Give pence for notional, third_party and direct_payment.")
        elif sum(split.values()) != details.budget_pence:
            errors["split_pence"] = N_(
                "The parts of a mixed budget must add up to the whole budget."
            )
    outcomes = [o.strip() for o in details.outcomes if o and o.strip()]
    if len(outcomes) > 30 or any(len(o) > 1000 for o in outcomes):
        errors["outcomes"] = N_("List up to 30 outcomes, each up to 1,000 characters.")
    for index, line in enumerate(details.supports):
        errors.update(
            {f"supports.{index}.{name}": why for name, why in _support_errors(line).items()}
        )
    if len(details.supports) > MAX_SUPPORTS:
        errors["supports"] = f"A plan can list up to {MAX_SUPPORTS} supports."
    if errors:
        raise ValidationFailed(N_("Check the plan."), fields=errors)
    details.outcomes = outcomes


def create_plan(
    session: Session, *, actor: User, details: PlanDetails, now: datetime
) -> SupportPlan:
    person = session.get(User, details.member_id)
    if person is None or not coordinates_health_data(actor, person.organisation_id):
        if not can_write_plans(actor):
            raise Forbidden(N_("Only coordinators can write plans."))
        raise ValidationFailed(
            N_("Choose a member of your organisation."), fields={"member_id": N_("No such member.")}
        )
    _validate(details)
    plan = SupportPlan(
        member_id=person.id,
        organisation_id=person.organisation_id,
        budget_pence=details.budget_pence,
        management=details.management,
        split_pence=details.split_pence if details.management == "mixed" else {},
        outcomes=details.outcomes,
        started_without_money=details.started_without_money,
        status="draft",
        created_by_id=actor.id,
        created_at=now,
    )
    plan.supports = [_support(line) for line in details.supports]
    session.add(plan)
    session.flush()
    session.add(version_row_of(plan, created_by_id=actor.id, created_at=now))
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="plan.created",
        object_type="support_plan",
        object_id=plan.id,
        member=person,
        now=now,
    )
    return plan


def _support_errors(line: SupportLine) -> dict[str, str]:
    """What is wrong with one support line, by field (empty when it is right)."""
    errors: dict[str, str] = {}
    if not (line.description or "").strip() or len(line.description) > 1000:
        errors["description"] = N_("Describe the support in up to 1,000 characters.")
    if line.kind == "paid":
        if not isinstance(line.annual_pence, int) or not 0 <= line.annual_pence <= MAX_BUDGET_PENCE:
            errors["annual_pence"] = N_("Enter the yearly cost in pence.")
    elif line.kind == "give_and_get":
        if line.type not in GIVE_AND_GET_TYPES:
            errors["type"] = N_("Choose timebank, peer, community or family.")
        if not isinstance(line.hours_per_month, int) or not 0 <= line.hours_per_month <= 744:
            errors["hours_per_month"] = N_("Enter whole hours a month, from 0 to 744.")
    else:
        errors["kind"] = N_("Choose paid or give_and_get.")
    return errors


def _support(line: SupportLine) -> PlanSupport:
    return PlanSupport(
        kind=line.kind,
        description=line.description.strip(),
        provider=(line.provider or "").strip()[:200],
        annual_pence=line.annual_pence if line.kind == "paid" else None,
        type=line.type if line.kind == "give_and_get" else None,
        hours_per_month=line.hours_per_month if line.kind == "give_and_get" else None,
    )


MAX_REASON = 2000


def version_row_of(plan: SupportPlan, *, created_by_id: int, created_at: datetime, **extra):
    """The ``PlanVersion`` row holding the plan's current money and settings."""
    return PlanVersion(
        plan_id=plan.id,
        number=plan.version,
        budget_pence=plan.budget_pence,
        management=plan.management,
        split_pence=dict(plan.split_pence or {}),
        started_without_money=plan.started_without_money,
        created_by_id=created_by_id,
        created_at=created_at,
        **extra,
    )


def current_version_row(session: Session, plan: SupportPlan) -> PlanVersion | None:
    return session.scalar(
        select(PlanVersion).where(
            PlanVersion.plan_id == plan.id, PlanVersion.number == plan.version
        )
    )


def details_of(plan: SupportPlan) -> PlanDetails:
    """The plan as it stands, as details a change starts from."""
    return PlanDetails(
        member_id=plan.member_id,
        budget_pence=plan.budget_pence,
        management=plan.management,
        split_pence=dict(plan.split_pence or {}),
        outcomes=list(plan.outcomes),
        supports=[
            SupportLine(
                kind=s.kind,
                description=s.description,
                annual_pence=s.annual_pence,
                provider=s.provider,
                type=s.type,
                hours_per_month=s.hours_per_month,
            )
            for s in plan.supports
        ],
        started_without_money=plan.started_without_money,
    )


# How a version's change lines name a plan's codes (the English the lines have always used).
MANAGEMENT_WORDS = {
    "notional": N_("notional"),
    "third_party": N_("third party"),
    "direct_payment": N_("direct payment"),
    "mixed": N_("mixed"),
}
GIVE_AND_GET_WORDS = {
    "timebank": N_("timebank"),
    "peer": N_("peer"),
    "community": N_("community"),
    "family": N_("family"),
}


def _line_text(line) -> Sentence:
    if line.kind == "paid":
        return said(
            N_("%(description)s (paid, %(amount)s a year)"),
            description=line.description,
            amount=_pounds(line.annual_pence or 0),
        )
    return said(
        N_("%(description)s (%(type)s, %(hours)s hours a month)"),
        description=line.description,
        type=said(GIVE_AND_GET_WORDS.get(line.type, line.type)),
        hours=line.hours_per_month,
    )


def _pounds(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


def describe_changes(before: PlanDetails, after: PlanDetails) -> list[str]:
    """What changed from one version to the next, in plain words, one line a change: each a
    ``Sentence`` (stored with ``as_data``) so the plan page says it in the reader's language."""
    changes: list[str] = []
    if before.budget_pence != after.budget_pence:
        changes.append(
            said(
                N_("Budget changed from %(before)s to %(after)s a year."),
                before=_pounds(before.budget_pence),
                after=_pounds(after.budget_pence),
            )
        )
    if before.management != after.management:
        changes.append(
            said(
                N_("Managed %(after)s instead of %(before)s."),
                after=said(MANAGEMENT_WORDS.get(after.management, after.management)),
                before=said(MANAGEMENT_WORDS.get(before.management, before.management)),
            )
        )
    elif after.management == "mixed" and (before.split_pence or {}) != (after.split_pence or {}):
        changes.append(N_("The split of the mixed budget changed."))
    if before.started_without_money != after.started_without_money:
        changes.append(N_("Whether the plan starts without money changed."))
    old_outcomes, new_outcomes = list(before.outcomes), list(after.outcomes)
    changes += [
        said(N_("Outcome added: %(outcome)s"), outcome=o)
        for o in new_outcomes
        if o not in old_outcomes
    ]
    changes += [
        said(N_("Outcome taken out: %(outcome)s"), outcome=o)
        for o in old_outcomes
        if o not in new_outcomes
    ]
    old_lines = [_line_text(line) for line in before.supports]
    new_lines = [_line_text(line) for line in after.supports]
    changes += [
        said(N_("Support added: %(support)s"), support=t) for t in new_lines if t not in old_lines
    ]
    changes += [
        said(N_("Support taken out: %(support)s"), support=t)
        for t in old_lines
        if t not in new_lines
    ]
    return changes


def revise_plan(
    session: Session, *, actor: User, plan_id: int, details: PlanDetails, now: datetime
) -> PlanVersion:
    """A change to a signed-off plan: a new version, current at once, with what changed, who
    recorded it and why. Nothing of the earlier version is edited."""
    plan = _lock_plan(session, actor, plan_id)
    if not can_manage_plan(actor, plan):
        raise Forbidden(N_("Only coordinators can change plans."))
    if plan.status != "signed_off":
        raise ValidationFailed(
            N_("A draft is changed as it is written: sign it off first."),
            fields={"status": N_("The plan is a draft, so it has no versions yet.")},
        )
    details.member_id = plan.member_id
    reason = (details.reason or "").strip()
    errors: dict[str, str] = {}
    if not reason or len(reason) > MAX_REASON:
        errors["reason"] = N_("Say why the plan changed, in up to 2,000 characters.")
    try:
        _validate(details)
    except ValidationFailed as invalid:
        errors.update(invalid.fields or {})
    if errors:
        raise ValidationFailed(N_("Check the change to the plan."), fields=errors)
    before = details_of(plan)
    changes = describe_changes(before, details)
    if not changes:
        raise ValidationFailed(
            N_("Nothing in the plan would change."),
            fields={
                "supports": N_("Change the budget, an outcome or a support to make a version.")
            },
        )
    plan.version += 1
    plan.budget_pence = details.budget_pence
    plan.management = details.management
    plan.split_pence = details.split_pence if details.management == "mixed" else {}
    plan.started_without_money = details.started_without_money
    session.flush()
    session.expire(plan, ["supports", "outcome_items"])
    plan.outcomes = details.outcomes
    plan.supports = [_support(line) for line in details.supports]
    version = version_row_of(
        plan,
        created_by_id=actor.id,
        created_at=now,
        reason=reason,
        changes=[as_data(change) for change in changes],
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="plan.versioned",
        object_type="support_plan",
        object_id=plan.id,
        member=plan.member,
        now=now,
    )
    return version


def _lock_plan(session: Session, actor: User, plan_id: int) -> SupportPlan:
    """The plan, locked for the change (two changes or reviews at once wait for each other)."""
    plan = find_plan_for(session, actor, plan_id)
    session.execute(select(SupportPlan.id).where(SupportPlan.id == plan.id).with_for_update())
    return plan


def _write_draft(session: Session, plan: SupportPlan, details: PlanDetails) -> None:
    """A draft is version 1 and is written in place, its version row too."""
    plan.budget_pence = details.budget_pence
    plan.management = details.management
    plan.split_pence = details.split_pence if details.management == "mixed" else {}
    plan.outcomes = details.outcomes
    plan.started_without_money = details.started_without_money
    plan.supports = [_support(line) for line in details.supports]
    session.flush()
    row = current_version_row(session, plan)
    if row is not None:
        row.budget_pence = plan.budget_pence
        row.management = plan.management
        row.split_pence = dict(plan.split_pence or {})
        row.started_without_money = plan.started_without_money
        session.flush()


def change_plan(
    session: Session, *, actor: User, plan_id: int, details: PlanDetails, now: datetime
) -> SupportPlan:
    """Change a plan: a draft in place, a signed-off plan by a new version (``revise_plan``)."""
    plan = find_plan_for(session, actor, plan_id)
    if not can_manage_plan(actor, plan):
        raise Forbidden(N_("Only coordinators can change plans."))
    if plan.status == "signed_off":
        revise_plan(session, actor=actor, plan_id=plan_id, details=details, now=now)
        return plan
    details.member_id = plan.member_id
    _validate(details)
    _write_draft(session, plan, details)
    _audit_change(session, actor, plan, now)
    return plan


update_plan = change_plan


def _audit_change(session: Session, actor: User, plan: SupportPlan, now: datetime) -> None:
    audit.record(
        session,
        actor=actor,
        action="plan.changed",
        object_type="support_plan",
        object_id=plan.id,
        member=plan.member,
        now=now,
    )


def add_support(
    session: Session,
    *,
    actor: User,
    plan_id: int,
    line: SupportLine,
    now: datetime,
    reason: str = "",
) -> SupportLine:
    """Add one support (paid from the budget, or give and get) to a plan: to a draft in place,
    to a signed-off plan as a new version (with the reason)."""
    plan = find_plan_for(session, actor, plan_id)
    if not can_manage_plan(actor, plan):
        raise Forbidden(N_("Only coordinators can change plans."))
    errors = _support_errors(line)
    if len(plan.supports) >= MAX_SUPPORTS:
        errors["supports"] = f"A plan can list up to {MAX_SUPPORTS} supports."
    if errors:
        raise ValidationFailed(N_("Check the support."), fields=errors)
    if plan.status == "draft":
        plan.supports.append(_support(line))
        session.flush()
        _audit_change(session, actor, plan, now)
        return line
    details = details_of(plan)
    details.supports.append(line)
    details.reason = reason
    revise_plan(session, actor=actor, plan_id=plan_id, details=details, now=now)
    return line


def remove_support(
    session: Session,
    *,
    actor: User,
    plan_id: int,
    support_id: int,
    now: datetime,
    reason: str = "",
) -> PlanSupport:
    """Take one support out of a plan; the rest stay as they are. From a signed-off plan, as a
    new version (the support stays in the earlier version)."""
    plan = find_plan_for(session, actor, plan_id)
    if not can_manage_plan(actor, plan):
        raise Forbidden(N_("Only coordinators can change plans."))
    support = next((s for s in plan.supports if s.id == support_id), None)
    if support is None:
        raise NotFound(N_("We could not find that support in the plan."))
    if plan.status == "draft":
        plan.supports.remove(support)
        session.flush()
        _audit_change(session, actor, plan, now)
        return support
    details = details_of(plan)
    del details.supports[plan.supports.index(support)]
    details.reason = reason
    revise_plan(session, actor=actor, plan_id=plan_id, details=details, now=now)
    return support


def find_plan_for(session: Session, actor: User, plan_id: int) -> SupportPlan:
    """The person's own plan, or a coordinator's of the organisation; NotFound otherwise. Not
    audited: for services that change it (audited as a change) and jobs. Showing a plan to
    someone is ``get_plan_for``."""
    plan = session.get(SupportPlan, plan_id)
    if plan is None or not can_see_plan(actor, plan):
        raise NotFound(N_("We could not find that plan."))
    return plan


def get_plan_for(session: Session, actor: User, plan_id: int, *, now: datetime) -> SupportPlan:
    """Show a plan: the audited read. Every view of a plan is recorded."""
    plan = find_plan_for(session, actor, plan_id)
    audit.record(
        session,
        actor=actor,
        action="plan.viewed",
        object_type="support_plan",
        object_id=plan.id,
        member=plan.member,
        now=now,
    )
    return plan


def plans_query(actor: User):
    statement = select(SupportPlan)
    if sees_organisation_queue(actor):
        statement = statement.where(SupportPlan.organisation_id == actor.organisation_id)
    else:
        statement = statement.where(SupportPlan.member_id == actor.id)
    return statement.order_by(SupportPlan.id.desc())


def effective_status(plan: SupportPlan, today: date) -> str:
    if plan.status == "signed_off" and plan.next_review_on and plan.next_review_on <= today:
        return "review_due"
    return plan.status


@dataclass(frozen=True)
class VersionView:
    """One version of a plan as the page's history and ``GET /plans/{id}/versions`` show it."""

    number: int
    current: bool
    budget_pence: int
    management: str
    split_pence: dict[str, int]
    started_without_money: bool
    outcome_items: list[PlanOutcome]
    supports: list[PlanSupport]
    totals: dict[str, int]
    reason: str
    changes: list[str]
    created_at: datetime
    created_by_name: str
    signed_off_at: datetime | None

    @property
    def outcomes(self) -> list[str]:
        return [item.text for item in self.outcome_items]


@dataclass(frozen=True)
class ReviewOutcomeView:
    outcome_id: int
    text: str
    status: str
    comment: str


@dataclass(frozen=True)
class ReviewView:
    """A review as the plan page and the API show it: the outcomes rated, wellbeing answered,
    what was said, and whether it was done by its due date."""

    review: PlanReview
    outcomes: list[ReviewOutcomeView]
    wellbeing: dict[str, int]
    voice: MemberVoice | None
    recorded_by_name: str

    @property
    def on_time(self) -> bool:
        return self.review.reviewed_on <= self.review.due_on

    @property
    def what_worked(self) -> str:
        return self.voice.what_worked if self.voice else ""

    @property
    def what_did_not(self) -> str:
        return self.voice.what_did_not if self.voice else ""

    @property
    def quote_permission(self) -> bool:
        return bool(self.voice and self.voice.quote_permission)

    def __getattr__(self, name: str):
        return getattr(self.review, name)


def version_history(session: Session, plan: SupportPlan) -> list[VersionView]:
    """Every version of the plan, newest first, each whole: money, outcomes, supports, why."""
    rows = session.scalars(
        select(PlanVersion)
        .where(PlanVersion.plan_id == plan.id)
        .options(
            selectinload(PlanVersion.supports),
            selectinload(PlanVersion.outcome_items),
            joinedload(PlanVersion.created_by),
        )
        .order_by(PlanVersion.number.desc())
    ).all()
    return [
        VersionView(
            number=row.number,
            current=row.number == plan.version,
            budget_pence=row.budget_pence,
            management=row.management,
            split_pence=dict(row.split_pence or {}),
            started_without_money=row.started_without_money,
            outcome_items=list(row.outcome_items),
            supports=list(row.supports),
            totals=_totals_of(row.supports),
            reason=row.reason,
            changes=row.change_lines,
            created_at=row.created_at,
            created_by_name=row.created_by.name if row.created_by else "",
            signed_off_at=row.signed_off_at,
        )
        for row in rows
    ]


def review_history(session: Session, plan: SupportPlan) -> list[ReviewView]:
    """The plan's reviews, newest first."""
    reviews = session.scalars(
        select(PlanReview)
        .where(PlanReview.plan_id == plan.id)
        .options(
            selectinload(PlanReview.outcomes).selectinload(ReviewOutcome.outcome),
            joinedload(PlanReview.recorded_by),
        )
        .order_by(PlanReview.reviewed_on.desc(), PlanReview.id.desc())
    ).all()
    if not reviews:
        return []
    ids = [r.id for r in reviews]
    answers: dict[int, dict[str, int]] = {}
    for row in session.scalars(
        select(WellbeingAnswer)
        .where(WellbeingAnswer.review_id.in_(ids))
        .order_by(WellbeingAnswer.id)
    ):
        answers.setdefault(row.review_id, {})[row.question_code] = row.score
    voices = {
        v.review_id: v
        for v in session.scalars(select(MemberVoice).where(MemberVoice.review_id.in_(ids)))
    }
    return [
        ReviewView(
            review=r,
            outcomes=[
                ReviewOutcomeView(o.outcome_id, o.outcome.text, o.status, o.comment)
                for o in r.outcomes
            ],
            wellbeing=answers.get(r.id, {}),
            voice=voices.get(r.id),
            recorded_by_name=r.recorded_by.name if r.recorded_by else "",
        )
        for r in reviews
    ]


def sign_off_wellbeing(session: Session, plan: SupportPlan) -> dict[str, int]:
    return {
        row.question_code: row.score
        for row in session.scalars(
            select(WellbeingAnswer).where(
                WellbeingAnswer.plan_id == plan.id, WellbeingAnswer.occasion == "sign_off"
            )
        )
    }


@dataclass(frozen=True)
class PlanView:
    """A plan as one actor sees it, rendered by the plan page and the API alike: its status
    today (a review may be due), the current version with the money and give-and-get totals,
    the give and get delivered so far, the referral it made, its reviews, and whether the actor
    manages it (and may review it)."""

    plan: SupportPlan
    status: str
    totals: dict[str, int]
    delivered: dict[str, int]
    referral_id: int | None
    can_manage: bool
    can_review: bool
    reviews: list[ReviewView]
    wellbeing_at_sign_off: dict[str, int]

    def __getattr__(self, name: str):
        return getattr(self.plan, name)


def plan_view_of(session: Session, actor: User, plan: SupportPlan, *, now: datetime) -> PlanView:
    """The read model of a plan the caller has already found (and audited) for the actor."""
    referral_id = session.scalar(
        select(Referral.id).where(Referral.plan_id == plan.id).order_by(Referral.id.desc())
    )
    return PlanView(
        plan=plan,
        status=effective_status(plan, london_date(now)),
        totals=totals(plan),
        delivered=delivered_minutes(session, plan),
        referral_id=referral_id,
        can_manage=can_manage_plan(actor, plan),
        can_review=plan.status == "signed_off" and can_review_plan(actor, plan),
        reviews=review_history(session, plan),
        wellbeing_at_sign_off=sign_off_wellbeing(session, plan),
    )


def view_plan(session: Session, actor: User, plan_id: int, *, now: datetime) -> PlanView:
    """Show a plan (audited, as ``get_plan_for``) as a read model."""
    return plan_view_of(session, actor, get_plan_for(session, actor, plan_id, now=now), now=now)


@dataclass
class SignOff:
    wants_peer_support: bool
    willing_to_support_others: bool
    condition_codes: list[str] = field(default_factory=list)
    support_types: list[str] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    peer_gender: str | None = None
    consent_given: bool | None = None
    # Optional answers to the wellbeing questions, question code → 1..4. Never a gate.
    wellbeing: dict[str, int] = field(default_factory=dict)


def sign_off(
    session: Session,
    *,
    actor: User,
    plan_id: int,
    answers: SignOff,
    now: datetime,
    first_review_months: int = FIRST_REVIEW_MONTHS,
):
    """Sign the plan off: set the first review, and — as the person wished — refer them for peer
    support and offer a draft peer profile for a coordinator to follow up."""
    plan = find_plan_for(session, actor, plan_id)
    if not can_manage_plan(actor, plan):
        raise Forbidden(N_("Only coordinators can sign plans off."))
    if plan.status == "signed_off":
        raise Conflict(N_("This plan has already been signed off."), code="already_signed_off")
    wellbeing.check_answers(answers.wellbeing)
    today = london_date(now)
    plan.status = "signed_off"
    plan.signed_off_at = now
    plan.signed_off_on = today
    plan.signed_off_by_id = actor.id
    plan.next_review_on = add_months(today, first_review_months)
    row = current_version_row(session, plan)
    if row is None:  # a plan made before versions were kept on create
        row = version_row_of(plan, created_by_id=plan.created_by_id, created_at=plan.created_at)
        session.add(row)
    row.signed_off_at, row.signed_off_by_id = now, actor.id
    wellbeing.record_answers(
        session, plan=plan, occasion="sign_off", answers=answers.wellbeing, today=today, now=now
    )
    referral = None
    if answers.wants_peer_support:
        referral = referrals.create_referral(
            session,
            actor=actor,
            request=referrals.ReferralRequest(
                member_id=plan.member_id,
                condition_codes=answers.condition_codes,
                support_types=answers.support_types,
                modes=answers.modes,
                languages=answers.languages,
                peer_gender=answers.peer_gender,
                consent_given=answers.consent_given,
            ),
            now=now,
            plan_id=plan.id,
        )
    else:
        conditions.record_conditions(
            session,
            actor=actor,
            person=plan.member,
            codes=answers.condition_codes,
            consent_given=answers.consent_given,
            now=now,
        )
    if answers.willing_to_support_others:
        profiles.create_draft_from_sign_off(session, actor=actor, person=plan.member, now=now)
    audit.record(
        session,
        actor=actor,
        action="plan.signed_off",
        object_type="support_plan",
        object_id=plan.id,
        member=plan.member,
        now=now,
    )
    return plan, referral


def record_review(
    session: Session,
    *,
    actor: User,
    plan_id: int,
    now: datetime,
    interval_months: int = REVIEW_INTERVAL_MONTHS,
) -> SupportPlan:
    """A review with nothing rated (``app.peers.reviews.record_quick_review``)."""
    from . import reviews  # reviews builds on this module

    return reviews.record_quick_review(
        session, actor=actor, plan_id=plan_id, now=now, interval_months=interval_months
    )


def delivered_minutes(session: Session, plan: SupportPlan) -> dict[str, int]:
    """Give-and-get minutes the person has received since the plan started, by support type:
    peer support and help with a plan (from a matched peer too) as "peer", the rest "timebank"."""
    since = london_date(plan.signed_off_at or plan.created_at)
    received = timebank_exchanges.minutes_received_by_category(session, plan.member, since=since)
    delivered = dict.fromkeys(GIVE_AND_GET_TYPES, 0)
    for category, minutes in received.items():
        delivered["peer" if category in PEER_CATEGORIES else "timebank"] += minutes
    return delivered


def totals(plan: SupportPlan) -> dict[str, int]:
    return _totals_of(plan.supports)


def _totals_of(supports) -> dict[str, int]:
    paid = sum(s.annual_pence or 0 for s in supports if s.kind == "paid")
    hours = sum(s.hours_per_month or 0 for s in supports if s.kind == "give_and_get")
    return {"paid_annual_pence": paid, "give_and_get_hours_per_month": hours}


def record_plans_listed(
    session: Session, *, actor: User, shown: list[SupportPlan], now: datetime
) -> None:
    """A list is a view of each person in it: one audit event per person shown."""
    audit.record_list_view(
        session,
        actor=actor,
        action="plan.listed",
        object_type="support_plan",
        shown=[(item.id, item.member_id) for item in shown],
        now=now,
    )
