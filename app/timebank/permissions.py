"""Who may do what in the timebank: pure predicates over the actor, accounts and exchanges.

Built on ``app.auth.permissions`` (one rule for administrators). The exchange page, the API and
the services all ask here, so a button is shown exactly when the action would be allowed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..auth.models import User
from ..auth.permissions import coordinates, is_admin, is_coordinator
from .models import Account, Exchange, Listing

CONFIRM = "confirm"
REJECT = "reject"
WITHDRAW = "withdraw"
REVERSE = "reverse"
DISPUTE = "dispute"


def settles_as_beneficiary(actor: User, exchange: Exchange) -> bool:
    """The person peer support was given to answers for the organisation's side of it: the
    organisation pays the peer, and the person says the time was given (never charged)."""
    return (
        exchange.beneficiary_id == actor.id
        and exchange.awaiting_account_id is not None
        and exchange.awaiting_account_id == exchange.receiver_account_id
    )


def holds(actor: User, account: Account) -> bool:
    """The actor answers for this account: it is theirs, or it is their organisation's and they
    coordinate it."""
    if account.kind == "member":
        return account.user_id == actor.id
    return coordinates(actor, account.organisation_id)


def takes_part(actor: User, exchange: Exchange) -> bool:
    return actor.id in (exchange.provider_account.user_id, exchange.receiver_account.user_id)


def can_see_exchange(actor: User, exchange: Exchange) -> bool:
    """Its two sides, and the coordinators of each side's organisation (across organisations,
    both; each sees the other side's member by name only)."""
    return (
        coordinates(actor, exchange.organisation_id)
        or (
            exchange.partner_organisation_id is not None
            and coordinates(actor, exchange.partner_organisation_id)
        )
        or takes_part(actor, exchange)
        or exchange.beneficiary_id == actor.id
    )


def records_on_behalf(
    actor: User, organisation_id: int, provider: Account, receiver: Account, at: datetime
) -> bool:
    """A coordinator's record for others is confirmed at once; their own exchanges wait for the
    other side like anyone's, and so do those between the organisation and a member they added
    recently (a second coordinator confirms), so nobody can credit themselves alone."""
    personal = actor.id in (provider.user_id, receiver.user_id)
    if self_dealer(provider, receiver, at) == actor.id:
        return False
    return coordinates(actor, organisation_id) and not personal


# A member a coordinator added is theirs to vouch for this long: hours between that member and
# the coordinator (or the organisation's account, which the coordinator holds) need a second
# coordinator or an administrator, so nobody credits themselves through a person they control.
NEW_MEMBER_DAYS = 30


def added_recently_by(person: User | None, at: datetime) -> int | None:
    """Who added ``person`` (a user id) when that was within NEW_MEMBER_DAYS before ``at``."""
    if person is None or person.created_by_id is None or person.created_at is None:
        return None
    if person.created_at <= at - timedelta(days=NEW_MEMBER_DAYS):
        return None
    return person.created_by_id


def self_dealer(provider: Account, receiver: Account, at: datetime) -> int | None:
    """The coordinator (a user id) who would be dealing with themselves: one side is a member
    they added recently and the other is their own account or an organisation account. None
    when the exchange is at arm's length."""
    for new_side, other in ((provider, receiver), (receiver, provider)):
        creator = added_recently_by(new_side.user, at) if new_side.kind == "member" else None
        if creator is not None and (other.kind != "member" or other.user_id == creator):
            return creator
    return None


def needs_second_coordinator(exchange: Exchange) -> int | None:
    """The self-dealing coordinator whom this exchange needs someone else than, or None."""
    return self_dealer(exchange.provider_account, exchange.receiver_account, exchange.created_at)


def can_settle(actor: User, exchange: Exchange) -> bool:
    """Confirm or turn down a pending exchange: the other party (whoever did not record it) or a
    coordinator; but nobody settles an exchange they recorded and take part in themselves, and
    an exchange between a coordinator (or the organisation) and a member that coordinator added
    recently is settled by a second coordinator or an administrator only."""
    if exchange.status != "pending":
        return False
    if actor.id == exchange.recorded_by_id and takes_part(actor, exchange):
        return False
    dealer = needs_second_coordinator(exchange)
    if dealer is not None:
        return actor.id != dealer and coordinates(actor, exchange.organisation_id)
    awaiting = exchange.awaiting_account_id
    if exchange.partner_organisation_id is not None:
        # Across organisations only the side that did not record it answers: the member asked,
        # or a coordinator of that member's organisation.
        return awaiting is not None and any(
            account.id == awaiting
            and (holds(actor, account) or coordinates(actor, account.organisation_id))
            for account in (exchange.provider_account, exchange.receiver_account)
        )
    if coordinates(actor, exchange.organisation_id) or settles_as_beneficiary(actor, exchange):
        return True
    return awaiting is not None and any(
        account.id == awaiting and holds(actor, account)
        for account in (exchange.provider_account, exchange.receiver_account)
    )


def can_withdraw(actor: User, exchange: Exchange) -> bool:
    return exchange.status == "pending" and exchange.recorded_by_id == actor.id


def can_dispute(actor: User, exchange: Exchange) -> bool:
    """The party asked to confirm may say "this is not right yet", so the scheduler never
    confirms it automatically; a coordinator then settles it with them."""
    if exchange.status != "pending" or exchange.disputed_at is not None:
        return False
    awaiting = exchange.awaiting_account_id
    return awaiting is not None and any(
        account.id == awaiting and holds(actor, account)
        for account in (exchange.provider_account, exchange.receiver_account)
    )


def may_reverse(actor: User, exchange: Exchange) -> bool:
    """A coordinator's correction, never of an exchange they took part in (status aside);
    across organisations, a coordinator of either side."""
    sides = [exchange.organisation_id]
    if exchange.partner_organisation_id is not None:
        sides.append(exchange.partner_organisation_id)
    return any(coordinates(actor, side) for side in sides) and not takes_part(actor, exchange)


def can_reverse(actor: User, exchange: Exchange) -> bool:
    return exchange.status == "confirmed" and may_reverse(actor, exchange)


def exchange_actions(actor: User, exchange: Exchange) -> frozenset[str]:
    """What the actor may do to the exchange now: the page shows these buttons, the API lists
    them, and the services enforce the same predicates."""
    actions = set()
    if can_settle(actor, exchange):
        actions |= {CONFIRM, REJECT}
    if can_withdraw(actor, exchange):
        actions.add(WITHDRAW)
    if can_dispute(actor, exchange):
        actions.add(DISPUTE)
    if can_reverse(actor, exchange):
        actions.add(REVERSE)
    return frozenset(actions)


def can_change_listing(actor: User, listing: Listing) -> bool:
    return listing.user_id == actor.id or coordinates(actor, listing.organisation_id)


def can_grant(actor: User, person: User) -> bool:
    """Hours from the chest: a coordinator of the person's organisation, never to themselves."""
    return coordinates(actor, person.organisation_id) and person.id != actor.id


def can_see_overdue(actor: User) -> bool:
    return is_coordinator(actor)


# --- partnerships between organisations -------------------------------------------------------

ACCEPT = "accept"
END = "end"


def can_propose_partnership(actor: User) -> bool:
    """A coordinator proposes for their own organisation."""
    return coordinates(actor, actor.organisation_id, admin_anywhere=False)


def can_see_partnership(actor: User, partnership) -> bool:
    """Anyone in either organisation (members find partners' listings through it)."""
    return actor.organisation_id in (
        partnership.organisation_id,
        partnership.partner_organisation_id,
    ) or is_admin(actor)


def can_accept_partnership(actor: User, partnership) -> bool:
    """A coordinator of the organisation the partnership was proposed to."""
    return partnership.status == "proposed" and coordinates(
        actor, partnership.partner_organisation_id, admin_anywhere=False
    )


def can_end_partnership(actor: User, partnership) -> bool:
    """A coordinator of either side, while it is proposed or active."""
    return partnership.status in ("proposed", "active") and any(
        coordinates(actor, side, admin_anywhere=False)
        for side in (partnership.organisation_id, partnership.partner_organisation_id)
    )


def partnership_actions(actor: User, partnership) -> frozenset[str]:
    actions = set()
    if can_accept_partnership(actor, partnership):
        actions.add(ACCEPT)
    if can_end_partnership(actor, partnership):
        actions.add(END)
    return frozenset(actions)


def can_import_members(actor: User) -> bool:
    """Moving a timebank in: a coordinator, into their own organisation."""
    return coordinates(actor, actor.organisation_id, admin_anywhere=False)
