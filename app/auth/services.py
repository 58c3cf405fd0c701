"""The rules of identity: who may create whom, sign-in and its throttle, one-time links, tokens.

Every function takes the session, the acting user and ``now`` explicitly; none commits.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..audit import AuditEvent, record
from ..errors import Conflict, Forbidden, NotFound, Throttled, ValidationFailed
from ..mail import queue_email
from ..postcodes import InvalidPostcode, normalise_postcode
from . import permissions
from .models import (
    DEFAULT_MAX_BALANCE_MINUTES,
    DEFAULT_MIN_BALANCE_MINUTES,
    ROLES,
    ApiToken,
    Organisation,
    SignInAttempt,
    User,
    UserToken,
)

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
LIMIT_MINUTES_BOUND = 10_000 * 60
MAX_RESETS_PER_HOUR = 3

_hasher = PasswordHasher()


def use_fast_password_hashing() -> None:
    """For the test suite only: argon2 with the smallest cost."""
    global _hasher
    _hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(user: User | None, password: str) -> bool:
    if user is None or not user.password_hash:
        # Spend the same effort so timing does not reveal which emails exist.
        _hasher.hash(password or "x")
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# --- validation -----------------------------------------------------------------------------


def clean_name(raw: str | None, field: str = "name") -> str:
    name = (raw or "").strip()
    if not name:
        raise ValidationFailed("Enter a name.", fields={field: "Enter a name."})
    if len(name) > 200:
        raise ValidationFailed(
            "The name must be 200 characters or fewer.",
            fields={field: "Name must be 200 characters or fewer."},
        )
    return name


def clean_email(raw: str | None) -> str:
    try:
        return validate_email((raw or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        message = "Enter an email address in the right format, like name@example.com."
        raise ValidationFailed(message, fields={"email": message}) from None


def clean_password(raw: str | None, field: str = "password") -> str:
    password = raw or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        message = f"The password must be at least {MIN_PASSWORD_LENGTH} characters."
        raise ValidationFailed(message, fields={field: message})
    if len(password) > MAX_PASSWORD_LENGTH:
        message = f"The password must be {MAX_PASSWORD_LENGTH} characters or fewer."
        raise ValidationFailed(message, fields={field: message})
    return password


def clean_postcode(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    try:
        return normalise_postcode(raw)
    except InvalidPostcode as error:
        raise ValidationFailed(str(error), fields={"postcode": str(error)}) from None


# --- permissions ----------------------------------------------------------------------------


def get_member_for(session: Session, actor: User, member_id: int) -> User:
    """The member, if the actor may see them; otherwise NotFound, so existence is not revealed."""
    person = session.get(User, member_id)
    if person is None or not permissions.can_view_member(actor, person):
        raise NotFound("We could not find that member.")
    return person


def get_organisation_for(session: Session, actor: User, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not permissions.in_reach(actor, organisation_id):
        raise NotFound("We could not find that organisation.")
    return organisation


def require_coordinator(actor: User) -> None:
    if not permissions.is_coordinator(actor):
        raise Forbidden("Only coordinators can do that.")


# --- organisations and members --------------------------------------------------------------

# Identity sits below the timebank and never imports it. A capability that keeps something for
# every organisation or member (the timebank: its hours accounts) subscribes here, once, from
# create_app; creating a person through any face (page, API, command line, demo) then opens it
# in the same unit of work. Keyed by capability, so subscribing twice changes nothing.
ORGANISATION_OPENED: dict[str, Callable[[Session, Organisation], object]] = {}
MEMBER_OPENED: dict[str, Callable[[Session, User], object]] = {}


def subscribe(
    capability: str,
    *,
    organisation: Callable[[Session, Organisation], object],
    member: Callable[[Session, User], object],
) -> None:
    ORGANISATION_OPENED[capability] = organisation
    MEMBER_OPENED[capability] = member


def create_organisation(
    session: Session,
    *,
    actor: User | None,
    name: str,
    min_balance_minutes: int = DEFAULT_MIN_BALANCE_MINUTES,
    max_balance_minutes: int = DEFAULT_MAX_BALANCE_MINUTES,
) -> Organisation:
    """Create an organisation with its hours account and community chest. ``actor`` None is the CLI."""
    if not permissions.can_create_organisation(actor):
        raise Forbidden("Only administrators can create organisations.")
    name = clean_name(name)
    _check_limits(min_balance_minutes, max_balance_minutes)
    if session.scalar(select(Organisation.id).where(func.lower(Organisation.name) == name.lower())):
        raise Conflict(
            "An organisation with that name already exists.",
            code="name_taken",
            fields={"name": "An organisation with that name already exists."},
        )
    organisation = Organisation(
        name=name, min_balance_minutes=min_balance_minutes, max_balance_minutes=max_balance_minutes
    )
    session.add(organisation)
    session.flush()
    for open_for_organisation in ORGANISATION_OPENED.values():
        open_for_organisation(session, organisation)
    return organisation


def _check_limits(min_balance_minutes: int, max_balance_minutes: int) -> None:
    fields = {}
    if not -LIMIT_MINUTES_BOUND <= min_balance_minutes <= 0:
        fields["min_balance_minutes"] = "The minimum balance must be between -10,000 hours and 0."
    if not 0 <= max_balance_minutes <= LIMIT_MINUTES_BOUND:
        fields["max_balance_minutes"] = "The maximum balance must be between 0 and 10,000 hours."
    if fields:
        raise ValidationFailed("Check the balance limits.", fields=fields)


MAX_HOURLY_RATE_PENCE = 100_000  # £1,000 an hour: anything above is a typing error
# A day's notice comes before an automatic confirmation, so it is never sooner than two days.
MIN_AUTO_CONFIRM_DAYS = 2
MAX_AUTO_CONFIRM_DAYS = 365
UNCHANGED = object()  # a setting the caller did not send


def update_organisation_settings(
    session: Session,
    *,
    actor: User,
    organisation_id: int,
    min_balance_minutes: int,
    max_balance_minutes: int,
    hourly_rate_pence: int,
    auto_confirm_days: int | None | object = UNCHANGED,
) -> Organisation:
    """The organisation's coordinators (or an admin) set its members' balance limits, the
    hourly rate used for social value and after how many days an undisputed pending exchange
    is confirmed automatically (None: never; left out: unchanged). Balances never move: a
    member already past a new limit simply cannot go further."""
    organisation = get_organisation_for(session, actor, organisation_id)
    if not permissions.can_change_settings(actor, organisation_id):
        raise Forbidden("Only coordinators can change the organisation's settings.")
    _check_limits(min_balance_minutes, max_balance_minutes)
    if not 0 <= hourly_rate_pence <= MAX_HOURLY_RATE_PENCE:
        message = "The hourly rate must be between £0 and £1,000."
        raise ValidationFailed(message, fields={"hourly_rate_pence": message})
    if auto_confirm_days is not UNCHANGED:
        if auto_confirm_days is not None and not (
            MIN_AUTO_CONFIRM_DAYS <= auto_confirm_days <= MAX_AUTO_CONFIRM_DAYS
        ):
            message = (
                f"Confirm automatically after {MIN_AUTO_CONFIRM_DAYS} to "
                f"{MAX_AUTO_CONFIRM_DAYS} days, or never."
            )
            raise ValidationFailed(message, fields={"auto_confirm_days": message})
        organisation.auto_confirm_days = auto_confirm_days
    organisation.min_balance_minutes = min_balance_minutes
    organisation.max_balance_minutes = max_balance_minutes
    if organisation.hourly_rate_pence != hourly_rate_pence:
        # Reports state who set the rate behind their social value, and when.
        record(
            session,
            actor=actor,
            action="organisation.hourly_rate_set",
            object_type="organisation",
            object_id=organisation.id,
            organisation_id=organisation.id,
        )
    organisation.hourly_rate_pence = hourly_rate_pence
    return organisation


@dataclass
class NewMember:
    name: str
    email: str | None = None
    password: str | None = None
    postcode: str | None = None
    role: str = "member"
    organisation_id: int | None = None


def create_member(
    session: Session,
    *,
    actor: User | None,
    new: NewMember,
    now: datetime,
    base_url: str,
    invitation_days: int = 14,
) -> User:
    """Add a person to an organisation with an hours account.

    Without a password, an emailed invitation lets them set one. ``actor`` None is the bootstrap CLI.
    """
    if actor is not None:
        require_coordinator(actor)
    organisation_id = new.organisation_id or (actor.organisation_id if actor else None)
    organisation = session.get(Organisation, organisation_id) if organisation_id else None
    if actor is not None and not permissions.in_reach(actor, organisation_id):
        raise Forbidden("Coordinators can only add people to their own organisation.")
    if organisation is None:
        raise ValidationFailed(
            "Choose an organisation.", fields={"organisation_id": "No such organisation."}
        )
    if new.role not in ROLES:
        raise ValidationFailed(
            "Choose a role: member, coordinator or admin.",
            fields={"role": "Choose member, coordinator or admin."},
        )
    if not permissions.can_create_role(actor, new.role):
        raise Forbidden("Only administrators can create administrators.")
    name = clean_name(new.name)
    email = clean_email(new.email) if new.email else None
    password = clean_password(new.password) if new.password else None
    postcode = clean_postcode(new.postcode)
    if email and session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(
            "Someone already has an account with that email address.",
            code="email_taken",
            fields={"email": "Someone already has an account with that email address."},
        )
    user = User(
        organisation_id=organisation.id,
        name=name,
        email=email,
        password_hash=hash_password(password) if password else None,
        role=new.role,
        postcode=postcode,
        created_by_id=actor.id if actor else None,
        created_at=now,
    )
    session.add(user)
    session.flush()
    for open_for_member in MEMBER_OPENED.values():
        open_for_member(session, user)
    if email and not password:
        invite(session, user=user, now=now, base_url=base_url, days=invitation_days)
    return user


def invite(session: Session, *, user: User, now: datetime, base_url: str, days: int = 14) -> str:
    if not user.email:
        raise ValidationFailed(
            "This person has no email address to send an invitation to.",
            fields={"email": "Add an email address first."},
        )
    raw = _issue_user_token(session, user, "invitation", now + timedelta(days=days), now)
    queue_email(
        session,
        to=user.email,
        subject=f"You are invited to {user.organisation.name} on Give and Get",
        body=(
            f"Hello {user.name},\n\n{user.organisation.name} has added you to Give and Get, "
            f"where members share time and support.\n\nChoose a password to start:\n"
            f"{base_url}/invitations/{raw}\n\nThe link works for {days} days.\n"
        ),
    )
    return raw


def _issue_user_token(
    session: Session, user: User, purpose: str, expires_at: datetime, now: datetime
) -> str:
    raw = secrets.token_urlsafe(32)
    session.add(
        UserToken(
            user_id=user.id, purpose=purpose, token_hash=hash_token(raw), expires_at=expires_at
        )
    )
    session.flush()
    return raw


def find_user_token(session: Session, raw: str, purpose: str, now: datetime) -> UserToken:
    token = session.scalar(select(UserToken).where(UserToken.token_hash == hash_token(raw or "")))
    if token is None or token.purpose != purpose or token.used_at or token.expires_at < now:
        raise NotFound(
            "This link has expired or has already been used. Ask for a new one.",
            code="link_expired",
        )
    return token


def set_password_with_token(
    session: Session, *, raw_token: str, purpose: str, password: str, now: datetime
) -> User:
    """Use an invitation or reset link once to set a password."""
    token = find_user_token(session, raw_token, purpose, now)
    token.user.password_hash = hash_password(clean_password(password))
    token.used_at = now
    # Any other outstanding links for this person stop working too.
    for other in session.scalars(
        select(UserToken).where(UserToken.user_id == token.user_id, UserToken.used_at.is_(None))
    ):
        other.used_at = now
    return token.user


def request_password_reset(
    session: Session, *, email: str, now: datetime, base_url: str, hours: int = 2
) -> None:
    """Queue a reset email if the address is known. Says nothing either way to the caller."""
    address = clean_email(email)
    user = session.scalar(select(User).where(User.email == address))
    if user is None or not user.active:
        return
    recent = session.scalar(
        select(func.count()).where(
            UserToken.user_id == user.id,
            UserToken.purpose == "password_reset",
            UserToken.created_at > now - timedelta(hours=1),
        )
    )
    if recent >= MAX_RESETS_PER_HOUR:
        return  # the earlier emails still work; never flood anyone's inbox
    raw = _issue_user_token(session, user, "password_reset", now + timedelta(hours=hours), now)
    queue_email(
        session,
        to=address,
        subject="Reset your Give and Get password",
        body=(
            f"Hello {user.name},\n\nSomeone asked to reset the password for this email address. "
            f"If it was you, choose a new password here:\n{base_url}/password/reset/{raw}\n\n"
            f"The link works for {hours} hours. If it was not you, you can ignore this email.\n"
        ),
    )


# --- sign-in and its throttle ---------------------------------------------------------------


@dataclass(frozen=True)
class ThrottlePolicy:
    window_minutes: int = 15
    max_failures_per_account: int = 5
    max_failures_per_address: int = 20


def check_throttle(
    session: Session, *, email: str, address: str, now: datetime, policy: ThrottlePolicy
) -> None:
    """Raise Throttled while the account or the address has too many recent failures."""
    since = now - timedelta(minutes=policy.window_minutes)
    for column, value, limit in (
        (SignInAttempt.email, email.strip().lower(), policy.max_failures_per_account),
        (SignInAttempt.address, address, policy.max_failures_per_address),
    ):
        count, oldest = session.execute(
            select(func.count(), func.min(SignInAttempt.at)).where(
                column == value, SignInAttempt.at > since, SignInAttempt.succeeded.is_(False)
            )
        ).one()
        if count >= limit:
            retry = int((oldest + timedelta(minutes=policy.window_minutes) - now).total_seconds())
            minutes = max(1, -(-retry // 60))
            raise Throttled(
                f"Too many failed attempts. Wait {minutes} minute{'s' if minutes != 1 else ''} "
                "and try again, or reset your password.",
                retry_after_seconds=retry,
            )


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    address: str,
    now: datetime,
    policy: ThrottlePolicy,
) -> User | None:
    """The user these credentials belong to, or None. Records the attempt (the caller commits).

    Raises Throttled before looking at the password when there have been too many failures.
    """
    email = (email or "").strip().lower()[:320]
    check_throttle(session, email=email, address=address, now=now, policy=policy)
    user = session.scalar(select(User).where(User.email == email)) if email else None
    ok = password_matches(user, password or "") and user is not None and user.active
    session.add(SignInAttempt(email=email, address=address[:64], succeeded=ok, at=now))
    return user if ok else None


# --- API tokens -----------------------------------------------------------------------------


def issue_api_token(session: Session, user: User, now: datetime, name: str = "API token") -> str:
    raw = "gg_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(raw), name=name, created_at=now))
    session.flush()
    return raw


def api_token_by_raw(session: Session, raw: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))


def user_for_api_token(session: Session, raw: str, now: datetime) -> User | None:
    """The active user a live (unrevoked) token belongs to, or None.

    Every API request runs this, so it is one query that returns the user alone: the token row
    only decides whether there is a match, it is never needed as an object.
    """
    user = session.scalar(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == hash_token(raw), ApiToken.revoked_at.is_(None))
    )
    if user is None or not user.active:
        return None
    return user


def revoke_api_token(session: Session, *, actor: User, token_id: int, now: datetime) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or not (
        token.user_id == actor.id or permissions.can_manage(actor, token.user)
    ):
        raise NotFound("We could not find that token.")
    token.revoked_at = token.revoked_at or now


# --- the audit trail --------------------------------------------------------------------------


def audit_trail_query(session: Session, actor: User, member_id: int | None = None):
    """The audit events the actor may read, newest first; one person's when ``member_id`` is
    given. Coordinators read their organisation's; administrators the whole deployment's (API.md).
    The audit page and ``GET /api/v1/audit`` both use this, so they cannot disagree."""
    if not permissions.is_coordinator(actor):
        raise Forbidden("Only coordinators and administrators can read the audit trail.")
    statement = select(AuditEvent).order_by(AuditEvent.id.desc())
    if not permissions.can_read_whole_audit(actor):
        statement = statement.where(AuditEvent.organisation_id == actor.organisation_id)
    if member_id is not None:
        person = session.get(User, member_id)
        if person is None or not permissions.can_read_audit(actor, person.organisation_id):
            raise NotFound("We could not find that member.")
        statement = statement.where(AuditEvent.member_id == person.id)
    return statement


# --- forgetting a person --------------------------------------------------------------------

# A capability that keeps copies of what a person told us (the API's idempotency store) registers
# here, once, from create_app; withdrawing consent or erasing the person runs every purge in the
# same unit of work.
PERSON_FORGOTTEN: dict[str, Callable[[Session, User], object]] = {}


def on_person_forgotten(capability: str, forget: Callable[[Session, User], object]) -> None:
    PERSON_FORGOTTEN[capability] = forget


def forget_person(session: Session, person: User) -> None:
    """Run every capability's purge of what it keeps about ``person``."""
    for forget in PERSON_FORGOTTEN.values():
        forget(session, person)
