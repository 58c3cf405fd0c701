"""Configuration classes, read from the environment. Nothing else lives here."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def database_url(raw: str | None) -> str:
    """Turn what a host gives us into a SQLAlchemy URL.

    A plain ``postgresql://user@host/db`` (or Heroku-style ``postgres://``) is mapped to the
    psycopg 3 driver so people can paste what their provider shows them.
    """
    if not raw:
        return f"sqlite:///{INSTANCE_DIR / 'giveandget.sqlite'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "development-only-not-secret")
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # A slow typist must not lose their form (WCAG 2.2.1): the CSRF token lives with the session.
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
    # No form or JSON body here comes near this; a bigger one is refused (413) before parsing.
    MAX_CONTENT_LENGTH = 1024 * 1024

    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Give and Get <no-reply@localhost>")
    # Links in emails are built from this, never from the request's Host header.
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    # Sign-in throttling: failures counted in the database so every worker agrees.
    SIGNIN_WINDOW_MINUTES = 15
    SIGNIN_MAX_FAILURES_PER_ACCOUNT = 5
    SIGNIN_MAX_FAILURES_PER_ADDRESS = 20
    INVITATION_DAYS = 14
    PASSWORD_RESET_HOURS = 2

    API_TITLE = "Give and Get API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    TIMEZONE = "Europe/London"
    # Support plans: the first review falls this many months after sign-off, then every N months.
    PLAN_FIRST_REVIEW_MONTHS = int(os.environ.get("PLAN_FIRST_REVIEW_MONTHS", "3"))
    PLAN_REVIEW_INTERVAL_MONTHS = int(os.environ.get("PLAN_REVIEW_INTERVAL_MONTHS", "12"))

    # Scheduled jobs: a referral waiting longer than this is escalated to coordinators.
    REFERRAL_ESCALATION_DAYS = int(os.environ.get("REFERRAL_ESCALATION_DAYS", "14"))
    # `flask scheduler run` on SQLite holds this file locked; on PostgreSQL an advisory lock.
    SCHEDULER_LOCK_FILE = os.environ.get("SCHEDULER_LOCK_FILE", str(INSTANCE_DIR / "scheduler.lock"))
    SCHEDULER_POLL_SECONDS = int(os.environ.get("SCHEDULER_POLL_SECONDS", "30"))


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing"
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL") or "sqlite://")
    WTF_CSRF_ENABLED = False
    # Fast hashes keep the suite quick; production uses argon2's defaults.
    PASSWORD_HASH_FAST = True


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def check(cls) -> None:
        if not os.environ.get("SECRET_KEY"):
            raise RuntimeError("SECRET_KEY must be set in production.")
        if cls.SQLALCHEMY_DATABASE_URI.startswith("sqlite") and not _bool("ALLOW_SQLITE"):
            raise RuntimeError(
                "Production uses PostgreSQL: set DATABASE_URL, or ALLOW_SQLITE=1 to run on SQLite."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None = None) -> type[Config]:
    name = name or os.environ.get("APP_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
