"""Form helpers shared by every capability."""

from __future__ import annotations

from flask_wtf import FlaskForm

from .errors import DomainError


def show_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Put a service's error on the fields it names, or at the top of the form."""
    placed = False
    for name, message in error.fields.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
            placed = True
    if not placed:
        form.form_errors.append(error.message)


MAX_ID = 2**31 - 1
MAX_PAGE = 100_000


def id_arg(name: str, message: str = "We could not find that.") -> int | None:
    """An id from the query string, or None when absent; nonsense is simply not found (404)."""
    from flask import request

    from .errors import NotFound

    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_ID:
        raise NotFound(message)
    return int(raw)


def page_arg() -> int:
    """The page number from the query string: 1 unless it is a sensible positive number."""
    from flask import request

    raw = request.args.get("page", "1")
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_PAGE:
        return int(raw)
    return 1


def is_whole_number(text: str) -> bool:
    """ASCII digits only, and not absurdly long: "²" and "١" pass str.isdigit() but not int()."""
    return 0 < len(text) <= 12 and text.isascii() and text.isdigit()
