"""Jinja filters: minutes and dates are formatted only here, at the edge."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from .clock import to_london
from .timebank.durations import describe_minutes as format_minutes


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_london(value)
        return f"{value.day} {value:%B %Y} at {value:%H:%M}"
    return f"{value.day} {value:%B %Y}"


def register_templating(app: Flask) -> None:
    app.jinja_env.filters["minutes"] = format_minutes
    app.jinja_env.filters["date"] = format_date
