"""Domain errors: what a rule of the domain says when it says no.

Pure: no Flask here, so every service that raises these stays free of the web framework. The
one place that turns any error into a page or the API's JSON shape is ``app.error_pages``.
"""

from __future__ import annotations

from typing import Any

from .language import N_


class DomainError(Exception):
    """A rule of the domain said no. ``code`` is stable; ``message`` is plain English (marked
    with ``N_`` where it is written, so a page shows it translated: ``app.i18n.translated``)."""

    status = 422
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, str] | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.fields = fields or {}
        self.headers = headers or {}


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"


class NotFound(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, message: str = N_("We could not find that."), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


class Forbidden(DomainError):
    status = 403
    code = "forbidden"

    def __init__(self, message: str = N_("You do not have permission to do that."), **kwargs: Any):
        super().__init__(message, **kwargs)


class Conflict(DomainError):
    """The request is well formed but clashes with the current state (the ledger's, usually)."""

    status = 409
    code = "conflict"


class Throttled(DomainError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after_seconds))})
        self.retry_after_seconds = retry_after_seconds


# PostgreSQL chose this transaction as a deadlock victim, or could not serialise it: the same
# request will very likely succeed if it is sent again.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def is_retryable(error: Exception) -> bool:
    """``error`` is a SQLAlchemy OperationalError (or anything wrapping a DBAPI error)."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) in RETRYABLE_SQLSTATES
