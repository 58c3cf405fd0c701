from sqlalchemy import func, select

from app.auth.models import User
from app.demo import EXCHANGES, LISTINGS, MEMBERS, load_demo
from app.timebank.models import Account, Exchange, Listing


def counts(session):
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (User, Exchange, Listing)
    )


def test_demo_loads_people_listings_and_exchanges_and_is_idempotent(session):
    load_demo()
    session.commit()
    first = counts(session)
    assert first == (len(MEMBERS) + 2, len(EXCHANGES), len(LISTINGS))
    load_demo()
    session.commit()
    assert counts(session) == first
    assert session.scalar(select(func.sum(Account.balance_minutes))) == 0
    statuses = session.scalars(select(Exchange.status)).all()
    assert "pending" in statuses and "confirmed" in statuses
