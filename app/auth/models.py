"""Tables for organisations, people, their one-time links, API tokens and sign-in attempts."""

from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db

ROLES = ("member", "coordinator", "admin")
ROLE_NAMES = {"member": "Member", "coordinator": "Coordinator", "admin": "Administrator"}
TOKEN_PURPOSES = ("invitation", "password_reset")

DEFAULT_MIN_BALANCE_MINUTES = -10 * 60
DEFAULT_MAX_BALANCE_MINUTES = 100 * 60
DEFAULT_AUTO_CONFIRM_DAYS = 14


class Organisation(db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    min_balance_minutes: Mapped[int] = mapped_column(default=DEFAULT_MIN_BALANCE_MINUTES)
    max_balance_minutes: Mapped[int] = mapped_column(default=DEFAULT_MAX_BALANCE_MINUTES)
    # What an hour of community time is worth, for social-value reports.
    hourly_rate_pence: Mapped[int] = mapped_column(default=1500)
    # A pending exchange nobody disputes is confirmed by the scheduler after this many days
    # (None: never; the other party must confirm).
    auto_confirm_days: Mapped[int | None] = mapped_column(default=DEFAULT_AUTO_CONFIRM_DAYS)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="organisation")

    __table_args__ = (
        CheckConstraint("min_balance_minutes <= 0", name="min_not_positive"),
        CheckConstraint("max_balance_minutes >= 0", name="max_not_negative"),
        CheckConstraint("hourly_rate_pence >= 0", name="rate_not_negative"),
        CheckConstraint("auto_confirm_days BETWEEN 2 AND 365", name="auto_confirm_days_range"),
    )


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # Stored lower-cased; a member who has no email is recorded for by a coordinator.
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="member")
    # Indexed: the candidate query joins a peer's postcode to its centroid.
    postcode: Mapped[str | None] = mapped_column(String(8), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Part of every session's identity (``get_id``): raising it ends every session signed in
    # before (sign-out, a password reset, "sign out everywhere").
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # The language they chose (a catalogue in translations/); None: the browser's, or English.
    locale: Mapped[str | None] = mapped_column(String(10))

    organisation: Mapped[Organisation] = relationship(back_populates="members")

    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role_known"),)

    # Not a column: while a coordinator acts for this member, the session loader hands out the
    # member with the coordinator set here, so every permission check runs as the member and
    # the audit records who really did it (app.auth.acting).
    acting_coordinator = None
    acting_arrangement = None

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive people cannot sign in
        return self.active

    def get_id(self) -> str:  # Flask-Login keeps this in the session and the remember cookie
        return f"{self.id}:{self.session_version}"

    @property
    def is_coordinator(self) -> bool:
        return self.role in ("coordinator", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def role_name(self) -> str:
        return ROLE_NAMES[self.role]


class UserToken(db.Model):
    """A one-time link: an invitation that sets a password, or a password reset."""

    __tablename__ = "user_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    __table_args__ = (CheckConstraint(f"purpose IN {TOKEN_PURPOSES!r}", name="purpose_known"),)


class ApiToken(db.Model):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="API token")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


ATTEMPT_KINDS = ("sign_in", "password_reset")


class SignInAttempt(db.Model):
    """Every sign-in, token or password-reset request, so throttling works across all web
    workers. Each kind is throttled on its own: asking for resets never locks anyone out."""

    __tablename__ = "sign_in_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(20), default="sign_in", server_default="sign_in")

    __table_args__ = (
        Index("ix_sign_in_attempt_email_at", "email", "at"),
        Index("ix_sign_in_attempt_address_at", "address", "at"),
        CheckConstraint(f"kind IN {ATTEMPT_KINDS!r}", name="kind_known"),
    )


class ActingArrangement(db.Model):
    """A member asked a coordinator of their organisation to act for them: who, when, why and
    until when. While it lasts the coordinator may see the product as the member sees it and
    do what the member asked; the member (or a coordinator) can stop it at any time."""

    __tablename__ = "acting_arrangement"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    asked_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(500))
    until: Mapped[date]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    ended_at: Mapped[datetime | None]
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    member: Mapped[User] = relationship(foreign_keys=[member_id])
    coordinator: Mapped[User] = relationship(foreign_keys=[coordinator_id])

    __table_args__ = (
        CheckConstraint("member_id <> coordinator_id", name="not_for_oneself"),
        CheckConstraint("until >= asked_on", name="until_after_asked"),
    )
