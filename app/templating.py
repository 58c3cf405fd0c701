"""Jinja filters shared by every page: dates (in Europe/London) are formatted only here, at the
edge. A capability registers its own filters on its blueprint (the timebank: ``minutes``)."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date as babel_date
from babel.dates import format_time as babel_time
from flask import Flask, has_request_context
from flask_babel import get_locale, gettext

from .clock import to_london


def _locale():
    """The page's locale (None outside a request, or in English: the source format below)."""
    if not has_request_context():
        return None
    locale = get_locale()
    return None if locale is None or locale.language == "en" else locale


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
    if locale is not None:
        return babel_date(value, "d MMMM y", locale=locale)
    return f"{value.day} {value:%B %Y}"


def register_templating(app: Flask) -> None:
    app.jinja_env.filters["date"] = format_date
