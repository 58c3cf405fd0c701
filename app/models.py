"""Imports every model so that Alembic and create_app see all tables."""

from .api.models import IdempotencyRecord  # noqa: F401
from .auth.models import ApiToken, Organisation, OutboxEmail, SignInAttempt, User, UserToken  # noqa: F401
from .timebank.models import Account  # noqa: F401
