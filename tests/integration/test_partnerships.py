"""Partnerships and exchanges across, through the services: the books of each organisation."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from app.clock import london_date, utcnow
from app.errors import Conflict, Forbidden
from app.timebank import exchanges as ex
from app.timebank import partnerships
from app.timebank.models import Account, LedgerTransaction, Leg
from tests.factories import CoordinatorFactory, PartnershipFactory, UserFactory, account_of


@pytest.fixture()
def partnership(session):
    return PartnershipFactory(limit_minutes=600)


def members(partnership):
    return (
        UserFactory(organisation=partnership.organisation),
        UserFactory(organisation=partnership.partner_organisation),
    )


def record(actor, giver, getter, minutes=60):
    return ex.record_exchange(
        _session(),
        actor=actor,
        new=ex.NewExchange(
            provider=account_of(giver),
            receiver=account_of(getter),
            minutes=minutes,
            category="gardening",
            occurred_on=london_date(utcnow()),
        ),
        now=utcnow(),
    )


def _session():
    from app.extensions import db

    return db.session


def test_confirmation_posts_four_legs_two_in_each_organisations_books(session, partnership):
    giver, getter = members(partnership)
    exchange = record(giver, giver, getter, 45)
    ex.confirm_exchange(session, actor=getter, exchange_id=exchange.id, now=utcnow())
    legs = session.execute(
        select(Account.organisation_id, Account.kind, Leg.amount_minutes)
        .join(Account, Account.id == Leg.account_id)
        .join(LedgerTransaction, LedgerTransaction.id == Leg.transaction_id)
        .where(LedgerTransaction.exchange_id == exchange.id)
        .order_by(Leg.id)
    ).all()
    ours, theirs = partnership.organisation_id, partnership.partner_organisation_id
    assert legs == [
        (ours, "member", 45),
        (ours, "clearing", -45),
        (theirs, "clearing", 45),
        (theirs, "member", -45),
    ]
    totals = dict(
        session.execute(
            select(Account.organisation_id, func.sum(Account.balance_minutes)).group_by(
                Account.organisation_id
            )
        ).all()
    )
    assert totals[ours] == 0 and totals[theirs] == 0


def test_the_recorders_coordinator_cannot_confirm_for_the_other_side(session, partnership):
    giver, getter = members(partnership)
    exchange = record(giver, giver, getter)
    coordinator = CoordinatorFactory(organisation=partnership.organisation)
    with pytest.raises(Forbidden):
        ex.confirm_exchange(session, actor=coordinator, exchange_id=exchange.id, now=utcnow())
    # ...and the scheduler never confirms one on its own.
    with pytest.raises(Conflict):
        ex.confirm_automatically(session, exchange_id=exchange.id, now=utcnow())


def test_database_refuses_a_transaction_that_leaves_one_organisations_books_unbalanced(
    session, partnership, postgres_only
):
    giver, getter = members(partnership)
    transaction = LedgerTransaction(
        organisation_id=partnership.organisation_id, kind="grant", reason="bad"
    )
    session.add(transaction)
    session.flush()
    with pytest.raises(DatabaseError, match="unbalanced"):
        with session.begin_nested():
            # The legs sum to zero, but skip the clearing accounts: each organisation's do not.
            session.add_all(
                [
                    Leg(
                        transaction_id=transaction.id,
                        account_id=account_of(giver).id,
                        amount_minutes=60,
                    ),
                    Leg(
                        transaction_id=transaction.id,
                        account_id=account_of(getter).id,
                        amount_minutes=-60,
                    ),
                ]
            )
            session.flush()
            session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))


def test_a_clearing_account_opens_once_per_partner_even_after_a_second_partnership(session):
    first = PartnershipFactory(status="ended")
    second = PartnershipFactory(
        organisation=first.partner_organisation, partner_organisation=first.organisation
    )
    assert second.status == "active"
    count = session.scalar(
        select(func.count()).select_from(Account).where(Account.kind == "clearing")
    )
    assert count == 2
    assert (
        partnerships.active_partnership(
            session, first.organisation_id, first.partner_organisation_id
        ).id
        == second.id
    )


def test_reports_count_an_exchange_across_once_per_side_with_the_hours_each_way(
    session, partnership
):
    from app.reports.contribution import compute_contribution, parse_period

    giver, getter = members(partnership)
    other_giver = UserFactory(organisation=partnership.organisation)
    for provider, receiver, minutes in ((giver, getter, 60), (getter, other_giver, 25)):
        exchange = record(provider, provider, receiver, minutes)
        ex.confirm_exchange(session, actor=receiver, exchange_id=exchange.id, now=utcnow())
    today = london_date(utcnow()).isoformat()
    period = parse_period(today, today)
    ours = compute_contribution(session, partnership.organisation, period)
    theirs = compute_contribution(session, partnership.partner_organisation, period)
    for report in (ours, theirs):
        assert report.exchanges == 2 and report.hours_exchanged_minutes == 85
    assert ours.active_members == 2 and theirs.active_members == 1  # only their own members
    assert (ours.partner_minutes_given, ours.partner_minutes_received) == (60, 25)
    assert (theirs.partner_minutes_given, theirs.partner_minutes_received) == (25, 60)
    [row] = ours.by_partner
    assert row["name"] == partnership.partner_organisation.name and row["people"] == 2


def test_a_statement_names_the_partners_member_not_the_clearing_accounts(session, partnership):
    giver, getter = members(partnership)
    exchange = record(giver, giver, getter, 30)
    ex.confirm_exchange(session, actor=getter, exchange_id=exchange.id, now=utcnow())
    [row] = ex.statement(session, account_of(giver))
    assert row.counterparty == getter.name and row.minutes == 30
    [row] = ex.statement(session, account_of(getter))
    assert row.counterparty == giver.name and row.minutes == -30
