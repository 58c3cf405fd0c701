"""Jinja filters shared by every page: dates (in Europe/London) are formatted only here, at the
edge. A capability registers its own filters on its blueprint (the timebank: ``minutes``)."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from .clock import to_london


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_london(value)
        return f"{value.day} {value:%B %Y} at {value:%H:%M}"
    return f"{value.day} {value:%B %Y}"


def register_templating(app: Flask) -> None:
    app.jinja_env.filters["date"] = format_date
