"""Conditions (special category data) and the explicit consent they live under.

A person's conditions are recorded only with explicit consent for peer support (who recorded it,
when); withdrawing consent deletes them, so they leave every view, candidate list and report at
once. Only the person and their organisation's coordinators see them, and every view is audited.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .. import audit
from ..auth.models import User
from ..auth.permissions import can_add_condition, can_record_health_data, can_see_health_data
from ..auth.services import forget_person
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..wording import N_
from .models import Condition, HealthDataConsent, MemberCondition

PURPOSE = "peer_support"
CONSENT_MESSAGE = N_(
    "Confirm that the person gave explicit consent to use their health conditions for peer support."
)


def get_person_for_health_data(session: Session, actor: User, member_id: int) -> User:
    person = session.get(User, member_id)
    if person is None or not can_see_health_data(actor, person):
        raise NotFound(N_("We could not find that member."))
    return person


def all_conditions(session: Session) -> list[Condition]:
    return list(session.scalars(select(Condition).order_by(Condition.group, Condition.name)))


def known_codes(
    session: Session, codes: Iterable[str], field: str = "condition_codes"
) -> list[str]:
    """The codes, de-duplicated and in order, or ValidationFailed naming the unknown ones."""
    wanted = list(dict.fromkeys(codes))
    found = set(session.scalars(select(Condition.code).where(Condition.code.in_(wanted))))
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise ValidationFailed(
            N_("Some conditions are not in the list."),
            fields={field: f"Unknown condition codes: {', '.join(unknown[:10])}."},
        )
    return wanted


def add_condition(
    session: Session, *, actor: User, code: str, name: str, group: str, now: datetime
) -> Condition:
    if not can_add_condition(actor):
        raise Forbidden(N_("Only administrators can add conditions."))
    code = (code or "").strip().lower()
    name, group = (name or "").strip(), (group or "").strip()
    errors = {}
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", code):
        errors["code"] = (
            "Use 2 to 40 lower-case letters, digits and underscores, like type_2_diabetes."
        )
    if not name or len(name) > 120:
        errors["name"] = "Enter a name of up to 120 characters."
    if not group or len(group) > 60:
        errors["group"] = "Enter a group of up to 60 characters, like Neurological."
    if errors:
        raise ValidationFailed(N_("Check the condition."), fields=errors)
    if session.get(Condition, code) or session.scalar(
        select(Condition.code).where(func.lower(Condition.name) == name.lower())
    ):
        raise Conflict(
            N_("That condition is already in the list."),
            code="condition_exists",
            fields={"code": N_("Already listed.")},
        )
    condition = Condition(code=code, name=name, group=group, added_by_id=actor.id, created_at=now)
    session.add(condition)
    session.flush()
    return condition


def live_consent(session: Session, person: User) -> HealthDataConsent | None:
    return session.scalar(
        select(HealthDataConsent)
        .where(HealthDataConsent.member_id == person.id, HealthDataConsent.withdrawn_at.is_(None))
        .order_by(HealthDataConsent.id.desc())
    )


def require_consent(codes: list[str], consent_given: bool | None) -> None:
    if codes and consent_given is not True:
        raise ValidationFailed(
            CONSENT_MESSAGE,
            code="consent_required",
            fields={"health_data_consent": CONSENT_MESSAGE},
        )


def record_conditions(
    session: Session,
    *,
    actor: User,
    person: User,
    codes: Iterable[str],
    relationship_kind: str = "own",
    consent_given: bool | None,
    now: datetime,
    replace: bool = False,
    field: str = "condition_codes",
) -> list[str]:
    """Record conditions for a person under their explicit consent (a new consent record each
    time consent is confirmed). ``replace`` sets exactly these codes for that relationship."""
    codes = known_codes(session, codes, field)
    require_consent(codes, consent_given)
    if not can_record_health_data(actor, person):
        raise Forbidden(N_("Only the person's coordinator can record health conditions."))
    if not codes and not replace:
        return []
    consent = None
    if codes:
        consent = HealthDataConsent(
            member_id=person.id, purpose=PURPOSE, recorded_by_id=actor.id, recorded_at=now
        )
        session.add(consent)
        session.flush()
    existing = {
        row.condition_code: row
        for row in session.scalars(
            select(MemberCondition).where(
                MemberCondition.member_id == person.id,
                MemberCondition.relationship_kind == relationship_kind,
            )
        )
    }
    for code in codes:
        if code in existing:
            existing[code].consent_id = consent.id
        else:
            session.add(
                MemberCondition(
                    member_id=person.id,
                    condition_code=code,
                    relationship_kind=relationship_kind,
                    consent_id=consent.id,
                    created_at=now,
                )
            )
    if replace:
        for code, row in existing.items():
            if code not in codes:
                session.delete(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="conditions.recorded",
        object_type="member_condition",
        object_id=None,
        member=person,
        now=now,
    )
    return codes


def conditions_of(
    session: Session,
    *,
    actor: User,
    person: User,
    relationship_kind: str | None = None,
    now: datetime,
) -> list[Condition]:
    """The person's conditions, for someone allowed to see them. The view is audited."""
    if not can_see_health_data(actor, person):
        raise NotFound(N_("We could not find that member."))
    audit.record(
        session,
        actor=actor,
        action="conditions.viewed",
        object_type="member_condition",
        object_id=None,
        member=person,
        now=now,
    )
    return condition_rows(session, [person.id], relationship_kind).get(person.id, [])


def condition_rows(
    session: Session, member_ids: list[int], relationship_kind: str | None = None
) -> dict[int, list[Condition]]:
    """Conditions by member, for code that has already checked and audited access (queues)."""
    statement = (
        select(MemberCondition.member_id, Condition)
        .join(Condition, MemberCondition.condition_code == Condition.code)
        .where(MemberCondition.member_id.in_(member_ids))
        .order_by(Condition.name)
    )
    if relationship_kind:
        statement = statement.where(MemberCondition.relationship_kind == relationship_kind)
    result: dict[int, list[Condition]] = {}
    for member_id, condition in session.execute(statement):
        result.setdefault(member_id, []).append(condition)
    return result


def withdraw_consent(session: Session, *, actor: User, member_id: int, now: datetime) -> int:
    """The person, or their coordinator, withdraws consent: every condition is deleted at once.
    Returns how many were removed."""
    person = session.get(User, member_id)
    if person is None or not can_see_health_data(actor, person):
        raise NotFound(N_("We could not find that member."))
    removed = session.execute(
        delete(MemberCondition).where(MemberCondition.member_id == person.id)
    ).rowcount
    for consent in session.scalars(
        select(HealthDataConsent).where(
            HealthDataConsent.member_id == person.id, HealthDataConsent.withdrawn_at.is_(None)
        )
    ):
        consent.withdrawn_at = now
        consent.withdrawn_by_id = actor.id
    # Copies kept elsewhere (a stored API answer that listed the conditions) go too, at once.
    forget_person(session, person)
    audit.record(
        session,
        actor=actor,
        action="consent.withdrawn",
        object_type="health_data_consent",
        object_id=None,
        member=person,
        now=now,
    )
    session.flush()
    return removed or 0
