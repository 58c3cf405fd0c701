"""The commissioners' section of the report pack: what reviews say about outcomes, wellbeing
over time, whether reviews happen on time, and what members said (themes, and their words where
they gave permission). Every figure is an SQL aggregate over an organisation's rows in a period
(both ends included, by the review's date or the date something was said); what leaves the
organisation goes through ``app.reports.disclosure`` (``disclose_commissioners``) first.

Definitions (the pack's "What each figure means" says the same in plain words):

- **Outcomes by status**: ratings of outcomes at reviews done in the period, by status; people
  are the people whose outcomes were rated.
- **Outcomes by category of support**: the same ratings, under each category of support in the
  version of the plan that was reviewed (paid, timebank, peer, community, family); a rating
  counts under every category its plan had, so the rows overlap.
- **Wellbeing change**: for each question, people who answered it at sign-off and at a review
  in the period, paired: their sign-off answer against the answer at their latest review in the
  period; how many improved, stayed the same, or got worse, and the sums of the answers.
- **Reviews on time**: reviews done in the period by their due date, and late.
- **Themes**: things members said in the period (at a review, or when a match closed) that a
  coordinator tagged with each theme; quotes only where the person gave permission, never with
  a name.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from ..peers.models import (
    GIVE_AND_GET_TYPES,
    REVIEW_OUTCOME_STATUSES,
    MemberVoice,
    PlanReview,
    PlanSupport,
    ReviewOutcome,
    VoiceTag,
    VoiceTheme,
    WellbeingAnswer,
)
from ..peers.wellbeing import QUESTIONS
from .contribution import Period

CATEGORIES = ("paid", *GIVE_AND_GET_TYPES)
TIMINGS = ("on_time", "late")
MAX_QUOTES = 50


def _reviews_in(organisation_id: int, period: Period):
    return and_(
        PlanReview.organisation_id == organisation_id,
        PlanReview.reviewed_on.between(period.start, period.end),
    )


def _outcomes_by_status(session: Session, organisation_id: int, period: Period):
    found = {
        status: (people, outcomes)
        for status, people, outcomes in session.execute(
            select(
                ReviewOutcome.status,
                func.count(func.distinct(PlanReview.member_id)),
                func.count(),
            )
            .join(PlanReview, PlanReview.id == ReviewOutcome.review_id)
            .where(_reviews_in(organisation_id, period))
            .group_by(ReviewOutcome.status)
        )
    }
    return [
        {
            "status": status,
            "people": found.get(status, (0, 0))[0],
            "outcomes": found.get(status, (0, 0))[1],
        }
        for status in REVIEW_OUTCOME_STATUSES
    ]


def _outcomes_by_category(session: Session, organisation_id: int, period: Period):
    category = case((PlanSupport.kind == "paid", literal("paid")), else_=PlanSupport.type)
    # The categories of each reviewed version: one row per (review, category).
    review_categories = (
        select(PlanReview.id.label("review_id"), category.label("category"))
        .join(
            PlanSupport,
            and_(
                PlanSupport.plan_id == PlanReview.plan_id,
                PlanSupport.version == PlanReview.plan_version,
            ),
        )
        .where(_reviews_in(organisation_id, period))
        .group_by(PlanReview.id, category)
        .subquery("review_categories")
    )
    counts = [
        func.sum(case((ReviewOutcome.status == s, 1), else_=0)) for s in REVIEW_OUTCOME_STATUSES
    ]
    found = {}
    for row in session.execute(
        select(
            review_categories.c.category,
            func.count(func.distinct(PlanReview.member_id)),
            func.count(),
            *counts,
        )
        .select_from(review_categories)
        .join(ReviewOutcome, ReviewOutcome.review_id == review_categories.c.review_id)
        .join(PlanReview, PlanReview.id == review_categories.c.review_id)
        .group_by(review_categories.c.category)
    ):
        found[row[0]] = row[1:]
    rows = []
    for name in CATEGORIES:
        people, outcomes, *by_status = found.get(
            name, (0, 0, *([0] * len(REVIEW_OUTCOME_STATUSES)))
        )
        rows.append(
            {
                "category": name,
                "people": int(people),
                "outcomes": int(outcomes),
                **{s: int(n or 0) for s, n in zip(REVIEW_OUTCOME_STATUSES, by_status, strict=True)},
            }
        )
    return rows


def _wellbeing(session: Session, organisation_id: int, period: Period):
    reviewed = (
        select(
            WellbeingAnswer.plan_id,
            WellbeingAnswer.member_id,
            WellbeingAnswer.question_code,
            WellbeingAnswer.score,
            func.row_number()
            .over(
                partition_by=(WellbeingAnswer.plan_id, WellbeingAnswer.question_code),
                order_by=(PlanReview.reviewed_on.desc(), PlanReview.id.desc()),
            )
            .label("newest"),
        )
        .join(PlanReview, PlanReview.id == WellbeingAnswer.review_id)
        .where(WellbeingAnswer.occasion == "review", _reviews_in(organisation_id, period))
        .subquery("reviewed")
    )
    at_sign_off = (
        select(
            WellbeingAnswer.plan_id,
            WellbeingAnswer.question_code,
            func.max(WellbeingAnswer.score).label("score"),
        )
        .where(
            WellbeingAnswer.occasion == "sign_off",
            WellbeingAnswer.organisation_id == organisation_id,
        )
        .group_by(WellbeingAnswer.plan_id, WellbeingAnswer.question_code)
        .subquery("at_sign_off")
    )
    latest, first = reviewed.c.score, at_sign_off.c.score
    found = {}
    for code, people, improved, same, worse, first_sum, latest_sum in session.execute(
        select(
            reviewed.c.question_code,
            func.count(func.distinct(reviewed.c.member_id)),
            func.sum(case((latest > first, 1), else_=0)),
            func.sum(case((latest == first, 1), else_=0)),
            func.sum(case((latest < first, 1), else_=0)),
            func.sum(first),
            func.sum(latest),
        )
        .join(
            at_sign_off,
            and_(
                at_sign_off.c.plan_id == reviewed.c.plan_id,
                at_sign_off.c.question_code == reviewed.c.question_code,
            ),
        )
        .where(reviewed.c.newest == 1)
        .group_by(reviewed.c.question_code)
    ):
        found[code] = (people, improved, same, worse, first_sum, latest_sum)
    rows = []
    for code, text in QUESTIONS:
        people, improved, same, worse, first_sum, latest_sum = found.get(code, (0,) * 6)
        rows.append(
            {
                "question": code,
                "text": text,
                "people": int(people),
                "improved": int(improved or 0),
                "same": int(same or 0),
                "worse": int(worse or 0),
                "sign_off_sum": int(first_sum or 0),
                "latest_sum": int(latest_sum or 0),
            }
        )
    return rows


def _review_timing(session: Session, organisation_id: int, period: Period):
    timing = case((PlanReview.reviewed_on <= PlanReview.due_on, "on_time"), else_="late")
    found = {
        name: (people, reviews)
        for name, people, reviews in session.execute(
            select(timing, func.count(func.distinct(PlanReview.member_id)), func.count())
            .where(_reviews_in(organisation_id, period))
            .group_by(timing)
        )
    }
    return [
        {
            "timing": name,
            "people": found.get(name, (0, 0))[0],
            "reviews": found.get(name, (0, 0))[1],
        }
        for name in TIMINGS
    ]


def _said_in(organisation_id: int, period: Period):
    return and_(
        MemberVoice.organisation_id == organisation_id,
        MemberVoice.said_on.between(period.start, period.end),
    )


def _themes(session: Session, organisation_id: int, period: Period):
    return [
        {"theme": name, "people": int(people), "mentions": int(mentions)}
        for name, people, mentions in session.execute(
            select(
                VoiceTheme.name,
                func.count(func.distinct(MemberVoice.member_id)),
                func.count(),
            )
            .join(VoiceTag, VoiceTag.theme_id == VoiceTheme.id)
            .join(MemberVoice, MemberVoice.id == VoiceTag.voice_id)
            .where(_said_in(organisation_id, period), VoiceTheme.organisation_id == organisation_id)
            .group_by(VoiceTheme.name)
            .order_by(VoiceTheme.name)
        )
    ]


def _quotes(session: Session, organisation_id: int, period: Period) -> list[dict[str, Any]]:
    """What members said and agreed may be quoted: their words and its themes, no name."""
    voices = session.execute(
        select(MemberVoice.id, MemberVoice.what_worked, MemberVoice.what_did_not)
        .where(_said_in(organisation_id, period), MemberVoice.quote_permission.is_(True))
        .order_by(MemberVoice.said_on.desc(), MemberVoice.id.desc())
        .limit(MAX_QUOTES)
    ).all()
    themes: dict[int, list[str]] = {}
    if voices:
        for voice_id, name in session.execute(
            select(VoiceTag.voice_id, VoiceTheme.name)
            .join(VoiceTheme, VoiceTheme.id == VoiceTag.theme_id)
            .where(VoiceTag.voice_id.in_([v.id for v in voices]))
            .order_by(VoiceTheme.name)
        ):
            themes.setdefault(voice_id, []).append(name)
    return [
        {"what_worked": worked, "what_did_not": did_not, "themes": themes.get(voice_id, [])}
        for voice_id, worked, did_not in voices
    ]


def compute_commissioners(session: Session, organisation_id: int, period: Period) -> dict[str, Any]:
    """The exact section (no permission check: the guarded report service calls it)."""
    return {
        "outcomes_by_status": _outcomes_by_status(session, organisation_id, period),
        "outcomes_by_category": _outcomes_by_category(session, organisation_id, period),
        "wellbeing": _wellbeing(session, organisation_id, period),
        "review_timing": _review_timing(session, organisation_id, period),
        "themes": _themes(session, organisation_id, period),
        "quotes": _quotes(session, organisation_id, period),
    }
