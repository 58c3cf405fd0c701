"""Who may do what: the one place that reads a person's role.

Pure predicates over the actor and the object (no session, no request), called by services,
pages and the API alike, so a page never offers what the API refuses. Each capability adds its
own predicates (``app.timebank.permissions``, ``app.peers.permissions``) built on these.

One rule for administrators, with one explicit switch (as Indico asks the protected object
itself, with a flag for whether admins pass by default):

- An **administrator** runs the whole deployment: they coordinate every organisation's members,
  ledger, listings and settings, create organisations and add conditions.
- Except for **special category data** (health conditions, support plans, peer checks and
  referrals): there an administrator is a coordinator of their own organisation and nothing
  more (UK GDPR least privilege). Predicates for that data pass ``admin_anywhere=False``.

Nobody else reads ``.role``: a test fails when a role comparison appears outside this module
and the model.
"""

from __future__ import annotations

from .models import User

MEMBER = "member"
COORDINATOR = "coordinator"
ADMIN = "admin"
# The roles that coordinate their own organisation: whom "the organisation's coordinators"
# means when something is sent to them (a query filters on these; nobody else lists roles).
COORDINATING_ROLES = (COORDINATOR, ADMIN)


def is_admin(actor: User) -> bool:
    return actor.role == ADMIN


def is_coordinator(actor: User) -> bool:
    """A coordinator of some organisation (administrators coordinate their own, at least)."""
    return actor.role in COORDINATING_ROLES


def coordinates(actor: User, organisation_id: int, *, admin_anywhere: bool = True) -> bool:
    """The actor coordinates this organisation: they are its coordinator (or an administrator
    in it), or an administrator anywhere unless ``admin_anywhere`` is False."""
    if actor.role == ADMIN and admin_anywhere:
        return True
    return is_coordinator(actor) and actor.organisation_id == organisation_id


def in_reach(actor: User, organisation_id: int) -> bool:
    """The organisation is the actor's own, or the actor administers the deployment: they may
    name its members in what they record (never reveals another organisation's members)."""
    return actor.organisation_id == organisation_id or is_admin(actor)


# --- people ---------------------------------------------------------------------------------


def can_manage(actor: User, person: User) -> bool:
    """Add, change and read a person's account details (not their health data)."""
    return coordinates(actor, person.organisation_id)


def can_view_member(actor: User, person: User) -> bool:
    return actor.id == person.id or can_manage(actor, person)


def can_create_role(actor: User | None, role: str) -> bool:
    """Only an administrator (or the command line, ``actor`` None) creates an administrator."""
    return actor is None or role != ADMIN or is_admin(actor)


def can_create_organisation(actor: User | None) -> bool:
    return actor is None or is_admin(actor)


def can_change_settings(actor: User, organisation_id: int) -> bool:
    return coordinates(actor, organisation_id)


def can_read_audit(actor: User, organisation_id: int) -> bool:
    """The audit trail of an organisation: its coordinators, and administrators (API.md)."""
    return coordinates(actor, organisation_id)


def can_read_whole_audit(actor: User) -> bool:
    return is_admin(actor)


def can_see_coordinator_activity(actor: User) -> bool:
    """Who added, credited and reversed what, across the deployment: administrators."""
    return is_admin(actor)


def can_add_condition(actor: User) -> bool:
    return is_admin(actor)


# --- special category data --------------------------------------------------------------------


def coordinates_health_data(actor: User, organisation_id: int) -> bool:
    """Coordinators of the person's own organisation, administrators included, no further."""
    return coordinates(actor, organisation_id, admin_anywhere=False)


def can_see_health_data(actor: User, person: User) -> bool:
    """The person themselves, and the coordinators of their organisation."""
    return actor.id == person.id or coordinates_health_data(actor, person.organisation_id)


def can_record_health_data(actor: User, person: User) -> bool:
    return coordinates_health_data(actor, person.organisation_id)


def can_withdraw_consent(actor: User, person: User) -> bool:
    return can_see_health_data(actor, person)


# --- acting for a member ----------------------------------------------------------------------
#
# A coordinator acting for a member is handed the member as the actor: every predicate above
# then answers as it would for the member, so acting for someone never shows the coordinator
# anything the member could not see. These decide who may act for whom, and what they may do.

# What a coordinator may change while acting for someone (page endpoints): record and confirm
# exchanges, renew listings, read the inbox, and stop. Everything else the member could change
# (consent, email choices, their directory entry...) stays the member's own.
ACTIONS_WHILE_ACTING = frozenset(
    {
        "timebank.exchange_new",
        "timebank.exchange_confirm",
        "timebank.exchange_reject",
        "timebank.exchange_withdraw",
        "timebank.exchange_dispute",
        "timebank.listing_new",
        "timebank.listing_renew",
        "timebank.listing_withdraw",
        "notifications.mark_read",
        "notifications.mark_all_read",
        "auth.acting_stop",
        "auth.sign_out",
    }
)


def can_be_acted_for(coordinator: User, member: User) -> bool:
    """The coordinator coordinates the member's own organisation (an administrator elsewhere
    does not), the member is someone else, and a plain member: acting for a coordinator would
    lend their rights."""
    return (
        coordinator.id != member.id
        and coordinates(coordinator, member.organisation_id, admin_anywhere=False)
        and not is_coordinator(member)
        and member.active
    )


def can_act_for(coordinator: User, member: User, arrangement, today) -> bool:
    """The arrangement the member asked for names this coordinator and this member, has not been
    stopped, has started and has not passed its until date."""
    return (
        arrangement.member_id == member.id
        and arrangement.coordinator_id == coordinator.id
        and arrangement.ended_at is None
        and arrangement.asked_on <= today <= arrangement.until
        and can_be_acted_for(coordinator, member)
    )


def can_do_while_acting(endpoint: str | None, method: str) -> bool:
    """Reading is what the member could read; changing is limited to ACTIONS_WHILE_ACTING."""
    return method in ("GET", "HEAD", "OPTIONS") or endpoint in ACTIONS_WHILE_ACTING


def can_stop_arrangement(actor: User, arrangement) -> bool:
    """The member themselves, the coordinator named, and the organisation's coordinators."""
    return actor.id in (arrangement.member_id, arrangement.coordinator_id) or coordinates(
        actor, arrangement.organisation_id, admin_anywhere=False
    )
