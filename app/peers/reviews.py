"""Reviews of a signed-off plan at its due date: how each outcome of the version under review
went (in the person's words), whether the supports were delivered as planned (the ledger's
figures shown beside them), what changes, wellbeing, what worked and what did not, and the next
review date. Done by the person online or by a coordinator with or for them; one review a due
date."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit
from ..auth.models import User
from ..clock import london_date
from ..errors import Conflict, Forbidden, ValidationFailed
from ..timebank import exchanges as timebank_exchanges
from . import plans, voice, wellbeing
from .models import (
    DELIVERY_ANSWERS,
    GIVE_AND_GET_TYPES,
    REVIEW_OUTCOME_STATUSES,
    PlanReview,
    ReviewOutcome,
    SupportPlan,
)
from .permissions import can_manage_plan, can_review_plan


def N_(text: str) -> str:  # noqa: N802 - gettext's "marked here, translated on the page"
    return text


MAX_TEXT = 2000
LATEST_MONTHS = 13
DEFAULT_MONTHS = plans.REVIEW_INTERVAL_MONTHS
DAYS_A_YEAR = 365
# What the ledger records of the give-and-get types (community groups and family it does not).
LEDGER_TYPES = ("timebank", "peer")


@dataclass
class OutcomeAnswer:
    outcome_id: int
    status: str
    comment: str = ""


@dataclass
class ReviewAnswers:
    outcomes: list[OutcomeAnswer] = field(default_factory=list)
    wellbeing: dict[str, int] = field(default_factory=dict)
    what_worked: str = ""
    what_did_not: str = ""
    quote_permission: bool = False
    next_review_on: date | None = None
    paid_delivery: str | None = None
    give_and_get_delivery: str | None = None
    delivery_comment: str = ""
    changes: str = ""
    # The due date the review is for, as the page or client saw it; the plan's own when absent.
    due_on: date | None = None


@dataclass(frozen=True)
class DeliveryRow:
    type: str
    planned_minutes: int
    delivered_minutes: int | None  # None: the ledger does not record this kind


def review_period_start(plan: SupportPlan) -> date:
    return plan.last_reviewed_on or plan.signed_off_on or london_date(plan.created_at)


def planned_and_delivered(session: Session, plan: SupportPlan, today: date) -> list[DeliveryRow]:
    """Give and get since the last review (or sign-off): planned hours a month for the days that
    passed (a month a twelfth of 365 days), and what the ledger shows was delivered."""
    since = review_period_start(plan)
    days = max((today - since).days, 0)
    received = timebank_exchanges.minutes_received_by_category(session, plan.member, since=since)
    delivered = dict.fromkeys(LEDGER_TYPES, 0)
    for category, minutes in received.items():
        delivered["peer" if category in plans.PEER_CATEGORIES else "timebank"] += minutes
    rows = []
    for kind in GIVE_AND_GET_TYPES:
        hours = sum(
            s.hours_per_month or 0
            for s in plan.supports
            if s.kind == "give_and_get" and s.type == kind
        )
        planned = (hours * 60 * days * 12 + DAYS_A_YEAR // 2) // DAYS_A_YEAR
        rows.append(DeliveryRow(kind, planned, delivered.get(kind)))
    return rows


def latest_allowed(today: date) -> date:
    return plans.add_months(today, LATEST_MONTHS)


def _check(plan: SupportPlan, answers: ReviewAnswers, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if plan.status != "signed_off":
        errors["status"] = N_("Only a signed-off plan can be reviewed: sign it off first.")
    on_version = {item.id for item in plan.outcome_items}
    seen: set[int] = set()
    for index, answer in enumerate(answers.outcomes):
        if answer.outcome_id not in on_version:
            errors[f"outcomes.{index}.outcome_id"] = N_(
                "That outcome is not in this version of the plan."
            )
        elif answer.outcome_id in seen:
            errors[f"outcomes.{index}.outcome_id"] = N_("Each outcome is reviewed once.")
        seen.add(answer.outcome_id)
        if answer.status not in REVIEW_OUTCOME_STATUSES:
            errors[f"outcomes.{index}.status"] = N_(
                "Choose achieved, partly, not yet or no longer wanted."
            )
        if len(answer.comment or "") > MAX_TEXT:
            errors[f"outcomes.{index}.comment"] = N_("Write up to 2,000 characters.")
    try:
        wellbeing.check_answers(answers.wellbeing)
    except ValidationFailed as invalid:
        errors.update(invalid.fields or {})
    errors.update(voice.check_words(answers.what_worked, answers.what_did_not))
    next_on = answers.next_review_on
    if next_on is not None:
        if next_on <= today:
            errors["next_review_on"] = N_("Choose a date after today for the next review.")
        elif next_on > latest_allowed(today):
            errors["next_review_on"] = (
                f"The next review must be within {LATEST_MONTHS} months: at the latest "
                f"{latest_allowed(today):%-d %B %Y}."
            )
    for name in ("paid_delivery", "give_and_get_delivery"):
        value = getattr(answers, name)
        if value is not None and value not in DELIVERY_ANSWERS:
            errors[name] = N_("Choose as planned, partly or not delivered.")
    for name in ("delivery_comment", "changes"):
        if len(getattr(answers, name) or "") > MAX_TEXT:
            errors[name] = N_("Write up to 2,000 characters.")
    return errors


def _already(session: Session, plan_id: int, due_on: date) -> bool:
    return (
        session.scalar(
            select(PlanReview.id).where(PlanReview.plan_id == plan_id, PlanReview.due_on == due_on)
        )
        is not None
    )


def record_review(
    session: Session,
    *,
    actor: User,
    plan_id: int,
    answers: ReviewAnswers,
    now: datetime,
    interval_months: int = DEFAULT_MONTHS,
) -> PlanReview:
    plan = plans.find_plan_for(session, actor, plan_id)
    if not can_review_plan(actor, plan):
        raise Forbidden(N_("Only the person and their coordinators can review the plan."))
    session.execute(select(SupportPlan.id).where(SupportPlan.id == plan.id).with_for_update())
    session.refresh(plan)
    today = london_date(now)
    if plan.status == "signed_off":
        due_on = answers.due_on or plan.next_review_on
        if due_on is not None and _already(session, plan.id, due_on):
            raise Conflict(
                N_("This review has already been recorded for that due date."),
                code="already_reviewed",
            )
    errors = _check(plan, answers, today)
    if plan.status == "signed_off" and answers.due_on and answers.due_on != plan.next_review_on:
        errors["due_on"] = N_("That is not the date this plan's review is due.")
    if errors:
        raise ValidationFailed(N_("Check the review."), fields=errors)
    due_on = plan.next_review_on or today
    next_on = answers.next_review_on or plans.add_months(today, interval_months)
    if next_on > latest_allowed(today):
        next_on = latest_allowed(today)
    delivery = planned_and_delivered(session, plan, today)
    review = PlanReview(
        plan_id=plan.id,
        organisation_id=plan.organisation_id,
        member_id=plan.member_id,
        plan_version=plan.version,
        due_on=due_on,
        reviewed_on=today,
        next_review_on=next_on,
        paid_delivery=answers.paid_delivery,
        give_and_get_delivery=answers.give_and_get_delivery,
        delivery_comment=(answers.delivery_comment or "").strip(),
        changes=(answers.changes or "").strip(),
        planned_minutes=sum(row.planned_minutes for row in delivery if row.type in LEDGER_TYPES),
        delivered_minutes=sum(row.delivered_minutes or 0 for row in delivery),
        recorded_by_id=actor.id,
        by_the_person=actor.id == plan.member_id,
        created_at=now,
    )
    review.outcomes = [
        ReviewOutcome(outcome_id=a.outcome_id, status=a.status, comment=(a.comment or "").strip())
        for a in answers.outcomes
    ]
    try:
        with session.begin_nested():  # a second review for the same due date, at the same time
            session.add(review)
            session.flush()
    except IntegrityError:
        raise Conflict(
            N_("This review has already been recorded for that due date."), code="already_reviewed"
        ) from None
    wellbeing.record_answers(
        session,
        plan=plan,
        occasion="review",
        answers=answers.wellbeing,
        today=today,
        now=now,
        review=review,
    )
    voice.record_voice(
        session,
        member=plan.member,
        source="review",
        what_worked=answers.what_worked,
        what_did_not=answers.what_did_not,
        quote_permission=answers.quote_permission,
        today=today,
        now=now,
        review_id=review.id,
    )
    plan.last_reviewed_on = today
    plan.next_review_on = next_on
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="plan.reviewed",
        object_type="support_plan",
        object_id=plan.id,
        member=plan.member,
        now=now,
    )
    return review


def record_quick_review(
    session: Session,
    *,
    actor: User,
    plan_id: int,
    now: datetime,
    interval_months: int = DEFAULT_MONTHS,
) -> SupportPlan:
    """The review recorded with nothing rated (the coordinator's button, the older API): the
    next review falls ``interval_months`` on."""
    plan = plans.find_plan_for(session, actor, plan_id)
    if not can_manage_plan(actor, plan):
        raise Forbidden(N_("Only coordinators can record a review."))
    if plan.status != "signed_off":
        raise Conflict(N_("Only a signed-off plan can be reviewed."), code="not_signed_off")
    record_review(
        session,
        actor=actor,
        plan_id=plan_id,
        answers=ReviewAnswers(),
        now=now,
        interval_months=interval_months,
    )
    return plan
