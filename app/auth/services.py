"""The rules of identity: who may create whom, sign-in and its throttle, one-time links, tokens.

Every function takes the session, the acting user and ``now`` explicitly; none commits.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Row, Select, bindparam, func, select, update
from sqlalchemy.orm import Session

from ..audit import AuditEvent, record
from ..errors import Conflict, Forbidden, NotFound, Throttled, ValidationFailed
from ..language import speaker
from ..mail import queue_email
from ..postcodes import InvalidPostcode, normalise_postcode
from ..wording import N_, said
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
# Member balance limits a coordinator may set: a member owing more than 200 hours, or holding
# more than 1,000, is a typing error or hours being manufactured (issue 15's puppet member).
LIMIT_MINUTES_BOUND = 1_000 * 60
MIN_BALANCE_BOUND_MINUTES = 200 * 60
LIMIT_HOURS_WORDS = "The minimum balance must be between -200 hours and 0."
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
        raise ValidationFailed(N_("Enter a name."), fields={field: N_("Enter a name.")})
    if len(name) > 200:
        raise ValidationFailed(
            N_("The name must be 200 characters or fewer."),
            fields={field: N_("Name must be 200 characters or fewer.")},
        )
    # A name goes into email subjects and headers, where a line break breaks the message.
    if any(unicodedata.category(character) in ("Cc", "Zl", "Zp") for character in name):
        message = "The name cannot contain line breaks, tabs or other control characters."
        raise ValidationFailed(message, fields={field: message})
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
        raise NotFound(N_("We could not find that member."))
    return person


def get_organisation_for(session: Session, actor: User, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not permissions.in_reach(actor, organisation_id):
        raise NotFound(N_("We could not find that organisation."))
    return organisation


def require_coordinator(actor: User) -> None:
    if not permissions.is_coordinator(actor):
        raise Forbidden(N_("Only coordinators can do that."))


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
        raise Forbidden(N_("Only administrators can create organisations."))
    name = clean_name(name)
    _check_limits(min_balance_minutes, max_balance_minutes)
    if session.scalar(select(Organisation.id).where(func.lower(Organisation.name) == name.lower())):
        raise Conflict(
            N_("An organisation with that name already exists."),
            code="name_taken",
            fields={"name": N_("An organisation with that name already exists.")},
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
    if not -MIN_BALANCE_BOUND_MINUTES <= min_balance_minutes <= 0:
        fields["min_balance_minutes"] = LIMIT_HOURS_WORDS
    if not 0 <= max_balance_minutes <= LIMIT_MINUTES_BOUND:
        fields["max_balance_minutes"] = "The maximum balance must be between 0 and 1,000 hours."
    if fields:
        raise ValidationFailed(N_("Check the balance limits."), fields=fields)


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
        raise Forbidden(N_("Only coordinators can change the organisation's settings."))
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
    before = (
        organisation.min_balance_minutes,
        organisation.max_balance_minutes,
        organisation.hourly_rate_pence,
        organisation.auto_confirm_days,
    )
    if auto_confirm_days is not UNCHANGED:
        organisation.auto_confirm_days = auto_confirm_days
    organisation.min_balance_minutes = min_balance_minutes
    organisation.max_balance_minutes = max_balance_minutes
    after = (min_balance_minutes, max_balance_minutes, hourly_rate_pence)
    if before[:3] != after or before[3] != organisation.auto_confirm_days:
        # Every change of the rules hours move under is on the record (who, when).
        record(
            session,
            actor=actor,
            action="organisation.settings_changed",
            object_type="organisation",
            object_id=organisation.id,
            organisation_id=organisation.id,
        )
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
        raise Forbidden(N_("Coordinators can only add people to their own organisation."))
    if organisation is None:
        raise ValidationFailed(
            N_("Choose an organisation."), fields={"organisation_id": N_("No such organisation.")}
        )
    if new.role not in ROLES:
        raise ValidationFailed(
            N_("Choose a role: member, coordinator or admin."),
            fields={"role": N_("Choose member, coordinator or admin.")},
        )
    if not permissions.can_create_role(actor, new.role):
        raise Forbidden(N_("Only administrators can create administrators."))
    name = clean_name(new.name)
    email = clean_email(new.email) if new.email else None
    password = clean_password(new.password) if new.password else None
    postcode = clean_postcode(new.postcode)
    if email and session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(
            N_("Someone already has an account with that email address."),
            code="email_taken",
            fields={"email": N_("Someone already has an account with that email address.")},
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
    # Who added whom is on the record: a coordinator's new member is also the first place
    # to look for hours credited to oneself through a person one controls.
    record(
        session,
        actor=actor,
        action="member.created",
        object_type="member",
        object_id=user.id,
        member=user,
        now=now,
    )
    if email and not password:
        invite(session, user=user, now=now, base_url=base_url, days=invitation_days)
    return user


def invite(session: Session, *, user: User, now: datetime, base_url: str, days: int = 14) -> str:
    if not user.email:
        raise ValidationFailed(
            N_("This person has no email address to send an invitation to."),
            fields={"email": N_("Add an email address first.")},
        )
    raw = _issue_user_token(session, user, "invitation", now + timedelta(days=days), now)
    _ = speaker(user.locale).gettext  # in the language the person chose
    queue_email(
        session,
        to=user.email,
        subject=_(
            "You are invited to %(organisation)s on Give and Get",
            organisation=user.organisation.name,
        ),
        body=_(
            "Hello %(name)s,\n\n%(organisation)s has added you to Give and Get, where members "
            "share time and support.\n\nChoose a password to start:\n%(link)s\n\n"
            "The link works for %(days)s days.\n",
            name=user.name,
            organisation=user.organisation.name,
            link=f"{base_url}/invitations/{raw}",
            days=days,
        ),
    )
    return raw


def invite_member(
    session: Session,
    *,
    actor: User,
    member_id: int,
    now: datetime,
    base_url: str,
    days: int = 14,
) -> User:
    """A coordinator invites someone added without one (a member moved in from another
    timebank, say): an email with a link to choose a password. Audited."""
    require_coordinator(actor)
    person = session.get(User, member_id)
    if person is None or not permissions.can_manage(actor, person):
        raise NotFound(N_("We could not find that member."))
    if person.password_hash is not None:
        raise Conflict(
            said(N_("%(name)s has already set a password."), name=person.name),
            code="already_set_up",
        )
    invite(session, user=person, now=now, base_url=base_url, days=days)
    record(
        session,
        actor=actor,
        action="member.invited",
        object_type="user",
        object_id=person.id,
        member=person,
        now=now,
    )
    return person


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
            N_("This link has expired or has already been used. Ask for a new one."),
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
    # Whoever had the old password (or a copied cookie, or a token) is out now.
    end_every_session(session, token.user, now)
    # Any other outstanding links for this person stop working too.
    for other in session.scalars(
        select(UserToken).where(UserToken.user_id == token.user_id, UserToken.used_at.is_(None))
    ):
        other.used_at = now
    return token.user


def request_password_reset(
    session: Session,
    *,
    email: str,
    now: datetime,
    base_url: str,
    address: str = "unknown",
    policy: ThrottlePolicy | None = None,
    hours: int = 2,
) -> None:
    """Queue a reset email if the address is known. Says nothing either way to the caller, and
    takes the same path either way: the request is throttled and counted like a sign-in (per
    address and per account, whether or not the account exists) and the email waits in the
    outbox for the outbox job, so no SMTP conversation makes a registered address slower."""
    address_typed = (email or "").strip().lower()[:320]
    policy = policy or ThrottlePolicy()
    check_throttle(
        session, email=address_typed, address=address, now=now, policy=policy, kind="password_reset"
    )
    session.add(
        SignInAttempt(
            email=address_typed,
            address=address[:64],
            succeeded=False,
            at=now,
            kind="password_reset",
        )
    )
    recipient = clean_email(email)
    user = session.scalar(select(User).where(User.email == recipient))
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
    _ = speaker(user.locale).gettext  # in the language the person chose
    queue_email(
        session,
        to=recipient,
        subject=_("Reset your Give and Get password"),
        body=_(
            "Hello %(name)s,\n\nSomeone asked to reset the password for this email address. "
            "If it was you, choose a new password here:\n%(link)s\n\n"
            "The link works for %(hours)s hours. If it was not you, you can ignore this email.\n",
            name=user.name,
            link=f"{base_url}/password/reset/{raw}",
            hours=hours,
        ),
        send_after_commit=False,
    )


# --- sign-in and its throttle ---------------------------------------------------------------


@dataclass(frozen=True)
class ThrottlePolicy:
    window_minutes: int = 15
    max_failures_per_account: int = 5
    max_failures_per_address: int = 20


def check_throttle(
    session: Session,
    *,
    email: str,
    address: str,
    now: datetime,
    policy: ThrottlePolicy,
    kind: str = "sign_in",
) -> None:
    """Raise Throttled while the account or the address has too many recent failures of this
    kind (sign-ins and password-reset requests are counted apart: asking for resets for
    someone's address never locks them out of signing in)."""
    since = now - timedelta(minutes=policy.window_minutes)
    for column, value, limit in (
        (SignInAttempt.email, email.strip().lower(), policy.max_failures_per_account),
        (SignInAttempt.address, address, policy.max_failures_per_address),
    ):
        count, oldest = session.execute(
            select(func.count(), func.min(SignInAttempt.at)).where(
                column == value,
                SignInAttempt.kind == kind,
                SignInAttempt.at > since,
                SignInAttempt.succeeded.is_(False),
            )
        ).one()
        if count >= limit:
            retry = int((oldest + timedelta(minutes=policy.window_minutes) - now).total_seconds())
            minutes = max(1, -(-retry // 60))
            wait = f"Wait {minutes} minute{'s' if minutes != 1 else ''} and try again"
            raise Throttled(
                f"Too many failed attempts. {wait}, or reset your password."
                if kind == "sign_in"
                else f"Too many requests for a new password. {wait}.",
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


# --- sessions and API tokens ---------------------------------------------------------------

DEFAULT_API_TOKEN_DAYS = 90
# A token's "last used" is written at most this often: every request reads it, few write it.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def end_session(session: Session, user: User) -> None:
    """Sign-out: every session cookie issued to ``user`` until now stops working, copies
    included (the session's identity carries the version; see ``User.get_id``)."""
    user.session_version = (user.session_version or 0) + 1


def end_every_session(session: Session, user: User, now: datetime) -> int:
    """Sign out everywhere (also after a password reset): every session and every API token
    ends. Returns how many tokens were revoked."""
    end_session(session, user)
    return session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount


def user_for_session(session: Session, session_id: str) -> User | None:
    """The user a session cookie names, if that session has not been ended since."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None  # a cookie from before sessions carried a version: signed out
    user = session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


def issue_api_token(session: Session, user: User, now: datetime, name: str = "API token") -> str:
    raw = "gg_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(raw), name=name, created_at=now))
    session.flush()
    return raw


def api_token_by_raw(session: Session, raw: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))


def token_expires_at(token: ApiToken, days: int = DEFAULT_API_TOKEN_DAYS) -> datetime:
    return token.created_at + timedelta(days=days)


@cache
def _token_holder() -> Select:
    """The statement every API request runs, built once: composing it afresh each time cost
    about as much as running it."""
    return token_holder_statement()


def token_holder_statement() -> Select:
    """The token lookup's statement: the user, the token's id and its last use, for a live
    token. A caller may add columns after those three (an outer join to something of its own,
    looked up in the same round trip) and run it with ``api_token_row``."""
    return (
        select(User, ApiToken.id, ApiToken.last_used_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == bindparam("token_hash"),
            ApiToken.revoked_at.is_(None),
            ApiToken.created_at > bindparam("issued_after"),
        )
    )


def api_token_row(
    session: Session,
    raw: str,
    now: datetime,
    days: int = DEFAULT_API_TOKEN_DAYS,
    *,
    statement: Select | None = None,
    params: dict[str, object] | None = None,
) -> Row | None:
    """The row of ``statement`` (``token_holder_statement()`` or one extended from it, with
    its own bind values in ``params``) for a live token of an active user, else None.

    One query for the user and the token's last use, and a write only when the last recorded
    use is older than a minute; the user is its holder alone (the API never acts for anyone).
    """
    values = {"token_hash": hash_token(raw), "issued_after": now - timedelta(days=days)}
    row = session.execute(
        _token_holder() if statement is None else statement, {**values, **(params or {})}
    ).first()
    if row is None or not row[0].active:
        return None
    user, token_id, last_used_at = row[0], row[1], row[2]
    if last_used_at is None or last_used_at <= now - LAST_USED_RESOLUTION:
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
        session.info["api_token_used"] = True  # the caller commits it, even for a read
    user.acting_coordinator = user.acting_arrangement = None
    return row


def user_for_api_token(
    session: Session, raw: str, now: datetime, days: int = DEFAULT_API_TOKEN_DAYS
) -> User | None:
    """The active user a live token (unrevoked, issued less than ``days`` ago) belongs to.

    Every API request without an Idempotency-Key runs this (``api_token_row``)."""
    row = api_token_row(session, raw, now, days)
    return None if row is None else row[0]


@dataclass(frozen=True)
class TokenView:
    """One of a person's API tokens as their tokens page and ``GET /auth/tokens`` show it."""

    id: int
    name: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    status: str  # "active", "expired" or "revoked"


def tokens_of(
    session: Session, actor: User, now: datetime, days: int = DEFAULT_API_TOKEN_DAYS
) -> list[TokenView]:
    """The actor's own tokens, newest first (never anyone else's, whatever their role)."""
    views = []
    for token in session.scalars(
        select(ApiToken).where(ApiToken.user_id == actor.id).order_by(ApiToken.id.desc())
    ):
        expires_at = token_expires_at(token, days)
        status = "revoked" if token.revoked_at else "expired" if expires_at <= now else "active"
        views.append(
            TokenView(
                id=token.id,
                name=token.name,
                created_at=token.created_at,
                expires_at=expires_at,
                last_used_at=token.last_used_at,
                revoked_at=token.revoked_at,
                status=status,
            )
        )
    return views


def revoke_own_token(session: Session, *, actor: User, token_id: int, now: datetime) -> None:
    """The person's own token list (page and API) revokes only their own: another person's
    token is not found, whatever the actor's role."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != actor.id:
        raise NotFound(N_("We could not find that token."))
    token.revoked_at = token.revoked_at or now


def set_locale(session: Session, *, actor: User, locale: str, known) -> User:
    """The language the person reads the product (and their email) in, one of ``known``."""
    if locale not in known:
        raise ValidationFailed(
            N_("Choose a language from the list."), fields={"locale": N_("Choose a language.")}
        )
    actor.locale = locale
    return actor


def revoke_api_token(session: Session, *, actor: User, token_id: int, now: datetime) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or not (
        token.user_id == actor.id or permissions.can_manage(actor, token.user)
    ):
        raise NotFound(N_("We could not find that token."))
    token.revoked_at = token.revoked_at or now


# --- the audit trail --------------------------------------------------------------------------


def audit_trail_query(session: Session, actor: User, member_id: int | None = None):
    """The audit events the actor may read, newest first; one person's when ``member_id`` is
    given. Coordinators read their organisation's; administrators the whole deployment's (API.md).
    The audit page and ``GET /api/v1/audit`` both use this, so they cannot disagree."""
    if not permissions.is_coordinator(actor):
        raise Forbidden(N_("Only coordinators and administrators can read the audit trail."))
    statement = select(AuditEvent).order_by(AuditEvent.id.desc())
    if not permissions.can_read_whole_audit(actor):
        statement = statement.where(AuditEvent.organisation_id == actor.organisation_id)
    if member_id is not None:
        person = session.get(User, member_id)
        if person is None or not permissions.can_read_audit(actor, person.organisation_id):
            raise NotFound(N_("We could not find that member."))
        statement = statement.where(AuditEvent.member_id == person.id)
    return statement
