"""Wellbeing over time: a short, fixed set of questions asked at sign-off and at every review,
answered on a 4-point scale. Optional for the person, never a gate: no answer is fine, and an
answer is recorded only when it is on the scale."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from ..errors import ValidationFailed
from .models import PlanReview, SupportPlan, WellbeingAnswer


def N_(text: str) -> str:  # noqa: N802 - gettext's "marked here, translated on the page"
    return text


QUESTIONS: tuple[tuple[str, str], ...] = (
    ("in_control", N_("I feel in control of my support")),
    ("things_that_matter", N_("I can do the things that matter to me")),
    ("part_of_community", N_("I feel part of my community")),
    ("someone_who_understands", N_("I have someone to talk to who understands")),
    ("hopeful", N_("I feel hopeful about the months ahead")),
)
QUESTION_TEXT = dict(QUESTIONS)
SCALE: tuple[tuple[int, str], ...] = (
    (1, N_("Not true for me")),
    (2, N_("A little true")),
    (3, N_("Mostly true")),
    (4, N_("Completely true")),
)
LOWEST, HIGHEST = 1, 4


def check_answers(answers: dict[str, Any] | None) -> dict[str, int]:
    """The answers given, by question code, each a whole number on the scale; ValidationFailed
    naming each answer that is not (``wellbeing.<code>``)."""
    errors: dict[str, str] = {}
    checked: dict[str, int] = {}
    for code, score in (answers or {}).items():
        if code not in QUESTION_TEXT:
            errors[f"wellbeing.{code}"] = N_("There is no such wellbeing question.")
        elif score is None:
            continue  # not answered: optional
        elif (
            isinstance(score, bool)
            or not isinstance(score, int)
            or not (LOWEST <= score <= HIGHEST)
        ):
            errors[f"wellbeing.{code}"] = f"Answer from {LOWEST} to {HIGHEST}."
        else:
            checked[code] = score
    if errors:
        raise ValidationFailed(N_("Check the wellbeing answers."), fields=errors)
    return checked


def record_answers(
    session: Session,
    *,
    plan: SupportPlan,
    occasion: str,
    answers: dict[str, Any] | None,
    today: date,
    now: datetime,
    review: PlanReview | None = None,
) -> list[WellbeingAnswer]:
    rows = [
        WellbeingAnswer(
            plan_id=plan.id,
            member_id=plan.member_id,
            organisation_id=plan.organisation_id,
            occasion=occasion,
            review_id=review.id if review is not None else None,
            question_code=code,
            score=score,
            answered_on=today,
            created_at=now,
        )
        for code, score in check_answers(answers).items()
    ]
    session.add_all(rows)
    return rows
