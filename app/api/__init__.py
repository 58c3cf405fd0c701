"""The JSON API v1 (contract: shared/API.md). OpenAPI is generated from these modules."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, g, request
from flask_smorest import Api

from ..error_pages import json_error
from ..extensions import csrf
from .common import ErrorSchema, IdConverter, id_param_schema


class ContractApi(Api):
    """flask-smorest, documenting the contract's error shape instead of its own.

    Blueprints are routed at once but documented when the OpenAPI document is first read (the
    ``/api/v1/openapi.json`` view, ``flask openapi print``): turning every route's schemas into
    OpenAPI was a fifth of the app's start-up, and a worker serving requests never needs it.
    The document is the same, built in the same order.
    """

    ERROR_SCHEMA = ErrorSchema

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._undocumented: list[tuple[Any, str, Any]] = []
        self._documenting = threading.RLock()
        self._documenter: int | None = None
        super().__init__(*args, **kwargs)

    @property
    def spec(self):  # type: ignore[override]
        if self._undocumented and self._documenter != threading.get_ident():
            self._document_blueprints()
        return self._spec

    @spec.setter
    def spec(self, value) -> None:
        self._spec = value

    def init_app(self, app: Flask, *args: Any, **kwargs: Any) -> None:
        self._undocumented = []  # a new app (tests make many) starts a new document
        super().init_app(app, *args, **kwargs)

    def register_blueprint(self, blp, *, parameters=None, **options) -> None:
        """What flask-smorest's does, with the documentation left for later."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def _document_blueprints(self) -> None:
        # One thread documents; another asking meanwhile waits for the whole document.
        with self._documenting:
            self._documenter = threading.get_ident()
            try:
                while self._undocumented:
                    blp, name, parameters = self._undocumented[0]
                    blp.register_views_in_doc(
                        self, self._app, self._spec, name=name, parameters=parameters
                    )
                    self._spec.tag({"name": name, "description": blp.description})
                    del self._undocumented[0]
            finally:
                self._documenter = None


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
        from .common import bearer_user

        header = request.headers.get("Authorization", "")
        scheme, _, raw = header.partition(" ")
        user = None
        if scheme.lower() == "bearer" and raw.strip():
            user = bearer_user(raw.strip())
        if user is None:
            return json_error(
                401,
                "unauthorised",
                "Send a valid token: Authorization: Bearer <token>.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        g.api_user = user
        return None
