"""The commissioners' section of the report pack: its SQL figures equal an independent
computation in Python from the same generated data (several organisations, plan versions,
reviews in and out of the period, on time and late, wellbeing pairs, themes and quotes), and
every breakdown is under the two-level disclosure control."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta

import pytest

from app.clock import london_date, utcnow
from app.peers.models import (
    GIVE_AND_GET_TYPES,
    REVIEW_OUTCOME_STATUSES,
    MemberVoice,
    PlanOutcome,
    PlanReview,
    PlanSupport,
    ReviewOutcome,
    VoiceTag,
    VoiceTheme,
    WellbeingAnswer,
)
from app.peers.plans import add_months
from app.peers.wellbeing import QUESTIONS
from app.reports import disclosure as dc
from app.reports import services
from app.reports.commissioners import CATEGORIES, compute_commissioners
from app.reports.contribution import Period
from tests.factories import (
    CoordinatorFactory,
    OrganisationFactory,
    SignedOffSupportPlanFactory,
    UserFactory,
)

CODES = [code for code, _text in QUESTIONS]


def _world(session, seed: int, people: int = 30):
    """Generated rows, and the same facts kept in plain Python for the independent count."""
    rng = random.Random(seed)
    today = london_date(utcnow())
    period = Period(today - timedelta(days=200), today - timedelta(days=10))
    organisation, elsewhere = OrganisationFactory(), OrganisationFactory()
    coordinator = CoordinatorFactory(organisation=organisation)
    themes = [
        VoiceTheme(organisation_id=organisation.id, name=name)
        for name in ("Feeling listened to", "Peer support", "Waiting")
    ]
    session.add_all(themes)
    session.flush()
    facts = {"ratings": [], "reviews": [], "sign_off": {}, "review_answers": [], "voices": []}
    for index in range(people):
        home = organisation if index % 6 else elsewhere  # some rows belong to another organisation
        person = UserFactory(organisation=home)
        plan = SignedOffSupportPlanFactory(member=person, supports=[], outcomes=[])
        versions = rng.choice([1, 1, 2])
        categories: dict[int, set[str]] = {}
        outcomes: dict[int, list[int]] = {}
        for number in range(1, versions + 1):
            kinds = rng.sample(CATEGORIES, rng.randint(0, 3))
            for kind in kinds:
                session.add(
                    PlanSupport(
                        plan_id=plan.id,
                        version=number,
                        kind="paid" if kind == "paid" else "give_and_get",
                        description=f"{kind} {number}",
                        annual_pence=100_00 if kind == "paid" else None,
                        type=None if kind == "paid" else kind,
                        hours_per_month=None if kind == "paid" else rng.randint(0, 9),
                    )
                )
            categories[number] = set(kinds)
            rows = [
                PlanOutcome(plan_id=plan.id, version=number, position=i, text=f"Outcome {i}")
                for i in range(rng.randint(0, 3))
            ]
            session.add_all(rows)
            session.flush()
            outcomes[number] = [row.id for row in rows]
        plan.version = versions
        for code in rng.sample(CODES, rng.randint(0, len(CODES))):
            score = rng.randint(1, 4)
            session.add(
                WellbeingAnswer(
                    plan_id=plan.id,
                    member_id=person.id,
                    organisation_id=home.id,
                    occasion="sign_off",
                    question_code=code,
                    score=score,
                    answered_on=plan.signed_off_on,
                )
            )
            facts["sign_off"][(plan.id, code)] = score
        used_dates = set()
        for _ in range(rng.randint(0, 3)):
            due = period.start + timedelta(days=rng.randint(-40, 220))
            if due in used_dates:
                continue
            used_dates.add(due)
            reviewed = due + timedelta(days=rng.randint(-20, 30))
            version = rng.randint(1, versions)
            review = PlanReview(
                plan_id=plan.id,
                organisation_id=home.id,
                member_id=person.id,
                plan_version=version,
                due_on=due,
                reviewed_on=reviewed,
                next_review_on=add_months(reviewed, 12),
                recorded_by_id=coordinator.id,
            )
            session.add(review)
            session.flush()
            in_period = period.start <= reviewed <= period.end and home is organisation
            facts["reviews"].append((review.id, person.id, reviewed, due, in_period))
            for outcome_id in outcomes[version]:
                if rng.random() < 0.8:
                    status = rng.choice(REVIEW_OUTCOME_STATUSES)
                    session.add(
                        ReviewOutcome(review_id=review.id, outcome_id=outcome_id, status=status)
                    )
                    if in_period:
                        facts["ratings"].append((person.id, status, categories[version]))
            for code in rng.sample(CODES, rng.randint(0, len(CODES))):
                score = rng.randint(1, 4)
                session.add(
                    WellbeingAnswer(
                        plan_id=plan.id,
                        member_id=person.id,
                        organisation_id=home.id,
                        occasion="review",
                        review_id=review.id,
                        question_code=code,
                        score=score,
                        answered_on=reviewed,
                    )
                )
                if in_period:
                    facts["review_answers"].append(
                        (plan.id, person.id, code, score, reviewed, review.id)
                    )
            if rng.random() < 0.7:
                said = reviewed
                voice = MemberVoice(
                    organisation_id=home.id,
                    member_id=person.id,
                    source="review",
                    review_id=review.id,
                    what_worked=f"Worked {review.id}",
                    what_did_not=rng.choice(["", f"Did not {review.id}"]),
                    quote_permission=rng.random() < 0.5,
                    said_on=said,
                )
                session.add(voice)
                session.flush()
                tagged = rng.sample(themes, rng.randint(0, 2)) if home is organisation else []
                for theme in tagged:
                    session.add(
                        VoiceTag(voice_id=voice.id, theme_id=theme.id, tagged_by_id=coordinator.id)
                    )
                if in_period:
                    facts["voices"].append((voice, person.id, [t.name for t in tagged]))
    session.commit()
    return organisation, period, facts


def _expected(facts) -> dict:
    by_status = []
    for status in REVIEW_OUTCOME_STATUSES:
        rated = [(who, s) for who, s, _ in facts["ratings"] if s == status]
        by_status.append(
            {"status": status, "people": len({w for w, _ in rated}), "outcomes": len(rated)}
        )
    by_category = []
    for category in CATEGORIES:
        rated = [(who, s) for who, s, cats in facts["ratings"] if category in cats]
        row = {"category": category, "people": len({w for w, _ in rated}), "outcomes": len(rated)}
        row.update({s: sum(1 for _, x in rated if x == s) for s in REVIEW_OUTCOME_STATUSES})
        by_category.append(row)
    latest: dict[tuple[int, str], tuple] = {}
    for plan_id, who, code, score, reviewed, review_id in facts["review_answers"]:
        key = (plan_id, code)
        if key not in latest or (reviewed, review_id) > latest[key][0]:
            latest[key] = ((reviewed, review_id), who, score)
    wellbeing = []
    for code, text in QUESTIONS:
        pairs = [
            (who, facts["sign_off"][key], score)
            for key, (_when, who, score) in latest.items()
            if key[1] == code and key in facts["sign_off"]
        ]
        wellbeing.append(
            {
                "question": code,
                "text": text,
                "people": len({w for w, _, _ in pairs}),
                "improved": sum(1 for _, a, b in pairs if b > a),
                "same": sum(1 for _, a, b in pairs if b == a),
                "worse": sum(1 for _, a, b in pairs if b < a),
                "sign_off_sum": sum(a for _, a, _ in pairs),
                "latest_sum": sum(b for _, _, b in pairs),
            }
        )
    timing = []
    counted = [r for r in facts["reviews"] if r[4]]
    for name in ("on_time", "late"):
        rows = [r for r in counted if (r[2] <= r[3]) == (name == "on_time")]
        timing.append({"timing": name, "people": len({r[1] for r in rows}), "reviews": len(rows)})
    theme_people: dict[str, set] = defaultdict(set)
    theme_mentions: dict[str, int] = defaultdict(int)
    for _voice, who, names in facts["voices"]:
        for name in names:
            theme_people[name].add(who)
            theme_mentions[name] += 1
    themes = [
        {"theme": name, "people": len(theme_people[name]), "mentions": theme_mentions[name]}
        for name in sorted(theme_people)
    ]
    quoted = sorted(
        (v for v in facts["voices"] if v[0].quote_permission),
        key=lambda v: (v[0].said_on, v[0].id),
        reverse=True,
    )
    quotes = [
        {"what_worked": v.what_worked, "what_did_not": v.what_did_not, "themes": sorted(names)}
        for v, _who, names in quoted
    ]
    return {
        "outcomes_by_status": by_status,
        "outcomes_by_category": by_category,
        "wellbeing": wellbeing,
        "review_timing": timing,
        "themes": themes,
        "quotes": quotes,
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_commissioners_section_equals_an_independent_computation(session, seed):
    organisation, period, facts = _world(session, seed)
    computed = compute_commissioners(session, organisation.id, period)
    assert computed == _expected(facts)
    assert sum(r["outcomes"] for r in computed["outcomes_by_status"]) == len(facts["ratings"])
    assert len(facts["ratings"]) > 0 and computed["review_timing"][0]["reviews"] > 0


def test_every_breakdown_suppresses_small_numbers_at_both_levels(session):
    organisation, period, facts = _world(session, 4, people=40)
    exact = compute_commissioners(session, organisation.id, period)
    for disclosure, threshold, blank in (
        (dc.COORDINATOR, dc.COORDINATOR_MAX_SUPPRESSED, None),
        (dc.PUBLISHED, dc.PUBLISHED_MAX_HIDDEN, dc.HIDDEN),
    ):
        shown = dc.disclose_commissioners(exact, disclosure)
        assert shown["quotes"] == exact["quotes"]
        for name, (figures, people_counts) in dc.COMMISSIONER_BREAKDOWNS.items():
            hidden = 0
            for before, after in zip(exact[name], shown[name], strict=True):
                if 1 <= before["people"] <= threshold:
                    assert after["suppressed"] and after["people"] == blank, (name, after)
                    assert all(after[k] == blank for k in figures + people_counts)
                if after["suppressed"]:
                    hidden += 1
                elif disclosure == dc.PUBLISHED:
                    assert after["people"] == dc.round_people(before["people"])
                    for key in people_counts:
                        assert after[key] == dc.HIDDEN or after[key] % 5 == 0
                else:
                    assert after["people"] == before["people"]
            # A lone hidden row could be worked out from the rest, unless nobody else is shown.
            others = [
                b for b, a in zip(exact[name], shown[name], strict=True) if not a["suppressed"]
            ]
            assert hidden != 1 or all(b["people"] == 0 for b in others), name


def test_the_report_pack_carries_the_section_under_the_chosen_disclosure(session):
    organisation, period, facts = _world(session, 5)
    coordinator = CoordinatorFactory(organisation=organisation)
    body = services.contribution_for(
        session, coordinator, organisation.id, period, dc.PUBLISHED, utcnow()
    )
    section = body["commissioners"]
    assert section["disclosure"] == dc.PUBLISHED
    assert all(
        row["people"] == dc.HIDDEN or row["people"] % 5 == 0
        for name in dc.COMMISSIONER_BREAKDOWNS
        for row in section[name]
    )
    assert [q["what_worked"] for q in section["quotes"]] == [
        v.what_worked
        for v, _who, _names in sorted(
            (v for v in facts["voices"] if v[0].quote_permission),
            key=lambda v: (v[0].said_on, v[0].id),
            reverse=True,
        )
    ]
    assert set(CATEGORIES) == {"paid", *GIVE_AND_GET_TYPES}
