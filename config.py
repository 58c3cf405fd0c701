"""Configuration classes, read from the environment. Nothing else lives here."""

from __future__ import annotations

import os
import secrets
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


# Keys that have been published (in this code, its history or its documentation) or are
# guessable: anyone holding one can sign a session cookie as any user, an admin included.
KNOWN_SECRET_KEYS = frozenset(
    {
        "development-only-not-secret",
        "testing",
        "bench",
        "secret",
        "changeme",
        "change-me",
        "dev",
        "development",
        "give-and-get-demo",
    }
)
MIN_SECRET_KEY_LENGTH = 32
SECRET_KEY_FILE = "secret_key"


def _instance_secret_key(instance_dir: Path) -> str:
    """Development's key: random, generated once into instance/ (git-ignored), kept after."""
    path = instance_dir / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    return key


def settle_secret_key(settings: dict, instance_dir: Path) -> str:
    """The key sessions are signed with. Testing uses its fixed one; development generates one
    into ``instance/`` when none is configured; every other mode must be given one. A known or
    short key is refused everywhere but testing, so the app never runs with a public key."""
    key = settings.get("SECRET_KEY") or os.environ.get("SECRET_KEY") or ""
    if settings.get("TESTING"):
        return key or "testing"
    if not key:
        if not settings.get("GENERATE_SECRET_KEY"):
            raise RuntimeError(
                "SECRET_KEY must be set (a random string of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters, e.g. from `python -c 'import secrets; "
                "print(secrets.token_hex(32))'`). For a local run set APP_ENV=development."
            )
        key = _instance_secret_key(instance_dir)
    if key in KNOWN_SECRET_KEYS or len(key) < MIN_SECRET_KEY_LENGTH:
        raise RuntimeError(
            f"SECRET_KEY is a published or short key: use a random string of at least "
            f"{MIN_SECRET_KEY_LENGTH} characters."
        )
    return key


class Config:
    # Settled in create_app (settle_secret_key): never a default anyone can read.
    SECRET_KEY: str | None = None
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
    # How many proxies in front of the app may set X-Forwarded-For (0: trust none).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # A bearer token stops working this many days after it was issued.
    API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "90"))
    # A stored Idempotency-Key response is replayed for this long, then forgotten.
    IDEMPOTENCY_KEY_HOURS = int(os.environ.get("IDEMPOTENCY_KEY_HOURS", "24"))

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
    GENERATE_SECRET_KEY = True


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
        if not os.environ.get("MAIL_SERVER") and not _bool("ALLOW_NO_MAIL"):
            raise RuntimeError(
                "Production sends email (password resets, invitations): set MAIL_SERVER, or "
                "ALLOW_NO_MAIL=1 to run without one (emails are then logged with their links "
                "removed, so nobody can use them)."
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
