"""Jinja filters shared by every page: dates (in Europe/London), hours, numbers and money are
formatted only here, at the edge, in the page's language (English exactly as the source always
wrote it; Babel's form for any other locale, through ``app.language``). Names that are data
(conditions, their groups, exchange categories) are shown here in the page's language too.

Filters: ``date``, ``minutes``, ``hours``, ``number``, ``pounds``, ``condition_name``,
``condition_group``, ``category_name``. The three name functions are template globals too, as
is ``category_choices`` (a form's choices); each is a plain function a view or form may call
during a request."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_date as babel_date
from babel.dates import format_time as babel_time
from flask import Flask, has_request_context, request
from flask_babel import get_locale, gettext

from . import language, names
from .clock import to_london
from .extensions import db
from .timebank.categories import CATEGORIES


def _locale():
    """The page's locale (None outside a request, or in English: the source format below)."""
    if not has_request_context():
        return None
    locale = get_locale()
    return None if locale is None or locale.language == "en" else locale


def _code() -> str | None:
    """The page's locale as ``app.language`` takes it (None: the source language)."""
    locale = _locale()
    return None if locale is None else str(locale)


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    locale = _locale()
    if isinstance(value, datetime):
        value = to_london(value)
        if locale is not None:
            return gettext(
                "%(day)s at %(time)s",
                day=babel_date(value.date(), "d MMMM y", locale=locale),
                time=babel_time(value.time(), "HH:mm", locale=locale),
            )
        return f"{value.day} {value:%B %Y} at {value:%H:%M}"
    return language.format_day(value, _code())


def format_minutes(minutes: int | None) -> str:
    """90 → "1 hour 30 minutes" (in Urdu, "1 گھنٹہ 30 منٹ"); None → "no limit"."""
    return language.format_minutes(minutes, _code())


def format_hours(minutes: int | None) -> str:
    """Minutes as hours to two places, a figure: 90 → "1.50" (Babel's digits per locale)."""
    if minutes is None:
        return ""
    return language.format_hours(minutes, _code())


def format_number(number: int | Decimal | None) -> str:
    """1234 → "1,234"."""
    return "" if number is None else language.format_number(number, _code())


def format_pounds(pence: int | None) -> str:
    """1250000 → "£12,500.00"; -50 → "minus £0.50"."""
    return language.format_pounds(pence, _code())


# --- names that are data -----------------------------------------------------------------------


def _names() -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    """The page's translated names, and the conditions' codes by their source name: read once
    a request (two small queries), and never in English (no query at all)."""
    locale = _code()
    # Kept on the request (not ``g``, which a test's app context shares between requests).
    cached = getattr(request, "_localised_names", None)
    if cached is None or cached[0] != locale:
        by_code: dict[tuple[str, str], str] = {}
        codes: dict[str, str] = {}
        if locale is not None:
            from .peers.models import Condition  # the model only: pages sit above every capability

            by_code = names.names_in(db.session, locale)
            codes = dict(db.session.execute(db.select(Condition.name, Condition.code)).all())
        cached = (locale, by_code, codes)
        request._localised_names = cached
    return cached[1], cached[2]


def localised_name(kind: str, code: str | None, source: str | None = None) -> str:
    """``code``'s name in the page's language, else ``source`` (its own name), else ``code``."""
    if not code:
        return source or ""
    if _code() is None:
        return source if source is not None else code
    return _names()[0].get((kind, code), source if source is not None else code)


def condition_name(condition: Any) -> str:
    """A condition (the row, its code, or its stored name) in the page's language; a condition
    with no translation (one an administrator added) keeps its own name."""
    if condition is None:
        return ""
    if not isinstance(condition, str):
        return localised_name(names.CONDITION, condition.code, condition.name)
    if _code() is None:
        return condition
    by_code, codes = _names()
    code = codes.get(condition, condition)
    return by_code.get((names.CONDITION, code), condition)


def condition_group(group: str | None) -> str:
    """A condition group (as stored, in English) in the page's language."""
    return localised_name(names.CONDITION_GROUP, group, group)


def category_name(code: str | None) -> str:
    """An exchange category's code → its name in the page's language."""
    return localised_name(names.CATEGORY, code, CATEGORIES.get(code or "", code))


def category_choices() -> list[tuple[str, str]]:
    """Every category as (code, name in the page's language), in the usual order: a form's
    choices, built in its ``__init__`` (so each request gets its own language)."""
    return [(code, category_name(code)) for code in CATEGORIES]


FILTERS = {
    "date": format_date,
    "minutes": format_minutes,
    "hours": format_hours,
    "number": format_number,
    "pounds": format_pounds,
    "condition_name": condition_name,
    "condition_group": condition_group,
    "category_name": category_name,
}


def register_templating(app: Flask) -> None:
    """Registered after every blueprint, so these are the app's ``minutes`` and ``pounds``."""
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(
        condition_name=condition_name,
        condition_group=condition_group,
        category_name=category_name,
        category_choices=category_choices,
    )
