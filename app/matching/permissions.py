"""Who may do what with matches: special category data, so administrators act only within their
own organisation (``coordinates_health_data``), as for referrals and peer checks.

Pure predicates over the actor and plain ids, built on ``app.auth.permissions`` (the one place
that reads roles). The three parties to a match: the peer (``peer_member_id``), the person
referred (``person_member_id``) and the coordinators of the match's organisation.
"""

from __future__ import annotations

from typing import Protocol

from ..auth.models import User
from ..auth.permissions import coordinates_health_data

BEFORE_INTRODUCTION = ("proposed", "accepted", "declined")


class MatchLike(Protocol):
    organisation_id: int
    status: str


def can_match(actor: User, organisation_id: int) -> bool:
    """See candidates, ask "Why not?", propose, run the batch: the organisation's coordinators."""
    return coordinates_health_data(actor, organisation_id)


def can_see_match(actor: User, match: MatchLike, peer_member_id: int, person_member_id: int):
    return actor.id in (peer_member_id, person_member_id) or can_match(actor, match.organisation_id)


def can_answer_proposal(actor: User, match: MatchLike, peer_member_id: int) -> bool:
    """Accept or decline a proposal: the peer, or a coordinator for them."""
    return actor.id == peer_member_id or can_match(actor, match.organisation_id)


def can_decline(actor: User, match: MatchLike, peer_member_id: int, person_member_id: int):
    """Before the introduction either side may say no: the peer to a proposal, and the person
    (or a coordinator) to a peer who accepted."""
    if match.status == "accepted" and actor.id == person_member_id:
        return True
    return can_answer_proposal(actor, match, peer_member_id)


def can_introduce(actor: User, match: MatchLike, person_member_id: int) -> bool:
    """The person agrees to meet the peer, or a coordinator agrees for them."""
    return actor.id == person_member_id or can_match(actor, match.organisation_id)


def can_take_part(actor: User, match: MatchLike, peer_member_id: int, person_member_id: int):
    """Check-ins and closing: either side, or a coordinator."""
    return can_see_match(actor, match, peer_member_id, person_member_id)


def can_log_support(actor: User, match: MatchLike, peer_member_id: int) -> bool:
    """Peer-support time: the peer records it (the person confirms), or a coordinator."""
    return actor.id == peer_member_id or can_match(actor, match.organisation_id)


def sees_person(actor: User, match: MatchLike, peer_member_id: int) -> bool:
    """Whether the actor may see who the person is and what they live with. The peer only from
    the introduction on; before it, only the condition, district, support and preferences."""
    if actor.id != peer_member_id:
        return True
    return match.status not in BEFORE_INTRODUCTION
