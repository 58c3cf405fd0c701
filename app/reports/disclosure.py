"""Disclosure control for the contribution report: what a coordinator may see, and what may
leave the organisation.

Pure: a report is a plain dict (``app.reports.contribution.ContributionReport.as_dict``) and each
view is a new dict. No Flask, no SQLAlchemy, so the rules are tested as properties on their own.

Two levels (shared/API.md, section Reports):

- **coordinator** (the default, exact): a breakdown row that covers 1 to 4 people has every
  count and sum ``None`` and ``"suppressed": True``. Headline figures are exact.
- **published** (``?disclosure=published``): the NHS rule for published counts. Every count of
  people from 1 to 7 is ``"*"``; every other count of people is rounded to the nearest 5; every
  other figure in a row whose people count is hidden (minutes, exchanges, pence, a median) is
  ``"*"`` too. The headline is a set of rows as well: the exchange figures go with
  ``active_members``, peer-support minutes with ``peers_giving_support``, the median with
  ``peer_matches_introduced``, give-and-get with the number of plan holders.

Secondary suppression, in both views and every breakdown: a breakdown's additive figures sum
to the headline, so a lone hidden row could be worked out as the total minus the rows shown.
When exactly one row is hidden, the next smallest row that covers anyone is hidden too. (If
no such row exists, the hidden row holds everything: its people count is the headline's, which
the published view then hides as well, and which the coordinator sees exactly anyway.)

Not covered: differencing between two different breakdowns, or between reports for
overlapping periods (snapshots fix the published figures so they cannot be re-cut later).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

COORDINATOR = "coordinator"
PUBLISHED = "published"
DISCLOSURES = (COORDINATOR, PUBLISHED)

HIDDEN = "*"
COORDINATOR_MAX_SUPPRESSED = 4  # a breakdown row covering 1-4 people is suppressed
PUBLISHED_MAX_HIDDEN = 7  # published: people counts 1-7 are "*"
ROUND_TO = 5

# Each breakdown: its people count and the figures that add up over its rows to a total.
BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "by_category": ("exchanges", "minutes"),
    "by_locality": ("minutes_given", "minutes_received"),
    "by_month": ("exchanges", "minutes"),
    "by_partner": ("exchanges", "minutes_given", "minutes_received"),
}
PEOPLE = "people"

# The headline's rows: a people count and the figures that describe those people.
HEADLINE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("active_members", ("hours_exchanged_minutes", "exchanges", "social_value_pence")),
    ("members_giving", ()),
    ("members_receiving", ()),
    ("members_both", ()),
    ("new_members", ()),
    ("peer_matches_introduced", ("median_days_signoff_to_introduction",)),
    ("peers_giving_support", ("peer_support_minutes",)),
)
GIVE_AND_GET = "give_and_get"
GIVE_AND_GET_FIGURES = ("planned_minutes", "delivered_minutes")


def N_(text: str) -> str:  # noqa: N802 - gettext's "marked here, translated on the page"
    return text


# The rule each level keeps, in words the report page and pack show (translated there).
RULES = {
    COORDINATOR: N_(
        "Coordinator's exact view, not for publication: a breakdown row covering 1 to 4 people "
        "is suppressed (its counts and sums are blank), and where a suppressed row could be "
        "worked out by subtracting the others from the total, the next smallest row is "
        "suppressed too."
    ),
    PUBLISHED: N_(
        "Published under the NHS rule for published counts: counts of people from 1 to 7 are "
        "shown as *, every other count of people is rounded to the nearest 5, every other "
        "figure in a row whose people count is hidden is * too, and a row that could be worked "
        "out from the others and the total is hidden as well."
    ),
}


def rule(disclosure: str) -> str:
    return RULES[disclosure]


def hides(people: int, threshold: int) -> bool:
    return 1 <= people <= threshold


def round_people(people: int) -> int:
    """To the nearest 5 (a count is whole, and 5 is odd, so there is never a tie)."""
    return (people + ROUND_TO // 2) // ROUND_TO * ROUND_TO


def rows_to_hide(rows: list[dict[str, Any]], threshold: int, additive: Iterable[str]) -> set[int]:
    """Indexes of the rows to hide: those covering 1..threshold people, and (secondary) the next
    smallest row covering anyone when exactly one would be hidden."""
    additive = tuple(additive)
    hidden = {i for i, row in enumerate(rows) if hides(row[PEOPLE], threshold)}
    if len(hidden) == 1:
        others = [i for i, row in enumerate(rows) if i not in hidden and row[PEOPLE] > 0]
        if others:
            hidden.add(
                min(
                    others,
                    key=lambda i: (rows[i][PEOPLE], sum(rows[i][k] for k in additive), i),
                )
            )
    return hidden


def _view_breakdown(
    rows: list[dict[str, Any]],
    additive: tuple[str, ...],
    threshold: int,
    blank: Any,
    show_people: Callable[[int], Any],
) -> list[dict[str, Any]]:
    hidden = rows_to_hide(rows, threshold, additive)
    shown = []
    for i, row in enumerate(rows):
        out = dict(row)
        if i in hidden:
            out[PEOPLE] = blank
            for key in additive:
                out[key] = blank
            out["suppressed"] = True
        else:
            out[PEOPLE] = show_people(row[PEOPLE])
            out["suppressed"] = False
        shown.append(out)
    return shown


def coordinator_view(report: dict[str, Any]) -> dict[str, Any]:
    view = copy.deepcopy(report)
    for name, additive in BREAKDOWNS.items():
        if name in view:
            view[name] = _view_breakdown(
                view[name], additive, COORDINATOR_MAX_SUPPRESSED, None, lambda n: n
            )
    view["disclosure"] = COORDINATOR
    view["disclosure_rule"] = RULES[COORDINATOR]
    return view


def _published_people(people: int) -> int | str:
    return HIDDEN if hides(people, PUBLISHED_MAX_HIDDEN) else round_people(people)


def published_view(report: dict[str, Any]) -> dict[str, Any]:
    view = copy.deepcopy(report)
    for people_key, figures in HEADLINE_GROUPS:
        if people_key not in view:
            continue
        people = view[people_key]
        view[people_key] = _published_people(people)
        if hides(people, PUBLISHED_MAX_HIDDEN):
            for key in figures:
                if key in view:
                    view[key] = HIDDEN
    if GIVE_AND_GET in view:
        group = view[GIVE_AND_GET]
        if hides(group[PEOPLE], PUBLISHED_MAX_HIDDEN):
            for key in GIVE_AND_GET_FIGURES:
                group[key] = HIDDEN
        group[PEOPLE] = _published_people(group[PEOPLE])
    for name, additive in BREAKDOWNS.items():
        if name in view:
            view[name] = _view_breakdown(
                view[name], additive, PUBLISHED_MAX_HIDDEN, HIDDEN, round_people
            )
    view["disclosure"] = PUBLISHED
    view["disclosure_rule"] = RULES[PUBLISHED]
    return view


def disclose(report: dict[str, Any], disclosure: str) -> dict[str, Any]:
    """The report as the chosen level of disclosure shows it."""
    if disclosure == PUBLISHED:
        return published_view(report)
    return coordinator_view(report)


# --- the commissioners' section -----------------------------------------------------------------

# Each breakdown: the figures blanked with a hidden row (its sums and counts of things), and the
# other counts of people in a row, shown under the same rule as its ``people``.
COMMISSIONER_BREAKDOWNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "outcomes_by_status": (("outcomes",), ()),
    "outcomes_by_category": (
        ("outcomes", "achieved", "partly", "not_yet", "no_longer_wanted"),
        (),
    ),
    "wellbeing": (
        ("sign_off_sum", "latest_sum", "mean_sign_off", "mean_latest"),
        ("improved", "same", "worse"),
    ),
    "review_timing": (("reviews",), ()),
    "themes": (("mentions",), ()),
}
WELLBEING_MEANS = (("sign_off_sum", "mean_sign_off"), ("latest_sum", "mean_latest"))


def _with_means(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A question's average answer at sign-off and latest, from the exact sums and people."""
    out = []
    for row in rows:
        row = dict(row)
        for total, mean in WELLBEING_MEANS:
            row[mean] = round(row[total] / row[PEOPLE], 2) if row[PEOPLE] else 0
        out.append(row)
    return out


def disclose_commissioners(section: dict[str, Any], disclosure: str) -> dict[str, Any]:
    """The commissioners' section under the same two levels as the rest of the report: every
    breakdown's rows suppressed (coordinator) or hidden and rounded (published) by the people
    they cover, with secondary suppression; other counts of people in a shown row follow the
    published rule too. Quotes are kept: each was given with permission, and never has a name."""
    view = copy.deepcopy(section)
    if "wellbeing" in view:
        view["wellbeing"] = _with_means(view["wellbeing"])
    published = disclosure == PUBLISHED
    threshold = PUBLISHED_MAX_HIDDEN if published else COORDINATOR_MAX_SUPPRESSED
    blank = HIDDEN if published else None
    for name, (figures, people_counts) in COMMISSIONER_BREAKDOWNS.items():
        if name not in view:
            continue
        rows = view[name]
        shown = _view_breakdown(
            rows,
            figures + people_counts,
            threshold,
            blank,
            round_people if published else (lambda n: n),
        )
        for original, row in zip(rows, shown, strict=True):
            if row["suppressed"]:
                continue
            if published:
                for key in people_counts:
                    row[key] = _published_people(original[key])
        view[name] = shown
    view["disclosure"] = disclosure
    return view
