"""Moving a timebank in: TimeOverflow's own import layout, or a documented generic CSV.

Two steps, both here and callable without a request (the CLI and the coordinator's page use
them alike):

1. ``read_timeoverflow`` / ``read_generic`` check every row of the files and return a
   ``SourceBook`` (members, transfers, each member's balance in the source), or raise
   ``ImportRejected`` listing every bad row with its file, line and reason. Nothing is written.
2. ``reconcile`` compares the book with what is already imported (a dry run prints this), and
   ``apply_import`` writes the rest in the caller's one transaction: members (no email is sent:
   a coordinator invites them later), and one confirmed exchange per transfer, posted to the
   ledger under locks on every account touched, in ascending id order.

Idempotent by the source's ids: a member by its ``member_uid`` (``ImportedRecord``); a transfer
(which has no id of its own) by the file's SHA-256 checksum and its line (``Exchange.import_key``),
so a second run of the same files imports
nothing, while two identical rows in one file are two transfers.

TimeOverflow layout (no header rows; as ``UserImporter`` and ``TransferImporter`` read it):
members ``member_uid, entry_date, first_name, last_name, second_last_name, gender,
date_of_birth, phone, alt_phone, email``; transfers ``source_id, source_type, destination_id,
destination_type, amount, reason, post_id`` with ``amount`` in seconds, a type of
``organization`` meaning the organisation's own account, the source paying and the destination
earning. Phone numbers, gender and date of birth are checked but not kept (this service does not
need them).

Generic layout (a header row naming the columns, in any order): members ``member_uid, name``
and optionally ``email, postcode, balance_minutes`` (the balance in the source today); history,
optional, ``provider_uid, receiver_uid, minutes, occurred_on`` and optionally ``description``
(``organisation`` for the organisation's own account). History is imported as it happened, and
the difference between a member's ``balance_minutes`` and their history becomes one opening
balance exchange with the organisation's account, so every balance equals the source's.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from ..audit import AuditEvent
from ..auth.models import Organisation, User
from ..auth.permissions import coordinates
from ..auth.services import clean_email, clean_postcode
from ..errors import Forbidden, ValidationFailed
from ..textcheck import unstorable
from . import ledger
from .models import Account, Exchange, ImportedRecord, LedgerTransaction, Leg
from .services import organisation_account


def N_(text: str) -> str:  # noqa: N802 - gettext's "marked here, translated where it is shown"
    """Marks a message for the catalogue: pages show it with ``translated()``; the API's JSON
    keeps it in English beside its stable code."""
    return text


TIMEOVERFLOW = "timeoverflow"
GENERIC = "generic"
ORGANISATION = None  # the organisation's own account, in a transfer

MEMBER_COLUMNS = (
    "member_uid",
    "entry_date",
    "first_name",
    "last_name",
    "second_last_name",
    "gender",
    "date_of_birth",
    "phone",
    "alt_phone",
    "email",
)
TRANSFER_COLUMNS = (
    "source_id",
    "source_type",
    "destination_id",
    "destination_type",
    "amount",
    "reason",
    "post_id",
)
GENERIC_MEMBER_REQUIRED = ("member_uid", "name")
GENERIC_MEMBER_OPTIONAL = ("email", "postcode", "balance_minutes")
GENERIC_HISTORY_REQUIRED = ("provider_uid", "receiver_uid", "minutes", "occurred_on")
GENERIC_HISTORY_OPTIONAL = ("description",)
MAX_PROBLEMS = 200
MAX_UID = 200
MAX_NAME = 200
MAX_DESCRIPTION = 2000
IMPORT_CATEGORY = "other"
ENCODINGS = ("utf-8", "windows-1252")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}: {self.reason}"


class ImportRejected(ValidationFailed):
    """Some rows are invalid: nothing is imported. ``problems`` names each file, line, reason."""

    code = "import_rejected"

    def __init__(self, problems: list[Problem]) -> None:
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        message = "Nothing was imported. " + "; ".join(str(p) for p in shown[:5])
        if len(problems) > 5:
            message += f"; and {len(problems) - 5} more"
        super().__init__(message, fields={"file": message})
        self.problems = shown
        self.more = more


@dataclass
class SourceMember:
    uid: str
    name: str
    email: str | None
    postcode: str | None
    line: int
    # The balance the source says the member has (minutes); None: worked out from transfers.
    stated_balance: int | None = None


@dataclass
class SourceTransfer:
    key: str  # unique in the organisation's imports: checksum and line, or "opening:uid"
    line: int
    provider: str | None  # a member_uid, or ORGANISATION
    receiver: str | None
    minutes: int
    occurred_on: date
    description: str


@dataclass
class SourceBook:
    source: str
    members_file: str
    transfers_file: str | None
    members: list[SourceMember]
    transfers: list[SourceTransfer]
    encoding_notes: list[str] = field(default_factory=list)

    def balances(self) -> dict[str, int]:
        """Each member's balance in the source: what they earned minus what they paid."""
        totals = {member.uid: 0 for member in self.members}
        for transfer in self.transfers:
            if transfer.provider is not None:
                totals[transfer.provider] += transfer.minutes
            if transfer.receiver is not None:
                totals[transfer.receiver] -= transfer.minutes
        return totals


# --- reading ------------------------------------------------------------------------------------


def decode(raw: bytes, filename: str, encoding: str = "utf-8") -> str:
    """The file as text. Not UTF-8: say so, naming the line, and say whether it reads as
    Windows-1252 (spreadsheets often save that): the caller may then ask for that encoding."""
    if encoding not in ENCODINGS:
        raise ImportRejected([Problem(filename, 0, f"Unknown encoding {encoding!r}.")])
    try:
        text = raw.decode("utf-8-sig" if encoding == "utf-8" else "cp1252")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        try:
            raw.decode("cp1252")
            hint = (
                "the file is not UTF-8: it looks like Windows-1252 (as spreadsheets often "
                "save it). Save it as 'CSV UTF-8', or import it with the Windows-1252 encoding."
            )
        except UnicodeDecodeError:
            hint = "the file is not UTF-8 text. Save it as 'CSV UTF-8' and try again."
        raise ImportRejected([Problem(filename, line, hint)]) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ImportRejected([Problem(filename, line, "the file contains a NUL character.")])
    return text


def _rows(text: str, filename: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) for each non-blank row."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((reader.line_num, [cell.strip() for cell in cells]))
    except csv.Error as error:
        raise ImportRejected(
            [Problem(filename, reader.line_num, f"not valid CSV ({error}).")]
        ) from None
    return rows


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")


def _parse_date(raw: str) -> date | None:
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise ValueError(raw)


class _Checker:
    """Collects every problem of every row instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, file: str, line: int, reason: str) -> None:
        self.problems.append(Problem(file, line, reason))

    def text(self, file: str, line: int, name: str, raw: str, limit: int) -> str:
        if unstorable(raw):
            self.add(file, line, f"{name} contains characters that cannot be stored.")
            return ""
        if len(raw) > limit:
            self.add(file, line, f"{name} is longer than {limit:,} characters.")
            return raw[:limit]
        return raw

    def day(self, file: str, line: int, name: str, raw: str, today: date, *, required: bool):
        if not raw:
            if required:
                self.add(file, line, f"{name} is missing.")
            return None
        try:
            value = _parse_date(raw)
        except ValueError:
            self.add(file, line, f"{name} {raw!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY).")
            return None
        if value > today:
            self.add(file, line, f"{name} {value.isoformat()} is in the future.")
            return None
        return value

    def email(self, file: str, line: int, raw: str) -> str | None:
        if not raw:
            return None
        try:
            return clean_email(raw)
        except ValidationFailed:
            self.add(file, line, f"email {raw!r} is not an email address.")
            return None

    def postcode(self, file: str, line: int, raw: str) -> str | None:
        try:
            return clean_postcode(raw)
        except ValidationFailed:
            self.add(file, line, f"postcode {raw!r} is not a UK postcode.")
            return None

    def check_members(self, file: str, members: list[SourceMember]) -> None:
        uids = Counter(member.uid for member in members)
        emails = Counter(member.email for member in members if member.email)
        for member in members:
            if uids[member.uid] > 1:
                self.add(file, member.line, f"member_uid {member.uid!r} appears more than once.")
            if member.email and emails[member.email] > 1:
                self.add(file, member.line, f"email {member.email} appears more than once.")

    def reject_if_any(self) -> None:
        if self.problems:
            raise ImportRejected(sorted(self.problems, key=lambda p: (p.file, p.line)))


_UID = re.compile(r"^[A-Za-z0-9_.\-]+$")


def _uid(checker: _Checker, file: str, line: int, name: str, raw: str) -> str | None:
    if not raw:
        checker.add(file, line, f"{name} is missing.")
        return None
    if len(raw) > MAX_UID or not _UID.match(raw):
        checker.add(file, line, f"{name} {raw!r} is not a member id (letters, digits, - _ .).")
        return None
    return raw


def read_timeoverflow(
    *,
    members: bytes,
    transfers: bytes,
    members_file: str,
    transfers_file: str,
    today: date,
    encoding: str = "utf-8",
) -> SourceBook:
    """Check every row of a TimeOverflow members file and transfers file (no header rows)."""
    checker = _Checker()
    people: list[SourceMember] = []
    member_rows = _rows(decode(members, members_file, encoding), members_file)
    transfer_rows = _rows(decode(transfers, transfers_file, encoding), transfers_file)
    for line, cells in member_rows:
        if len(cells) != len(MEMBER_COLUMNS):
            checker.add(
                members_file,
                line,
                f"expected the {len(MEMBER_COLUMNS)} TimeOverflow member columns "
                f"({', '.join(MEMBER_COLUMNS)}), found {len(cells)} columns.",
            )
            continue
        row = dict(zip(MEMBER_COLUMNS, cells, strict=True))
        uid = _uid(checker, members_file, line, "member_uid", row["member_uid"])
        checker.day(members_file, line, "entry_date", row["entry_date"], today, required=False)
        checker.day(
            members_file, line, "date_of_birth", row["date_of_birth"], today, required=False
        )
        if row["gender"] and not (row["gender"].isdigit() and 1 <= int(row["gender"]) <= 9):
            checker.add(members_file, line, f"gender {row['gender']!r} is not a number from 1.")
        name = " ".join(
            part for part in (row["first_name"], row["last_name"], row["second_last_name"]) if part
        )
        name = checker.text(members_file, line, "name", name, MAX_NAME)
        if not name:
            checker.add(members_file, line, "the member has no name.")
        email = checker.email(members_file, line, row["email"])
        if uid is not None:
            people.append(SourceMember(uid, name, email, None, line))
    checker.check_members(members_file, people)
    known = {member.uid for member in people}
    checksum = hashlib.sha256(transfers).hexdigest()
    moves: list[SourceTransfer] = []
    for line, cells in transfer_rows:
        if len(cells) != len(TRANSFER_COLUMNS):
            checker.add(
                transfers_file,
                line,
                f"expected the {len(TRANSFER_COLUMNS)} TimeOverflow transfer columns "
                f"({', '.join(TRANSFER_COLUMNS)}), found {len(cells)} columns.",
            )
            continue
        row = dict(zip(TRANSFER_COLUMNS, cells, strict=True))
        sides = []
        for direction in ("source", "destination"):
            kind = row[f"{direction}_type"].lower()
            if kind == "organization":
                sides.append(ORGANISATION)
            elif kind == "member":
                uid = row[f"{direction}_id"]
                if uid not in known:
                    checker.add(
                        transfers_file,
                        line,
                        f"{direction}_id {uid!r} is not a member_uid in {members_file}.",
                    )
                sides.append(uid)
            else:
                checker.add(
                    transfers_file,
                    line,
                    f"{direction}_type {row[f'{direction}_type']!r} is not member or organization.",
                )
                sides.append(ORGANISATION)
        minutes = _seconds_to_minutes(checker, transfers_file, line, row["amount"])
        if len(sides) == 2 and sides[0] == sides[1]:
            checker.add(transfers_file, line, "the source and the destination are the same.")
        description = checker.text(transfers_file, line, "reason", row["reason"], MAX_DESCRIPTION)
        if minutes is not None:
            # TimeOverflow's source pays and its destination earns: the destination provided.
            moves.append(
                SourceTransfer(
                    key=f"{checksum}:{line}",
                    line=line,
                    provider=sides[1],
                    receiver=sides[0],
                    minutes=minutes,
                    occurred_on=today,
                    description=description or "Moved in from TimeOverflow",
                )
            )
    checker.reject_if_any()
    return SourceBook(TIMEOVERFLOW, members_file, transfers_file, people, moves, _notes(encoding))


def _notes(encoding: str) -> list[str]:
    if encoding == "utf-8":
        return []
    return [N_("Note: the files were read as Windows-1252, as asked.")]


def _seconds_to_minutes(checker: _Checker, file: str, line: int, raw: str) -> int | None:
    if not re.fullmatch(r"-?[0-9]+", raw or ""):
        checker.add(file, line, f"amount {raw!r} is not a whole number of seconds.")
        return None
    seconds = int(raw)
    if seconds <= 0:
        checker.add(file, line, f"amount {seconds} is not positive.")
        return None
    if seconds % 60:
        checker.add(file, line, f"amount {seconds} seconds is not a whole number of minutes.")
        return None
    return seconds // 60


def _header(checker: _Checker, file: str, rows, required, optional) -> list[str] | None:
    if not rows:
        checker.add(file, 1, "the file is empty: it needs a header row.")
        return None
    line, header = rows[0]
    names = [name.lower() for name in header]
    unknown = [name for name in names if name not in required + optional]
    missing = [name for name in required if name not in names]
    if unknown:
        checker.add(file, line, f"unknown columns: {', '.join(unknown)}.")
    if missing:
        checker.add(file, line, f"missing columns: {', '.join(missing)}.")
    if len(set(names)) != len(names):
        checker.add(file, line, "a column is named twice.")
    return None if unknown or missing else names


def read_generic(
    *,
    members: bytes,
    members_file: str,
    today: date,
    history: bytes | None = None,
    history_file: str | None = None,
    encoding: str = "utf-8",
) -> SourceBook:
    """Check every row of a generic members file (with header) and optional history file."""
    checker = _Checker()
    rows = _rows(decode(members, members_file, encoding), members_file)
    names = _header(checker, members_file, rows, GENERIC_MEMBER_REQUIRED, GENERIC_MEMBER_OPTIONAL)
    people: list[SourceMember] = []
    for line, cells in rows[1:] if names else []:
        if len(cells) != len(names):
            checker.add(members_file, line, f"expected {len(names)} cells, found {len(cells)}.")
            continue
        row = dict(zip(names, cells, strict=True))
        uid = _uid(checker, members_file, line, "member_uid", row["member_uid"])
        name = checker.text(members_file, line, "name", row["name"], MAX_NAME)
        if not name:
            checker.add(members_file, line, "the member has no name.")
        balance = None
        raw_balance = row.get("balance_minutes", "")
        if raw_balance:
            if re.fullmatch(r"-?[0-9]{1,9}", raw_balance):
                balance = int(raw_balance)
            else:
                checker.add(
                    members_file, line, f"balance_minutes {raw_balance!r} is not whole minutes."
                )
        email = checker.email(members_file, line, row.get("email", ""))
        postcode = checker.postcode(members_file, line, row.get("postcode", ""))
        if uid is not None:
            people.append(SourceMember(uid, name, email, postcode, line, balance))
    checker.check_members(members_file, people)
    known = {member.uid for member in people}
    moves: list[SourceTransfer] = []
    if history is not None:
        history_file = history_file or "history.csv"
        checksum = hashlib.sha256(history).hexdigest()
        rows = _rows(decode(history, history_file, encoding), history_file)
        names = _header(
            checker, history_file, rows, GENERIC_HISTORY_REQUIRED, GENERIC_HISTORY_OPTIONAL
        )
        for line, cells in rows[1:] if names else []:
            if len(cells) != len(names):
                checker.add(history_file, line, f"expected {len(names)} cells, found {len(cells)}.")
                continue
            row = dict(zip(names, cells, strict=True))
            sides = []
            for column in ("provider_uid", "receiver_uid"):
                value = row[column]
                if value.lower() == "organisation":
                    sides.append(ORGANISATION)
                    continue
                if value not in known:
                    checker.add(
                        history_file,
                        line,
                        f"{column} {value!r} is not a member_uid in {members_file}.",
                    )
                sides.append(value)
            if sides[0] == sides[1]:
                checker.add(history_file, line, "the provider and the receiver are the same.")
            raw = row["minutes"]
            minutes = int(raw) if re.fullmatch(r"[0-9]{1,9}", raw) else None
            if minutes is None or minutes <= 0:
                checker.add(history_file, line, f"minutes {raw!r} is not a positive whole number.")
            occurred_on = checker.day(
                history_file, line, "occurred_on", row["occurred_on"], today, required=True
            )
            description = checker.text(
                history_file, line, "description", row.get("description", ""), MAX_DESCRIPTION
            )
            if minutes and occurred_on:
                moves.append(
                    SourceTransfer(
                        f"{checksum}:{line}",
                        line,
                        sides[0],
                        sides[1],
                        minutes,
                        occurred_on,
                        description or "Moved in",
                    )
                )
    checker.reject_if_any()
    book = SourceBook(GENERIC, members_file, history_file, people, moves, _notes(encoding))
    # The difference between the stated balance and the history: one opening balance each.
    from_history = book.balances()
    for member in people:
        if member.stated_balance is None:
            continue
        gap = member.stated_balance - from_history[member.uid]
        if gap:
            book.transfers.append(
                SourceTransfer(
                    f"opening:{member.uid}",
                    member.line,
                    member.uid if gap > 0 else ORGANISATION,
                    ORGANISATION if gap > 0 else member.uid,
                    abs(gap),
                    today,
                    "Opening balance moved in",
                )
            )
    return book


# --- reconciling and writing --------------------------------------------------------------------


@dataclass
class MemberLine:
    uid: str
    name: str
    source_minutes: int
    balance_minutes: int  # here, after the import (a dry run: what it would be)

    @property
    def equal(self) -> bool:
        return self.source_minutes == self.balance_minutes


@dataclass
class Reconciliation:
    source: str
    members_in_source: int
    members_to_import: int
    members_already_imported: int
    transfers_in_source: int
    transfers_to_import: int
    transfers_already_imported: int
    minutes_in_source: int
    minutes_to_import: int
    members: list[MemberLine]
    notes: list[str]
    written: bool = False

    @property
    def balances_equal(self) -> bool:
        return all(line.equal for line in self.members)

    def lines(self) -> list[str]:
        """The reconciliation in plain English, as the CLI prints it."""
        verb = "Imported" if self.written else "Would import"
        out = [
            f"Source: {self.source}",
            f"Members: {self.members_in_source} in the source; {verb.lower()} "
            f"{self.members_to_import}; {self.members_already_imported} already imported.",
            f"Transfers: {self.transfers_in_source} in the source; {verb.lower()} "
            f"{self.transfers_to_import}; {self.transfers_already_imported} already imported.",
            f"Hours: {_hours(self.minutes_in_source)} in the source; {verb.lower()} "
            f"{_hours(self.minutes_to_import)}.",
        ]
        unequal = [line for line in self.members if not line.equal]
        out.append(
            "Balances: every member's balance equals the source's."
            if not unequal
            else f"Balances: {len(unequal)} member(s) differ from the source."
        )
        for line in self.members:
            mark = "=" if line.equal else "≠"
            out.append(
                f"  {line.uid}  {line.name}: source {line.source_minutes} min {mark} "
                f"here {line.balance_minutes} min"
            )
        return out + self.notes


def _hours(minutes: int) -> str:
    return f"{minutes // 60:,} h {minutes % 60:02d} min"


def _members_already(session: Session, organisation_id: int, source: str) -> dict[str, int]:
    """member_uid → user id of the members this organisation already moved in from the source."""
    return dict(
        session.execute(
            select(ImportedRecord.source_key, ImportedRecord.user_id).where(
                ImportedRecord.organisation_id == organisation_id,
                ImportedRecord.source == source,
            )
        ).all()
    )


def _transfers_already(session: Session, organisation_id: int, keys: list[str]) -> set[str]:
    """The import keys (file checksum and line) already moved in, out of ``keys``."""
    prefixes = sorted({key.split(":", 1)[0] for key in keys})
    found: set[str] = set()
    for prefix in prefixes:
        found |= set(
            session.scalars(
                select(Exchange.import_key).where(
                    Exchange.organisation_id == organisation_id,
                    Exchange.import_key.like(f"{prefix}:%"),
                )
            )
        )
    return found


def _check_importer(session: Session, actor: User, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise ValidationFailed(
            N_("There is no such organisation."),
            fields={"organisation_id": N_("No such organisation.")},
        )
    if not coordinates(actor, organisation_id):
        raise Forbidden(N_("Only a coordinator of the organisation can move members in."))
    return organisation


def reconcile(
    session: Session, *, actor: User, organisation_id: int, book: SourceBook
) -> Reconciliation:
    """What importing the book would do, and each member's balance against the source."""
    _check_importer(session, actor, organisation_id)
    members_done = _members_already(session, organisation_id, book.source)
    transfers_done = _transfers_already(session, organisation_id, [t.key for t in book.transfers])
    new_transfers = [t for t in book.transfers if t.key not in transfers_done]
    current = dict(
        session.execute(
            select(Account.user_id, Account.balance_minutes).where(
                Account.user_id.in_(list(members_done.values()) or [-1])
            )
        ).all()
    )
    after = {member.uid: current.get(members_done.get(member.uid), 0) for member in book.members}
    for transfer in new_transfers:
        if transfer.provider is not None:
            after[transfer.provider] += transfer.minutes
        if transfer.receiver is not None:
            after[transfer.receiver] -= transfer.minutes
    source = book.balances()
    emails = [m.email for m in book.members if m.email and m.uid not in members_done]
    taken = set(session.scalars(select(User.email).where(User.email.in_(emails))) if emails else [])
    if taken:
        raise ImportRejected(
            [
                Problem(book.members_file, m.line, f"email {m.email} already belongs to someone.")
                for m in book.members
                if m.email in taken and m.uid not in members_done
            ]
        )
    return Reconciliation(
        source=book.source,
        members_in_source=len(book.members),
        members_to_import=sum(1 for m in book.members if m.uid not in members_done),
        members_already_imported=sum(1 for m in book.members if m.uid in members_done),
        transfers_in_source=len(book.transfers),
        transfers_to_import=len(new_transfers),
        transfers_already_imported=len(book.transfers) - len(new_transfers),
        minutes_in_source=sum(t.minutes for t in book.transfers),
        minutes_to_import=sum(t.minutes for t in new_transfers),
        members=[MemberLine(m.uid, m.name, source[m.uid], after[m.uid]) for m in book.members],
        notes=list(book.encoding_notes),
    )


def apply_import(
    session: Session, *, actor: User, organisation_id: int, book: SourceBook, now: datetime
) -> Reconciliation:
    """Write what is not yet imported, in the caller's transaction (it commits once, or rolls
    back and nothing is written). No email is sent: imported members are invited later."""
    plan = reconcile(session, actor=actor, organisation_id=organisation_id, book=book)
    members_done = _members_already(session, organisation_id, book.source)
    transfers_done = _transfers_already(session, organisation_id, [t.key for t in book.transfers])
    new_members = [m for m in book.members if m.uid not in members_done]
    new_transfers = [t for t in book.transfers if t.key not in transfers_done]
    user_ids = dict(members_done)
    if new_members:
        ids = session.scalars(
            insert(User).returning(User.id, sort_by_parameter_order=True),
            [
                {
                    "organisation_id": organisation_id,
                    "name": m.name,
                    "email": m.email,
                    "postcode": m.postcode,
                    "role": "member",
                    "active": True,
                    "created_at": now,
                    "created_by_id": actor.id,
                }
                for m in new_members
            ],
        ).all()
        user_ids.update({m.uid: user_id for m, user_id in zip(new_members, ids, strict=True)})
        session.execute(
            insert(Account),
            [
                {
                    "organisation_id": organisation_id,
                    "kind": "member",
                    "user_id": user_ids[m.uid],
                    "balance_minutes": 0,
                    "created_at": now,
                }
                for m in new_members
            ],
        )
        session.execute(
            insert(ImportedRecord),
            [
                {
                    "organisation_id": organisation_id,
                    "source": book.source,
                    "source_key": m.uid,
                    "user_id": user_ids[m.uid],
                    "imported_by_id": actor.id,
                    "imported_at": now,
                }
                for m in new_members
            ],
        )
        session.execute(
            insert(AuditEvent),
            [
                {
                    "at": now,
                    "actor_id": actor.id,
                    "organisation_id": organisation_id,
                    "action": f"member.imported_from_{book.source}",
                    "object_type": "user",
                    "object_id": user_ids[m.uid],
                    "member_id": user_ids[m.uid],
                }
                for m in new_members
            ],
        )
    if new_transfers:
        _post_transfers(session, actor, organisation_id, book, new_transfers, user_ids, now)
    audit_summary = {
        "at": now,
        "actor_id": actor.id,
        "organisation_id": organisation_id,
        "action": f"import.{book.source}",
        "object_type": "organisation",
        "object_id": organisation_id,
        "member_id": None,
    }
    session.execute(insert(AuditEvent), [audit_summary])
    session.flush()
    session.expire_all()
    done = reconcile(session, actor=actor, organisation_id=organisation_id, book=book)
    plan.members = done.members
    plan.written = True
    return plan


def _post_transfers(session, actor, organisation_id, book, transfers, user_ids, now) -> None:
    """One confirmed exchange and one posting per transfer, written in bulk: a fixed handful of
    statements however many transfers (the per-posting path would take a minute for 20,000).
    Every account touched is locked first, in ascending id order, as every posting locks."""
    own = organisation_account(session, organisation_id)
    account_of = dict(
        session.execute(
            select(Account.user_id, Account.id).where(Account.user_id.in_(list(user_ids.values())))
        ).all()
    )

    def account(uid: str | None) -> int:
        return own.id if uid is None else account_of[user_ids[uid]]

    touched = (
        {own.id}
        | {account(t.provider) for t in transfers}
        | {account(t.receiver) for t in transfers}
    )
    ledger.lock_accounts(session, sorted(touched))
    exchange_ids = _new_ids(session, "exchange", len(transfers))
    transaction_ids = _new_ids(session, "ledger_transaction", len(transfers))
    _write_rows(
        session,
        Exchange.__table__,
        [
            {
                "id": exchange_id,
                "organisation_id": organisation_id,
                "provider_account_id": account(t.provider),
                "receiver_account_id": account(t.receiver),
                "minutes": t.minutes,
                "category": IMPORT_CATEGORY,
                "occurred_on": t.occurred_on,
                "description": t.description,
                "status": "confirmed",
                "imported": True,
                "recorded_by_id": actor.id,
                "created_at": now,
                "settled_by_id": actor.id,
                "settled_at": now,
                "import_key": t.key,
            }
            for t, exchange_id in zip(transfers, exchange_ids, strict=True)
        ],
    )
    _write_rows(
        session,
        LedgerTransaction.__table__,
        [
            {
                "id": transaction_id,
                "organisation_id": organisation_id,
                "kind": "exchange",
                "exchange_id": exchange_id,
                "reason": f"Moved in from {book.source}",
                "created_by_id": actor.id,
                "created_at": now,
            }
            for exchange_id, transaction_id in zip(exchange_ids, transaction_ids, strict=True)
        ],
    )
    legs = []
    moved: Counter[int] = Counter()
    for transfer, transaction_id in zip(transfers, transaction_ids, strict=True):
        provider, receiver = account(transfer.provider), account(transfer.receiver)
        legs.append((transaction_id, provider, transfer.minutes))
        legs.append((transaction_id, receiver, -transfer.minutes))
        moved[provider] += transfer.minutes
        moved[receiver] -= transfer.minutes
    _write_rows(
        session,
        Leg.__table__,
        [{"transaction_id": t, "account_id": a, "amount_minutes": m} for t, a, m in legs],
    )
    balance = Account.__table__.c.balance_minutes
    session.execute(
        update(Account.__table__)
        .where(Account.__table__.c.id == bindparam("account_id"))
        .values(balance_minutes=balance + bindparam("amount")),
        [
            {"account_id": account_id, "amount": amount}
            for account_id, amount in sorted(moved.items())
            if amount
        ],
    )
    # One ledger event for each member whose account the import moved (naming the import's
    # summary event's organisation), rather than one per leg: the exchanges themselves say who
    # imported each (recorded_by) and from which file and line (import_key).
    member_of = {account_id: user_id for user_id, account_id in account_of.items()}
    _write_rows(
        session,
        AuditEvent.__table__,
        [
            {
                "at": now,
                "actor_id": actor.id,
                "organisation_id": organisation_id,
                "action": f"ledger.imported_from_{book.source}",
                "object_type": "account",
                "object_id": account_id,
                "member_id": member_of[account_id],
            }
            for account_id in sorted(moved)
            if account_id in member_of
        ],
    )


def _new_ids(session: Session, table: str, count: int) -> list[int]:
    """Ids for ``count`` new rows, taken before writing them (so related rows can name them).
    PostgreSQL: from the table's own sequence. SQLite: after the highest, under its write lock
    (a SQLite database has one writer at a time, and this transaction holds it)."""
    if session.get_bind().dialect.name == "postgresql":
        return list(
            session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :count)"
                ),
                {"table": table, "count": count},
            )
        )
    highest = session.scalar(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}"))  # noqa: S608
    return list(range(highest + 1, highest + 1 + count))


def _write_rows(session: Session, table, rows: list[dict]) -> None:
    """Insert many rows in one go: PostgreSQL's COPY (tens of thousands a second, where a
    multi-row INSERT spends most of its time building the statement), elsewhere executemany."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cursor:
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[column] for column in columns])
