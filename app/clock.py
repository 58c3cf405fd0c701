"""Time in one place: naive UTC datetimes in the database, Europe/London at the edges."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """Now, as the naive UTC datetime that every DateTime column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def london_date(moment: datetime) -> date:
    """The calendar date in England at a naive-UTC moment."""
    return moment.replace(tzinfo=UTC).astimezone(LONDON).date()


def to_london(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(LONDON)
