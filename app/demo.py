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
    return people


@click.command("seed-demo", help="Load the demo organisation, people, listings and exchanges.")
@with_appcontext
def seed_demo() -> None:
    load_demo()
    db.session.commit()
    click.echo(f"Demo data ready for {DEMO_ORGANISATION}. Every demo password is {DEMO_PASSWORD}")
    click.echo(f"  coordinator: {COORDINATOR[1]}")
    click.echo(f"  admin:       {ADMIN[1]}")
    click.echo(f"  member:      {MEMBERS[0][1]}")
