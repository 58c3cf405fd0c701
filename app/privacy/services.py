"""Privacy rights: everything held about a person (the export), and their erasure.

The export is one read model, ``PersonExport``: the printable page and
``GET /api/v1/members/{id}/export`` both render it, so they cannot disagree. Erasure removes or
anonymises what identifies the person (name, email, postcode, conditions, free text they wrote)
and keeps every ledger row and every figure a report counts, so balances and report totals are
unchanged; the person can no longer sign in, and the audit and the ``Erasure`` row keep that it
happened, by whom and why. Both take the session, the actor and ``now``; neither commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from .. import audit
from ..audit import AuditEvent
from ..auth.models import ApiToken, SignInAttempt, User, UserToken
from ..auth.permissions import can_view_member
from ..auth.services import forget_person
from ..errors import Forbidden, NotFound, ValidationFailed
from ..i18n import N_
from ..language import SOURCE_LOCALE
from ..mail import OutboxEmail
from ..matching.models import Match, MatchCheckIn
from ..notifications.models import Notification, NotificationPreference
from ..notifications.services import inbox_query
from ..peers.conditions import condition_rows
from ..peers.models import (
    HealthDataConsent,
    MemberCondition,
    MemberVoice,
    PeerProfile,
    PlanOutcome,
    PlanReview,
    PlanSupport,
    Referral,
    ReviewOutcome,
    SupportPlan,
)
from ..timebank.exchanges import statement
from ..timebank.listings import directory_entry, listings_of
from ..timebank.models import DirectoryEntry, Exchange, Listing
from ..timebank.services import account_name, limits_for, member_account
from .models import Erasure
from .permissions import can_erase, can_export

MAX_REASON_LENGTH = 500
ERASED_NAME = "Erased member"
# What another person's message says where it named the erased person.
NAME_IN_OTHERS_TEXT = "an erased member"
# A name shorter than this is not replaced inside other people's messages (it would mangle words).
MIN_NAME_TO_REPLACE = 3


def _person_for(session: Session, actor: User, member_id: int) -> User:
    person = session.get(User, member_id)
    if person is None or not can_view_member(actor, person):
        raise NotFound(N_("We could not find that member."))
    return person


def erasure_of(session: Session, person: User) -> Erasure | None:
    return session.scalar(select(Erasure).where(Erasure.member_id == person.id))


# --- the export -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportSection:
    key: str
    title: str
    rows: list[dict[str, Any]]
    single: bool = False  # one record (the account), not a list


@dataclass(frozen=True)
class PersonExport:
    person_id: int
    name: str
    generated_at: datetime
    sections: list[ExportSection] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "member_id": self.person_id,
            "generated_at": _json(self.generated_at),
        }
        for section in self.sections:
            rows = [{k: _json(v) for k, v in row.items()} for row in section.rows]
            body[section.key] = (rows[0] if rows else None) if section.single else rows
        return body


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


def export_person(session: Session, *, actor: User, member_id: int, now: datetime) -> PersonExport:
    """Everything held about the person, for them or their organisation's coordinators. The
    export shows their health data, so it is audited like every view of it."""
    person = _person_for(session, actor, member_id)
    if not can_export(actor, person):
        raise Forbidden(
            N_("Only the person and their coordinators can export what is held about them.")
        )
    audit.record(
        session,
        actor=actor,
        action="member.exported",
        object_type="member",
        object_id=person.id,
        member=person,
        now=now,
    )
    session.flush()
    account = member_account(session, person)
    limits = limits_for(account)
    erasure = erasure_of(session, person)
    sections = [
        ExportSection(
            "account",
            N_("Account"),
            [
                {
                    "id": person.id,
                    "name": person.name,
                    "email": person.email,
                    "postcode": person.postcode,
                    "role": person.role_name,
                    "organisation": person.organisation.name,
                    "can_sign_in": person.active,
                    "joined": person.created_at,
                    "erased_at": erasure.erased_at if erasure else None,
                }
            ],
            single=True,
        ),
        ExportSection(
            "hours",
            N_("Hours account"),
            [
                {
                    "balance_minutes": account.balance_minutes,
                    "min_balance_minutes": limits.min_minutes,
                    "max_balance_minutes": limits.max_minutes,
                }
            ],
            single=True,
        ),
        ExportSection(
            "statement",
            N_("Statement"),
            [
                {
                    "at": row.at,
                    "what": row.description,
                    "with": row.counterparty,
                    "minutes": row.minutes,
                    "balance_after_minutes": row.balance_after,
                    "exchange_id": row.exchange_id,
                }
                for row in statement(session, account)
            ],
        ),
        ExportSection("exchanges", N_("Exchanges"), _exchanges(session, person, account.id)),
        ExportSection(
            "listings",
            N_("Listings"),
            [
                {
                    "id": listing.id,
                    "kind": listing.kind,
                    "title": listing.title,
                    "description": listing.description,
                    "category": listing.category,
                    "availability": listing.availability,
                    "expires_on": listing.expires_on,
                    "withdrawn_at": listing.withdrawn_at,
                }
                for listing in listings_of(session, person)
            ],
        ),
        ExportSection(
            "directory", N_("Directory entry"), [_directory(session, person)], single=True
        ),
        ExportSection("conditions", N_("Health conditions"), _conditions(session, person)),
        ExportSection("consents", N_("Consent records"), _consents(session, person)),
        ExportSection(
            "peer_profile", N_("Peer profile"), _peer_profile(session, person), single=True
        ),
        ExportSection("plans", N_("Support plans"), _plans(session, person)),
        ExportSection("plan_supports", N_("Support plan lines"), _plan_supports(session, person)),
        ExportSection("referrals", N_("Referrals"), _referrals(session, person)),
        ExportSection("matches", N_("Peer matches"), _matches(session, person)),
        ExportSection(
            "notifications",
            N_("Notifications"),
            [
                {
                    "id": n.id,
                    "kind": n.kind,
                    "text": n.text,
                    "language": n.locale or SOURCE_LOCALE,
                    "created_at": n.created_at,
                    "read": n.read_at is not None,
                }
                for n in session.scalars(inbox_query(person))
            ],
        ),
        ExportSection(
            "api_tokens",
            N_("API tokens"),
            [
                {
                    "id": token.id,
                    "name": token.name,
                    "created_at": token.created_at,
                    "last_used_at": token.last_used_at,
                    "revoked_at": token.revoked_at,
                }
                for token in session.scalars(
                    select(ApiToken).where(ApiToken.user_id == person.id).order_by(ApiToken.id)
                )
            ],
        ),
        ExportSection(
            "audit",
            N_("Audit trail about them"),
            [
                {
                    "at": event.at,
                    "actor_id": event.actor_id,
                    "action": event.action,
                    "object_type": event.object_type,
                    "object_id": event.object_id,
                    "member_id": event.member_id,
                }
                for event in session.scalars(
                    select(AuditEvent)
                    .where(AuditEvent.member_id == person.id)
                    .order_by(AuditEvent.id)
                )
            ],
        ),
    ]
    return PersonExport(person.id, person.name, now, sections)


def _exchanges(session: Session, person: User, account_id: int) -> list[dict[str, Any]]:
    exchanges = session.scalars(
        select(Exchange)
        .where(
            or_(
                Exchange.provider_account_id == account_id,
                Exchange.receiver_account_id == account_id,
                Exchange.beneficiary_id == person.id,
            )
        )
        .order_by(Exchange.id)
    )
    return [
        {
            "id": e.id,
            "provider": account_name(e.provider_account),
            "receiver": account_name(e.receiver_account),
            "minutes": e.minutes,
            "category": e.category,
            "occurred_on": e.occurred_on,
            "description": e.description,
            "status": e.status,
        }
        for e in exchanges
    ]


def _directory(session: Session, person: User) -> dict[str, Any]:
    entry = directory_entry(session, person)
    return {
        "listed": entry.listed,
        "about": entry.about,
        "show_email": entry.show_email,
        "show_district": entry.show_district,
    }


def _conditions(session: Session, person: User) -> list[dict[str, Any]]:
    kinds = dict(
        session.execute(
            select(MemberCondition.condition_code, MemberCondition.relationship_kind).where(
                MemberCondition.member_id == person.id
            )
        ).all()
    )
    return [
        {"code": c.code, "name": c.name, "relationship": kinds.get(c.code)}
        for c in condition_rows(session, [person.id]).get(person.id, [])
    ]


def _consents(session: Session, person: User) -> list[dict[str, Any]]:
    return [
        {
            "id": consent.id,
            "purpose": consent.purpose,
            "recorded_by_id": consent.recorded_by_id,
            "recorded_at": consent.recorded_at,
            "withdrawn_at": consent.withdrawn_at,
            "withdrawn_by_id": consent.withdrawn_by_id,
        }
        for consent in session.scalars(
            select(HealthDataConsent)
            .where(HealthDataConsent.member_id == person.id)
            .order_by(HealthDataConsent.id)
        )
    ]


def _peer_profile(session: Session, person: User) -> list[dict[str, Any]]:
    profile = session.scalar(select(PeerProfile).where(PeerProfile.member_id == person.id))
    if profile is None:
        return []
    return [
        {
            "id": profile.id,
            "gender": profile.gender,
            "capacity": profile.capacity,
            "travel_km": profile.travel_km,
            "support_types": [row.code for row in profile.support_type_rows],
            "modes": [row.code for row in profile.mode_rows],
            "languages": [row.language for row in profile.language_rows],
            "references_checked_on": profile.references_checked_on,
            "dbs_checked_on": profile.dbs_checked_on,
            "training_completed_on": profile.training_completed_on,
            "approved_at": profile.approved_at,
            "paused": profile.paused,
            "notes": profile.notes,
        }
    ]


def _person_plans(session: Session, person: User) -> list[SupportPlan]:
    return list(
        session.scalars(
            select(SupportPlan).where(SupportPlan.member_id == person.id).order_by(SupportPlan.id)
        )
    )


def _plans(session: Session, person: User) -> list[dict[str, Any]]:
    return [
        {
            "id": plan.id,
            "status": plan.status,
            "budget_pence": plan.budget_pence,
            "management": plan.management,
            "outcomes": list(plan.outcomes or []),
            "signed_off_on": plan.signed_off_on,
            "next_review_on": plan.next_review_on,
            "last_reviewed_on": plan.last_reviewed_on,
        }
        for plan in _person_plans(session, person)
    ]


def _plan_supports(session: Session, person: User) -> list[dict[str, Any]]:
    return [
        {
            "plan_id": plan.id,
            "kind": support.kind,
            "type": support.type,
            "description": support.description,
            "provider": support.provider,
            "annual_pence": support.annual_pence,
            "hours_per_month": support.hours_per_month,
        }
        for plan in _person_plans(session, person)
        for support in plan.supports
    ]


def _referrals(session: Session, person: User) -> list[dict[str, Any]]:
    return [
        {
            "id": referral.id,
            "status": referral.status,
            "source": referral.source,
            "postcode": referral.postcode,
            "support_types": list(referral.support_types or []),
            "modes": list(referral.modes or []),
            "languages": list(referral.languages or []),
            "peer_gender": referral.peer_gender,
            "waiting_since": referral.waiting_since,
            "closed_at": referral.closed_at,
        }
        for referral in session.scalars(
            select(Referral).where(Referral.member_id == person.id).order_by(Referral.id)
        )
    ]


def _person_matches(session: Session, person: User) -> list[tuple[Match, str]]:
    rows = session.execute(
        select(Match, Referral.member_id, PeerProfile.member_id)
        .join(Referral, Referral.id == Match.referral_id)
        .join(PeerProfile, PeerProfile.id == Match.peer_profile_id)
        .where(or_(Referral.member_id == person.id, PeerProfile.member_id == person.id))
        .order_by(Match.id)
    ).all()
    return [
        (match, "supported" if supported == person.id else "peer") for match, supported, _ in rows
    ]


def _matches(session: Session, person: User) -> list[dict[str, Any]]:
    return [
        {
            "id": match.id,
            "as": side,
            "status": match.status,
            "proposed_at": match.proposed_at,
            "introduced_at": match.introduced_at,
            "closed_at": match.closed_at,
            "outcome": match.outcome,
            "their_feedback": match.person_feedback if side == "supported" else match.peer_feedback,
        }
        for match, side in _person_matches(session, person)
    ]


# --- erasure ----------------------------------------------------------------------------------


def clean_reason(raw: str | None) -> str:
    reason = (raw or "").strip()
    if not reason:
        raise ValidationFailed(
            N_("Say why this person is being erased."), fields={"reason": N_("Enter a reason.")}
        )
    if len(reason) > MAX_REASON_LENGTH:
        message = f"The reason must be {MAX_REASON_LENGTH} characters or fewer."
        raise ValidationFailed(message, fields={"reason": message})
    return reason


def person_to_erase(session: Session, actor: User, member_id: int) -> User:
    """The person, if the actor may erase them (the confirmation page asks this first)."""
    person = _person_for(session, actor, member_id)
    if not can_erase(actor, person):
        raise Forbidden(
            N_("Only a coordinator of their organisation or an administrator can erase a person.")
        )
    return person


def erase_person(
    session: Session, *, actor: User, member_id: int, reason: str | None, now: datetime
) -> Erasure:
    """Remove or anonymise what identifies the person; keep the ledger and every counted figure.

    Erasing an erased person again returns the first erasure and changes nothing.
    """
    person = person_to_erase(session, actor, member_id)
    existing = erasure_of(session, person)
    if existing is not None:
        return existing
    reason = clean_reason(reason)
    old_name, old_email = person.name, person.email
    account = member_account(session, person)

    person.name = f"{ERASED_NAME} {person.id}"
    person.email = None
    person.postcode = None
    person.password_hash = None
    person.active = False

    # Health data: the conditions go, the consent records (who agreed, when) say withdrawn.
    session.execute(delete(MemberCondition).where(MemberCondition.member_id == person.id))
    session.execute(
        update(HealthDataConsent)
        .where(HealthDataConsent.member_id == person.id, HealthDataConsent.withdrawn_at.is_(None))
        .values(withdrawn_at=now, withdrawn_by_id=actor.id)
    )

    # Free text they wrote, or that was written about them; the rows and their figures stay.
    session.execute(
        update(Exchange)
        .where(
            or_(
                Exchange.provider_account_id == account.id,
                Exchange.receiver_account_id == account.id,
                Exchange.beneficiary_id == person.id,
                Exchange.recorded_by_id == person.id,
            )
        )
        .values(description="")
    )
    session.execute(
        update(Listing)
        .where(Listing.user_id == person.id)
        .values(title="Removed", description="", availability="")
    )
    session.execute(
        update(Listing)
        .where(Listing.user_id == person.id, Listing.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
    )
    session.execute(
        update(DirectoryEntry)
        .where(DirectoryEntry.user_id == person.id)
        .values(listed=False, about="", show_email=False, show_district=False, updated_at=now)
    )
    plan_ids = [plan.id for plan in _person_plans(session, person)]
    if plan_ids:
        # Every version's words go and the rows stay: reviews still rate them, reports count them.
        session.execute(
            update(PlanOutcome).where(PlanOutcome.plan_id.in_(plan_ids)).values(text="")
        )
        session.execute(
            update(PlanSupport)
            .where(PlanSupport.plan_id.in_(plan_ids))
            .values(description="", provider="")
        )
        reviewed = select(PlanReview.id).where(PlanReview.plan_id.in_(plan_ids))
        session.execute(
            update(ReviewOutcome).where(ReviewOutcome.review_id.in_(reviewed)).values(comment="")
        )
        session.execute(
            update(PlanReview)
            .where(PlanReview.plan_id.in_(plan_ids))
            .values(delivery_comment="", changes="")
        )
    # What they said to commissioners: no words left to quote (the theme counts stay).
    session.execute(
        update(MemberVoice)
        .where(MemberVoice.member_id == person.id)
        .values(what_worked="", what_did_not="", quote_permission=False)
    )
    session.execute(update(Referral).where(Referral.member_id == person.id).values(postcode=None))
    session.execute(
        update(PeerProfile)
        .where(PeerProfile.member_id == person.id)
        .values(notes="", gender=None, paused=True)
    )
    for match, side in _person_matches(session, person):
        if side == "supported":
            match.person_feedback = None
        else:
            match.peer_feedback = None
    session.execute(update(MatchCheckIn).where(MatchCheckIn.by_id == person.id).values(note=""))

    # Messages: their own inbox goes; other people's messages stop naming them.
    session.execute(delete(Notification).where(Notification.recipient_id == person.id))
    session.execute(
        delete(NotificationPreference).where(NotificationPreference.user_id == person.id)
    )
    if len(old_name.strip()) >= MIN_NAME_TO_REPLACE:
        session.execute(
            update(Notification)
            .where(Notification.text.contains(old_name, autoescape=True))
            .values(text=func.replace(Notification.text, old_name, NAME_IN_OTHERS_TEXT))
            .execution_options(synchronize_session=False)
        )

    # Signing in: no password, no links, no tokens, no address kept for the throttle.
    session.execute(delete(UserToken).where(UserToken.user_id == person.id))
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == person.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if old_email:
        session.execute(delete(OutboxEmail).where(OutboxEmail.to_address == old_email))
        session.execute(
            update(SignInAttempt).where(SignInAttempt.email == old_email).values(email="")
        )

    forget_person(session, person)

    erasure = Erasure(
        member_id=person.id,
        organisation_id=person.organisation_id,
        erased_by_id=actor.id,
        reason=reason,
        erased_at=now,
    )
    session.add(erasure)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="member.erased",
        object_type="erasure",
        object_id=erasure.id,
        member=person,
        now=now,
    )
    session.flush()
    return erasure
