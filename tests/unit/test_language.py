"""Words and figures per locale without a request (app.language): English exactly as the source
always wrote it, Urdu as Babel's ``ur`` locale gives it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.numbers import format_currency

from app import language
from app.timebank.durations import describe_minutes


def _old_pounds(pence: int) -> str:
    """How pounds were written before Babel (peers' ``pounds`` filter)."""
    sign = "minus " if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    return f"{sign}£{pounds:,}.{rest:02d}"


def test_english_is_byte_for_byte_what_it_was():
    for minutes in [None, *range(-3000, 3000, 7), 60 * 1234 + 5]:
        assert language.format_minutes(minutes) == describe_minutes(minutes)
        assert language.format_minutes(minutes, "en_GB") == describe_minutes(minutes)
    for pence in [*range(-100_000, 100_000, 37), 123_456_789, 0]:
        assert language.format_pounds(pence) == _old_pounds(pence)
    assert language.format_pounds(None) == ""
    assert language.format_day(date(2026, 3, 7)) == "7 March 2026"
    assert language.format_number(1234567) == "1,234,567"


def test_urdu_hours_money_dates_and_numbers():
    assert language.format_minutes(90, "ur") == "1 گھنٹہ 30 منٹ"
    assert language.format_minutes(120, "ur") == "2 گھنٹے"
    assert language.format_minutes(-1, "ur") == "منفی 1 منٹ"
    assert language.format_minutes(None, "ur") == "کوئی حد نہیں"
    babel_pounds = format_currency(Decimal("12500.00"), "GBP", locale="ur")
    assert language.format_pounds(1_250_000, "ur") == babel_pounds
    assert language.format_pounds(-1_250_000, "ur") == f"منفی {babel_pounds}"
    assert language.format_day(date(2026, 12, 1), "ur") == "1 دسمبر 2026"
    assert language.format_minutes(60 * 1234, "ur") == "1,234 گھنٹے"  # Babel's grouping


def test_a_speaker_translates_for_a_stored_locale_and_falls_back_to_english():
    assert language.speaker("ur").gettext("Reset your Give and Get password") != (
        "Reset your Give and Get password"
    )
    for locale in (None, "", "en_GB", "en", "fr", "xx_YY"):
        say = language.speaker(locale)
        assert say.locale == "en_GB"
        assert say.gettext("Meet %(person)s", person="Ann") == "Meet Ann"
    assert language.speaker("ur").translated("100% not in the catalogue") == (
        "100% not in the catalogue"
    )
    assert language.speaker("ur").ngettext("%(num)s offer", "%(num)s offers", 3) == "3 پیشکشیں"
