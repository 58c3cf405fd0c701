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
