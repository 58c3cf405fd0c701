"""Shared fixtures for the service tests that run without a request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import select

from app.audit import AuditEvent
from app.auth.models import User
from tests.factories import ConditionFactory, CoordinatorFactory, OrganisationFactory, UserFactory

# A summer evening: 23:30 UTC on 14 July 2025 is already 15 July in London.
NOW = datetime(2025, 7, 14, 23, 30)


@dataclass
class People:
    person: User  # the member the tests are about
    other: User  # another member of the same organisation
    coordinator: User
    outsider: User  # a coordinator of another organisation
    codes: list[str]  # two conditions in the list


@pytest.fixture()
def people(session) -> People:
    organisation = OrganisationFactory()
    return People(
        person=UserFactory(organisation=organisation, postcode="LS6 2AB"),
        other=UserFactory(organisation=organisation),
        coordinator=CoordinatorFactory(organisation=organisation),
        outsider=CoordinatorFactory(),
        codes=[ConditionFactory().code, ConditionFactory().code],
    )


def audit_trail(session, member: User) -> list[tuple[str, int | None]]:
    """(action, actor id) of each event in a member's trail, oldest first."""
    return [
        (event.action, event.actor_id)
        for event in session.scalars(
            select(AuditEvent).where(AuditEvent.member_id == member.id).order_by(AuditEvent.id)
        )
    ]


def actions(session, member: User) -> list[str]:
    return [action for action, _ in audit_trail(session, member)]
