"""The statement's running balance is the database's window sum (SQLite and PostgreSQL alike):
equal to a Python running sum of the account's legs on generated histories, on every page, in
either order, and when streamed a chunk at a time."""

from __future__ import annotations

import random
from itertools import accumulate

import pytest

from app.clock import utcnow
from app.timebank import exchanges as ex
from tests.factories import CoordinatorFactory, OrganisationFactory, UserFactory, account_of
from tests.helpers import confirmed_exchange


def history(session, seed: int, count: int):
    """A member's account with ``count`` confirmed exchanges (and a reversal) of random sizes
    both ways; returns the account and the minutes of each leg in posting order."""
    rng = random.Random(seed)
    organisation = OrganisationFactory()
    member = UserFactory(organisation=organisation)
    others = [UserFactory(organisation=organisation) for _ in range(3)]
    coordinator = CoordinatorFactory(organisation=organisation)
    moved = []
    recorded = []
    for _ in range(count):
        other = rng.choice(others)
        minutes = rng.randint(1, 90)
        gives = rng.random() < 0.5 or sum(moved) - minutes < -500
        provider, receiver = (member, other) if gives else (other, member)
        recorded.append(
            confirmed_exchange(
                session, coordinator, provider, receiver, minutes, f"Exchange {len(moved)}"
            )
        )
        moved.append(minutes if gives else -minutes)
    reversed_one = rng.randrange(count)
    ex.reverse_exchange(
        session,
        actor=coordinator,
        exchange_id=recorded[reversed_one].id,
        reason="Mistake",
        now=utcnow(),
    )
    moved.append(-moved[reversed_one])
    session.flush()
    return account_of(member), moved


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_running_balance_is_the_python_running_sum(session, seed):
    account, moved = history(session, seed, 25)
    rows = ex.statement(session, account)
    assert [row.minutes for row in rows] == moved
    assert [row.balance_after for row in rows] == list(accumulate(moved))
    assert rows[-1].balance_after == account.balance_minutes
    assert rows[-1].description == "Correction: Mistake"


@pytest.mark.parametrize("newest_first", [False, True])
def test_pages_are_slices_of_the_whole_statement(session, newest_first):
    account, moved = history(session, 7, 23)
    whole = ex.statement(session, account)
    if newest_first:
        whole.reverse()
    seen = []
    for number in (1, 2, 3):
        page = ex.statement_page(
            session, account, page=number, per_page=10, newest_first=newest_first
        )
        assert page.total == len(moved) == 24 and page.pages == 3
        assert page.has_prev == (number > 1) and page.has_next == (number < 3)
        seen += page.rows
    assert seen == whole
    beyond = ex.statement_page(session, account, page=4, per_page=10, newest_first=newest_first)
    assert beyond.rows == [] and beyond.total == 24


def test_a_page_of_an_empty_account_has_one_page_and_no_rows(session):
    member = UserFactory()
    page = ex.statement_page(session, account_of(member), page=1, per_page=50, newest_first=True)
    assert page.rows == [] and page.total == 0 and page.pages == 1
    assert list(page.iter_pages()) == [1]


def test_page_numbers_leave_gaps_as_the_pagination_macro_expects(session):
    page = ex.StatementPage(rows=[], page=10, per_page=10, total=300, newest_first=False)
    numbers = list(page.iter_pages(left_edge=1, left_current=1, right_current=2, right_edge=1))
    assert numbers == [1, None, 9, 10, 11, 12, None, 30]
    assert (page.prev_num, page.next_num) == (9, 11)


def test_streaming_a_chunk_at_a_time_gives_the_whole_statement(session):
    account, moved = history(session, 11, 17)
    streamed = ex.iter_statement(session, account, chunk=4)
    assert iter(streamed) is streamed  # a generator, read as it is consumed
    assert list(streamed) == ex.statement(session, account)
