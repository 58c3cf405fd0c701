"""Pieces every API module shares: bearer auth, the unit of work with Idempotency-Key,
pagination in the body, and the integer id converter with a range."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC
from functools import cache, wraps
from typing import Any

from flask import Response, current_app, g, request
from marshmallow import Schema, fields, validate
from sqlalchemy import and_, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.sql import Select
from werkzeug.routing import IntegerConverter

from ..auth.models import User
from ..clock import utcnow
from ..errors import ValidationFailed, is_retryable
from ..extensions import db
from ..mail import flush_outbox_after_commit
from ..textcheck import unstorable
from . import idempotency
from .models import IdempotencyRecord

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """A database id: 1 to 2**31-1. Anything else is simply not a route (404), never a 500."""

    regex = r"[0-9]+"  # ASCII digits only: a Unicode-aware \d would accept "１" and "١"

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def id_param_schema(_converter: IdConverter) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def Id(*, strict: bool = True, **kwargs: Any) -> fields.Integer:  # noqa: N802 - reads like a field
    """A reference to a row: strict in JSON bodies; in a query string use ``strict=False``."""
    return fields.Integer(strict=strict, validate=validate.Range(1, MAX_ID), **kwargs)


class UtcDateTime(fields.DateTime):
    """Times are stored as naive UTC; say so (RFC 3339 needs the offset)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


def api_user() -> User:
    """The user the bearer token belongs to (set before the view runs)."""
    return g.api_user


# --- errors -------------------------------------------------------------------------------------


class ErrorDetail(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.String())


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetail, required=True)


# --- pagination ---------------------------------------------------------------------------------


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 200))


_page_schemas: dict[type[Schema], type[Schema]] = {}


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The paginated body ``{"items", "page", "per_page", "total"}`` for an item schema."""
    if item_schema not in _page_schemas:
        name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
        _page_schemas[item_schema] = Schema.from_dict(
            {
                "items": fields.List(fields.Nested(item_schema), required=True),
                "page": fields.Integer(required=True),
                "per_page": fields.Integer(required=True),
                "total": fields.Integer(required=True),
            },
            name=name,
        )
    return _page_schemas[item_schema]


def paginate(statement: Select, args: dict[str, int]) -> dict[str, Any]:
    page, per_page = args["page"], args["per_page"]
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    items = db.session.scalars(statement.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": items, "page": page, "per_page": per_page, "total": total}


# --- unit of work and idempotency ---------------------------------------------------------------


def _request_fingerprint() -> str:
    raw = request.get_data(cache=True)
    try:
        canonical = json.dumps(json.loads(raw or b"{}"), sort_keys=True, separators=(",", ":"))
    except (ValueError, RecursionError):
        canonical = raw.decode("utf-8", "replace")
    target = f"{request.method} {request.path}?{request.query_string.decode('latin-1')}"
    return hashlib.sha256(f"{target}\n{canonical}".encode("utf-8", "replace")).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str, user: User) -> Response:
    if record.request_hash != fingerprint:
        raise ValidationFailed(
            "This Idempotency-Key was already used with a different request.",
            code="idempotency_mismatch",
            fields={"Idempotency-Key": "Use a new key for a different request."},
        )
    idempotency.check_replay(db.session, record, user, utcnow())
    db.session.commit()  # the replay's audit row
    response = Response(
        record.response_body, status=record.response_status, mimetype="application/json"
    )
    response.headers["Idempotent-Replayed"] = "true"
    return response


@cache
def _caller_record() -> Select:
    """Built once: every POST with a key runs it."""
    return select(IdempotencyRecord).where(
        IdempotencyRecord.user_id == bindparam("user_id"),
        IdempotencyRecord.key == bindparam("key"),
    )


def _key_to_look_up() -> str | None:
    """The request's Idempotency-Key when ``write`` will look it up (a POST, a valid key)."""
    key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
    if key is None or not 1 <= len(key) <= 255 or not key.isprintable() or unstorable(key):
        return None
    return key


@cache
def _token_holder_and_record() -> Select:
    """The bearer token's lookup with the caller's own record for the key outer-joined, built
    once: a POST with an Idempotency-Key learns both in one round trip."""
    from ..auth.services import token_holder_statement

    return (
        token_holder_statement()
        .add_columns(IdempotencyRecord)
        .outerjoin(
            IdempotencyRecord,
            and_(
                IdempotencyRecord.user_id == User.id,
                IdempotencyRecord.key == bindparam("idempotency_key"),
            ),
        )
    )


def bearer_user(raw: str) -> User | None:
    """The user a bearer token belongs to (``before_request``). With an Idempotency-Key the
    caller's record for it comes in the same query and is kept for ``write`` to use."""
    from ..auth import services

    now, days = utcnow(), current_app.config["API_TOKEN_DAYS"]
    key = _key_to_look_up()
    if key is None:
        user = services.user_for_api_token(db.session, raw, now, days)
    else:
        row = services.api_token_row(
            db.session,
            raw,
            now,
            days,
            statement=_token_holder_and_record(),
            params={"idempotency_key": key},
        )
        user = None if row is None else row[0]
        if user is not None:
            g.idempotency_record = (user.id, key, row[3])
    if db.session.info.pop("api_token_used", False):
        db.session.commit()  # "last used" is kept even when the request only reads
        g.pop("idempotency_record", None)  # the commit expired it: write looks it up afresh
    return user


def _find_record(user_id: int, key: str) -> IdempotencyRecord | None:
    """The caller's own live record for the key (another caller's is never looked at). An
    expired one is deleted here, so the key starts afresh. The first look-up uses the record
    the token's query brought (``bearer_user``); a second one (after a clash) asks again."""
    prefetched = g.pop("idempotency_record", None)
    if prefetched is not None and prefetched[:2] == (user_id, key):
        record = prefetched[2]
    else:
        record = db.session.scalar(_caller_record(), {"user_id": user_id, "key": key})
    hours = current_app.config["IDEMPOTENCY_KEY_HOURS"]
    if record is not None and record.created_at <= idempotency.expires_before(utcnow(), hours):
        db.session.delete(record)
        db.session.flush()
        return None
    return record


ATTEMPTS = 3
_store_answer = insert(IdempotencyRecord.__table__)


def run_retrying_deadlocks(view: Callable[..., Response], *args: Any, **kwargs: Any) -> Response:
    """Run the view; if PostgreSQL chose it as a deadlock victim, roll back and run it again.

    Postings lock accounts in id order before writing anything that references them, so this
    should not happen; if it still does and the attempts run out, the error handler answers 503
    with Retry-After (never 500).
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return view(*args, **kwargs)
        except OperationalError as error:
            db.session.rollback()
            if not is_retryable(error) or attempt == ATTEMPTS:
                raise
        except Exception:
            db.session.rollback()
            raise
    raise AssertionError("unreachable")


def write(view: Callable[..., Response]) -> Callable[..., Response]:
    """The API's unit of work: commit once when the view succeeds, roll back otherwise.

    With an ``Idempotency-Key`` header the stored response is committed in the same transaction
    as the change, so a retry (even a simultaneous one) can never apply the change twice.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        # Only POSTs create things; a GET that records an audit event is not replayable.
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        user = api_user()
        fingerprint = ""
        if key is not None:
            if not 1 <= len(key) <= 255 or not key.isprintable() or unstorable(key):
                raise ValidationFailed(
                    "The Idempotency-Key must be 1 to 255 printable characters.",
                    fields={"Idempotency-Key": "Use 1 to 255 printable characters."},
                )
            fingerprint = _request_fingerprint()
            existing = _find_record(user.id, key)
            if existing is not None:
                return _replay(existing, fingerprint, user)
        response = run_retrying_deadlocks(view, *args, **kwargs)
        if not 200 <= response.status_code < 300:
            db.session.rollback()
            return response
        try:
            if key is not None:
                body = response.get_data(as_text=True)
                path_member = (request.view_args or {}).get("member_id")
                # Written with the change, in its transaction (one INSERT, no object to track):
                # a simultaneous retry with the same key meets the unique constraint here.
                db.session.execute(
                    _store_answer,
                    {
                        "user_id": user.id,
                        "key": key,
                        "request_hash": fingerprint,
                        "response_status": response.status_code,
                        "response_body": body,
                        "member_id": idempotency.subject_of(body, path_member),
                        "created_at": utcnow(),
                    },
                )
            db.session.commit()
            flush_outbox_after_commit(db.session, current_app.config, utcnow())
        except IntegrityError:
            db.session.rollback()
            existing = _find_record(user.id, key) if key is not None else None
            if existing is None:
                raise
            return _replay(existing, fingerprint, user)
        return response

    return wrapper
