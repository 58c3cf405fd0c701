"""Reading how long something took, as people write it: pure, no Flask, no database.

"90", "90 minutes", "1.5", "1.5 hours", "1h 30m", "1 hour 30 minutes", "1:30" all mean 90 minutes.
A bare number up to 24 is hours (people write "2" for two hours); above 24 it is minutes.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from ..wording import N_, Minutes, said

MIN_MINUTES = 1
MAX_MINUTES = 24 * 60
MAX_TEXT = 40  # "1 hour and 30 minutes" is 21; anything far longer is not a time

_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*(hours?|hrs?|h|minutes?|mins?|m)(?![a-z])", re.IGNORECASE)


class InvalidDuration(ValueError):
    pass


def parse_duration(
    text: str, *, max_minutes: int = MAX_MINUTES, bare_numbers_are_hours: bool = False
) -> int:
    """Whole minutes from 1 to ``max_minutes``, or InvalidDuration with a plain-English reason.

    Where the question asks for hours (a gift of hours), ``bare_numbers_are_hours`` reads "30"
    as 30 hours rather than 30 minutes."""
    raw = (text or "").strip().lower()
    if len(raw) > MAX_TEXT:
        raise InvalidDuration(N_("Enter how long it took in a few characters, like 1h 30m."))
    if not raw:
        raise InvalidDuration(N_("Enter how long it took, like 1h 30m or 90 minutes."))
    minutes = _parse(raw, bare_numbers_are_hours)
    if minutes is None:
        raise InvalidDuration(N_("Enter how long it took, like 1.5, 1h 30m or 90 minutes."))
    if minutes < MIN_MINUTES:
        raise InvalidDuration(N_("The time must be at least 1 minute."))
    if minutes > max_minutes:
        if max_minutes == MAX_MINUTES:
            raise InvalidDuration(N_("The time must be 24 hours (1,440 minutes) or less."))
        raise InvalidDuration(
            said(N_("The time must be %(amount)s or less."), amount=describe_minutes(max_minutes))
        )
    return minutes


def _parse(raw: str, bare_numbers_are_hours: bool) -> int | None:
    clock = re.fullmatch(r"(\d{1,2}):([0-5]\d)", raw)
    if clock:
        return int(clock.group(1)) * 60 + int(clock.group(2))
    if re.fullmatch(r"\d+(?:\.\d+)?", raw):
        number = _decimal(raw)
        return _whole(number * 60) if bare_numbers_are_hours or number <= 24 else _whole(number)
    total = Decimal(0)
    position = 0
    for match in _UNIT.finditer(raw):
        if raw[position : match.start()].strip(" ,and"):
            return None
        number = _decimal(match.group(1))
        total += number * 60 if match.group(2).startswith("h") else number
        position = match.end()
    if position == 0 or raw[position:].strip():
        return None
    return _whole(total)


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the patterns only pass digits
        raise InvalidDuration(N_("Enter a number.")) from None


def _whole(minutes: Decimal) -> int | None:
    """Only whole minutes: 1.25 hours is 75 minutes, 1.01 hours is not a whole number."""
    if minutes != minutes.to_integral_value():
        return None
    return int(minutes)


def describe_minutes(minutes: int | None) -> Minutes:
    """90 → "1 hour 30 minutes"; -30 → "minus 30 minutes"; None → "no limit". In English (the
    API's words); a page shows it in its own language (``Minutes`` keeps the figure)."""
    return Minutes(_english_minutes(minutes), minutes)


def _english_minutes(minutes: int | None) -> str:
    if minutes is None:
        return "no limit"
    sign = "minus " if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    parts = []
    if hours:
        parts.append(f"{hours:,} hour{'s' if hours != 1 else ''}")
    if rest or not hours:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return sign + " ".join(parts)
