"""Builders for matching tests: an organisation with a coordinator, people with conditions and
postcodes that have centroids on the National Grid."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from app.extensions import db
from app.peers.models import Condition
from tests.factories import (
    ApprovedPeerProfileFactory,
    ConditionFactory,
    CoordinatorFactory,
    MemberConditionFactory,
    OrganisationFactory,
    PostcodeCentroidFactory,
    ReferralFactory,
    UserFactory,
)

# Leeds, near enough: LS6 2AB at the origin of these tests.
ORIGIN = (428_000, 436_000)


INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters a unit postcode's inward code may use
_numbers = itertools.count(1)


def fresh_postcode() -> str:
    """A valid Leeds unit postcode no other call has returned."""
    n = next(_numbers)
    letters = INWARD_LETTERS[n % 20] + INWARD_LETTERS[n // 20 % 20]
    return f"LS{n // 400 % 28 + 1} {n // 11200 % 9 + 1}{letters}"


def condition(code: str, group: str) -> Condition:
    return db.session.get(Condition, code) or ConditionFactory(
        code=code, name=code.replace("_", " ").capitalize(), group=group
    )


def place(postcode: str | None, km_east: float, km_north: float = 0.0) -> str:
    """A unit postcode ``km_east`` km east (and north) of the origin (a fresh one for None)."""
    postcode = postcode or fresh_postcode()
    PostcodeCentroidFactory(
        postcode=postcode,
        easting=ORIGIN[0] + round(km_east * 1000),
        northing=ORIGIN[1] + round(km_north * 1000),
    )
    return postcode


def lives_with(person, code: str, kind: str = "own") -> None:
    MemberConditionFactory(
        member=person, condition=db.session.get(Condition, code), relationship_kind=kind
    )


@dataclass
class Network:
    organisation: object
    coordinator: object

    def person(self, postcode: str = "LS6 2AB", **kwargs):
        return UserFactory(organisation=self.organisation, postcode=postcode, **kwargs)

    def peer(self, postcode: str, codes=(), **kwargs):
        member = self.person(postcode)
        for code in codes:
            lives_with(member, code)
        kwargs.setdefault("support_types", ["talk"])
        kwargs.setdefault("modes", ["in_person", "phone"])
        kwargs.setdefault("travel_km", 10)
        kwargs.setdefault("languages", ["English"])
        return ApprovedPeerProfileFactory(member=member, **kwargs)

    def referral(self, postcode: str = "LS6 2AB", codes=(), person=None, **kwargs):
        person = person or self.person(postcode)
        for code in codes:
            lives_with(person, code)
        kwargs.setdefault("support_types", ["talk"])
        kwargs.setdefault("modes", ["in_person"])
        return ReferralFactory(
            member=person, coordinator=self.coordinator, postcode=postcode, **kwargs
        )


def network() -> Network:
    organisation = OrganisationFactory()
    condition("multiple_sclerosis", "Neurological")
    condition("parkinsons", "Neurological")
    condition("type_2_diabetes", "Endocrine")
    return Network(organisation, CoordinatorFactory(organisation=organisation))
