import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.timebank.durations import InvalidDuration, parse_duration


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("90", 90),
        ("90 minutes", 90),
        ("90 mins", 90),
        ("1.5", 90),
        ("1.5 hours", 90),
        ("1h 30m", 90),
        ("1h30m", 90),
        ("1 hour 30 minutes", 90),
        ("1 hour and 30 minutes", 90),
        ("1:30", 90),
        ("2", 120),
        ("24", 1440),
        ("45m", 45),
        ("0.25", 15),
        (" 3 HOURS ", 180),
    ],
)
def test_parse_duration_reads_what_people_write(text, minutes):
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    "text",
    ["", "abc", "0", "0m", "25 hours", "1441", "1.01", "-1", "1h minutes", "1 fortnight", "1h 30x"],
)
def test_parse_duration_refuses_nonsense(text):
    with pytest.raises(InvalidDuration):
        parse_duration(text)


@given(st.integers(min_value=1, max_value=1440))
def test_minutes_written_with_units_round_trip(minutes):
    hours, rest = divmod(minutes, 60)
    assert parse_duration(f"{minutes} minutes") == minutes
    assert parse_duration(f"{hours}h {rest}m") == minutes


def test_gifts_of_hours_read_bare_numbers_as_hours_up_to_their_own_maximum():
    assert parse_duration("30", max_minutes=6000, bare_numbers_are_hours=True) == 1800
    assert parse_duration("100 hours", max_minutes=6000) == 6000
    with pytest.raises(InvalidDuration, match="100 hours or less"):
        parse_duration("101", max_minutes=6000, bare_numbers_are_hours=True)
