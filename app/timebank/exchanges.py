"""Exchanges of time, gifts to the community chest, grants from it, and statements.

Recorded by one party an exchange is pending and moves nothing until the other party confirms
(or rejects) it; recorded by a coordinator on a member's behalf it is confirmed at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import Select, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from .. import audit
from ..auth.models import User
from ..auth.permissions import (
    can_manage,
    can_view_member,
    coordinates,
    in_reach,
    is_admin,
    is_coordinator,
)
from ..clock import london_date
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from . import ledger, partnerships
from .categories import CATEGORIES
from .durations import MAX_MINUTES, MIN_MINUTES
from .models import Account, Exchange, LedgerTransaction, Leg, Listing, Partnership
from .permissions import (
    can_dispute,
    can_grant,
    can_see_exchange,
    can_see_overdue,
    can_settle,
    can_withdraw,
    exchange_actions,
    holds,
    may_reverse,
    needs_second_coordinator,
    records_on_behalf,
    self_dealer,
)
from .services import account_name, member_account, organisation_account


def N_(text: str) -> str:  # noqa: N802 - gettext's "marked here, translated where it is shown"
    """Marks a message for the catalogue: pages show it with ``translated()``; the API's JSON
    keeps it in English beside its stable code."""
    return text


MAX_DESCRIPTION = 2000
GIFT_MAX_MINUTES = 100 * 60
# Stored as the donation's reason; the statement pages show it in their language.
DONATION_REASON = N_("Donation to the community chest")
PEER_SUPPORT = "peer_support"  # paid from the organisation's account, given to a person
OVERDUE_DAYS = 7


@dataclass(frozen=True)
class ExchangeView:
    """An exchange as one actor sees it: the row, and what they may do to it now. The exchange
    page and the API both render this, so a button is offered exactly when the API allows it."""

    exchange: Exchange
    allowed_actions: frozenset[str]

    def __getattr__(self, name: str):
        return getattr(self.exchange, name)


def view_of(actor: User, exchange: Exchange) -> ExchangeView:
    return ExchangeView(exchange, exchange_actions(actor, exchange))


def _select_exchange(session: Session, exchange_id: int, *, lock: bool) -> Exchange | None:
    return session.scalar(_exchange_by_id(lock), {"exchange_id": exchange_id})


@cache
def _exchange_by_id(lock: bool) -> Select:
    # Built once (for each of the two forms): the ledger's requests each run one of them.
    statement = select(Exchange).where(Exchange.id == bindparam("exchange_id"))
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return statement


def get_exchange_for(
    session: Session, actor: User, exchange_id: int, *, lock: bool = False
) -> Exchange:
    exchange = _select_exchange(session, exchange_id, lock=lock)
    if exchange is None or not can_see_exchange(actor, exchange):
        raise NotFound(N_("We could not find that exchange."))
    return exchange


# --- parties ------------------------------------------------------------------------------------


def member_party(
    session: Session, actor: User, member_id: int, field: str, *, partners: bool = True
) -> Account:
    """The hours account of a member the actor may name in an exchange: of their own
    organisation, or (``partners``) of an organisation in active partnership with it.

    The person and their account come in one query: every recorded exchange names two parties,
    so this runs twice a request. A member of any other organisation gets exactly the answer an
    id nobody has gets, so nothing about that organisation is revealed.
    """
    row = session.execute(_person_and_account(), {"member_id": member_id}).one_or_none()
    person, account = row if row is not None else (None, None)
    reachable = person is not None and (
        in_reach(actor, person.organisation_id)
        or (
            partners
            and partnerships.active_partnership(
                session, actor.organisation_id, person.organisation_id
            )
            is not None
        )
    )
    if not reachable:
        raise ValidationFailed(
            N_("Choose a member of your organisation."),
            fields={field: N_("There is no such member in your organisation.")},
        )
    if not person.active:
        raise ledger.worded(
            ValidationFailed,
            N_("%(name)s can no longer take part in exchanges."),
            {"name": person.name},
            fields={field: N_("This person's account is closed.")},
        )
    if account is None:
        raise NotFound(N_("This person has no hours account."))
    # The account keeps its holder: the session's identity map holds rows only while something
    # refers to them, and the checks and the answer that follow read ``account.user`` again.
    set_committed_value(account, "user", person)
    return account


@cache
def _person_and_account() -> Select:
    return (
        select(User, Account)
        .outerjoin(Account, Account.user_id == User.id)
        .where(User.id == bindparam("member_id"))
    )


def organisation_party(session: Session, actor: User, organisation_id: int, field: str) -> Account:
    if not in_reach(actor, organisation_id):
        raise ValidationFailed(
            N_("Choose your own organisation."),
            fields={field: N_("There is no such organisation.")},
        )
    try:
        return organisation_account(session, organisation_id)
    except NotFound:
        raise ValidationFailed(
            N_("Choose your own organisation."),
            fields={field: N_("There is no such organisation.")},
        ) from None


# --- recording, confirming, rejecting, reversing ------------------------------------------------


@dataclass
class NewExchange:
    provider: Account
    receiver: Account
    minutes: int
    category: str
    occurred_on: date
    description: str = ""
    listing: Listing | None = None
    # Peer support the organisation pays for: the person it was given to (they confirm it and
    # are never charged) and the match it was given on.
    beneficiary: User | None = None
    match_id: int | None = None
    # Across organisations: the active partnership between the two sides' organisations.
    partnership: Partnership | None = None


def validate_exchange(new: NewExchange, today: date) -> None:
    errors: dict[str, str] = {}
    if isinstance(new.minutes, bool) or not isinstance(new.minutes, int):
        errors["minutes"] = N_("Enter the time as a whole number of minutes.")
    elif not MIN_MINUTES <= new.minutes <= MAX_MINUTES:
        errors["minutes"] = N_("The time must be between 1 minute and 24 hours (1,440 minutes).")
    if new.category not in CATEGORIES:
        errors["category"] = N_("Choose a category from the list.")
    if new.occurred_on > today:
        errors["occurred_on"] = N_("The date must be today or in the past.")
    if len(new.description or "") > MAX_DESCRIPTION:
        errors["description"] = f"The description must be {MAX_DESCRIPTION:,} characters or fewer."
    if new.provider.id == new.receiver.id:
        errors["receiver_id"] = N_("Someone cannot exchange time with themselves.")
    if "chest" in (new.provider.kind, new.receiver.kind):
        errors["receiver_id"] = N_("Use a donation or a grant for the community chest.")
    if new.provider.organisation_id != new.receiver.organisation_id:
        if new.partnership is None:
            errors["receiver_id"] = N_("Both sides must belong to the same organisation.")
        elif "member" != new.provider.kind or "member" != new.receiver.kind:
            errors["receiver_id"] = N_("An exchange across organisations is between two members.")
        elif new.category == PEER_SUPPORT or new.beneficiary is not None:
            errors["category"] = N_("Peer support is recorded within one organisation.")
    if new.listing is not None and new.listing.user_id not in (
        new.provider.user_id,
        new.receiver.user_id,
    ):
        errors["listing_id"] = N_(
            "The person who made the listing must be one side of the exchange."
        )
    if new.category == PEER_SUPPORT and (
        new.receiver.kind != "organisation" or new.beneficiary is None
    ):
        # DOMAIN: the organisation pays peers; the person supported is never charged.
        errors["category"] = N_(
            "Peer support is paid for by the organisation: log it on the person's peer match "
            "(or choose another kind of help)."
        )
    if new.beneficiary is not None and (
        new.receiver.kind != "organisation"
        or new.beneficiary.organisation_id != new.receiver.organisation_id
        or new.beneficiary.id == new.provider.user_id
    ):
        errors["beneficiary_id"] = N_(
            "Time given to a person on the organisation's account must name someone else in it."
        )
    if errors:
        raise ValidationFailed(N_("Check the details of the exchange."), fields=errors)


def record_exchange(session: Session, *, actor: User, new: NewExchange, now: datetime) -> Exchange:
    """Record an exchange: pending for the other party, or confirmed at once by a coordinator."""
    if new.provider.organisation_id != new.receiver.organisation_id and new.partnership is None:
        new.partnership = partnerships.active_partnership(
            session, new.provider.organisation_id, new.receiver.organisation_id
        )
    validate_exchange(new, london_date(now))
    if new.partnership is not None:
        return _record_across(session, actor=actor, new=new, now=now)
    organisation_id = new.provider.organisation_id
    personal = actor.id in (new.provider.user_id, new.receiver.user_id)
    on_behalf = records_on_behalf(actor, organisation_id, new.provider, new.receiver, now)
    if not on_behalf and not (holds(actor, new.provider) or holds(actor, new.receiver)):
        raise Forbidden(N_("You can only record exchanges you took part in."))
    locked = None
    if on_behalf:
        awaiting = None
        # Lock, then write: the exchange row's foreign keys would take KEY SHARE locks on both
        # accounts in the order its sides come, and the posting's id-ordered locks after that
        # could then wait on another transaction doing the same the other way round.
        locked = ledger.lock_accounts(session, [new.provider.id, new.receiver.id])
    elif personal:
        awaiting = new.receiver if new.provider.user_id == actor.id else new.provider
    elif self_dealer(new.provider, new.receiver, now) == actor.id:
        # Their own new member and the organisation: a second coordinator answers for the
        # organisation's side.
        awaiting = new.provider if new.provider.kind != "member" else new.receiver
    else:
        awaiting = new.receiver if holds(actor, new.provider) else new.provider
    exchange = _insert_exchange(
        session,
        organisation_id=organisation_id,
        provider_account_id=new.provider.id,
        receiver_account_id=new.receiver.id,
        minutes=new.minutes,
        category=new.category,
        occurred_on=new.occurred_on,
        description=(new.description or "").strip(),
        status="pending",
        awaiting_account_id=awaiting.id if awaiting else None,
        listing_id=new.listing.id if new.listing else None,
        beneficiary_id=new.beneficiary.id if new.beneficiary else None,
        match_id=new.match_id,
        recorded_by_id=actor.id,
        created_at=now,
    )
    _audit(session, actor, "exchange.recorded", exchange, now)
    if locked is not None:
        _settle_confirmed(session, exchange, actor, now, locked)
    return exchange


def _insert_exchange(session: Session, **values: object) -> Exchange:
    """INSERT … RETURNING, loaded as an ORM object: the new exchange comes back persistent in
    one round trip, without the unit of work's bookkeeping for one row (which cost several
    times the statement itself)."""
    return session.scalars(_insert_returning_exchange(), values).one()


@cache
def _insert_returning_exchange() -> Select:
    table = Exchange.__table__
    return select(Exchange).from_statement(insert(table).returning(*table.c))


def _record_across(session: Session, *, actor: User, new: NewExchange, now: datetime) -> Exchange:
    """An exchange with a member of a partner organisation: always pending until that member
    (or a coordinator of their organisation) confirms it; nobody answers for the other side."""
    if not (holds(actor, new.provider) or holds(actor, new.receiver)):
        if not (
            coordinates(actor, new.provider.organisation_id, admin_anywhere=False)
            or coordinates(actor, new.receiver.organisation_id, admin_anywhere=False)
        ):
            raise Forbidden(N_("You can only record exchanges you took part in."))
    if actor.organisation_id == new.provider.organisation_id:
        awaiting = new.receiver
    else:
        awaiting = new.provider
    exchange = Exchange(
        organisation_id=new.provider.organisation_id,
        partner_organisation_id=new.receiver.organisation_id,
        partnership_id=new.partnership.id,
        provider_account_id=new.provider.id,
        receiver_account_id=new.receiver.id,
        minutes=new.minutes,
        category=new.category,
        occurred_on=new.occurred_on,
        description=(new.description or "").strip(),
        status="pending",
        awaiting_account_id=awaiting.id,
        listing_id=new.listing.id if new.listing else None,
        recorded_by_id=actor.id,
        created_at=now,
    )
    session.add(exchange)
    session.flush()
    _audit(session, actor, "exchange.recorded", exchange, now)
    return exchange


def posting_account_ids(session: Session, exchange: Exchange) -> list[int]:
    """Every account confirming the exchange posts to: its two sides and, across
    organisations, the clearing account for the partner in each organisation's books."""
    ids = [exchange.provider_account_id, exchange.receiver_account_id]
    if exchange.partner_organisation_id is not None:
        ids.extend(
            partnerships.clearing_account_ids(
                session, exchange.organisation_id, exchange.partner_organisation_id
            )
        )
    return ids


def _legs(session: Session, exchange: Exchange) -> list[tuple[int, int]]:
    minutes = exchange.minutes
    if exchange.partner_organisation_id is None:
        return [
            (exchange.provider_account_id, minutes),
            (exchange.receiver_account_id, -minutes),
        ]
    provider_clearing, receiver_clearing = partnerships.clearing_account_ids(
        session, exchange.organisation_id, exchange.partner_organisation_id
    )
    return [
        (exchange.provider_account_id, minutes),
        (provider_clearing, -minutes),
        (receiver_clearing, minutes),
        (exchange.receiver_account_id, -minutes),
    ]


def _check_across(session: Session, exchange: Exchange, locked: dict[int, Account] | None) -> None:
    """Under the locks: the partnership is still active, and the net flow stays in its limit."""
    partnership = partnerships.active_partnership(
        session, exchange.organisation_id, exchange.partner_organisation_id, lock=True
    )
    if partnership is None or partnership.id != exchange.partnership_id:
        raise Conflict(
            N_(
                "The partnership between these organisations has ended, so this exchange cannot "
                "be confirmed. Nothing has been moved."
            ),
            code="partnership_ended",
        )
    provider_clearing, _ = partnerships.clearing_account_ids(
        session, exchange.organisation_id, exchange.partner_organisation_id
    )
    before = locked[provider_clearing].balance_minutes
    partnerships.check_partnership_limit(partnership, before, before - exchange.minutes)


def _settle_confirmed(
    session: Session,
    exchange: Exchange,
    actor: User | None,
    now: datetime,
    locked: dict[int, Account] | None = None,
) -> None:
    legs = _legs(session, exchange)
    if exchange.partner_organisation_id is not None:
        if locked is None:
            locked = ledger.lock_accounts(session, [account for account, _ in legs])
        _check_across(session, exchange, locked)
    ledger.post(
        session,
        organisation_id=exchange.organisation_id,
        kind="exchange",
        legs=legs,
        actor=actor,
        now=now,
        exchange_id=exchange.id,
        locked=locked,
    )
    # Written at once (the exchange row is locked, or was inserted, in this transaction) and
    # the session's copy brought level, rather than left for the unit of work at commit.
    settled = {
        "status": "confirmed",
        "awaiting_account_id": None,
        "settled_by_id": actor.id if actor is not None else None,
        "settled_at": now,
    }
    session.execute(_settle, {"exchange_id": exchange.id, **settled})
    for name, value in settled.items():
        set_committed_value(exchange, name, value)


_exchange = Exchange.__table__
_settle = (
    update(_exchange)
    .where(_exchange.c.id == bindparam("exchange_id"))
    .values(
        status=bindparam("status"),
        awaiting_account_id=bindparam("awaiting_account_id"),
        settled_by_id=bindparam("settled_by_id"),
        settled_at=bindparam("settled_at"),
    )
)


def _require_pending(exchange: Exchange) -> None:
    if exchange.status == "confirmed":
        raise Conflict(N_("This exchange has already been confirmed."), code="already_confirmed")
    if exchange.status == "rejected":
        raise Conflict(
            N_("This exchange was turned down, so it cannot change."), code="already_rejected"
        )
    if exchange.status == "reversed":
        raise Conflict(N_("This exchange has been reversed."), code="already_reversed")
    if exchange.status == "withdrawn":
        raise Conflict(
            N_("The person who recorded this exchange withdrew it."), code="already_withdrawn"
        )


def confirm_exchange(session: Session, *, actor: User, exchange_id: int, now: datetime) -> Exchange:
    """Confirm a pending exchange and post it.

    The exchange row is locked first (so it is confirmed at most once), then its two accounts in
    ascending id order, as every posting locks them. Who may see and settle it is decided on
    those locked accounts, which the posting then uses: each account is read once, not once
    for the permission checks and again for the posting.
    """
    exchange = _select_exchange(session, exchange_id, lock=True)
    if exchange is None:
        raise NotFound(N_("We could not find that exchange."))
    locked = ledger.lock_accounts(session, posting_account_ids(session, exchange))
    if not can_see_exchange(actor, exchange):
        raise NotFound(N_("We could not find that exchange."))
    _require_pending(exchange)
    if not can_settle(actor, exchange):
        raise Forbidden(N_("The other person confirms this exchange, or a coordinator."))
    _settle_confirmed(session, exchange, actor, now, locked)
    return exchange


def lock_for_confirmation(session: Session, exchange_ids: list[int]) -> None:
    """Lock several exchanges and every account they touch before confirming any of them: the
    exchange rows first, then the accounts, each in ascending id order — the order every single
    confirmation takes them in. A job that confirms many in one transaction therefore queues
    behind requests instead of deadlocking with them (locking A's accounts, posting, then B's
    would take account locks out of order)."""
    if not exchange_ids:
        return
    rows = session.scalars(
        select(Exchange)
        .where(Exchange.id.in_(sorted(set(exchange_ids))))
        .order_by(Exchange.id)
        .with_for_update()
    ).all()
    ledger.lock_accounts(
        session, [account for row in rows for account in posting_account_ids(session, row)]
    )


def confirm_automatically(session: Session, *, exchange_id: int, now: datetime) -> Exchange:
    """The scheduler confirms a pending exchange nobody disputed (the organisation's
    ``auto_confirm_days``): the same locks and limits as ``confirm_exchange``, with no actor.
    A balance limit raises ``BalanceLimit`` and nothing moves; the exchange stays pending. The
    ledger's events have no actor, and ``exchange.confirmed_by_scheduler`` says who did it."""
    exchange = _select_exchange(session, exchange_id, lock=True)
    if exchange is None:
        raise NotFound(N_("We could not find that exchange."))
    locked = ledger.lock_accounts(session, posting_account_ids(session, exchange))
    _require_pending(exchange)
    if exchange.partner_organisation_id is not None:
        raise Conflict(N_("An exchange across organisations waits for a person."), code="disputed")
    if exchange.disputed_at is not None:
        raise Conflict(N_("This exchange is disputed, so it waits for a person."), code="disputed")
    if needs_second_coordinator(exchange) is not None:
        raise Conflict(
            N_("A second coordinator or an administrator confirms this exchange."),
            code="second_coordinator_required",
        )
    _settle_confirmed(session, exchange, None, now, locked)
    _audit(session, None, "exchange.confirmed_by_scheduler", exchange, now)
    return exchange


def dispute_exchange(session: Session, *, actor: User, exchange_id: int, now: datetime) -> Exchange:
    """The party asked to confirm says it is not right yet: it stays pending, is never
    confirmed automatically, and they (or a coordinator) confirm or turn it down later."""
    exchange = get_exchange_for(session, actor, exchange_id, lock=True)
    _require_pending(exchange)
    if exchange.disputed_at is not None:
        raise Conflict(N_("This exchange is already disputed."), code="already_disputed")
    if not can_dispute(actor, exchange):
        raise Forbidden(N_("Only the person asked to confirm an exchange can dispute it."))
    exchange.disputed_at = now
    exchange.disputed_by_id = actor.id
    _audit(session, actor, "exchange.disputed", exchange, now)
    return exchange


def reject_exchange(session: Session, *, actor: User, exchange_id: int, now: datetime) -> Exchange:
    exchange = get_exchange_for(session, actor, exchange_id, lock=True)
    _require_pending(exchange)
    if not can_settle(actor, exchange):
        raise Forbidden(N_("The other person can turn this exchange down, or a coordinator."))
    exchange.status = "rejected"
    exchange.awaiting_account_id = None
    exchange.settled_by_id = actor.id
    exchange.settled_at = now
    _audit(session, actor, "exchange.rejected", exchange, now)
    return exchange


def withdraw_exchange(
    session: Session, *, actor: User, exchange_id: int, now: datetime
) -> Exchange:
    """The person who recorded a pending exchange takes it back (a mistake, a duplicate).
    Nothing had moved, so nothing moves."""
    exchange = get_exchange_for(session, actor, exchange_id, lock=True)
    _require_pending(exchange)
    if not can_withdraw(actor, exchange):
        raise Forbidden(N_("Only the person who recorded an exchange can withdraw it."))
    exchange.status = "withdrawn"
    exchange.awaiting_account_id = None
    exchange.settled_by_id = actor.id
    exchange.settled_at = now
    _audit(session, actor, "exchange.withdrawn", exchange, now)
    return exchange


def _audit(
    session: Session, actor: User | None, action: str, exchange: Exchange, now: datetime
) -> None:
    """One event for each member the exchange names (its two sides, and the person peer support
    was given to), so each person's trail is complete."""
    members = [
        (exchange.provider_account.user_id, exchange.provider_account.organisation_id),
        (exchange.receiver_account.user_id, exchange.receiver_account.organisation_id),
    ]
    if exchange.beneficiary_id is not None:
        members.append((exchange.beneficiary_id, exchange.organisation_id))
    # Each person's event sits in their own organisation's trail (across, that differs).
    audit.record_for_members(
        session,
        actor=actor,
        action=action,
        object_type="exchange",
        object_id=exchange.id,
        members=members,
        now=now,
    )


def reverse_exchange(
    session: Session, *, actor: User, exchange_id: int, reason: str, now: datetime
) -> Exchange:
    """A coordinator's correction: post the opposite of the confirmed exchange, with a reason."""
    exchange = get_exchange_for(session, actor, exchange_id, lock=True)
    if not may_reverse(actor, exchange):
        if coordinates(actor, exchange.organisation_id):
            raise Forbidden(
                N_("Nobody can reverse an exchange they took part in: ask another coordinator.")
            )
        raise Forbidden(N_("Only a coordinator can reverse an exchange."))
    if exchange.status == "reversed":
        raise Conflict(N_("This exchange has already been reversed."), code="already_reversed")
    if exchange.status != "confirmed":
        raise Conflict(N_("Only a confirmed exchange can be reversed."), code="not_confirmed")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            N_("Say why the exchange is being reversed."), fields={"reason": N_("Enter a reason.")}
        )
    if len(reason) > MAX_DESCRIPTION:
        raise ValidationFailed(
            N_("The reason is too long."), fields={"reason": N_("Use 2,000 characters or fewer.")}
        )
    original = session.scalar(
        select(LedgerTransaction).where(
            LedgerTransaction.exchange_id == exchange.id, LedgerTransaction.kind == "exchange"
        )
    )
    ledger.reverse(session, original=original, actor=actor, reason=reason, now=now)
    exchange.status = "reversed"
    exchange.reversed_by_id = actor.id
    exchange.reversed_at = now
    exchange.reversal_reason = reason
    return exchange


# --- the community chest ------------------------------------------------------------------------


def _check_gift_minutes(minutes: int) -> None:
    if (
        isinstance(minutes, bool)
        or not isinstance(minutes, int)
        or not 1 <= minutes <= GIFT_MAX_MINUTES
    ):
        raise ValidationFailed(
            N_("Enter between 1 minute and 100 hours."),
            fields={"minutes": N_("Enter between 1 minute and 100 hours.")},
        )


def donate_to_chest(
    session: Session, *, actor: User, minutes: int, now: datetime
) -> LedgerTransaction:
    """A member gives hours they have earned to the community chest."""
    _check_gift_minutes(minutes)
    account = member_account(session, actor)
    chest = organisation_account(session, actor.organisation_id, "chest")
    locked = ledger.lock_accounts(session, [account.id, chest.id])
    if locked[account.id].balance_minutes < minutes:
        raise ledger.BalanceLimit(
            N_("You can donate hours you have earned: your balance is not enough for that."),
            fields={"minutes": N_("This is more than your balance.")},
        )
    posted = ledger.post(
        session,
        organisation_id=actor.organisation_id,
        kind="donation",
        legs=[(account.id, -minutes), (chest.id, minutes)],
        actor=actor,
        now=now,
        reason=DONATION_REASON,
        locked=locked,
    )
    return session.get(LedgerTransaction, posted)


def grant_from_chest(
    session: Session, *, actor: User, member_id: int, minutes: int, reason: str, now: datetime
) -> LedgerTransaction:
    """A coordinator gives hours from the chest to a member who cannot yet give."""
    person = session.get(User, member_id)
    if person is None or not can_manage(actor, person):
        if not is_coordinator(actor):
            raise Forbidden(N_("Only a coordinator can grant hours from the chest."))
        raise NotFound(N_("We could not find that member."))
    if not can_grant(actor, person):
        raise Forbidden(N_("Nobody can grant hours to themselves: ask another coordinator."))
    _check_gift_minutes(minutes)
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_DESCRIPTION:
        raise ValidationFailed(
            N_("Say why the hours are granted."),
            fields={"reason": N_("Enter a reason (up to 2,000 characters).")},
        )
    chest = organisation_account(session, person.organisation_id, "chest")
    posted = ledger.post(
        session,
        organisation_id=person.organisation_id,
        kind="grant",
        legs=[(chest.id, -minutes), (member_account(session, person).id, minutes)],
        actor=actor,
        now=now,
        reason=reason,
    )
    return session.get(LedgerTransaction, posted)


# --- reading ------------------------------------------------------------------------------------


def _names_member(session: Session, person: User):
    """The exchanges a member is in: either side, or the person peer support was given to."""
    account_id = member_account(session, person).id
    return or_(
        Exchange.provider_account_id == account_id,
        Exchange.receiver_account_id == account_id,
        Exchange.beneficiary_id == person.id,
    )


def exchanges_for(
    session: Session,
    *,
    actor: User,
    member_id: int | None = None,
    status: str | None = None,
):
    """A query of the exchanges the actor may see, newest first."""
    statement = select(Exchange).order_by(Exchange.created_at.desc(), Exchange.id.desc())
    if member_id is not None:
        person = session.get(User, member_id)
        if person is None or not can_view_member(actor, person):
            raise NotFound(N_("We could not find that member."))
        statement = statement.where(_names_member(session, person))
    elif is_admin(actor):
        pass
    elif is_coordinator(actor):
        statement = statement.where(
            or_(
                Exchange.organisation_id == actor.organisation_id,
                Exchange.partner_organisation_id == actor.organisation_id,
            )
        )
    else:
        statement = statement.where(_names_member(session, actor))
    if status:
        statement = statement.where(Exchange.status == status)
    return statement.options(
        joinedload(Exchange.provider_account).joinedload(Account.user),
        joinedload(Exchange.receiver_account).joinedload(Account.user),
    )


def awaiting_confirmation_by(session: Session, actor: User) -> list[Exchange]:
    """Exchanges the actor can confirm or turn down now (their own; coordinators: the org's)."""
    account_ids = [member_account(session, actor).id]
    if is_coordinator(actor):
        account_ids.append(organisation_account(session, actor.organisation_id).id)
    return list(
        session.scalars(
            select(Exchange)
            .where(Exchange.status == "pending", Exchange.awaiting_account_id.in_(account_ids))
            .order_by(Exchange.created_at)
        )
    )


def overdue_pending(
    session: Session, *, actor: User, now: datetime, days: int = OVERDUE_DAYS
) -> list[Exchange]:
    """Pending exchanges in the coordinator's organisation recorded more than ``days`` ago."""
    if not can_see_overdue(actor):
        raise Forbidden(N_("Only coordinators can see this."))
    return list(
        session.scalars(
            select(Exchange)
            .where(
                Exchange.organisation_id == actor.organisation_id,
                Exchange.status == "pending",
                Exchange.created_at < now - timedelta(days=days),
            )
            .order_by(Exchange.created_at)
        )
    )


def minutes_received_by_category(session: Session, person: User, *, since: date) -> dict[str, int]:
    """Confirmed time given to ``person`` since a day, by category: exchanges their own account
    received, and peer support given to them that the organisation paid for."""
    account_id = member_account(session, person).id
    rows = session.execute(
        select(Exchange.category, func.sum(Exchange.minutes))
        .where(
            or_(Exchange.receiver_account_id == account_id, Exchange.beneficiary_id == person.id),
            Exchange.status == "confirmed",
            Exchange.occurred_on >= since,
        )
        .group_by(Exchange.category)
    ).all()
    return {category: int(minutes or 0) for category, minutes in rows}


@dataclass
class StatementRow:
    at: datetime
    occurred_on: date | None
    kind: str
    description: str
    counterparty: str
    minutes: int
    balance_after: int
    exchange_id: int | None


def _statement_query(
    account: Account, *, newest_first: bool = False, limit: int | None = None, offset: int = 0
):
    """Every movement on the account with the balance after it, in one statement: the running
    balance is the database's window sum over the account's legs in posting order (leg id), so
    a page of a long history costs the same as the first, and nothing is summed in Python."""
    legs = (
        select(
            Leg.id.label("leg_id"),
            Leg.transaction_id,
            Leg.amount_minutes,
            func.sum(Leg.amount_minutes)
            .over(order_by=Leg.id, rows=(None, 0))
            .label("balance_after"),
        )
        .where(Leg.account_id == account.id)
        .subquery("legs")
    )
    order = legs.c.leg_id.desc() if newest_first else legs.c.leg_id
    if limit is not None:
        # The page is taken from the legs before anything is joined to them: the window has
        # already summed the whole history, and only the page's rows are looked up.
        legs = select(legs).order_by(order).limit(limit).offset(offset).subquery("page")
        order = legs.c.leg_id.desc() if newest_first else legs.c.leg_id
    return (
        select(
            legs.c.leg_id,
            legs.c.amount_minutes,
            legs.c.balance_after,
            LedgerTransaction.id.label("transaction_id"),
            LedgerTransaction.created_at,
            LedgerTransaction.kind,
            LedgerTransaction.reason,
            Exchange.id.label("exchange_id"),
            Exchange.occurred_on,
            Exchange.description,
            Exchange.category,
        )
        .join(LedgerTransaction, LedgerTransaction.id == legs.c.transaction_id)
        .outerjoin(Exchange, Exchange.id == LedgerTransaction.exchange_id)
        .order_by(order)
    )


def _statement_rows(session: Session, account: Account, found) -> list[StatementRow]:
    """StatementRows for rows of ``_statement_query``, with the other side of each named (one
    query for all of them)."""
    transaction_ids = [row.transaction_id for row in found]
    others: dict[int, list[Account]] = {}
    if transaction_ids:
        for other_leg in session.scalars(
            select(Leg)
            .where(Leg.transaction_id.in_(transaction_ids), Leg.account_id != account.id)
            .order_by(Leg.id)
            .options(joinedload(Leg.account).joinedload(Account.user))
        ):
            if other_leg.account.kind != "clearing":  # across: name the person, not the books
                others.setdefault(other_leg.transaction_id, []).append(other_leg.account)
    return [
        StatementRow(
            at=row.created_at,
            occurred_on=row.occurred_on,
            kind=row.kind,
            description=_describe_row(row),
            counterparty=", ".join(account_name(a) for a in others.get(row.transaction_id, [])),
            minutes=row.amount_minutes,
            balance_after=int(row.balance_after),
            exchange_id=row.exchange_id,
        )
        for row in found
    ]


def statement(session: Session, account: Account) -> list[StatementRow]:
    """Every movement on the account in posting order, with the running balance."""
    return _statement_rows(session, account, session.execute(_statement_query(account)).all())


@dataclass(frozen=True)
class StatementPage:
    rows: list[StatementRow]
    page: int
    per_page: int
    total: int
    newest_first: bool

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(
        self,
        *,
        left_edge: int = 2,
        left_current: int = 2,
        right_current: int = 4,
        right_edge: int = 2,
    ) -> Iterator[int | None]:
        """Page numbers for the pagination macro, None for a gap (as Flask-SQLAlchemy's)."""
        pages_end = self.pages + 1
        if pages_end == 1:
            return
        left_end = min(1 + left_edge, pages_end)
        yield from range(1, left_end)
        if left_end == pages_end:
            return
        mid_start = max(left_end, self.page - left_current)
        mid_end = min(self.page + right_current + 1, pages_end)
        if mid_start - left_end > 0:
            yield None
        yield from range(mid_start, mid_end)
        if mid_end == pages_end:
            return
        right_start = max(mid_end, pages_end - right_edge)
        if right_start - mid_end > 0:
            yield None
        yield from range(right_start, pages_end)


def statement_page(
    session: Session, account: Account, *, page: int, per_page: int, newest_first: bool
) -> StatementPage:
    """One page of the statement (``page`` from 1), each row with the balance after it: the
    window sum runs over the whole history and LIMIT / OFFSET then take the page."""
    total = session.scalar(
        select(func.count()).select_from(Leg).where(Leg.account_id == account.id)
    )
    found = session.execute(
        _statement_query(
            account, newest_first=newest_first, limit=per_page, offset=(page - 1) * per_page
        )
    ).all()
    return StatementPage(
        rows=_statement_rows(session, account, found),
        page=page,
        per_page=per_page,
        total=total or 0,
        newest_first=newest_first,
    )


def iter_statement(
    session: Session, account: Account, *, chunk: int = 1_000
) -> Iterator[StatementRow]:
    """Every movement, oldest first, read ``chunk`` rows at a time (a server-side cursor on
    PostgreSQL), so a whole history streams in constant memory."""
    result = session.execute(
        _statement_query(account).execution_options(yield_per=chunk, stream_results=True)
    )
    for rows in result.partitions(chunk):
        yield from _statement_rows(session, account, rows)


def _describe_row(row) -> str:
    """``_describe`` from the statement query's columns."""
    if row.kind == "reversal":
        return f"Correction: {row.reason}"
    if row.exchange_id is not None:
        return row.description or CATEGORIES.get(row.category, row.category)
    return row.reason or row.kind.capitalize()


def listing_for_exchange(session: Session, actor: User, listing_id: int, now: datetime) -> Listing:
    """A live listing in the actor's organisation (or an active partner's) that an exchange can
    come from."""
    listing = session.get(Listing, listing_id)
    if listing is None or (
        listing.organisation_id != actor.organisation_id
        and partnerships.active_partnership(session, actor.organisation_id, listing.organisation_id)
        is None
    ):
        raise ValidationFailed(
            N_("That listing does not exist."),
            fields={"listing_id": N_("There is no such listing.")},
        )
    if listing.withdrawn_at is not None or listing.expires_on < london_date(now):
        raise ValidationFailed(
            N_("That listing has been withdrawn or has expired."),
            fields={"listing_id": N_("The listing is no longer open.")},
        )
    return listing
