"""Property: whatever sequence of ledger actions people take, the ledger's invariants hold.

Hypothesis draws sequences of records, confirmations, rejections, reversals, donations and
grants (many of them refused by the rules); after every step the sum of all balances is zero,
every stored balance equals the sum of its legs, no limit is passed by a confirmation, and each
exchange is posted at most once and reversed at most once.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.clock import london_date, utcnow
from app.errors import DomainError
from app.timebank import exchanges as ex
from app.timebank.models import Account, Exchange, LedgerTransaction, Leg
from tests.factories import CoordinatorFactory, OrganisationFactory, UserFactory, account_of
from tests.ledger_checks import assert_no_confirmation_passed_a_limit

PEOPLE = 4

action = st.one_of(
    st.tuples(
        st.just("record"),
        st.integers(0, PEOPLE - 1),
        st.integers(0, PEOPLE - 1),
        st.integers(1, 1440),
        st.booleans(),
    ),
    st.tuples(st.just("confirm"), st.integers(0, 30), st.booleans()),
    st.tuples(st.just("reject"), st.integers(0, 30)),
    st.tuples(st.just("reverse"), st.integers(0, 30)),
    st.tuples(st.just("donate"), st.integers(0, PEOPLE - 1), st.integers(1, 600)),
    st.tuples(st.just("grant"), st.integers(0, PEOPLE - 1), st.integers(1, 600)),
)


def check_invariants(session, organisation_id):
    accounts = session.scalars(
        select(Account).where(Account.organisation_id == organisation_id)
    ).all()
    assert sum(a.balance_minutes for a in accounts) == 0
    sums = dict(
        session.execute(
            select(Leg.account_id, func.sum(Leg.amount_minutes)).group_by(Leg.account_id)
        ).all()
    )
    for account in accounts:
        assert account.balance_minutes == sums.get(account.id, 0)
    assert_no_confirmation_passed_a_limit(session, organisation_id)
    postings = Counter(
        session.execute(
            select(LedgerTransaction.exchange_id, LedgerTransaction.kind).where(
                LedgerTransaction.exchange_id.is_not(None)
            )
        ).all()
    )
    assert all(count == 1 for count in postings.values())


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(action, min_size=1, max_size=25))
def test_any_sequence_of_ledger_actions_keeps_the_invariants(session, steps):
    organisation = OrganisationFactory(min_balance_minutes=-120, max_balance_minutes=240)
    people = [UserFactory(organisation=organisation) for _ in range(PEOPLE)]
    coordinator = CoordinatorFactory(organisation=organisation)
    today = london_date(utcnow())
    for step in steps:
        try:
            kind = step[0]
            if kind == "record":
                _, giver, getter, minutes, by_coordinator = step
                ex.record_exchange(
                    session,
                    actor=coordinator if by_coordinator else people[giver],
                    new=ex.NewExchange(
                        provider=account_of(people[giver]),
                        receiver=account_of(people[getter]),
                        minutes=minutes,
                        category="other",
                        occurred_on=today,
                    ),
                    now=utcnow(),
                )
            elif kind in ("confirm", "reject", "reverse"):
                ids = session.scalars(
                    select(Exchange.id)
                    .where(Exchange.organisation_id == organisation.id)
                    .order_by(Exchange.id)
                ).all()
                if not ids:
                    continue
                exchange = session.get(Exchange, ids[step[1] % len(ids)])
                if kind == "reverse":
                    ex.reverse_exchange(
                        session,
                        actor=coordinator,
                        exchange_id=exchange.id,
                        reason="Mistake",
                        now=utcnow(),
                    )
                else:
                    awaiting = (
                        session.get(Account, exchange.awaiting_account_id)
                        if exchange.awaiting_account_id
                        else None
                    )
                    actor = (
                        coordinator
                        if (kind == "confirm" and step[2]) or awaiting is None
                        else awaiting.user
                    )
                    settle = ex.confirm_exchange if kind == "confirm" else ex.reject_exchange
                    settle(session, actor=actor, exchange_id=exchange.id, now=utcnow())
            elif kind == "donate":
                ex.donate_to_chest(session, actor=people[step[1]], minutes=step[2], now=utcnow())
            else:
                ex.grant_from_chest(
                    session,
                    actor=coordinator,
                    member_id=people[step[1]].id,
                    minutes=step[2],
                    reason="Welcome",
                    now=utcnow(),
                )
            session.commit()
        except DomainError:
            session.rollback()
        check_invariants(session, organisation.id)
