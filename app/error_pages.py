"""The one place that turns any error into HTML or the API's JSON shape."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from .errors import DomainError, is_retryable
from .i18n import N_

RETRY_AFTER_BUSY = 1
RETRY_AFTER_UNAVAILABLE = 30

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorised",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_attempts",
    503: "unavailable",
}

PLAIN_MESSAGES = {
    400: N_("The request could not be understood."),
    401: N_("Sign in first: send a valid bearer token."),
    403: N_("You do not have permission to do that."),
    404: N_("We could not find that."),
    405: N_("That method is not allowed here."),
    413: N_("The upload is too large."),
    415: N_("Send JSON with Content-Type: application/json."),
    429: N_("Too many attempts. Wait a little and try again."),
    500: N_("Something went wrong on our side. Nothing was changed. Please try again."),
    503: N_(
        "We are briefly too busy to answer. Nothing was changed. Please try again in a moment."
    ),
}


def flatten_messages(messages: dict[str, Any]) -> dict[str, str]:
    """webargs' ``{"json": {"field": ["why"]}}`` → ``{"field": "why"}`` (nested as ``a.b``)."""
    flat: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            flat[prefix or "_schema"] = " ".join(value)
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(f"{prefix}.{index}", inner)
        else:
            flat[prefix or "_schema"] = str(value)

    for location_messages in messages.values():  # drop the location ("json", "query")
        walk("", location_messages)
    return flat


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def json_error(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    response = jsonify(error_body(code, message, fields))
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _html_error(status: int, message: str, headers: dict[str, str] | None = None):
    return render_template("error.html", status=status, message=message), status, headers or {}


def _allow_header(error: HTTPException) -> dict[str, str] | None:
    allow = dict(error.get_headers()).get("Allow")
    return {"Allow": allow} if allow else None


def register_error_handlers(app: Flask) -> None:
    from .extensions import db

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        db.session.rollback()
        if wants_json():
            return json_error(error.status, error.code, error.message, error.fields, error.headers)
        return _html_error(error.status, error.message, error.headers)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        status = error.code or 500
        if wants_json():
            messages = (getattr(error, "data", None) or {}).get("messages")
            if status == 400 and messages:
                return json_error(400, "malformed_json", "The request body is not valid JSON.")
            if status == 422 and messages:
                fields = flatten_messages(messages)
                return json_error(422, "validation_error", "Check the highlighted fields.", fields)
            return json_error(
                status,
                HTTP_CODES.get(status, "error"),
                PLAIN_MESSAGES.get(status, error.description or "Error."),
                headers=_allow_header(error),
            )
        return _html_error(
            status, PLAIN_MESSAGES.get(status, error.description or "Error."), _allow_header(error)
        )

    @app.errorhandler(IntegrityError)
    def handle_integrity_error(error: IntegrityError):
        # Only a race gets here: services check first, and the database has the last word.
        db.session.rollback()
        message = N_("That clashed with another change made at the same moment. Please try again.")
        if wants_json():
            return json_error(409, "conflict", message)
        return _html_error(409, message)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)  # psycopg's "the connection is closed" as the server goes
    def handle_database_unavailable(error: OperationalError | InterfaceError):
        # A contention retry that ran out, or the database going away: never a 500. Nothing was
        # committed, and the client is told when to try again.
        try:
            db.session.rollback()
        except (OperationalError, InterfaceError):
            pass  # the connection is already gone, and its transaction with it
        retryable = is_retryable(error)
        app.logger.warning(
            "Database %s on %s %s: %s",
            "contention" if retryable else "unavailable",
            request.method,
            request.path,
            getattr(error.orig, "sqlstate", None) or type(error.orig).__name__,
        )
        headers = {"Retry-After": str(RETRY_AFTER_BUSY if retryable else RETRY_AFTER_UNAVAILABLE)}
        if wants_json():
            return json_error(503, HTTP_CODES[503], PLAIN_MESSAGES[503], headers=headers)
        return _html_error(503, PLAIN_MESSAGES[503], headers)

    @app.teardown_appcontext
    def forget_a_closed_connection(_error: BaseException | None) -> None:
        # Ending the request's session rolls back on its connection; if PostgreSQL closed that
        # connection under us (a restart), the rollback raises after the answer was made, and
        # the server would send a 500 instead. The connection is gone: there is nothing to undo.
        # (Registered after Flask-SQLAlchemy's own teardown, so it runs first.)
        try:
            db.session.remove()
        except (OperationalError, InterfaceError):
            db.session.registry.clear()

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return json_error(500, "internal_error", PLAIN_MESSAGES[500])
        return _html_error(500, PLAIN_MESSAGES[500])
