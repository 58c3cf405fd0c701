"""Hours accounts. Every member and organisation has one; each organisation also has a chest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Organisation, User
from ..clock import utcnow
from ..extensions import db

ACCOUNT_KINDS = ("member", "organisation", "chest")


class Account(db.Model):
    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), unique=True)
    # A cache of the sum of this account's legs, updated under a row lock in the same transaction.
    balance_minutes: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint(f"kind IN {ACCOUNT_KINDS!r}", name="kind_known"),
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
            sqlite_where=text("kind != 'member'"),
            postgresql_where=text("kind != 'member'"),
        ),
    )
