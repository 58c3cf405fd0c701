"""Jinja filters: minutes and dates are formatted only here, at the edge."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from .clock import to_london


def format_minutes(minutes: int | None) -> str:
    """90 → "1 hour 30 minutes"; -30 → "minus 30 minutes"."""
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
