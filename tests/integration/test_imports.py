"""Moving a timebank in from TimeOverflow (and the generic CSV): dry run, import, re-run, bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.auth.models import User
from app.clock import london_date, utcnow
from app.mail import OutboxEmail
from app.timebank import imports
from app.timebank.models import Account, Exchange, ImportedRecord, Leg
from tests.factories import CoordinatorFactory, OrganisationFactory
from tests.ledger_checks import assert_every_organisation_sums_to_zero
from tests.timeoverflow_export import timeoverflow_export

TODAY = london_date(utcnow())


@pytest.fixture()
def coordinator(session):
    return CoordinatorFactory(organisation=OrganisationFactory())


def read(members: bytes, transfers: bytes, **kwargs):
    return imports.read_timeoverflow(
        members=members,
        transfers=transfers,
        members_file="members.csv",
        transfers_file="transfers.csv",
        today=TODAY,
        **kwargs,
    )


def imported_balances(session, organisation_id) -> dict[str, int]:
    return dict(
        session.execute(
            select(ImportedRecord.source_key, Account.balance_minutes)
            .join(Account, Account.user_id == ImportedRecord.user_id)
            .where(ImportedRecord.organisation_id == organisation_id)
        ).all()
    )


def counts(session, organisation_id):
    return (
        session.scalar(
            select(func.count()).select_from(User).where(User.organisation_id == organisation_id)
        ),
        session.scalar(
            select(func.count())
            .select_from(Exchange)
            .where(Exchange.organisation_id == organisation_id)
        ),
    )


def test_import_of_500_members_and_20000_transfers_equals_the_source_and_runs_once(
    session, coordinator
):
    members, transfers, source = timeoverflow_export(500, 20_000)
    organisation_id = coordinator.organisation_id
    book = read(members, transfers)
    dry = imports.reconcile(session, actor=coordinator, organisation_id=organisation_id, book=book)
    assert (dry.members_to_import, dry.transfers_to_import) == (500, 20_000)
    assert dry.balances_equal and not dry.written
    assert counts(session, organisation_id) == (1, 0)  # the dry run wrote nothing

    done = imports.apply_import(
        session, actor=coordinator, organisation_id=organisation_id, book=book, now=utcnow()
    )
    session.commit()
    assert done.written and done.balances_equal
    assert imported_balances(session, organisation_id) == source
    assert counts(session, organisation_id) == (501, 20_000)
    assert_every_organisation_sums_to_zero(session)
    legs = dict(
        session.execute(
            select(Leg.account_id, func.sum(Leg.amount_minutes)).group_by(Leg.account_id)
        ).all()
    )
    for account in session.scalars(
        select(Account).where(Account.organisation_id == organisation_id)
    ):
        assert account.balance_minutes == legs.get(account.id, 0)
    assert session.scalar(select(func.count()).select_from(OutboxEmail)) == 0  # nobody emailed
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == "import.timeoverflow", AuditEvent.actor_id == coordinator.id
            )
        )
        == 1
    )

    again = imports.apply_import(
        session,
        actor=coordinator,
        organisation_id=organisation_id,
        book=read(members, transfers),
        now=utcnow(),
    )
    session.commit()
    assert (again.members_to_import, again.transfers_to_import) == (0, 0)
    assert again.members_already_imported == 500 and again.transfers_already_imported == 20_000
    assert counts(session, organisation_id) == (501, 20_000)
    assert imported_balances(session, organisation_id) == source


def test_members_without_email_are_imported_and_a_transfer_longer_than_a_day_is_history(
    session, coordinator
):
    members = b"1,2020-01-01,Ann,Lee,,1,,,,\n2,2020-01-01,Bo,Day,,2,,,,bo@example.org\n"
    transfers = b"1,member,2,member,108000,Built a shed,\n"  # 30 hours
    imports.apply_import(
        session,
        actor=coordinator,
        organisation_id=coordinator.organisation_id,
        book=read(members, transfers),
        now=utcnow(),
    )
    assert imported_balances(session, coordinator.organisation_id) == {"1": -1800, "2": 1800}
    ann = session.scalar(select(User).where(User.name == "Ann Lee"))
    assert ann.email is None and ann.password_hash is None


BAD = [
    (
        b"1,2020-01-01,Ann,Lee,,1,,,,\n",
        b"1,member,9,member,3600,x,\n",
        "transfers.csv",
        1,
        "'9' is not a member_uid",
    ),
    (b"1,2020-01-01,Ann,Lee,,1,,,,,extra\n", b"", "members.csv", 1, "found 11 columns"),
    (
        b"1,2020-01-01,Ann,Lee,,1,,,,\n2,x,Bo,Day,,1,,,,\n",
        b"1,member,2,member,-60,x,\n",
        "transfers.csv",
        1,
        "not positive",
    ),
    (
        b"1,2020-01-01,Ann,Lee,,1,,,,\n2,2020-01-01,Bo,Day,,1,,,,\n",
        b"1,member,2,member,90,x,\n",
        "transfers.csv",
        1,
        "not a whole number of minutes",
    ),
    (b"1,2999-01-01,Ann,Lee,,1,,,,\n", b"", "members.csv", 1, "in the future"),
    (
        b"1,2020-01-01,Ann,Lee,,1,,,,\n1,2020-01-01,Bo,Day,,1,,,,\n",
        b"",
        "members.csv",
        2,
        "appears more than once",
    ),
    ("1,2020-01-01,Zoë,Lee,,1,,,,\n".encode("cp1252"), b"", "members.csv", 1, "Windows-1252"),
]


@pytest.mark.parametrize(("members", "transfers", "file", "line", "reason"), BAD)
def test_bad_input_names_file_line_and_reason_and_imports_nothing(
    session, coordinator, members, transfers, file, line, reason
):
    with pytest.raises(imports.ImportRejected) as caught:
        read(members, transfers)
    assert any(
        p.file == file and p.line == line and reason in p.reason for p in caught.value.problems
    ), caught.value.problems
    assert counts(session, coordinator.organisation_id) == (1, 0)


def test_a_windows_1252_file_reads_when_asked(session, coordinator):
    book = read("1,2020-01-01,Zoë,Lee,,1,,,,\n".encode("cp1252"), b"", encoding="windows-1252")
    assert book.members[0].name == "Zoë Lee"


def test_a_corrupted_export_imports_nothing_at_all(session, coordinator):
    members, transfers, _ = timeoverflow_export(50, 400)
    lines = transfers.split(b"\n")
    lines[300] = lines[300].replace(b",member,", b",mmeber,", 1)
    with pytest.raises(imports.ImportRejected) as caught:
        read(members, b"\n".join(lines))
    assert [(p.file, p.line) for p in caught.value.problems] == [("transfers.csv", 301)]
    assert counts(session, coordinator.organisation_id) == (1, 0)


def test_generic_csv_balances_equal_the_stated_ones_with_and_without_history(session, coordinator):
    members = b"member_uid,name,email,balance_minutes\nA1,Ann Lee,,120\nB2,Bo Day,bo@example.org,-30\nC3,Cy Ray,,\n"
    history = (
        b"provider_uid,receiver_uid,minutes,occurred_on,description\n"
        b"A1,C3,45,2024-03-01,Lift to town\n"
    )
    book = imports.read_generic(
        members=members, members_file="m.csv", history=history, history_file="h.csv", today=TODAY
    )
    done = imports.apply_import(
        session,
        actor=coordinator,
        organisation_id=coordinator.organisation_id,
        book=book,
        now=utcnow(),
    )
    assert done.balances_equal
    assert imported_balances(session, coordinator.organisation_id) == {
        "A1": 120,
        "B2": -30,
        "C3": -45,
    }
    with pytest.raises(imports.ImportRejected) as caught:
        imports.read_generic(
            members=b"member_uid,name,shoe_size\nA1,Ann,9\n", members_file="m.csv", today=TODAY
        )
    assert caught.value.problems[0].line == 1 and "shoe_size" in caught.value.problems[0].reason


def test_only_a_coordinator_of_the_organisation_imports(session, coordinator):
    from app.errors import Forbidden

    outsider = CoordinatorFactory()
    with pytest.raises(Forbidden):
        imports.reconcile(
            session,
            actor=outsider,
            organisation_id=coordinator.organisation_id,
            book=read(b"1,2020-01-01,Ann,Lee,,1,,,,\n", b""),
        )


def test_the_command_dry_runs_imports_once_and_refuses_bad_files(app, session, tmp_path):
    coordinator = CoordinatorFactory(organisation=OrganisationFactory())
    organisation_id = coordinator.organisation_id
    members, transfers, source = timeoverflow_export(20, 200)
    (tmp_path / "members.csv").write_bytes(members)
    (tmp_path / "transfers.csv").write_bytes(transfers)
    args = [
        "import",
        "timeoverflow",
        "--organisation",
        str(organisation_id),
        "--members",
        str(tmp_path / "members.csv"),
        "--transfers",
        str(tmp_path / "transfers.csv"),
    ]
    runner = app.test_cli_runner()
    dry = runner.invoke(args=[*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run: nothing has been written." in dry.output
    assert "Transfers: 200 in the source; would import 200" in dry.output
    assert counts(session, organisation_id) == (1, 0)
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "every member's balance equals the source's" in first.output
    assert imported_balances(session, organisation_id) == source
    second = runner.invoke(args=args)
    assert second.exit_code == 0 and "200 already imported" in second.output
    assert counts(session, organisation_id) == (21, 200)
    (tmp_path / "transfers.csv").write_bytes(transfers + b"100,member,999,member,60,x,\n")
    bad = runner.invoke(args=args)
    assert bad.exit_code != 0
    assert "transfers.csv, line 201: destination_id '999' is not a member_uid" in bad.output
    assert counts(session, organisation_id) == (21, 200)
