"""Referrals: people waiting for a peer, and the coordinator's queue (longest waiting first)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.orm import Session, joinedload

from .. import audit
from ..auth.models import User
from ..auth.permissions import coordinates_health_data
from ..auth.services import clean_postcode
from ..clock import london_date
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from . import conditions
from .models import MODES, SUPPORT_TYPES, Condition, Referral
from .permissions import (
    can_manage_referral,
    can_refer,
    can_see_referral,
    referral_source,
    sees_organisation_queue,
)


def N_(text: str) -> str:  # noqa: N802 - gettext's "marked here, translated on the page"
    return text


@dataclass
class ReferralRequest:
    member_id: int
    condition_codes: list[str] = field(default_factory=list)
    postcode: str | None = None
    support_types: list[str] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    peer_gender: str | None = None
    is_carer: bool = False
    consent_given: bool | None = None


def _validate(request: ReferralRequest) -> None:
    errors: dict[str, str] = {}
    if not request.support_types or set(request.support_types) - set(SUPPORT_TYPES):
        errors["support_types"] = N_(
            "Choose at least one: talk, support_planning, accompany, practical."
        )
    if not request.modes or set(request.modes) - set(MODES):
        errors["modes"] = N_("Choose at least one: in_person, phone, video.")
    if len(request.languages) > 10 or any(len(x) > 40 for x in request.languages):
        errors["preferences.languages"] = N_("List up to 10 languages.")
    if request.peer_gender is not None and len(request.peer_gender) > 40:
        errors["preferences.peer_gender"] = N_("Use 40 characters or fewer.")
    if errors:
        raise ValidationFailed(N_("Check the referral."), fields=errors)


def create_referral(
    session: Session,
    *,
    actor: User,
    request: ReferralRequest,
    now: datetime,
    plan_id: int | None = None,
) -> Referral:
    """Put a person in the queue. Where it came from is decided here: a sign-off (``plan_id``),
    a coordinator, or a partner system (see ``permissions.referral_source``)."""
    person = session.get(User, request.member_id)
    if person is None or not coordinates_health_data(actor, person.organisation_id):
        if not can_refer(actor):
            raise Forbidden(N_("Only coordinators and partner systems can make referrals."))
        raise ValidationFailed(
            N_("Choose a member of your organisation."), fields={"member_id": N_("No such member.")}
        )
    _validate(request)
    postcode = clean_postcode(request.postcode) or person.postcode
    conditions.record_conditions(
        session,
        actor=actor,
        person=person,
        codes=request.condition_codes,
        relationship_kind="carer" if request.is_carer else "own",
        consent_given=request.consent_given,
        now=now,
    )
    referral = Referral(
        member_id=person.id,
        organisation_id=person.organisation_id,
        plan_id=plan_id,
        source="sign_off" if plan_id is not None else referral_source(actor),
        status="waiting",
        postcode=postcode,
        support_types=[t for t in SUPPORT_TYPES if t in request.support_types],
        modes=[m for m in MODES if m in request.modes],
        languages=list(dict.fromkeys(x.strip().title() for x in request.languages if x.strip())),
        peer_gender=(request.peer_gender or "").strip().lower() or None,
        is_carer=request.is_carer,
        waiting_since=now,
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(referral)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="referral.created",
        object_type="referral",
        object_id=referral.id,
        member=person,
        now=now,
    )
    return referral


def find_referral_for(session: Session, actor: User, referral_id: int) -> Referral:
    """Coordinators of the organisation, or the person themselves; NotFound otherwise. Not
    audited: for services that act on it and for jobs. Showing it is ``get_referral_for``."""
    referral = session.get(Referral, referral_id)
    if referral is None or not can_see_referral(actor, referral):
        raise NotFound(N_("We could not find that referral."))
    return referral


def get_referral_for(session: Session, actor: User, referral_id: int, *, now: datetime) -> Referral:
    """Show a referral: the audited read (it carries conditions)."""
    referral = find_referral_for(session, actor, referral_id)
    audit.record(
        session,
        actor=actor,
        action="referral.viewed",
        object_type="referral",
        object_id=referral.id,
        member=referral.member,
        now=now,
    )
    return referral


def referral_condition_codes(session: Session, referral: Referral) -> list[str]:
    """What the referral is about: the person's own conditions, or those they care for."""
    rows = conditions.condition_rows(
        session, [referral.member_id], "carer" if referral.is_carer else "own"
    )
    return [c.code for c in rows.get(referral.member_id, [])]


@dataclass(frozen=True)
class ReferralView:
    """A referral as one actor sees it, for the referral page and the API alike: the
    conditions it is about (the person's own, or those they care for), the days waiting, and
    whether the actor manages it."""

    referral: Referral
    conditions: list[Condition]
    days_waiting: int
    can_manage: bool

    def __getattr__(self, name: str):
        return getattr(self.referral, name)


def referral_view_of(
    session: Session,
    actor: User,
    referral: Referral,
    *,
    now: datetime,
    conditions_by_member: dict[int, list[Condition]] | None = None,
) -> ReferralView:
    """The read model of a referral already found (and audited) for the actor. A list passes
    ``conditions_by_member`` fetched once for all its rows."""
    if conditions_by_member is None:
        conditions_by_member = conditions.condition_rows(
            session, [referral.member_id], "carer" if referral.is_carer else "own"
        )
    return ReferralView(
        referral=referral,
        conditions=conditions_by_member.get(referral.member_id, []),
        days_waiting=days_waiting(referral, now),
        can_manage=can_manage_referral(actor, referral),
    )


def view_referral(session: Session, actor: User, referral_id: int, *, now: datetime):
    """Show a referral (audited, as ``get_referral_for``) as a read model."""
    referral = get_referral_for(session, actor, referral_id, now=now)
    return referral_view_of(session, actor, referral, now=now)


def referrals_query(session: Session, actor: User, *, status: str | None = None):
    """Coordinators: their organisation's referrals; members: their own. The queue's order, for
    the page and the API alike: those still waiting first, then longest waiting first."""
    statement = select(Referral).options(joinedload(Referral.member))
    if sees_organisation_queue(actor):
        statement = statement.where(Referral.organisation_id == actor.organisation_id)
    else:
        statement = statement.where(Referral.member_id == actor.id)
    if status:
        statement = statement.where(Referral.status == status)
    return statement.order_by(
        case((Referral.status == "waiting", 0), else_=1), Referral.waiting_since, Referral.id
    )


def close_referral(session: Session, *, actor: User, referral_id: int, now: datetime) -> Referral:
    referral = find_referral_for(session, actor, referral_id)
    if not can_manage_referral(actor, referral):
        raise Forbidden(N_("Only coordinators can close referrals."))
    if referral.status == "closed":
        raise Conflict(N_("This referral is already closed."), code="already_closed")
    referral.status = "closed"
    referral.closed_at = now
    audit.record(
        session,
        actor=actor,
        action="referral.closed",
        object_type="referral",
        object_id=referral.id,
        member=referral.member,
        now=now,
    )
    return referral


def days_waiting(referral: Referral, now: datetime) -> int:
    """Calendar days in England since the person joined the queue."""
    return max(0, (london_date(now) - london_date(referral.waiting_since)).days)


def record_referrals_listed(
    session: Session, *, actor: User, shown: list[Referral], now: datetime
) -> None:
    """A list is a view of each person in it: one audit event per person shown."""
    audit.record_list_view(
        session,
        actor=actor,
        action="referral.listed",
        object_type="referral",
        shown=[(item.id, item.member_id) for item in shown],
        now=now,
    )
