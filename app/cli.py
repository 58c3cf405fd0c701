"""flask commands: users, demo data, the email outbox, postcode centroids, scheduled jobs."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from flask import Flask, current_app
from sqlalchemy import select

from .auth import services as auth
from .auth.models import Organisation, User
from .clock import utcnow
from .errors import DomainError
from .extensions import db
from .mail import deliver_outbox, flush_outbox_after_commit


def register_cli(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(mail)
    app.cli.add_command(geo)
    app.cli.add_command(jobs)
    app.cli.add_command(scheduler)
    app.cli.add_command(import_group)
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


@mail.command("show", help="Print the latest emails to one address, links included.")
@click.option("--to", "address", required=True)
@click.option("--last", default=3, show_default=True, help="How many emails")
def show_mail(address: str, last: int):
    """Without MAIL_SERVER nothing leaves the machine and the log never carries a link: a
    developer (or an operator with the database) reads an invitation or reset link here, on
    their own terminal."""
    from .mail import OutboxEmail

    emails = db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.to_address == address.strip().lower())
        .order_by(OutboxEmail.id.desc())
        .limit(max(1, last))
    ).all()
    if not emails:
        raise click.ClickException(f"No email to {address} in the outbox.")
    for email in emails:
        click.echo(f"--- {email.created_at:%Y-%m-%d %H:%M} UTC: {email.subject}\n{email.body}")


@click.group(help="Postcode centroids, for distances between people.")
def geo() -> None:
    pass


@geo.command("import", help="Load postcode centroids from FILE.csv, or OS Code-Point Open.")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--code-point", is_flag=True, help="Load OS Code-Point Open (about 1.7 million).")
@click.option("--area", "areas", multiple=True, help="With --code-point: only these areas (LS).")
def import_centroids(file: str | None, code_point: bool, areas: tuple[str, ...]):
    from .matching import geo as centroids

    if bool(file) == code_point:
        raise click.UsageError("Give either FILE.csv or --code-point.")
    try:
        if file:
            summary = centroids.import_centroid_csv(db.session, file)
        else:
            files = centroids.code_point_files(areas or None)
            with click.progressbar(length=len(files), label="Code-Point Open areas") as bar:
                summary = centroids.import_code_point(
                    db.session, areas=areas or None, progress=bar.update
                )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(
        f"Loaded {summary.units} postcodes, {summary.sectors} sectors and "
        f"{summary.districts} districts"
        + (f" ({summary.skipped} without coordinates left out)." if summary.skipped else ".")
    )


# --- moving a timebank in ---------------------------------------------------------------------


@click.group("import", help="Move a timebank in: members, balances and history.")
def import_group() -> None:
    pass


def _importer(organisation_id: int, by: str | None) -> User:
    """Who is importing (the audit names them): --by, or the organisation's first coordinator."""
    from .auth.permissions import COORDINATING_ROLES

    if by:
        actor = db.session.scalar(select(User).where(User.email == by.strip().lower()))
        if actor is None:
            raise click.ClickException(f"Nobody has the email address {by}.")
        return actor
    actor = db.session.scalar(
        select(User)
        .where(User.organisation_id == organisation_id, User.role.in_(COORDINATING_ROLES))
        .order_by(User.id)
    )
    if actor is None:
        raise click.ClickException(
            "The organisation has no coordinator: name who is importing with --by EMAIL."
        )
    return actor


def _run_import(organisation_id: int, by: str | None, dry_run: bool, read) -> None:
    from .timebank import imports

    try:
        actor = _importer(organisation_id, by)
        book = read(utcnow())
        if dry_run:
            result = imports.reconcile(
                db.session, actor=actor, organisation_id=organisation_id, book=book
            )
        else:
            result = imports.apply_import(
                db.session, actor=actor, organisation_id=organisation_id, book=book, now=utcnow()
            )
    except imports.ImportRejected as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(str(problem), err=True)
        if error.more:
            click.echo(f"… and {error.more} more.", err=True)
        raise click.ClickException("Nothing was imported.") from None
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing has been written.")
    else:
        db.session.commit()
    for line in result.lines():
        click.echo(line)


def _import_options(command):
    """The options every import shares: the organisation, a dry run, who, the encoding."""
    for option in reversed(
        [
            click.option("--organisation", "organisation_id", type=int, required=True),
            click.option("--dry-run", is_flag=True, help="Check and reconcile; write nothing."),
            click.option("--by", help="The email of the coordinator importing (default: first)."),
            click.option(
                "--encoding",
                type=click.Choice(["utf-8", "windows-1252"]),
                default="utf-8",
                show_default=True,
                help="How the files are encoded (spreadsheets often save Windows-1252).",
            ),
        ]
    ):
        command = option(command)
    return command


@import_group.command("timeoverflow", help="TimeOverflow's import layout (no header rows).")
@_import_options
@click.option("--members", type=click.Path(exists=True, dir_okay=False), required=True)
@click.option("--transfers", type=click.Path(exists=True, dir_okay=False), required=True)
def import_timeoverflow(organisation_id, members, transfers, dry_run, by, encoding):
    from pathlib import Path

    from .clock import london_date
    from .timebank import imports

    def read(now):
        return imports.read_timeoverflow(
            members=Path(members).read_bytes(),
            transfers=Path(transfers).read_bytes(),
            members_file=Path(members).name,
            transfers_file=Path(transfers).name,
            today=london_date(now),
            encoding=encoding,
        )

    _run_import(organisation_id, by, dry_run, read)


@import_group.command("generic", help="The generic CSV: members with balances, optional history.")
@_import_options
@click.option("--members", type=click.Path(exists=True, dir_okay=False), required=True)
@click.option("--history", type=click.Path(exists=True, dir_okay=False))
def import_generic(organisation_id, members, history, dry_run, by, encoding):
    from pathlib import Path

    from .clock import london_date
    from .timebank import imports

    def read(now):
        return imports.read_generic(
            members=Path(members).read_bytes(),
            members_file=Path(members).name,
            history=Path(history).read_bytes() if history else None,
            history_file=Path(history).name if history else None,
            today=london_date(now),
            encoding=encoding,
        )

    _run_import(organisation_id, by, dry_run, read)


# --- scheduled jobs -------------------------------------------------------------------------


def _job_settings():
    from .jobs.runs import JobSettings

    config = current_app.config
    return JobSettings(
        referral_escalation_days=config["REFERRAL_ESCALATION_DAYS"],
        base_url=config["BASE_URL"],
        idempotency_key_hours=config["IDEMPOTENCY_KEY_HOURS"],
    )


def _run_due_once(now: datetime) -> dict[str, int]:
    """One unit of work: every job as of ``now``, one commit, then the email it queued."""
    from .jobs.runs import run_due

    try:
        counts = run_due(db.session, now, _job_settings())
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    flush_outbox_after_commit(db.session, current_app.config, utcnow())
    return counts


@click.group(help="Scheduled jobs.")
def jobs() -> None:
    pass


def _parse_now(_ctx, _param, value: str | None) -> datetime:
    if value is None:
        return utcnow()
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M")
    except ValueError:
        raise click.BadParameter("Give the moment as YYYY-MM-DDTHH:MM, in UTC.") from None
    return moment


@jobs.command("run-due", help="Run every scheduled job as of a moment (default: now).")
@click.option(
    "--now",
    "now",
    callback=_parse_now,
    metavar="YYYY-MM-DDTHH:MM",
    help="The moment to run as, in UTC. Running twice, or later, never repeats a reminder.",
)
def run_due_command(now: datetime):
    counts = _run_due_once(now)
    for name, count in counts.items():
        click.echo(f"{name.replace('_', ' ')}: {count}")


@click.group(help="The scheduler process.")
def scheduler() -> None:
    pass


@scheduler.command("run", help="Run the scheduler (one process; a second copy waits).")
def run_scheduler():
    import logging

    from .jobs.lock import wait_for_lock
    from .jobs.scheduler import build_scheduler

    logging.basicConfig(level=logging.INFO)
    config = current_app.config
    said: list[bool] = []

    def say_once() -> None:
        if not said:
            said.append(True)
            click.echo("Another scheduler is running; waiting to take over if it stops.")

    lock = wait_for_lock(
        db.engine,
        config["SCHEDULER_LOCK_FILE"],
        poll_seconds=config["SCHEDULER_POLL_SECONDS"],
        on_wait=say_once,
    )
    click.echo(f"Holding the {lock.kind}; running scheduled jobs.")
    app = current_app._get_current_object()

    def run_now() -> None:
        with app.app_context():
            if not lock.still_held():
                click.echo("Lost the scheduler lock; stopping so another copy can take over.")
                process.shutdown(wait=False)
                return
            try:
                counts = _run_due_once(utcnow())
            except Exception:  # noqa: BLE001 - logged; the next hour's run catches up
                logging.getLogger("giveandget.scheduler").exception("Scheduled jobs failed")
            else:
                click.echo(f"Ran scheduled jobs: {counts}")
            finally:
                db.session.remove()

    def send_outbox() -> None:
        with app.app_context():
            try:
                if lock.still_held():
                    deliver_outbox(db.session, app.config, utcnow())
            except Exception:  # noqa: BLE001 - logged; the next minute tries again
                db.session.rollback()
                logging.getLogger("giveandget.mail").exception("Sending the outbox failed")
            finally:
                db.session.remove()

    process = build_scheduler(run_now, send_outbox)
    try:
        process.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        lock.release()
    sys.exit(0)
