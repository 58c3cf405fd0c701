"""A crowded organisation for the reflow tests: the demo data, then many people with long names
and long email addresses, and enough exchanges, referrals, plans, peers and audit events that
every list has dozens of rows.

Loaded on top of `load_demo()`, so the demo rows keep their ids and the paths in pages.py still
point at the same things. Some demo people are renamed to long names, so the pages about them
(an exchange, a plan, a referral, a peer) carry long names too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from app.auth import services as auth
from app.auth.models import Organisation, User
from app.clock import london_date, utcnow
from app.demo import COORDINATOR, DEMO_ORGANISATION, DEMO_PASSWORD, load_demo
from app.extensions import db
from app.peers import conditions, plans, profiles, referrals
from app.timebank import exchanges, listings
from app.timebank.services import member_account

# Real names are this long, and some have no break in them at all.
GIVEN_NAMES = [
    "Oluwaseun",
    "Maximilian",
    "Anastasiya",
    "Christabel",
    "Venkataraman",
    "Bartholomew",
    "Guðmundsdóttir",
    "Nkechinyere",
]
FAMILY_NAMES = [
    "Adebayo-Fitzgerald-Montgomery",
    "Wolfeschlegelsteinhausenbergerdorff",
    "Featherstonehaugh-Cholmondeley",
    "Ramasubramanian-Venkatanarasimha",
    "Papadimitropoulou",
    "Okonkwo-Abernethy-Fairweather",
]
MEMBER_COUNT = 36
# Demo people the crowd gives time to, so their statements have many rows too.
RECEIVERS = [
    "amina@example.org",
    "esther@example.org",
    "farhan@example.org",
    "leon@example.org",
    "ivy@example.org",
    "joseph@example.org",
]
# Demo people given long names: they appear on the detail pages listed in pages.py.
RENAMED = {
    "chloe@example.org": "Chloe Oluwaseun Adebayo-Fitzgerald-Montgomery",
    "esther@example.org": "Esther Wolfeschlegelsteinhausenbergerdorff Mensah",
    "farhan@example.org": "Farhan Featherstonehaugh-Cholmondeley Iqbal",
    "joseph@example.org": "Joseph Ramasubramanian-Venkatanarasimha Brown",
}
LONG_URL = "https://www.example.org/community-support/forms/housing-benefit-change-of-circumstances"


@dataclass(frozen=True)
class Crowd:
    """Ids of crowd rows that get a page of their own."""

    member_id: int
    exchange_id: int
    referral_id: int
    peer_id: int
    plan_id: int
    listing_id: int


def long_name(index: int) -> str:
    given = GIVEN_NAMES[index % len(GIVEN_NAMES)]
    family = FAMILY_NAMES[index % len(FAMILY_NAMES)]
    return f"{given} {family}"


def long_email(index: int) -> str:
    """An address with no hyphen or space, so nothing but overflow-wrap can break it."""
    name = long_name(index).lower().replace(" ", ".").replace("-", "")
    return f"{name}{index}@communitysupportnetworkleeds.example.org"


def load_crowd() -> Crowd:
    now = utcnow()
    people = load_demo(now)
    organisation = db.session.scalar(
        select(Organisation).where(Organisation.name == DEMO_ORGANISATION)
    )
    coordinator = people[COORDINATOR[1]]
    for email, name in RENAMED.items():
        people[email].name = name

    crowd: list[User] = []
    for index in range(MEMBER_COUNT):
        crowd.append(
            auth.create_member(
                db.session,
                actor=None,
                new=auth.NewMember(
                    name=long_name(index),
                    email=long_email(index),
                    password=DEMO_PASSWORD,
                    postcode="LS6 2AB",
                    role="member",
                    organisation_id=organisation.id,
                ),
                now=now - timedelta(days=35),
                base_url=current_app.config["BASE_URL"],
            )
        )
    db.session.flush()

    # Every crowd member gives half an hour to a demo person (confirmed by the coordinator), and
    # records one more for Esther that has waited over a week (her list and the overdue list).
    first_exchange = None
    for index, person in enumerate(crowd):
        receiver = people[RECEIVERS[index % len(RECEIVERS)]]
        confirmed = exchanges.record_exchange(
            db.session,
            actor=coordinator,
            new=exchanges.NewExchange(
                provider=member_account(db.session, person),
                receiver=member_account(db.session, receiver),
                minutes=30,
                category="paperwork",
                occurred_on=london_date(now) - timedelta(days=30 - index % 20),
                description=f"Filled in the form at {LONG_URL} together"
                if index % 3 == 0
                else "Helped with a change-of-circumstances form for housing benefit",
            ),
            now=now - timedelta(days=30 - index % 20),
        )
        first_exchange = first_exchange or confirmed
        if index < 12:
            exchanges.record_exchange(
                db.session,
                actor=person,
                new=exchanges.NewExchange(
                    provider=member_account(db.session, person),
                    receiver=member_account(db.session, people["esther@example.org"]),
                    minutes=20,
                    category="befriending",
                    occurred_on=london_date(now) - timedelta(days=10 + index),
                    description="A long phone call about nothing in particular",
                ),
                now=now - timedelta(days=10 + index),
            )

    # A long condition name in the taxonomy.
    conditions.add_condition(
        db.session,
        actor=people["admin@example.org"],
        code="hypermobility",
        name="Ehlers-Danlos syndromes and hypermobility spectrum disorders (hEDS and HSD)",
        group="Joints, muscles and pain",
        now=now - timedelta(days=30),
    )

    # Referrals (each also records conditions and audit events), peers and plans.
    referral_ids = []
    for index, person in enumerate(crowd):
        referral_ids.append(
            referrals.create_referral(
                db.session,
                actor=coordinator,
                request=referrals.ReferralRequest(
                    member_id=person.id,
                    condition_codes=["continuing_healthcare", "crohns_colitis", "hypermobility"],
                    support_types=["talk", "support_planning", "accompany", "practical"],
                    modes=["in_person", "phone", "video"],
                    languages=["English", "Yoruba"],
                    consent_given=True,
                ),
                now=now - timedelta(days=25 - index % 20),
            ).id
        )
    peer_ids = []
    for person in crowd[:8]:
        peer_ids.append(
            profiles.create_peer(
                db.session,
                actor=coordinator,
                member_id=person.id,
                details=profiles.PeerDetails(
                    support_types=["talk", "accompany", "practical"],
                    modes=["in_person", "phone"],
                    languages=["English", "Yoruba", "Portuguese"],
                    capacity=3,
                    references_checked_on=date(2025, 3, 1),
                    training_completed_on=date(2025, 4, 2),
                ),
                condition_codes=["crohns_colitis"],
                carer_condition_codes=[],
                consent_given=True,
                approve=False,
                now=now - timedelta(days=20),
            ).id
        )
    plan_ids = []
    for person in crowd[:6]:
        plan_ids.append(
            plans.create_plan(
                db.session,
                actor=coordinator,
                details=plans.PlanDetails(
                    member_id=person.id,
                    budget_pence=1_234_500,
                    outcomes=["Get to the Featherstonehaugh-Cholmondeley community centre weekly"],
                    supports=[
                        plans.SupportLine(
                            kind="paid",
                            description="Personal assistant for appointments and shopping",
                            provider=f"{long_name(0)} Community Interest Company",
                            annual_pence=1_100_000,
                        ),
                        plans.SupportLine(
                            kind="give_and_get",
                            type="timebank",
                            description=f"Lifts arranged through {LONG_URL}",
                            hours_per_month=12,
                        ),
                    ],
                ),
                now=now - timedelta(days=5),
            ).id
        )

    # A listing and a directory entry with long text.
    listing = listings.create_listing(
        db.session,
        actor=crowd[1],
        new=listings.NewListing(
            kind="offer",
            title="Help with Wolfeschlegelsteinhausenbergerdorff-length forms and letters",
            category="paperwork",
            description=f"See {LONG_URL} for the form I can help with.",
            availability="Weekday mornings",
        ),
        now=now - timedelta(days=3),
    )
    for person in crowd[:4]:
        listings.update_directory_entry(
            db.session,
            actor=person,
            listed=True,
            about=f"I can help with forms: {LONG_URL}",
            show_email=True,
            show_district=True,
            now=now,
        )
    db.session.flush()
    return Crowd(
        member_id=crowd[1].id,
        exchange_id=first_exchange.id,
        referral_id=referral_ids[1],
        peer_id=peer_ids[1],
        plan_id=plan_ids[1],
        listing_id=listing.id,
    )
