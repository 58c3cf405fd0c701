"""API tokens: exchange an email and password for a bearer token; revoke it."""

from __future__ import annotations

from flask import current_app, request
from marshmallow import Schema, fields

from ..auth import services
from ..clock import utcnow
from ..errors import DomainError
from ..extensions import db
from .common import api_user
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
