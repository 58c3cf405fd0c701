"""The JSON API v1 (contract: shared/API.md). OpenAPI is generated from these modules."""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_smorest import Api

from ..clock import utcnow
from ..error_pages import json_error
from ..extensions import csrf, db
from .common import ErrorSchema, IdConverter, id_param_schema


class ContractApi(Api):
    """flask-smorest, documenting the contract's error shape instead of its own."""

    ERROR_SCHEMA = ErrorSchema


api = ContractApi()

PUBLIC = {("GET", "/api/v1/openapi.json"), ("POST", "/api/v1/auth/token")}


def init_api(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    api.init_app(
        app,
        spec_kwargs={
            "info": {
                "description": "Give and Get: timebank and peer support for user-led organisations.",
            },
            "security": [{"bearerAuth": []}],
        },
    )
    api.register_converter(IdConverter, id_param_schema)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})

    from ..auth.services import on_person_forgotten
    from ..jobs.runs import JOBS
    from . import (
        auth,
        idempotency,
        matching,
        members,
        notifications,
        organisations,
        partnerships,
        peers,
        privacy,
        reports,
        timebank,
    )

    # Withdrawn consent or an erasure purges the stored answers about the person; a job
    # deletes answers older than IDEMPOTENCY_KEY_HOURS.
    on_person_forgotten("api", idempotency.forget_person)
    JOBS["idempotency_expiry"] = lambda session, now, settings: idempotency.purge_expired(
        session, now, settings.idempotency_key_hours
    )

    for module in (
        auth,
        members,
        organisations,
        timebank,
        partnerships,
        peers,
        matching,
        notifications,
        reports,
        privacy,
    ):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
        csrf.exempt(module.blp)

    @app.before_request
    def authenticate_api_request():
        if not request.path.startswith("/api/") or (request.method, request.path) in PUBLIC:
            return None
        from ..auth.services import user_for_api_token

        header = request.headers.get("Authorization", "")
        scheme, _, raw = header.partition(" ")
        user = None
        if scheme.lower() == "bearer" and raw.strip():
            user = user_for_api_token(
                db.session, raw.strip(), utcnow(), current_app.config["API_TOKEN_DAYS"]
            )
            if db.session.info.pop("api_token_used", False):
                db.session.commit()  # "last used" is kept even when the request only reads
        if user is None:
            return json_error(
                401,
                "unauthorised",
                "Send a valid token: Authorization: Bearer <token>.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        g.api_user = user
        return None
