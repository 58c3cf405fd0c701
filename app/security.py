"""Security headers on every response, and the session loader for Flask-Login."""

from __future__ import annotations

from flask import Flask, Response

from .extensions import db, login_manager

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)


def register_security(app: Flask) -> None:
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to see that page."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        from .auth.models import User

        if not user_id.isdigit():
            return None
        return db.session.get(User, int(user_id))

    @app.before_request
    def refuse_unstorable_text():
        """A NUL character in a form or query string can never be stored (PostgreSQL refuses
        it): say so plainly instead of failing later."""
        from flask import request

        from .errors import ValidationFailed
        from .textcheck import first_unstorable

        for source in (request.args, request.form):
            where = first_unstorable({key: source.getlist(key) for key in source})
            if where is not None:
                field = where.split(".")[0]
                raise ValidationFailed(
                    "Remove the invalid character from what you typed.",
                    fields={field: "This contains a character that cannot be saved."},
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
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
