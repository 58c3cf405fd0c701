"""Who may see and change peers, plans and referrals: special category data.

Built on ``app.auth.permissions``: here an administrator is a coordinator of their own
organisation and no further (``coordinates_health_data``), and the person themselves sees their
own plan and referral.
"""

from __future__ import annotations

from ..auth.models import User
from ..auth.permissions import coordinates_health_data, is_coordinator
from .models import PeerProfile, Referral, SupportPlan


def can_write_plans(actor: User) -> bool:
    return is_coordinator(actor)


def can_see_plan(actor: User, plan: SupportPlan) -> bool:
    return plan.member_id == actor.id or coordinates_health_data(actor, plan.organisation_id)


def can_manage_plan(actor: User, plan: SupportPlan) -> bool:
    return coordinates_health_data(actor, plan.organisation_id)


def can_refer(actor: User) -> bool:
    """Coordinators, and partner systems signed in as one, make referrals."""
    return is_coordinator(actor)


def referral_source(actor: User) -> str:
    """Where a referral came from: a coordinator's own, or a partner system's (any other
    caller that may refer). Pages and the API both ask here."""
    return "coordinator" if is_coordinator(actor) else "partner"


def can_see_referral(actor: User, referral: Referral) -> bool:
    return referral.member_id == actor.id or coordinates_health_data(
        actor, referral.organisation_id
    )


def can_manage_referral(actor: User, referral: Referral) -> bool:
    return coordinates_health_data(actor, referral.organisation_id)


def can_list_peers(actor: User) -> bool:
    return is_coordinator(actor)


def can_see_peer(actor: User, profile: PeerProfile) -> bool:
    return profile.member_id == actor.id or coordinates_health_data(actor, profile.organisation_id)


def can_manage_peer(actor: User, profile: PeerProfile) -> bool:
    return coordinates_health_data(actor, profile.organisation_id)


def can_see_peer_notes(actor: User, profile: PeerProfile) -> bool:
    """Coordinators' notes about a peer stay with the coordinators (never the peer herself)."""
    return can_manage_peer(actor, profile)


def sees_organisation_queue(actor: User) -> bool:
    """Coordinators list their organisation's plans and referrals; members only their own."""
    return is_coordinator(actor)


def can_review_plan(actor: User, plan: SupportPlan) -> bool:
    """The person reviews their own plan online, or a coordinator records it with or for them."""
    return can_see_plan(actor, plan)


def can_tag_voice(actor: User, organisation_id: int) -> bool:
    """The organisation's coordinators read what members said and tag it with themes."""
    return coordinates_health_data(actor, organisation_id)
