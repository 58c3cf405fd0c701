"""The fault tests' world, run in a process of its own against the throwaway cluster.

    python -m tests.faults.world seed URL DAYS_AGO   # migrate, seed a busy organisation; prints
                                                     # JSON: [[exchange id, receiver's token], ...]
    python -m tests.faults.world confirm-some URL N  # confirm every Nth pending exchange
    python -m tests.faults.world check URL           # the ledger invariants; prints JSON counts

A process of its own, so the test process's app (bound to the suite's database) is untouched.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta

from flask_migrate import upgrade
from sqlalchemy import func, select

from app import create_app
from app.auth import services as auth
from app.clock import london_date, utcnow
from app.extensions import db


def seed(url: str, days_ago: int) -> None:
    from app.timebank.models import Exchange
    from tests.ledger_checks import seed_busy_organisation

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        now = utcnow() - timedelta(days=days_ago)
        organisation = auth.create_organisation(
            db.session,
            actor=None,
            name="Faults",
            min_balance_minutes=-200 * 60,  # the widest limits an organisation may have
            max_balance_minutes=1_000 * 60,
        )
        organisation.auto_confirm_days = None  # only people (and the test) confirm
        seed_busy_organisation(
            db.session,
            organisation,
            coordinators=1,
            members=12,
            pending=160,
            seed=15,
            on=london_date(now),
            now=now,
        )
        db.session.flush()
        tokens: dict[int, str] = {}
        pairs = []
        for exchange in db.session.scalars(select(Exchange).order_by(Exchange.id)):
            receiver = exchange.receiver_account.user
            if receiver.id not in tokens:
                tokens[receiver.id] = auth.issue_api_token(db.session, receiver, utcnow())
            pairs.append([exchange.id, tokens[receiver.id]])
        db.session.commit()
        print(json.dumps(pairs))


def confirm_some(url: str, every: int) -> None:
    """Confirm every ``every``-th pending exchange, as its receiver would."""
    from app.timebank.exchanges import confirm_exchange
    from app.timebank.models import Exchange

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        pending = db.session.scalars(
            select(Exchange).where(Exchange.status == "pending").order_by(Exchange.id)
        ).all()
        for exchange in pending[::every]:
            confirm_exchange(
                db.session,
                actor=exchange.receiver_account.user,
                exchange_id=exchange.id,
                now=utcnow(),
            )
        db.session.commit()
        print(json.dumps(len(pending[::every])))


def check(url: str) -> None:
    from app.jobs.models import ReminderSent
    from app.mail import OutboxEmail
    from app.notifications.models import Notification
    from app.timebank.models import Account, Exchange
    from tests.ledger_checks import assert_ledger_invariants

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        session = db.session
        from app.timebank.models import Leg

        if session.scalar(select(func.count()).select_from(Leg)):  # nothing posted: no ledger
            assert_ledger_invariants(session)
        statuses = dict(
            session.execute(select(Exchange.status, func.count()).group_by(Exchange.status)).all()
        )
        notifications = session.execute(
            select(Notification.recipient_id, Notification.kind, Notification.link)
        ).all()
        emails = session.execute(select(OutboxEmail.to_address, OutboxEmail.subject)).all()
        reminders = session.execute(
            select(ReminderSent.kind, ReminderSent.object_id, ReminderSent.recipient_id)
        ).all()
        print(
            json.dumps(
                {
                    "statuses": statuses,
                    "notifications": len(notifications),
                    "distinct_notifications": len(set(notifications)),
                    "emails": len(emails),
                    "distinct_emails": len(set(emails)),
                    "reminders": len(reminders),
                    "distinct_reminders": len(set(reminders)),
                    "balances": dict(
                        session.execute(
                            select(Account.id, Account.balance_minutes).order_by(Account.id)
                        ).all()
                    ),
                    "confirmed_ids": sorted(
                        session.scalars(
                            select(Exchange.id).where(Exchange.status == "confirmed")
                        ).all()
                    ),
                }
            )
        )


if __name__ == "__main__":
    command, url, *rest = sys.argv[1:]
    if command == "seed":
        seed(url, int(rest[0]))
    elif command == "confirm-some":
        confirm_some(url, int(rest[0]))
    else:
        check(url)
