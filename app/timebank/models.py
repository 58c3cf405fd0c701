"""Hours accounts. Every member and organisation has one; each organisation also has a chest."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Organisation, User
from ..clock import utcnow
from ..extensions import db

ACCOUNT_KINDS = ("member", "organisation", "chest", "clearing")


class Account(db.Model):
    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), unique=True)
    # A clearing account stands in the organisation's books for one partner organisation: what
    # its members gave to the partner's members (negative) or received from them (positive).
    partner_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    # A cache of the sum of this account's legs, updated under a row lock in the same transaction.
    balance_minutes: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])
    user: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint(f"kind IN {ACCOUNT_KINDS!r}", name="kind_known"),
        CheckConstraint(
            "(kind = 'clearing') = (partner_organisation_id IS NOT NULL)",
            name="clearing_accounts_name_a_partner",
        ),
        CheckConstraint(
            "partner_organisation_id IS NULL OR partner_organisation_id != organisation_id",
            name="clearing_partner_is_another_organisation",
        ),
        CheckConstraint(
            "(kind = 'member') = (user_id IS NOT NULL)", name="member_accounts_have_a_user"
        ),
        CheckConstraint("kind != 'chest' OR balance_minutes >= 0", name="chest_not_negative"),
        # One organisation account and one chest per organisation.
        Index(
            "uq_account_organisation_kind",
            "organisation_id",
            "kind",
            unique=True,
            sqlite_where=text("kind IN ('organisation', 'chest')"),
            postgresql_where=text("kind IN ('organisation', 'chest')"),
        ),
        # One clearing account per partner in each organisation's books.
        Index(
            "uq_account_clearing_partner",
            "organisation_id",
            "partner_organisation_id",
            unique=True,
            sqlite_where=text("kind = 'clearing'"),
            postgresql_where=text("kind = 'clearing'"),
        ),
    )


TRANSACTION_KINDS = ("exchange", "reversal", "donation", "grant")
EXCHANGE_STATUSES = ("pending", "confirmed", "rejected", "reversed", "withdrawn")
LISTING_KINDS = ("offer", "request")


class LedgerTransaction(db.Model):
    """One posting to the ledger: two or more legs that sum to zero. Never updated or deleted."""

    __tablename__ = "ledger_transaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    exchange_id: Mapped[int | None] = mapped_column(ForeignKey("exchange.id"), index=True)
    # A reversal names the transaction it compensates; each can be reversed at most once.
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_transaction.id"), unique=True
    )
    reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    legs: Mapped[list[Leg]] = relationship(back_populates="transaction", order_by="Leg.id")
    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint(f"kind IN {TRANSACTION_KINDS!r}", name="kind_known"),
        CheckConstraint(
            "(kind = 'reversal') = (reverses_id IS NOT NULL)", name="reversal_names_original"
        ),
        # An exchange posts once, and is reversed at most once.
        UniqueConstraint("exchange_id", "kind"),
    )


class Leg(db.Model):
    """Minutes into (positive) or out of (negative) one account. Insert-only."""

    __tablename__ = "leg"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transaction.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    amount_minutes: Mapped[int]

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="legs")
    account: Mapped[Account] = relationship()

    __table_args__ = (CheckConstraint("amount_minutes != 0", name="amount_not_zero"),)


class Exchange(db.Model):
    """Time given by one account to another. Pending until the other party confirms."""

    __tablename__ = "exchange"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    provider_account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    receiver_account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    minutes: Mapped[int]
    category: Mapped[str] = mapped_column(String(40))
    occurred_on: Mapped[date]
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    # The account whose holder must confirm (None once settled or when recorded by a coordinator).
    awaiting_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listing.id"))
    # Peer-support time given on a match (app.matching): the peer earns it from the organisation.
    match_id: Mapped[int | None] = mapped_column(ForeignKey("peer_match.id"), index=True)
    # The person the time was given to when the organisation's account receives it (peer support
    # the organisation pays for): they confirm it, and it counts as delivered to them. They are
    # never charged: their own account is not one of the two sides.
    beneficiary_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # An exchange across organisations: the provider is in ``organisation_id``, the receiver in
    # ``partner_organisation_id``, under an active partnership; it posts in both sets of books.
    partner_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id"), index=True
    )
    partnership_id: Mapped[int | None] = mapped_column(ForeignKey("partnership.id"), index=True)
    # History moved in from another timebank (app.timebank.imports): neither the one-day limit
    # of a new exchange nor balance limits applied to it.
    imported: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # Which row of which file it came from (the file's checksum and the line): a second run of
    # the same file is recognised and imports nothing twice.
    import_key: Mapped[str | None] = mapped_column(String(250))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    settled_at: Mapped[datetime | None]
    reversed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reversed_at: Mapped[datetime | None]
    reversal_reason: Mapped[str | None] = mapped_column(Text)
    # A pending exchange the party asked to confirm has disputed: never confirmed automatically.
    disputed_at: Mapped[datetime | None]
    disputed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])
    partner_organisation: Mapped[Organisation | None] = relationship(
        foreign_keys=[partner_organisation_id]
    )
    provider_account: Mapped[Account] = relationship(foreign_keys=[provider_account_id])
    receiver_account: Mapped[Account] = relationship(foreign_keys=[receiver_account_id])
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])

    __table_args__ = (
        CheckConstraint("minutes >= 1 AND (minutes <= 1440 OR imported)", name="minutes_in_a_day"),
        CheckConstraint(
            "partner_organisation_id IS NULL OR partner_organisation_id != organisation_id",
            name="partner_is_another_organisation",
        ),
        CheckConstraint(
            "(partner_organisation_id IS NULL) = (partnership_id IS NULL)",
            name="cross_exchanges_name_their_partnership",
        ),
        CheckConstraint("provider_account_id != receiver_account_id", name="two_parties"),
        CheckConstraint(f"status IN {EXCHANGE_STATUSES!r}", name="status_known"),
        Index("ix_exchange_organisation_status_created", "organisation_id", "status", "created_at"),
        UniqueConstraint("organisation_id", "import_key"),
        # Reports: a period's confirmed exchanges by index-only scan (the INCLUDE is PostgreSQL's).
        Index(
            "ix_exchange_report",
            "organisation_id",
            "status",
            "occurred_on",
            postgresql_include=[
                "provider_account_id",
                "receiver_account_id",
                "minutes",
                "category",
                "match_id",
            ],
        ),
    )


class Listing(db.Model):
    """An offer ("I can …") or a request ("I need …") in the skills directory."""

    __tablename__ = "listing"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40))
    availability: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_on: Mapped[date]
    withdrawn_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (CheckConstraint(f"kind IN {LISTING_KINDS!r}", name="kind_known"),)


class DirectoryEntry(db.Model):
    """What a member chooses to show other members in the directory. Nothing shows by default."""

    __tablename__ = "directory_entry"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    listed: Mapped[bool] = mapped_column(default=False)
    about: Mapped[str] = mapped_column(Text, default="")
    show_email: Mapped[bool] = mapped_column(default=False)
    show_district: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


PARTNERSHIP_STATUSES = ("proposed", "active", "ended")


class Partnership(db.Model):
    """Two organisations on one deployment whose members may exchange across, with a limit on
    the net minutes that may flow either way. Proposed by a coordinator of ``organisation_id``,
    accepted by one of ``partner_organisation_id``; either side may end it. Never deleted."""

    __tablename__ = "partnership"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    partner_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    limit_minutes: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    accepted_at: Mapped[datetime | None]
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    ended_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])
    partner_organisation: Mapped[Organisation] = relationship(
        foreign_keys=[partner_organisation_id]
    )

    __table_args__ = (
        CheckConstraint(f"status IN {PARTNERSHIP_STATUSES!r}", name="status_known"),
        CheckConstraint("organisation_id != partner_organisation_id", name="two_organisations"),
        CheckConstraint("limit_minutes BETWEEN 1 AND 1000000", name="limit_in_range"),
    )


class ImportedRecord(db.Model):
    """A member moved in from another timebank, keyed by the source's own ``member_uid``, so a
    second run imports nobody twice (transfers carry their key on the exchange itself)."""

    __tablename__ = "imported_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    source: Mapped[str] = mapped_column(String(20))
    source_key: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (UniqueConstraint("organisation_id", "source", "source_key"),)
