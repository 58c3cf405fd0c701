from datetime import date, datetime

import pytest

from app.clock import london_date
from app.templating import format_date
from app.timebank.durations import describe_minutes as format_minutes


def test_format_minutes_reads_as_english():
    assert format_minutes(90) == "1 hour 30 minutes"
    assert format_minutes(60) == "1 hour"
    assert format_minutes(0) == "0 minutes"
    assert format_minutes(-30) == "minus 30 minutes"
    assert format_minutes(6000) == "100 hours"
    assert format_minutes(None) == "no limit"


# Stored times are naive UTC. In 2025 British Summer Time began at 01:00 UTC on Sunday 30 March
# (the last Sunday of March) and ended at 01:00 UTC on Sunday 26 October (the last of October).
@pytest.mark.parametrize(
    ("utc", "shown"),
    [
        # winter: London is on GMT, the same as UTC
        (datetime(2025, 1, 14, 23, 30), "14 January 2025 at 23:30"),
        (datetime(2024, 12, 31, 23, 59), "31 December 2024 at 23:59"),
        # the clocks go forward: 00:59 GMT, then 01:00 UTC is 02:00 BST
        (datetime(2025, 3, 30, 0, 59), "30 March 2025 at 00:59"),
        (datetime(2025, 3, 30, 1, 0), "30 March 2025 at 02:00"),
        # the Saturday before is still GMT
        (datetime(2025, 3, 29, 23, 30), "29 March 2025 at 23:30"),
        # summer: an hour ahead, so late evening UTC is already the next London day
        (datetime(2025, 7, 14, 23, 30), "15 July 2025 at 00:30"),
        (datetime(2025, 6, 30, 23, 0), "1 July 2025 at 00:00"),
        (datetime(2025, 7, 4, 9, 5), "4 July 2025 at 10:05"),
        # the clocks go back: 00:59 UTC is 01:59 BST, then 01:00 UTC is 01:00 GMT
        (datetime(2025, 10, 26, 0, 59), "26 October 2025 at 01:59"),
        (datetime(2025, 10, 26, 1, 0), "26 October 2025 at 01:00"),
        (datetime(2025, 10, 25, 23, 30), "26 October 2025 at 00:30"),
        # the Monday after is GMT again
        (datetime(2025, 10, 27, 23, 30), "27 October 2025 at 23:30"),
    ],
)
def test_format_date_shows_a_utc_time_in_london_time(utc, shown):
    assert format_date(utc) == shown


def test_format_date_agrees_with_the_london_calendar_date():
    # The same moment must fall on the same day in the page and in the services' date rules.
    moment = datetime(2025, 7, 14, 23, 30)
    assert london_date(moment) == date(2025, 7, 15)
    assert format_date(moment).startswith("15 July 2025")


def test_format_date_leaves_a_calendar_date_alone():
    assert format_date(date(2025, 3, 30)) == "30 March 2025"
    assert format_date(date(2025, 10, 26)) == "26 October 2025"
    assert format_date(date(2025, 7, 5)) == "5 July 2025"  # no leading zero


def test_format_date_of_nothing_is_empty():
    assert format_date(None) == ""


def test_templates_use_format_date(app):
    assert app.jinja_env.filters["date"] is format_date
    with app.app_context():
        rendered = app.jinja_env.from_string("{{ when | date }}").render(
            when=datetime(2025, 7, 14, 23, 30)
        )
    assert rendered == "15 July 2025 at 00:30"
