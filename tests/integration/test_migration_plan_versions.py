"""Migration 0013_reviews on a database with plans in it: every existing plan becomes its
version 1 (money, supports and sign-off as they were, outcomes one row each), and going back
down restores the outcomes list."""

from __future__ import annotations

import json

from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, event, make_url, text

from app import create_app
from app.extensions import db
from tests.conftest import USING_POSTGRES

BEFORE = "0011_matching_indexes"


def test_existing_plans_become_version_one_and_come_back_on_downgrade(tmp_path):
    check_migration(f"sqlite:///{tmp_path / 'plans.db'}")


def test_on_postgresql_too(tmp_path):
    """The same on a throwaway PostgreSQL database, when the suite runs on PostgreSQL."""
    if not USING_POSTGRES:
        return
    import os

    base = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{base.database}_migration"
    admin = create_engine(base.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        check_migration(
            base.set(drivername="postgresql+psycopg", database=name).render_as_string(
                hide_password=False
            )
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def check_migration(url: str) -> None:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    # Raw SQL on a separate engine, so the rows need only the columns of that revision.
    engine = create_engine(url)
    with app.app_context():
        if engine.dialect.name == "postgresql":
            # The plans' people and organisations are not there: foreign keys are not the point.
            event.listen(
                db.engine,
                "connect",
                lambda dbapi, _record: dbapi.execute("SET session_replication_role = replica"),
            )
        upgrade(revision=BEFORE)
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":  # no people or organisations: skip the FKs
                connection.execute(text("SET session_replication_role = replica"))
            for plan_id, outcomes, signed in (
                (1, ["Get to the allotment", "Cook for myself"], "2026-05-01 10:00:00"),
                (2, [], None),
            ):
                connection.execute(
                    text(
                        "INSERT INTO support_plan (id, member_id, organisation_id, budget_pence, "
                        "management, split_pence, outcomes, started_without_money, status, "
                        "signed_off_at, signed_off_by_id, created_by_id, created_at) VALUES "
                        "(:id, 1, 1, 125000, 'notional', '{}', :outcomes, false, :status, :signed, "
                        ":by, 9, '2026-04-01 09:00:00')"
                    ),
                    {
                        "id": plan_id,
                        "outcomes": json.dumps(outcomes),
                        "status": "signed_off" if signed else "draft",
                        "signed": signed,
                        "by": 9 if signed else None,
                    },
                )
            connection.execute(
                text(
                    "INSERT INTO plan_support (plan_id, kind, description, provider, type, "
                    "hours_per_month) VALUES (1, 'give_and_get', 'Lifts', '', 'timebank', 8)"
                )
            )
        upgrade()
        with engine.connect() as connection:
            versions = connection.execute(
                text(
                    "SELECT plan_id, number, budget_pence, created_by_id, signed_off_at "
                    "FROM plan_version ORDER BY plan_id"
                )
            ).all()
            assert [(v[0], v[1], v[2], v[3]) for v in versions] == [
                (1, 1, 125000, 9),
                (2, 1, 125000, 9),
            ]
            assert versions[0][4] is not None and versions[1][4] is None
            outcomes = connection.execute(
                text("SELECT plan_id, version, position, text FROM plan_outcome ORDER BY id")
            ).all()
            assert [tuple(o) for o in outcomes] == [
                (1, 1, 0, "Get to the allotment"),
                (1, 1, 1, "Cook for myself"),
            ]
            assert connection.execute(text("SELECT version FROM support_plan")).scalars().all() == [
                1,
                1,
            ]
            assert connection.execute(text("SELECT version FROM plan_support")).scalar() == 1
        downgrade(revision=BEFORE)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, outcomes FROM support_plan ORDER BY id")
            ).all()
            assert [(r[0], r[1] if isinstance(r[1], list) else json.loads(r[1])) for r in rows] == [
                (1, ["Get to the allotment", "Cook for myself"]),
                (2, []),
            ]
        db.engine.dispose()
    engine.dispose()
