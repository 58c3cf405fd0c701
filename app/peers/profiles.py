"""Peer profiles: members who support others, vetted and approved by a coordinator."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..auth.models import User
from ..auth.permissions import coordinates_health_data
from ..clock import london_date
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from . import conditions
from .models import MODES, SUPPORT_TYPES, Condition, PeerProfile
from .permissions import can_list_peers, can_manage_peer, can_see_peer, can_see_peer_notes


def N_(text: str) -> str:  # noqa: N802 - gettext's "marked here, translated on the page"
    return text


NEEDS_DBS = {"accompany", "practical"}
MAX_LANGUAGES = 10


@dataclass
class PeerDetails:
    support_types: list[str] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    capacity: int = 1
    travel_km: int = 5
    gender: str | None = None
    references_checked_on: date | None = None
    dbs_checked_on: date | None = None
    training_completed_on: date | None = None
    notes: str = ""


def needs_dbs(support_types: list[str], modes: list[str]) -> bool:
    """In-person accompanying or practical support needs a DBS check on file."""
    return "in_person" in modes and bool(NEEDS_DBS & set(support_types))


def validate_details(details: PeerDetails, today: date, *, approving: bool) -> PeerDetails:
    errors: dict[str, str] = {}
    if not details.support_types or set(details.support_types) - set(SUPPORT_TYPES):
        errors["support_types"] = N_(
            "Choose at least one: talk, support_planning, accompany, practical."
        )
    if not details.modes or set(details.modes) - set(MODES):
        errors["modes"] = N_("Choose at least one: in_person, phone, video.")
    languages = [lang.strip() for lang in details.languages if lang and lang.strip()]
    if len(languages) > MAX_LANGUAGES or any(len(lang) > 40 for lang in languages):
        errors["languages"] = N_("List up to 10 languages, each up to 40 characters.")
    if not isinstance(details.capacity, int) or not 1 <= details.capacity <= 20:
        errors["capacity"] = N_("Enter how many people at once, from 1 to 20.")
    if not isinstance(details.travel_km, int) or not 0 <= details.travel_km <= 500:
        errors["travel_km"] = N_("Enter a distance from 0 to 500 kilometres.")
    for name in ("references_checked_on", "dbs_checked_on", "training_completed_on"):
        value = getattr(details, name)
        if value is not None and value > today:
            errors[name] = "The date must be today or in the past."
    if details.gender is not None and len(details.gender) > 40:
        errors["gender"] = N_("Use 40 characters or fewer.")
    if len(details.notes or "") > 2000:
        errors["notes"] = N_("Use 2,000 characters or fewer.")
    if approving and needs_dbs(details.support_types, details.modes) and not details.dbs_checked_on:
        errors["dbs_checked_on"] = N_(
            "In-person accompanying or practical support needs a DBS check on file: enter its date."
        )
    if errors:
        raise ValidationFailed(N_("Check the peer's details."), fields=errors)
    details.languages = list(dict.fromkeys(lang.title() for lang in languages))
    details.support_types = [t for t in SUPPORT_TYPES if t in details.support_types]
    details.modes = [m for m in MODES if m in details.modes]
    details.gender = (details.gender or "").strip().lower() or None
    return details


def create_peer(
    session: Session,
    *,
    actor: User,
    member_id: int,
    details: PeerDetails,
    condition_codes: list[str],
    carer_condition_codes: list[str],
    consent_given: bool | None,
    approve: bool,
    now: datetime,
) -> PeerProfile:
    person = session.get(User, member_id)
    if person is None or not coordinates_health_data(actor, person.organisation_id):
        if person is not None and actor.organisation_id == person.organisation_id:
            raise Forbidden(N_("Only coordinators can add peers."))
        raise ValidationFailed(
            N_("Choose a member of your organisation."), fields={"member_id": N_("No such member.")}
        )
    existing = session.scalar(select(PeerProfile).where(PeerProfile.member_id == person.id))
    # The draft a sign-off left ("I would support someone later") is what the coordinator now
    # fills in; any other existing profile is a conflict.
    follow_up = existing is not None and existing.source == "sign_off" and not existing.approved
    if existing is not None and not follow_up:
        raise Conflict(
            N_("This person already has a peer profile."),
            code="peer_exists",
            fields={"member_id": N_("Already a peer.")},
        )
    details = validate_details(details, london_date(now), approving=approve)
    conditions.require_consent(list(condition_codes) + list(carer_condition_codes), consent_given)
    if follow_up:
        profile = existing
        for name, value in details.__dict__.items():
            setattr(profile, name, value)
    else:
        profile = PeerProfile(
            member_id=person.id,
            organisation_id=person.organisation_id,
            **details.__dict__,
            source="coordinator",
            created_at=now,
        )
        session.add(profile)
    session.flush()
    conditions.record_conditions(
        session,
        actor=actor,
        person=person,
        codes=condition_codes,
        relationship_kind="own",
        consent_given=consent_given,
        now=now,
    )
    conditions.record_conditions(
        session,
        actor=actor,
        person=person,
        codes=carer_condition_codes,
        relationship_kind="carer",
        consent_given=consent_given,
        now=now,
        field="carer_condition_codes",
    )
    if approve:
        _approve(profile, actor, now)
    audit.record(
        session,
        actor=actor,
        action="peer.created",
        object_type="peer_profile",
        object_id=profile.id,
        member=person,
        now=now,
    )
    return profile


def create_draft_from_sign_off(
    session: Session, *, actor: User, person: User, now: datetime
) -> PeerProfile:
    """The person said they would support someone else later: a draft for a coordinator."""
    existing = session.scalar(select(PeerProfile).where(PeerProfile.member_id == person.id))
    if existing:
        return existing
    profile = PeerProfile(
        member_id=person.id,
        organisation_id=person.organisation_id,
        support_types=[],
        modes=[],
        languages=[],
        capacity=1,
        travel_km=5,
        source="sign_off",
        # Shown in the page's language while nobody has changed it (peer.html: translated).
        notes=N_(
            "Offered at sign-off to support someone else later. Follow up when they are ready."
        ),
        created_at=now,
    )
    session.add(profile)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="peer.created",
        object_type="peer_profile",
        object_id=profile.id,
        member=person,
        now=now,
    )
    return profile


def _approve(profile: PeerProfile, actor: User, now: datetime) -> None:
    details = PeerDetails(
        support_types=profile.support_types,
        modes=profile.modes,
        languages=profile.languages,
        capacity=profile.capacity,
        travel_km=profile.travel_km,
        gender=profile.gender,
        references_checked_on=profile.references_checked_on,
        dbs_checked_on=profile.dbs_checked_on,
        training_completed_on=profile.training_completed_on,
        notes=profile.notes,
    )
    validate_details(details, london_date(now), approving=True)
    profile.approved_at = now
    profile.approved_by_id = actor.id


def find_peer_for(session: Session, actor: User, peer_id: int) -> PeerProfile:
    """A peer profile for a coordinator of its organisation, or the peer themselves; NotFound
    otherwise. Not audited: for services that act on it (a change is audited as a change) and
    for jobs. Showing it to someone is ``get_peer_for``."""
    profile = session.get(PeerProfile, peer_id)
    if profile is None or not can_see_peer(actor, profile):
        raise NotFound(N_("We could not find that peer."))
    return profile


def get_peer_for(session: Session, actor: User, peer_id: int, *, now: datetime) -> PeerProfile:
    """Show a peer profile: the audited read (it holds checks, DBS, and conditions)."""
    profile = find_peer_for(session, actor, peer_id)
    audit.record(
        session,
        actor=actor,
        action="peer.viewed",
        object_type="peer_profile",
        object_id=profile.id,
        member=profile.member,
        now=now,
    )
    return profile


@dataclass(frozen=True)
class PeerView:
    """A peer profile as one actor may see it, rendered by the peer page and the API alike:
    the conditions lived with (own and as a carer), the coordinators' notes only for the
    coordinators, and whether the actor manages the profile."""

    profile: PeerProfile
    own_conditions: list[Condition]
    carer_conditions: list[Condition]
    notes: str | None
    can_manage: bool
    needs_dbs: bool

    def __getattr__(self, name: str):
        return getattr(self.profile, name)


def view_peer(session: Session, actor: User, peer_id: int, *, now: datetime) -> PeerView:
    """Show a peer profile (audited, as ``get_peer_for``) as a read model."""
    return peer_view_of(session, actor, get_peer_for(session, actor, peer_id, now=now))


def peer_view_of(session: Session, actor: User, profile: PeerProfile) -> PeerView:
    """The read model of a profile the caller has already found (and audited) for the actor."""
    own = conditions.condition_rows(session, [profile.member_id], "own")
    carer = conditions.condition_rows(session, [profile.member_id], "carer")
    return PeerView(
        profile=profile,
        own_conditions=own.get(profile.member_id, []),
        carer_conditions=carer.get(profile.member_id, []),
        notes=profile.notes if can_see_peer_notes(actor, profile) else None,
        can_manage=can_manage_peer(actor, profile),
        needs_dbs=needs_dbs(profile.support_types or [], profile.modes or []),
    )


def update_peer(
    session: Session, *, actor: User, peer_id: int, details: PeerDetails, now: datetime
) -> PeerProfile:
    profile = find_peer_for(session, actor, peer_id)
    if not can_manage_peer(actor, profile):
        raise Forbidden(N_("Only coordinators can change a peer's details and checks."))
    details = validate_details(details, london_date(now), approving=profile.approved)
    for name, value in details.__dict__.items():
        setattr(profile, name, value)
    audit.record(
        session,
        actor=actor,
        action="peer.changed",
        object_type="peer_profile",
        object_id=profile.id,
        member=profile.member,
        now=now,
    )
    return profile


def approve_peer(session: Session, *, actor: User, peer_id: int, now: datetime) -> PeerProfile:
    profile = find_peer_for(session, actor, peer_id)
    if not can_manage_peer(actor, profile):
        raise Forbidden(N_("Only coordinators can approve peers."))
    if profile.approved:
        raise Conflict(N_("This peer is already approved."), code="already_approved")
    _approve(profile, actor, now)
    audit.record(
        session,
        actor=actor,
        action="peer.approved",
        object_type="peer_profile",
        object_id=profile.id,
        member=profile.member,
        now=now,
    )
    return profile


def set_paused(
    session: Session, *, actor: User, peer_id: int, paused: bool, now: datetime
) -> PeerProfile:
    """A peer can pause themselves (or a coordinator can); paused peers are not offered."""
    profile = find_peer_for(session, actor, peer_id)
    profile.paused = paused
    audit.record(
        session,
        actor=actor,
        action="peer.paused" if paused else "peer.resumed",
        object_type="peer_profile",
        object_id=profile.id,
        member=profile.member,
        now=now,
    )
    return profile


def peers_query(actor: User, *, approved: bool | None = None):
    if not can_list_peers(actor):
        raise Forbidden(N_("Only coordinators can list peers."))
    statement = select(PeerProfile).where(PeerProfile.organisation_id == actor.organisation_id)
    if approved is True:
        statement = statement.where(PeerProfile.approved_at.is_not(None))
    elif approved is False:
        statement = statement.where(PeerProfile.approved_at.is_(None))
    return statement.order_by(PeerProfile.id)


def peer_of(session: Session, person: User) -> PeerProfile | None:
    return session.scalar(select(PeerProfile).where(PeerProfile.member_id == person.id))


def record_peers_listed(
    session: Session, *, actor: User, shown: list[PeerProfile], now: datetime
) -> None:
    """A list is a view of each person in it: one audit event per person shown."""
    audit.record_list_view(
        session,
        actor=actor,
        action="peer.listed",
        object_type="peer_profile",
        shown=[(item.id, item.member_id) for item in shown],
        now=now,
    )
