"""flask commands: users, demo data, the email outbox."""

from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import select

from .auth import services as auth
from .auth.models import Organisation, User
from .clock import utcnow
from .errors import DomainError
from .extensions import db
from .mail import deliver_outbox


def register_cli(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(mail)
    from .demo import seed_demo

    app.cli.add_command(seed_demo)


@click.group(help="Manage people.")
def users() -> None:
    pass


@users.command("create", help="Create a user (and the organisation if it is new).")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice(["member", "coordinator", "admin"]), default="member")
@click.option("--organisation", "organisation_name", required=True, help="Organisation name")
@click.option("--name", default=None, help="Full name (defaults to the email's first part)")
def create_user(email: str, password: str, role: str, organisation_name: str, name: str | None):
    try:
        organisation = db.session.scalar(
            select(Organisation).where(Organisation.name == organisation_name)
        ) or auth.create_organisation(db.session, actor=None, name=organisation_name)
        user = auth.create_member(
            db.session,
            actor=None,
            new=auth.NewMember(
                name=name or email.split("@")[0],
                email=email,
                password=password,
                role=role,
                organisation_id=organisation.id,
            ),
            now=utcnow(),
            base_url=current_app.config["BASE_URL"],
        )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}) in {organisation.name}.")


@users.command("revoke-tokens", help="Revoke every API token a person holds.")
@click.option("--email", required=True)
def revoke_tokens(email: str):
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException("No such user.")
    from .auth.models import ApiToken

    now = utcnow()
    count = 0
    for token in db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = now
        count += 1
    db.session.commit()
    click.echo(f"Revoked {count} token(s).")


@click.group(help="The email outbox.")
def mail() -> None:
    pass


@mail.command("send", help="Send every email waiting in the outbox.")
def send_mail():
    sent = deliver_outbox(db.session, current_app.config, utcnow())
    click.echo(f"Sent {sent} email(s).")
