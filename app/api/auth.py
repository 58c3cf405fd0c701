"""API tokens: exchange an email and password for a bearer token; revoke it."""

from __future__ import annotations

from flask import current_app, request
from marshmallow import Schema, fields

from ..auth import services
from ..clock import utcnow
from ..errors import DomainError
from ..extensions import db
from .common import UtcDateTime, api_user
from .parsing import ApiBlueprint as Blueprint

blp = Blueprint("api_auth", __name__, description="Bearer tokens")


class TokenRequestSchema(Schema):
    email = fields.String(required=True)
    password = fields.String(required=True)


class TokenSchema(Schema):
    token = fields.String(required=True)
    user_id = fields.Integer(required=True)


def throttle_policy() -> services.ThrottlePolicy:
    config = current_app.config
    return services.ThrottlePolicy(
        window_minutes=config["SIGNIN_WINDOW_MINUTES"],
        max_failures_per_account=config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"],
        max_failures_per_address=config["SIGNIN_MAX_FAILURES_PER_ADDRESS"],
    )


@blp.route("/auth/token", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(TokenRequestSchema)
@blp.response(201, TokenSchema)
def create_token(data):
    now = utcnow()
    user = services.authenticate(
        db.session,
        email=data["email"],
        password=data["password"],
        address=request.remote_addr or "unknown",
        now=now,
        policy=throttle_policy(),
    )
    if user is None:
        db.session.commit()  # the failed attempt counts towards the throttle
        raise DomainError(
            "That email and password do not match an account.",
            code="invalid_credentials",
            status=401,
        )
    token = services.issue_api_token(db.session, user, now)
    db.session.commit()
    return {"token": token, "user_id": user.id}


@blp.route("/auth/token", methods=["DELETE"])
@blp.response(204)
def revoke_token():
    """Revoke the token this request was made with."""
    raw = request.headers["Authorization"].partition(" ")[2].strip()
    token = services.api_token_by_raw(db.session, raw)
    services.revoke_api_token(db.session, actor=api_user(), token_id=token.id, now=utcnow())
    db.session.commit()
    return None


class TokenItemSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    created_at = UtcDateTime(required=True)
    expires_at = UtcDateTime(required=True)
    last_used_at = UtcDateTime(allow_none=True)
    revoked_at = UtcDateTime(allow_none=True)
    status = fields.String(required=True, metadata={"enum": ["active", "expired", "revoked"]})


class TokenListSchema(Schema):
    items = fields.List(fields.Nested(TokenItemSchema), required=True)


class SignedOutSchema(Schema):
    revoked_tokens = fields.Integer(required=True)


@blp.route("/auth/tokens", methods=["GET"])
@blp.response(200, TokenListSchema)
def list_tokens():
    """The caller's own API tokens, newest first: when each was made, last used, and expires."""
    days = current_app.config["API_TOKEN_DAYS"]
    return {"items": services.tokens_of(db.session, api_user(), utcnow(), days)}


@blp.route("/auth/tokens/<id:token_id>", methods=["DELETE"])
@blp.response(204)
def revoke_own_token(token_id: int):
    """Revoke one of the caller's own tokens (another person's is 404)."""
    services.revoke_own_token(db.session, actor=api_user(), token_id=token_id, now=utcnow())
    db.session.commit()
    return None


@blp.route("/auth/sign-out-everywhere", methods=["POST"])
@blp.response(200, SignedOutSchema)
def sign_out_everywhere():
    """End every session and revoke every API token of the caller, this one included."""
    revoked = services.end_every_session(db.session, api_user(), utcnow())
    db.session.commit()
    return {"revoked_tokens": revoked}
