"""Every mapped model has a factory, and every factory builds a row the database accepts.

The same tests run on SQLite and on PostgreSQL (TEST_DATABASE_URL), so a factory that only
satisfies SQLite's looser checks fails on the PostgreSQL pass.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select

from app.extensions import db
from app.peers.models import HealthDataConsent
from app.timebank.models import Account, Exchange, LedgerTransaction, Leg
from tests import factories
from tests.integration.test_ledger import assert_ledger_consistent


def mapped_models() -> set[type]:
    return {mapper.class_ for mapper in db.Model.registry.mappers}


def test_every_mapped_model_has_a_factory():
    covered = {f._meta.model for f in factories.ALL_FACTORIES}
    missing = sorted(model.__name__ for model in mapped_models() - covered)
    assert not missing, f"models without a factory in tests/factories.py: {missing}"


@pytest.mark.parametrize("factory_class", factories.ALL_FACTORIES, ids=lambda f: f.__name__)
def test_each_factory_builds_a_valid_row(session, factory_class):
    row = factory_class()
    assert isinstance(row, factory_class._meta.model)
    state = inspect(row)
    assert state.persistent, f"{factory_class.__name__} left its row unsaved"
    session.expire_all()
    # Read back from the database, not the identity map: the row was committed (to the test's
    # savepoint) and every constraint, CHECK and foreign key accepted it.
    fresh = session.get(type(row), state.identity, populate_existing=True)
    assert fresh is not None
    # Two in a row must not collide on a unique column either.
    assert inspect(factory_class()).identity != state.identity
    assert_ledger_consistent(session)


def test_confirmed_exchange_is_posted_by_the_ledger(session):
    exchange = factories.ConfirmedExchangeFactory(minutes=45)
    assert exchange.status == "confirmed"
    posting = session.scalar(
        select(LedgerTransaction).where(LedgerTransaction.exchange_id == exchange.id)
    )
    assert sorted(leg.amount_minutes for leg in posting.legs) == [-45, 45]
    assert exchange.provider_account.balance_minutes == 45
    assert exchange.receiver_account.balance_minutes == -45
    assert_ledger_consistent(session)


def test_pending_exchange_moves_nothing_and_waits_for_the_receiver(session):
    exchange = factories.ExchangeFactory()
    assert exchange.status == "pending"
    assert exchange.awaiting_account_id == exchange.receiver_account_id
    assert session.scalar(select(func.count()).select_from(Leg)) == 0


def test_legs_and_transactions_come_only_from_postings(session):
    credit = factories.LegFactory()
    debit = factories.LegFactory(side="receiver", transaction=credit.transaction)
    assert credit.amount_minutes == -debit.amount_minutes > 0
    assert credit.transaction.exchange_id is not None
    assert session.scalar(select(func.count()).select_from(Exchange)) == 1


@pytest.mark.parametrize("kind", ["member", "organisation", "chest"])
def test_accounts_are_opened_by_the_timebank_service(session, kind):
    account = factories.AccountFactory(kind=kind)
    assert account.kind == kind and account.balance_minutes == 0
    organisation_accounts = session.scalar(
        select(func.count())
        .select_from(Account)
        .where(Account.organisation_id == account.organisation_id, Account.kind != "member")
    )
    assert organisation_accounts == (0 if kind == "member" else 2)


def test_related_rows_share_one_organisation(session):
    plan = factories.SignedOffSupportPlanFactory()
    referral = factories.ReferralFactory()
    peer = factories.ApprovedPeerProfileFactory()
    for row in (plan, referral, peer):
        assert row.organisation_id == row.member.organisation_id
    assert sum(s.annual_pence or 0 for s in plan.supports if s.kind == "paid") == 900_000
    assert sum(plan.split_pence.values()) == plan.budget_pence
    assert plan.next_review_on > plan.signed_off_on
    assert peer.approved and peer.dbs_checked_on is not None
    condition = factories.MemberConditionFactory()
    consent = session.get(HealthDataConsent, condition.consent_id)
    assert consent.member_id == condition.member_id and consent.withdrawn_at is None
