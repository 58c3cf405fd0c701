"""Disclosure control as properties: whatever the figures, the published view never shows a count
of people below 8 or unrounded, and no hidden row can be worked out from the total and the rest."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.reports import disclosure as dc

people = st.integers(0, 40)
minutes = st.integers(0, 5000)


def _rows(kind: str):
    if kind == "by_partner":
        row = st.fixed_dictionaries(
            {
                "partner_organisation_id": st.integers(1, 9),
                "name": st.just("Partner"),
                "people": people,
                "exchanges": st.integers(0, 300),
                "minutes_given": minutes,
                "minutes_received": minutes,
            }
        )
    elif kind == "by_locality":
        row = st.fixed_dictionaries(
            {
                "district": st.sampled_from(["LS6", "LS7", "BD1"]),
                "people": people,
                "minutes_given": minutes,
                "minutes_received": minutes,
            }
        )
    else:
        row = st.fixed_dictionaries(
            {
                "category": st.just("cooking"),
                "month": st.just("2026-01"),
                "name": st.just("x"),
                "people": people,
                "exchanges": st.integers(0, 300),
                "minutes": minutes,
            }
        )
    return st.lists(row, max_size=12)


reports = st.fixed_dictionaries(
    {
        "organisation_id": st.just(1),
        "period": st.just({"from": "2026-01-01", "to": "2026-12-31"}),
        "hourly_rate_pence": st.just(1500),
        "hours_exchanged_minutes": minutes,
        "exchanges": st.integers(0, 500),
        "active_members": people,
        "members_giving": people,
        "members_receiving": people,
        "members_both": people,
        "new_members": people,
        "peer_matches_introduced": people,
        "median_days_signoff_to_introduction": st.none() | st.integers(0, 400),
        "peer_support_minutes": minutes,
        "peers_giving_support": people,
        "social_value_pence": st.integers(0, 10**7),
        "by_category": _rows("by_category"),
        "by_locality": _rows("by_locality"),
        "by_month": _rows("by_month"),
        "by_partner": _rows("by_partner"),
        "give_and_get": st.fixed_dictionaries(
            {"people": people, "planned_minutes": minutes, "delivered_minutes": minutes}
        ),
    }
)

HEADLINE_PEOPLE = [key for key, _ in dc.HEADLINE_GROUPS]


def _published_count_ok(value) -> bool:
    return value == dc.HIDDEN or (
        isinstance(value, int) and value % 5 == 0 and value not in range(1, 8)
    )


def _assert_nothing_recoverable(rows, shown, hidden_value):
    """Total minus the rows shown equals one hidden row only if that row is the only one
    covering anyone (then it is the headline, which the views treat on their own)."""
    hidden = [i for i, row in enumerate(shown) if row["suppressed"]]
    assert all(shown[i]["people"] is hidden_value for i in hidden)
    if len(hidden) == 1:
        assert all(rows[i]["people"] == 0 for i in range(len(rows)) if i not in hidden)


@settings(max_examples=300, deadline=None)
@given(reports)
def test_published_view_never_shows_a_count_below_8_or_unrounded(report):
    view = dc.published_view(report)
    for key in HEADLINE_PEOPLE:
        assert _published_count_ok(view[key]), (key, view[key])
    assert _published_count_ok(view["give_and_get"]["people"])
    for name, additive in dc.BREAKDOWNS.items():
        for exact, row in zip(report[name], view[name], strict=True):
            assert _published_count_ok(row["people"])
            if 1 <= exact["people"] <= 7:
                assert row["suppressed"] and all(row[k] == dc.HIDDEN for k in additive)
        _assert_nothing_recoverable(report[name], view[name], dc.HIDDEN)


@settings(max_examples=300, deadline=None)
@given(reports)
def test_published_view_hides_every_figure_of_a_hidden_people_count(report):
    view = dc.published_view(report)
    for people_key, figures in dc.HEADLINE_GROUPS:
        if 1 <= report[people_key] <= 7:
            assert all(view[f] == dc.HIDDEN for f in figures)
        else:
            assert all(view[f] == report[f] for f in figures)
    if 1 <= report["give_and_get"]["people"] <= 7:
        assert view["give_and_get"]["planned_minutes"] == dc.HIDDEN


@settings(max_examples=300, deadline=None)
@given(reports)
def test_coordinator_view_suppresses_rows_of_1_to_4_people_and_their_complement(report):
    view = dc.coordinator_view(report)
    for key in HEADLINE_PEOPLE:  # the coordinator's own headline is exact
        assert view[key] == report[key]
    for name, additive in dc.BREAKDOWNS.items():
        for exact, row in zip(report[name], view[name], strict=True):
            if 1 <= exact["people"] <= 4:
                assert row["suppressed"] is True
            if row["suppressed"]:
                assert row["people"] is None and all(row[k] is None for k in additive)
            else:
                assert row["people"] == exact["people"] and all(
                    row[k] == exact[k] for k in additive
                )
        _assert_nothing_recoverable(report[name], view[name], None)


def test_secondary_suppression_takes_the_next_smallest_row():
    rows = [
        {"people": 3, "exchanges": 2, "minutes": 60},
        {"people": 9, "exchanges": 5, "minutes": 100},
        {"people": 6, "exchanges": 4, "minutes": 300},
        {"people": 20, "exchanges": 30, "minutes": 900},
    ]
    assert dc.rows_to_hide(rows, dc.COORDINATOR_MAX_SUPPRESSED, ("exchanges", "minutes")) == {0, 2}
    # Published: 3 and 6 are both below 8, so nothing more is needed.
    assert dc.rows_to_hide(rows, dc.PUBLISHED_MAX_HIDDEN, ("exchanges", "minutes")) == {0, 2}


def test_rounding_is_to_the_nearest_five():
    assert [dc.round_people(n) for n in (0, 8, 10, 12, 13, 17, 18, 1002)] == [
        0,
        10,
        10,
        10,
        15,
        15,
        20,
        1000,
    ]
