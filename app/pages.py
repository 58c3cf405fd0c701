"""The pages' unit of work: what the API's ``write`` decorator is for the API.

A page that changes something calls ``attempt(change, form=form)``: the change runs once (a
deadlock victim runs again, as in the API); on success the request's one commit happens and
queued email is sent; on a domain error everything is rolled back and the error is put on the
form's fields (or at the top of the form), or returned for the page to show as a banner. Errors
the page does not expect (a refusal, a missing object) go on to the error handler, which rolls
back too. No view writes its own try / rollback / commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import current_app, flash
from flask_wtf import FlaskForm
from sqlalchemy.exc import OperationalError

from .clock import utcnow
from .errors import Conflict, DomainError, ValidationFailed, is_retryable
from .extensions import db
from .forms import show_domain_error
from .i18n import translated
from .mail import flush_outbox_after_commit

T = TypeVar("T")
ATTEMPTS = 3
# What a form shows as field errors: the data was wrong, or clashed with the state of things.
FORM_ERRORS: tuple[type[DomainError], ...] = (ValidationFailed, Conflict)


@dataclass(frozen=True)
class Outcome(Generic[T]):
    value: T | None = None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def commit() -> None:
    """The request's one commit, then the email it queued (sent after, never inside)."""
    db.session.commit()
    flush_outbox_after_commit(db.session, current_app.config, utcnow())


def attempt(
    change: Callable[[], T],
    *,
    form: FlaskForm | None = None,
    expected: tuple[type[DomainError], ...] = FORM_ERRORS,
    rename: Mapping[str, str] | None = None,
    messages: Mapping[str, str] | None = None,
    banner: bool = False,
) -> Outcome[T]:
    """Run ``change`` as the page's unit of work.

    ``expected`` errors roll back and come back in the outcome: shown on ``form`` (``rename``
    maps a service's field names to the form's, ``messages`` gives plainer words for a field),
    or flashed as a banner with ``banner=True``. Anything else propagates to the error page.
    """
    for number in range(1, ATTEMPTS + 1):
        try:
            value = change()
        except OperationalError as error:
            db.session.rollback()
            if not is_retryable(error) or number == ATTEMPTS:
                raise
            continue
        except expected as error:
            db.session.rollback()
            if form is not None:
                show_domain_error(form, error, rename=rename, messages=messages)
            if banner:
                flash(translated(error.message), "error")
            return Outcome(error=error)
        except BaseException:
            db.session.rollback()
            raise
        commit()
        return Outcome(value=value)
    raise AssertionError("unreachable")
