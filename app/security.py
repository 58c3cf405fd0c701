"""Security headers on every response, the encrypted session cookie, and the session loader
for Flask-Login.

The loader also decides acting for a member: a coordinator whose session names an arrangement
that still allows it is handed the member (carrying the coordinator), so every page and every
permission check runs as the member. While acting, each request is checked against what may be
done for someone (``permissions.can_do_while_acting``) and audited as "coordinator X acting for
member Y", in the request's own unit of work when it commits, or on its own when it does not.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import Flask, Response, flash, g, request, session
from flask.sessions import SecureCookieSessionInterface, session_json_serializer
from flask_babel import gettext
from flask_login import current_user
from itsdangerous import BadSignature
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from .auth.acting import ACTING_KEY
from .extensions import db, login_manager
from .language import N_

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)


class EncryptedCookieSerializer:
    """What Flask's cookie session signs with, encrypting as well (Fernet: AES and an HMAC): a
    flashed message naming a person or quoting their plan is unreadable in the cookie, on disk
    or in a proxy's log, and a changed cookie is refused as a forged one is."""

    def __init__(self, secret_key: str) -> None:
        digest = hashlib.sha256(b"give-and-get session cookie\0" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def dumps(self, value: dict[str, Any]) -> str:
        return self._fernet.encrypt(session_json_serializer.dumps(value).encode()).decode()

    def loads(self, value: str | bytes, max_age: int | None = None) -> dict[str, Any]:
        token = value.encode() if isinstance(value, str) else value
        try:
            return session_json_serializer.loads(self._fernet.decrypt(token, ttl=max_age).decode())
        except (InvalidToken, ValueError):
            raise BadSignature("The session cookie could not be read.") from None


class EncryptedCookieSessionInterface(SecureCookieSessionInterface):
    def get_signing_serializer(self, app: Flask) -> EncryptedCookieSerializer | None:  # type: ignore[override]
        if not app.secret_key:
            return None
        return EncryptedCookieSerializer(str(app.secret_key))


# Responses that may carry personal or health data are never stored by a browser or a proxy
# (the back button after sign-out, a shared computer): everything but the static files.
NO_STORE_EXEMPT_ENDPOINTS = {"static"}


def trust_proxies(app: Flask) -> None:
    """Behind a TLS proxy every request comes from the proxy's address: with TRUSTED_PROXIES
    set, X-Forwarded-For (and -Proto) are believed from exactly that many hops, so throttling
    counts each person's own address. With 0 (the default) the headers are ignored: a client
    cannot escape the throttle by writing them itself."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def register_security(app: Flask) -> None:
    app.session_interface = EncryptedCookieSessionInterface()
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to see that page."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(session_id: str):
        from .auth.services import user_for_session

        user = user_for_session(db.session, session_id)
        if user is None:
            return None
        # A long-lived session's copy may still carry an earlier request's acting: start clean.
        user.acting_coordinator = user.acting_arrangement = None
        arrangement_id = session.get(ACTING_KEY)
        if arrangement_id is None:
            return user
        from .auth.acting import acting_identity
        from .clock import utcnow

        member = acting_identity(
            db.session, coordinator=user, arrangement_id=arrangement_id, now=utcnow()
        )
        if member is None:
            session.pop(ACTING_KEY, None)
            flash(
                gettext(
                    "You are no longer acting for that member: the arrangement has ended or "
                    "was stopped. You see your own pages again."
                ),
                "info",
            )
            return user
        return member

    @app.before_request
    def check_and_audit_acting():
        """While acting for someone: only what may be done for them, and every page audited."""
        if request.endpoint in (None, "static") or (request.blueprint or "").startswith("api"):
            return None
        if not current_user.is_authenticated or current_user.acting_coordinator is None:
            return None
        from .auth.acting import record_acted
        from .auth.permissions import can_do_while_acting
        from .clock import utcnow
        from .errors import Forbidden

        if not can_do_while_acting(request.endpoint, request.method):
            raise Forbidden(
                gettext(
                    "While you act for %(name)s you can record and confirm exchanges, renew "
                    "listings and read their inbox. Stop acting for them to do anything else.",
                    name=current_user.name,
                )
            )
        object_id = next(
            (value for value in (request.view_args or {}).values() if isinstance(value, int)),
            None,
        )
        g.acting_audit = dict(
            endpoint=request.endpoint,
            changed=request.method not in ("GET", "HEAD", "OPTIONS"),
            object_id=object_id,
        )
        g.acting_event = record_acted(
            db.session, actor=current_user, now=utcnow(), **g.acting_audit
        )
        return None

    @app.after_request
    def keep_acting_audit(response: Response) -> Response:
        """The request's acting event commits with its change; a page that commits nothing, or
        whose change was refused and rolled back, still leaves its event."""
        event = g.pop("acting_event", None)
        if event is None:
            return response
        from .auth.acting import record_acted
        from .clock import utcnow

        if inspect(event).transient:  # rolled back with a refused change: the try still counts
            record_acted(db.session, actor=current_user, now=utcnow(), **g.acting_audit)
        try:
            db.session.commit()
        except SQLAlchemyError:  # the database went away: the page has answered already
            db.session.rollback()
            app.logger.exception("Could not keep the audit of acting for a member")
        return response

    @app.before_request
    def refuse_unstorable_text():
        """A NUL character in a form or query string can never be stored (PostgreSQL refuses
        it): say so plainly instead of failing later."""
        from .errors import ValidationFailed
        from .textcheck import first_unstorable

        for source in (request.args, request.form):
            where = first_unstorable({key: source.getlist(key) for key in source})
            if where is not None:
                field = where.split(".")[0]
                raise ValidationFailed(
                    N_("Remove the invalid character from what you typed."),
                    fields={field: N_("This contains a character that cannot be saved.")},
                )
        return None

    @app.after_request
    def add_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.endpoint not in NO_STORE_EXEMPT_ENDPOINTS:
            headers["Cache-Control"] = "no-store"
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
