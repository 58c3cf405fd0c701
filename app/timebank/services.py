"""The timebank's rules: opening accounts and the limits that apply to them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..auth.models import Organisation, User
from ..auth.services import subscribe
from ..errors import NotFound
from ..wording import N_, Sentence, said
from .models import Account


@dataclass(frozen=True)
class Limits:
    """None means unbounded on that side."""

    min_minutes: int | None
    max_minutes: int | None


def subscribe_to_identity() -> None:
    """Every organisation gets its hours account and community chest, and every member their
    hours account, in the unit of work that creates them (called once by create_app)."""
    subscribe("timebank", organisation=open_organisation_accounts, member=open_member_account)


def open_organisation_accounts(session: Session, organisation: Organisation) -> None:
    session.add_all(
        [
            Account(organisation_id=organisation.id, kind="organisation"),
            Account(organisation_id=organisation.id, kind="chest"),
        ]
    )
    session.flush()


def open_member_account(session: Session, user: User) -> Account:
    account = Account(organisation_id=user.organisation_id, kind="member", user_id=user.id)
    session.add(account)
    session.flush()
    return account


def limits_for(account: Account) -> Limits:
    """Members live within their organisation's limits; the organisation's own account has none
    (it funds peer support and agency credits); the community chest never goes below zero."""
    if account.kind == "member":
        organisation = account.organisation
        return Limits(organisation.min_balance_minutes, organisation.max_balance_minutes)
    if account.kind == "chest":
        return Limits(0, None)
    return Limits(None, None)


def member_account(session: Session, user: User) -> Account:
    account = session.scalar(select(Account).where(Account.user_id == user.id))
    if account is None:
        raise NotFound(N_("This person has no hours account."))
    return account


def organisation_account(
    session: Session, organisation_id: int, kind: str = "organisation"
) -> Account:
    account = session.scalar(
        select(Account).where(Account.organisation_id == organisation_id, Account.kind == kind)
    )
    if account is None:
        raise NotFound(N_("This organisation has no hours account."))
    return account


def account_name(account: Account) -> str:
    """Who holds the account, in words: English (the API's), a ``Sentence`` that a page words in
    its own language with ``translated``."""
    if account.kind == "member":
        return account.user.name if account.user else Sentence(N_("A member"))
    if account.kind == "chest":
        return said(N_("%(organisation)s community chest"), organisation=account.organisation.name)
    if account.kind == "clearing":
        return said(
            N_("%(organisation)s clearing account for a partner"),
            organisation=account.organisation.name,
        )
    return account.organisation.name
