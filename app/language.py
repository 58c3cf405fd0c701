"""Words and figures in a given language, with no request: the catalogues in ``translations/``
read with Babel alone (no Flask), so services and the scheduler can write an email in its
recipient's language, and pages format dates, hours and money the same way.

Pure: imports Babel only. ``N_`` marks text written in one place and translated where it is
shown; ``speaker(locale)`` translates for a person (their stored ``locale``); the ``format_*``
functions give English exactly as the source always wrote it, and Babel's form for any other
locale (README: "Adding a language").
"""

from __future__ import annotations

import gettext as _gettext
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.numbers import format_currency, format_decimal
from babel.support import Translations

SOURCE_LOCALE = "en_GB"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def N_(text: str) -> str:  # noqa: N802 - the gettext convention for "marked, translated later"
    return text


@lru_cache(maxsize=16)
def catalogue(locale: str) -> _gettext.NullTranslations:
    """The compiled catalogue for ``locale`` (the source language, and any unknown one: none)."""
    if not locale or locale == SOURCE_LOCALE or not (TRANSLATIONS / locale).is_dir():
        return _gettext.NullTranslations()
    return Translations.load(str(TRANSLATIONS), [locale])


@lru_cache(maxsize=64)
def _shipped(locale: str | None) -> str | None:
    """``locale`` when we ship a catalogue for it (not the source), else None: English."""
    if not locale or locale == SOURCE_LOCALE or not (TRANSLATIONS / locale).is_dir():
        return None
    try:
        return None if Locale.parse(locale).language == "en" else locale
    except (ValueError, TypeError):
        return None


def _is_source(locale: str | None) -> bool:
    return _shipped(locale) is None


@dataclass(frozen=True)
class Speaker:
    """Translates for one locale, as Flask-Babel's ``gettext`` does for a page: the message is
    %-formatted only when values are given (so a bare "%" is safe)."""

    locale: str

    def gettext(self, message: str, **values: object) -> str:
        text = catalogue(self.locale).gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, num: int, **values: object) -> str:
        values.setdefault("num", format_number(num, self.locale))
        return catalogue(self.locale).ngettext(singular, plural, num) % values

    def translated(self, message: str) -> str:
        """A message marked with ``N_`` where it was written; never %-formatted."""
        return catalogue(self.locale).gettext(message) if message else message


def speaker(locale: str | None) -> Speaker:
    """For a person's stored ``locale`` (None, or a language we do not ship: English)."""
    return Speaker(_shipped(locale) or SOURCE_LOCALE)


# --- figures ---------------------------------------------------------------------------------


def format_number(number: int | Decimal, locale: str | None = None) -> str:
    """1234 → "1,234" (in English; Babel's grouping and digits for another locale)."""
    return format_decimal(number, locale=_babel_locale(locale))


def format_hours(minutes: int, locale: str | None = None) -> str:
    """Minutes as hours to two places, a figure: 90 → "1.50", 74100 → "1,235.00"."""
    hours = (Decimal(minutes) / 60).quantize(Decimal("0.01"))
    return format_decimal(hours, format="#,##0.00", locale=_babel_locale(locale))


def format_day(day: date, locale: str | None = None) -> str:
    """27 March 2026 (in English exactly so; Babel's "d MMMM y" for another locale)."""
    if _is_source(locale):
        return f"{day.day} {day:%B %Y}"
    return _babel_date(day, "d MMMM y", locale=_babel_locale(locale))


def format_minutes(minutes: int | None, locale: str | None = None) -> str:
    """90 → "1 hour 30 minutes"; -30 → "minus 30 minutes"; None → "no limit"."""
    say = speaker(locale)
    if minutes is None:
        return say.gettext("no limit")
    hours, rest = divmod(abs(minutes), 60)
    hours_text = say.ngettext("%(num)s hour", "%(num)s hours", hours) if hours else ""
    minutes_text = say.ngettext("%(num)s minute", "%(num)s minutes", rest)
    if hours and rest:
        text = say.gettext("%(hours)s %(minutes)s", hours=hours_text, minutes=minutes_text)
    else:
        text = hours_text or minutes_text
    return say.gettext("minus %(amount)s", amount=text) if minutes < 0 else text


def format_pounds(pence: int | None, locale: str | None = None) -> str:
    """1250000 → "£12,500.00"; -50 → "minus £0.50" (Babel's pattern for another locale)."""
    if pence is None:
        return ""
    amount = format_currency(
        Decimal(abs(int(pence))) / 100, "GBP", locale=_babel_locale(locale), currency_digits=True
    )
    return speaker(locale).gettext("minus %(amount)s", amount=amount) if pence < 0 else amount


def _babel_locale(locale: str | None) -> str:
    return _shipped(locale) or SOURCE_LOCALE
