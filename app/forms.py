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
