"""Demo data for `make run`: safe to load again and again (it only adds what is missing)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from .auth import services as auth
from .auth.models import Organisation, User
from .clock import utcnow
from .extensions import db

DEMO_ORGANISATION = "Leeds Give and Get"
DEMO_PASSWORD = "give-and-get-demo"
COORDINATOR = ("Sam Okafor", "coordinator@example.org", "LS6 2AB")
ADMIN = ("Admin", "admin@example.org", None)
MEMBERS = [
    ("Amina Hussain", "amina@example.org", "LS6 1AA"),
    ("Brian Walsh", "brian@example.org", "LS6 3BB"),
    ("Chloe Evans", "chloe@example.org", "LS7 2DD"),
    ("David Clarke", "david@example.org", "LS8 1EE"),
    ("Esther Mensah", "esther@example.org", "LS4 2FF"),
    ("Farhan Iqbal", "farhan@example.org", "LS11 5GG"),
    ("Grace Taylor", "grace@example.org", "LS9 6HH"),
    ("Harjit Kaur", "harjit@example.org", "LS12 3JJ"),
    ("Ivy Robinson", "ivy@example.org", "LS6 4LL"),
    ("Joseph Brown", "joseph@example.org", "LS10 1NN"),
    ("Kath Murphy", None, "LS13 2PP"),
    ("Leon Ward", "leon@example.org", "LS5 3QQ"),
]


def load_demo(now=None) -> dict[str, User]:
    """Create the demo organisation and people if they are missing; returns people by email."""
    now = now or utcnow()
    base_url = current_app.config["BASE_URL"]
    organisation = db.session.scalar(
        select(Organisation).where(Organisation.name == DEMO_ORGANISATION)
    ) or auth.create_organisation(db.session, actor=None, name=DEMO_ORGANISATION)
    people: dict[str, User] = {}
    for role, (name, email, postcode) in [
        ("admin", ADMIN),
        ("coordinator", COORDINATOR),
        *[("member", member) for member in MEMBERS],
    ]:
        existing = db.session.scalar(
            select(User).where(
                User.organisation_id == organisation.id,
                (User.email == email) if email else (User.name == name),
            )
        )
        people[email or name] = existing or auth.create_member(
            db.session,
            actor=None,
            new=auth.NewMember(
                name=name,
                email=email,
                password=DEMO_PASSWORD if email else None,
                postcode=postcode,
                role=role,
                organisation_id=organisation.id,
            ),
            now=now,
            base_url=base_url,
        )
    db.session.flush()
    _load_timebank(organisation, people, now)
    return people


LISTINGS = [
    ("amina@example.org", "offer", "I can cook a hot meal for two", "cooking", "Weekday evenings"),
    ("brian@example.org", "offer", "Small repairs: taps, shelves, flat-pack", "diy", "Saturdays"),
    (
        "chloe@example.org",
        "request",
        "Someone to come with me to hospital appointments",
        "transport",
        "Tuesdays",
    ),
    ("david@example.org", "offer", "Help with forms and letters", "paperwork", "Mornings"),
    (
        "esther@example.org",
        "offer",
        "Help writing a support plan: I have had a budget for 6 years",
        "support_planning",
        "Flexible",
    ),
    (
        "farhan@example.org",
        "request",
        "Help setting up a tablet for video calls",
        "technology",
        "Any afternoon",
    ),
    ("grace@example.org", "offer", "A friendly phone call once a week", "befriending", "Evenings"),
    (
        "harjit@example.org",
        "offer",
        "Punjabi and English conversation practice",
        "learning",
        "Weekends",
    ),
    ("ivy@example.org", "request", "Help with the garden before winter", "gardening", "Any day"),
    ("leon@example.org", "offer", "Walking a dog or feeding a cat", "pet_care", "Weekdays"),
]

EXCHANGES = [
    # (provider, receiver, minutes, category, days ago, description, confirmed)
    (
        "amina@example.org",
        "chloe@example.org",
        120,
        "cooking",
        20,
        "Cooked two meals for the freezer",
        True,
    ),
    ("brian@example.org", "ivy@example.org", 90, "diy", 18, "Fixed a dripping kitchen tap", True),
    (
        "esther@example.org",
        "farhan@example.org",
        180,
        "support_planning",
        15,
        "Worked through the support plan together",
        True,
    ),
    (
        "david@example.org",
        "Kath Murphy",
        60,
        "paperwork",
        12,
        "Helped with a housing benefit letter",
        True,
    ),
    ("grace@example.org", "harjit@example.org", 30, "befriending", 9, "Weekly phone call", True),
    ("harjit@example.org", "amina@example.org", 60, "learning", 6, "Conversation practice", True),
    (
        "leon@example.org",
        "joseph@example.org",
        45,
        "pet_care",
        3,
        "Fed the cats while Joseph was in hospital",
        False,
    ),
    (
        "farhan@example.org",
        "esther@example.org",
        60,
        "technology",
        2,
        "Set up a video-call app",
        False,
    ),
]


def _load_timebank(organisation: Organisation, people: dict[str, User], now) -> None:
    """Listings and exchanges, added only when the demo organisation has none yet."""
    from datetime import timedelta

    from .clock import london_date
    from .timebank import exchanges, listings
    from .timebank.models import Exchange, Listing
    from .timebank.services import member_account

    coordinator = people[COORDINATOR[1]]
    if not db.session.scalar(select(Listing.id).where(Listing.organisation_id == organisation.id)):
        for email, kind, title, category, availability in LISTINGS:
            listings.create_listing(
                db.session,
                actor=people[email],
                new=listings.NewListing(
                    kind=kind, title=title, category=category, availability=availability
                ),
                now=now,
            )
    if db.session.scalar(select(Exchange.id).where(Exchange.organisation_id == organisation.id)):
        return
    for provider, receiver, minutes, category, days_ago, description, confirmed in EXCHANGES:
        giver, getter = people[provider], people[receiver]
        exchanges.record_exchange(
            db.session,
            # a coordinator's record is confirmed at once; a member's waits for the other party
            actor=coordinator if confirmed else giver,
            new=exchanges.NewExchange(
                provider=member_account(db.session, giver),
                receiver=member_account(db.session, getter),
                minutes=minutes,
                category=category,
                occurred_on=london_date(now) - timedelta(days=days_ago),
                description=description,
            ),
            now=now - timedelta(days=days_ago),
        )


@click.command("seed-demo", help="Load the demo organisation, people, listings and exchanges.")
@with_appcontext
def seed_demo() -> None:
    load_demo()
    db.session.commit()
    click.echo(f"Demo data ready for {DEMO_ORGANISATION}. Every demo password is {DEMO_PASSWORD}")
    click.echo(f"  coordinator: {COORDINATOR[1]}")
    click.echo(f"  admin:       {ADMIN[1]}")
    click.echo(f"  member:      {MEMBERS[0][1]}")
