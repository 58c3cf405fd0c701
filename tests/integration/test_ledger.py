"""The hours ledger: exchanges, confirmations, limits, reversals, the chest, statements."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from app.clock import london_date, utcnow
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.timebank import exchanges as ex
from app.timebank.ledger import BalanceLimit
from app.timebank.models import Account, LedgerTransaction, Leg
from app.timebank.services import organisation_account
from tests.factories import CoordinatorFactory, OrganisationFactory, UserFactory, account_of


def new(provider, receiver, minutes=60, **kwargs):
    kwargs.setdefault("category", "cooking")
    kwargs.setdefault("occurred_on", london_date(utcnow()))
    return ex.NewExchange(provider=provider, receiver=receiver, minutes=minutes, **kwargs)


def assert_ledger_consistent(session):
    """Sum of all balances is zero; every stored balance equals the sum of its legs; every
    transaction balances."""
    assert session.scalar(select(func.coalesce(func.sum(Account.balance_minutes), 0))) == 0
    sums = dict(
        session.execute(
            select(Leg.account_id, func.sum(Leg.amount_minutes)).group_by(Leg.account_id)
        ).all()
    )
    for account in session.scalars(select(Account)):
        assert account.balance_minutes == sums.get(account.id, 0), account.id
    unbalanced = session.scalar(
        select(func.count()).select_from(
            select(Leg.transaction_id)
            .group_by(Leg.transaction_id)
            .having(func.sum(Leg.amount_minutes) != 0)
            .subquery()
        )
    )
    assert unbalanced == 0


@pytest.fixture()
def pair(session):
    organisation = OrganisationFactory()
    giver = UserFactory(organisation=organisation)
    getter = UserFactory(organisation=organisation)
    return giver, getter


def test_recorded_by_a_party_is_pending_and_moves_nothing(session, pair):
    giver, getter = pair
    exchange = ex.record_exchange(
        session, actor=giver, new=new(account_of(giver), account_of(getter), 90), now=utcnow()
    )
    assert exchange.status == "pending"
    assert exchange.awaiting_account_id == account_of(getter).id
    assert account_of(giver).balance_minutes == 0 and account_of(getter).balance_minutes == 0


def test_other_party_confirms_and_hours_move(session, pair):
    giver, getter = pair
    exchange = ex.record_exchange(
        session, actor=giver, new=new(account_of(giver), account_of(getter), 90), now=utcnow()
    )
    ex.confirm_exchange(session, actor=getter, exchange_id=exchange.id, now=utcnow())
    assert exchange.status == "confirmed"
    assert account_of(giver).balance_minutes == 90
    assert account_of(getter).balance_minutes == -90
    transaction = session.scalar(
        select(LedgerTransaction).where(LedgerTransaction.exchange_id == exchange.id)
    )
    assert sorted(leg.amount_minutes for leg in transaction.legs) == [-90, 90]
    assert_ledger_consistent(session)


def test_recorder_cannot_confirm_their_own_record(session, pair):
    giver, getter = pair
    exchange = ex.record_exchange(
        session, actor=giver, new=new(account_of(giver), account_of(getter)), now=utcnow()
    )
    with pytest.raises(Forbidden):
        ex.confirm_exchange(session, actor=giver, exchange_id=exchange.id, now=utcnow())


def test_confirmed_at_most_once(session, pair):
    giver, getter = pair
    exchange = ex.record_exchange(
        session, actor=giver, new=new(account_of(giver), account_of(getter)), now=utcnow()
    )
    ex.confirm_exchange(session, actor=getter, exchange_id=exchange.id, now=utcnow())
    with pytest.raises(Conflict) as caught:
        ex.confirm_exchange(session, actor=getter, exchange_id=exchange.id, now=utcnow())
    assert caught.value.code == "already_confirmed"
    assert account_of(giver).balance_minutes == 60


def test_rejected_exchange_moves_nothing_and_cannot_be_confirmed(session, pair):
    giver, getter = pair
    exchange = ex.record_exchange(
        session, actor=getter, new=new(account_of(giver), account_of(getter)), now=utcnow()
    )
    ex.reject_exchange(session, actor=giver, exchange_id=exchange.id, now=utcnow())
    assert exchange.status == "rejected"
    with pytest.raises(Conflict):
        ex.confirm_exchange(session, actor=giver, exchange_id=exchange.id, now=utcnow())
    assert account_of(giver).balance_minutes == 0


def test_coordinator_records_on_behalf_and_it_is_confirmed_at_once(session, pair):
    giver, getter = pair
    coordinator = CoordinatorFactory(organisation=giver.organisation)
    exchange = ex.record_exchange(
        session, actor=coordinator, new=new(account_of(giver), account_of(getter), 30), now=utcnow()
    )
    assert exchange.status == "confirmed"
    assert account_of(giver).balance_minutes == 30


def test_outsiders_cannot_record_or_see(session, pair):
    giver, getter = pair
    stranger = UserFactory(organisation=giver.organisation)
    with pytest.raises(Forbidden):
        ex.record_exchange(
            session, actor=stranger, new=new(account_of(giver), account_of(getter)), now=utcnow()
        )
    exchange = ex.record_exchange(
        session, actor=giver, new=new(account_of(giver), account_of(getter)), now=utcnow()
    )
    with pytest.raises(NotFound):
        ex.confirm_exchange(session, actor=stranger, exchange_id=exchange.id, now=utcnow())
    with pytest.raises(NotFound):
        ex.get_exchange_for(session, CoordinatorFactory(), exchange.id)


def test_confirm_fails_when_receiver_would_pass_minimum(session, pair):
    giver, getter = pair
    first = ex.record_exchange(
        session, actor=giver, new=new(account_of(giver), account_of(getter), 600), now=utcnow()
    )
    ex.confirm_exchange(session, actor=getter, exchange_id=first.id, now=utcnow())
    session.commit()
    second = ex.record_exchange(
        session, actor=giver, new=new(account_of(giver), account_of(getter), 1), now=utcnow()
    )
    session.commit()
    with pytest.raises(BalanceLimit) as caught:
        ex.confirm_exchange(session, actor=getter, exchange_id=second.id, now=utcnow())
    assert caught.value.code == "balance_limit" and caught.value.status == 409
    session.rollback()
    assert account_of(getter).balance_minutes == -600
    assert second.status == "pending"


def test_confirm_fails_when_provider_would_pass_maximum(session):
    organisation = OrganisationFactory(max_balance_minutes=120)
    giver, getter = UserFactory(organisation=organisation), UserFactory(organisation=organisation)
    coordinator = CoordinatorFactory(organisation=organisation)
    ex.record_exchange(
        session,
        actor=coordinator,
        new=new(account_of(giver), account_of(getter), 120),
        now=utcnow(),
    )
    with pytest.raises(BalanceLimit):
        ex.record_exchange(
            session,
            actor=coordinator,
            new=new(account_of(giver), account_of(getter), 1),
            now=utcnow(),
        )


def test_organisation_account_has_no_limits(session, pair):
    giver, _ = pair
    coordinator = CoordinatorFactory(organisation=giver.organisation)
    agency = organisation_account(session, giver.organisation_id)
    ex.record_exchange(
        session, actor=coordinator, new=new(account_of(giver), agency, 1440), now=utcnow()
    )
    assert agency.balance_minutes == -1440


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": 1441}, "minutes"),
        ({"category": "juggling"}, "category"),
        ({"occurred_on": london_date(utcnow()) + timedelta(days=1)}, "occurred_on"),
        ({"description": "x" * 2001}, "description"),
    ],
)
def test_bad_exchanges_are_refused_with_the_field(session, pair, change, field):
    giver, getter = pair
    kwargs = {"minutes": 60, **change}
    minutes = kwargs.pop("minutes")
    with pytest.raises(ValidationFailed) as caught:
        ex.record_exchange(
            session,
            actor=giver,
            new=new(account_of(giver), account_of(getter), minutes, **kwargs),
            now=utcnow(),
        )
    assert field in caught.value.fields


def test_nobody_exchanges_with_themselves(session, pair):
    giver, _ = pair
    with pytest.raises(ValidationFailed):
        ex.record_exchange(
            session, actor=giver, new=new(account_of(giver), account_of(giver)), now=utcnow()
        )


def test_reversal_compensates_exactly_and_only_once(session, pair):
    giver, getter = pair
    coordinator = CoordinatorFactory(organisation=giver.organisation)
    exchange = ex.record_exchange(
        session, actor=coordinator, new=new(account_of(giver), account_of(getter), 45), now=utcnow()
    )
    ex.reverse_exchange(
        session, actor=coordinator, exchange_id=exchange.id, reason="Recorded twice", now=utcnow()
    )
    assert exchange.status == "reversed"
    assert account_of(giver).balance_minutes == 0 and account_of(getter).balance_minutes == 0
    assert session.scalar(select(func.count()).select_from(Leg)) >= 4  # nothing deleted
    with pytest.raises(Conflict) as caught:
        ex.reverse_exchange(
            session, actor=coordinator, exchange_id=exchange.id, reason="again", now=utcnow()
        )
    assert caught.value.code == "already_reversed"
    assert_ledger_consistent(session)


def test_only_coordinators_reverse_with_a_reason(session, pair):
    giver, getter = pair
    coordinator = CoordinatorFactory(organisation=giver.organisation)
    exchange = ex.record_exchange(
        session, actor=coordinator, new=new(account_of(giver), account_of(getter)), now=utcnow()
    )
    with pytest.raises(Forbidden):
        ex.reverse_exchange(
            session, actor=giver, exchange_id=exchange.id, reason="mine", now=utcnow()
        )
    with pytest.raises(ValidationFailed):
        ex.reverse_exchange(
            session, actor=coordinator, exchange_id=exchange.id, reason="  ", now=utcnow()
        )


def test_pending_exchange_cannot_be_reversed(session, pair):
    giver, getter = pair
    coordinator = CoordinatorFactory(organisation=giver.organisation)
    exchange = ex.record_exchange(
        session, actor=giver, new=new(account_of(giver), account_of(getter)), now=utcnow()
    )
    with pytest.raises(Conflict) as caught:
        ex.reverse_exchange(
            session, actor=coordinator, exchange_id=exchange.id, reason="x", now=utcnow()
        )
    assert caught.value.code == "not_confirmed"


def test_donation_and_grant_through_the_chest(session, pair):
    giver, getter = pair
    coordinator = CoordinatorFactory(organisation=giver.organisation)
    chest = organisation_account(session, giver.organisation_id, "chest")
    with pytest.raises(BalanceLimit):
        ex.donate_to_chest(session, actor=giver, minutes=30, now=utcnow())  # nothing earned yet
    ex.record_exchange(
        session,
        actor=coordinator,
        new=new(account_of(giver), account_of(getter), 120),
        now=utcnow(),
    )
    ex.donate_to_chest(session, actor=giver, minutes=60, now=utcnow())
    session.commit()
    assert chest.balance_minutes == 60 and account_of(giver).balance_minutes == 60
    with pytest.raises(BalanceLimit):
        ex.grant_from_chest(
            session,
            actor=coordinator,
            member_id=getter.id,
            minutes=61,
            reason="Welcome",
            now=utcnow(),
        )
    session.rollback()
    ex.grant_from_chest(
        session, actor=coordinator, member_id=getter.id, minutes=60, reason="Welcome", now=utcnow()
    )
    assert chest.balance_minutes == 0 and account_of(getter).balance_minutes == -60
    with pytest.raises(Forbidden):
        ex.grant_from_chest(
            session, actor=giver, member_id=getter.id, minutes=1, reason="x", now=utcnow()
        )
    assert_ledger_consistent(session)


def test_statement_has_a_running_balance(session, pair):
    giver, getter = pair
    coordinator = CoordinatorFactory(organisation=giver.organisation)
    for minutes in (60, 30):
        ex.record_exchange(
            session,
            actor=coordinator,
            new=new(account_of(giver), account_of(getter), minutes),
            now=utcnow(),
        )
    first = ex.record_exchange(
        session, actor=coordinator, new=new(account_of(getter), account_of(giver), 15), now=utcnow()
    )
    ex.reverse_exchange(
        session, actor=coordinator, exchange_id=first.id, reason="Mistake", now=utcnow()
    )
    rows = ex.statement(session, account_of(giver))
    assert [r.minutes for r in rows] == [60, 30, -15, 15]
    assert [r.balance_after for r in rows] == [60, 90, 75, 90]
    assert rows[0].counterparty == getter.name
    assert rows[-1].description == "Correction: Mistake"


def test_overdue_pending_lists_exchanges_older_than_a_week(session, pair):
    giver, getter = pair
    coordinator = CoordinatorFactory(organisation=giver.organisation)
    eight_days_ago = utcnow() - timedelta(days=8)
    old = ex.record_exchange(
        session,
        actor=giver,
        new=new(account_of(giver), account_of(getter), occurred_on=london_date(eight_days_ago)),
        now=eight_days_ago,
    )
    ex.record_exchange(
        session, actor=giver, new=new(account_of(giver), account_of(getter)), now=utcnow()
    )
    assert ex.overdue_pending(session, actor=coordinator, now=utcnow()) == [old]
    with pytest.raises(Forbidden):
        ex.overdue_pending(session, actor=giver, now=utcnow())


def test_database_refuses_to_edit_or_delete_legs(session, pair):
    giver, getter = pair
    coordinator = CoordinatorFactory(organisation=giver.organisation)
    ex.record_exchange(
        session, actor=coordinator, new=new(account_of(giver), account_of(getter)), now=utcnow()
    )
    session.commit()
    for statement in (
        "UPDATE leg SET amount_minutes = 1",
        "DELETE FROM leg",
        "UPDATE ledger_transaction SET reason = 'edited'",
    ):
        with pytest.raises(DatabaseError):
            with session.begin_nested():
                session.execute(text(statement))


def test_database_refuses_an_unbalanced_transaction(session, pair, postgres_only):
    giver, _ = pair
    transaction = LedgerTransaction(
        organisation_id=giver.organisation_id, kind="grant", reason="bad"
    )
    session.add(transaction)
    session.flush()
    with pytest.raises(DatabaseError):
        with session.begin_nested():
            session.add(
                Leg(
                    transaction_id=transaction.id,
                    account_id=account_of(giver).id,
                    amount_minutes=60,
                )
            )
            session.flush()
            session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))


def test_every_ledger_action_is_audited_for_each_member(session, pair):
    from app.audit import AuditEvent

    giver, getter = pair
    exchange = ex.record_exchange(
        session, actor=giver, new=new(account_of(giver), account_of(getter)), now=utcnow()
    )
    ex.confirm_exchange(session, actor=getter, exchange_id=exchange.id, now=utcnow())
    events = session.execute(
        select(AuditEvent.action, AuditEvent.member_id, AuditEvent.actor_id)
    ).all()
    assert ("exchange.recorded", getter.id, giver.id) in events
    assert ("ledger.exchange", giver.id, getter.id) in events
    assert ("ledger.exchange", getter.id, getter.id) in events


def test_a_coordinator_cannot_credit_themselves_alone(session, pair):
    giver, _ = pair
    coordinator = CoordinatorFactory(organisation=giver.organisation)
    agency = organisation_account(session, giver.organisation_id)
    exchange = ex.record_exchange(
        session, actor=coordinator, new=new(account_of(coordinator), agency, 600), now=utcnow()
    )
    assert exchange.status == "pending" and account_of(coordinator).balance_minutes == 0
    with pytest.raises(Forbidden):
        ex.confirm_exchange(session, actor=coordinator, exchange_id=exchange.id, now=utcnow())
    colleague = CoordinatorFactory(organisation=giver.organisation)
    ex.confirm_exchange(session, actor=colleague, exchange_id=exchange.id, now=utcnow())
    assert account_of(coordinator).balance_minutes == 600


def test_an_exchange_from_a_listing_needs_a_live_listing_and_its_author(session, pair):
    from app.timebank import listings

    giver, getter = pair
    stranger = UserFactory(organisation=giver.organisation)
    listing = listings.create_listing(
        session,
        actor=stranger,
        new=listings.NewListing(kind="offer", title="Gardening", category="gardening"),
        now=utcnow(),
    )
    live = ex.listing_for_exchange(session, giver, listing.id, utcnow())
    with pytest.raises(ValidationFailed) as caught:
        ex.record_exchange(
            session,
            actor=giver,
            new=new(account_of(giver), account_of(getter), listing=live),
            now=utcnow(),
        )
    assert "listing_id" in caught.value.fields
    listings.withdraw_listing(session, actor=stranger, listing_id=listing.id, now=utcnow())
    with pytest.raises(ValidationFailed):
        ex.listing_for_exchange(session, giver, listing.id, utcnow())


def test_nobody_grants_themselves_hours_or_reverses_their_own_exchange(session, pair):
    giver, getter = pair
    coordinator = CoordinatorFactory(organisation=giver.organisation)
    colleague = CoordinatorFactory(organisation=giver.organisation)
    with pytest.raises(Forbidden):
        ex.grant_from_chest(
            session,
            actor=coordinator,
            member_id=coordinator.id,
            minutes=60,
            reason="Me",
            now=utcnow(),
        )
    exchange = ex.record_exchange(
        session,
        actor=colleague,
        new=new(account_of(coordinator), account_of(getter), 60),
        now=utcnow(),
    )
    with pytest.raises(Forbidden):
        ex.reverse_exchange(
            session, actor=coordinator, exchange_id=exchange.id, reason="Mine", now=utcnow()
        )
    ex.reverse_exchange(
        session, actor=colleague, exchange_id=exchange.id, reason="Theirs", now=utcnow()
    )


def test_the_recorder_can_withdraw_a_pending_exchange_and_nothing_moves(session, pair):
    giver, getter = pair
    exchange = ex.record_exchange(
        session, actor=giver, new=new(account_of(giver), account_of(getter)), now=utcnow()
    )
    with pytest.raises(Forbidden):
        ex.withdraw_exchange(session, actor=getter, exchange_id=exchange.id, now=utcnow())
    ex.withdraw_exchange(session, actor=giver, exchange_id=exchange.id, now=utcnow())
    assert exchange.status == "withdrawn" and account_of(giver).balance_minutes == 0
    with pytest.raises(Conflict) as caught:
        ex.confirm_exchange(session, actor=getter, exchange_id=exchange.id, now=utcnow())
    assert caught.value.code == "already_withdrawn"


# --- time given to a person on the organisation's account (peer support) ----------------------


def test_the_person_supported_confirms_time_paid_by_the_organisation_and_is_never_charged(
    session, pair
):
    peer, person = pair
    stranger = UserFactory(organisation=peer.organisation)
    organisation = organisation_account(session, peer.organisation_id)
    exchange = ex.record_exchange(
        session,
        actor=peer,
        new=new(account_of(peer), organisation, 90, beneficiary=person, category="peer_support"),
        now=utcnow(),
    )
    assert exchange.awaiting_account_id == organisation.id
    with pytest.raises(NotFound):  # someone else in the organisation neither sees nor settles
        ex.confirm_exchange(session, actor=stranger, exchange_id=exchange.id, now=utcnow())
    ex.confirm_exchange(session, actor=person, exchange_id=exchange.id, now=utcnow())
    assert exchange.status == "confirmed"
    assert account_of(peer).balance_minutes == 90
    assert account_of(person).balance_minutes == 0  # never charged
    since = london_date(utcnow()) - timedelta(days=1)
    assert ex.minutes_received_by_category(session, person, since=since) == {"peer_support": 90}
    assert ex.minutes_received_by_category(session, stranger, since=since) == {}
    # it is in the person's own list of exchanges, not in anyone else's
    assert session.scalars(ex.exchanges_for(session, actor=person)).all() == [exchange]
    assert session.scalars(ex.exchanges_for(session, actor=stranger)).all() == []
    assert_ledger_consistent(session)


def test_time_for_a_person_must_be_paid_by_their_own_organisation(session, pair):
    peer, person = pair
    with pytest.raises(ValidationFailed) as refused:
        ex.record_exchange(
            session,
            actor=peer,
            new=new(account_of(peer), account_of(person), 30, beneficiary=person),
            now=utcnow(),
        )
    assert "beneficiary_id" in refused.value.fields


def test_peer_support_can_never_charge_the_person_supported(session, pair):
    peer, person = pair
    with pytest.raises(ValidationFailed) as refused:
        ex.record_exchange(
            session,
            actor=peer,
            new=new(account_of(peer), account_of(person), 60, category="peer_support"),
            now=utcnow(),
        )
    assert "category" in refused.value.fields
    assert account_of(person).balance_minutes == 0
