"""The import benchmark: seconds to move in a generated TimeOverflow export (500 members and
20,000 transfers by default) on PostgreSQL: the dry run (read, check, reconcile) and the real run
(one transaction, committed), then a second run that must import nothing.

    .venv/bin/python bench/imports.py [--members 500 --transfers 20000 --keep]

Creates a fresh database (giveandget_imports_bench), runs the migrations, imports, prints the
times and whether every member's balance equals the source's, then drops the database.
A benchmark, not a test: run by hand, never in CI.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE = "giveandget_imports_bench"
SERVER = "postgresql://postgres@127.0.0.1:5432"


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--transfers", type=int, default=20_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    _psql(f"DROP DATABASE IF EXISTS {DATABASE}")
    _psql(f"CREATE DATABASE {DATABASE}")
    os.environ["DATABASE_URL"] = f"{SERVER}/{DATABASE}"
    from flask_migrate import upgrade

    from app import create_app
    from app.auth import services as auth
    from app.clock import london_date, utcnow
    from app.extensions import db
    from app.timebank import imports
    from tests.timeoverflow_export import timeoverflow_export

    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": f"{SERVER}/{DATABASE}"})
    try:
        with app.app_context():
            upgrade()
            organisation = auth.create_organisation(db.session, actor=None, name="Moving Timebank")
            coordinator = auth.create_member(
                db.session,
                actor=None,
                now=utcnow(),
                base_url="http://x",
                new=auth.NewMember(
                    name="Coordinator",
                    role="coordinator",
                    organisation_id=organisation.id,
                    password="a long bench password",
                ),
            )
            db.session.commit()
            members, transfers, source = timeoverflow_export(args.members, args.transfers)

            def read():
                return imports.read_timeoverflow(
                    members=members,
                    transfers=transfers,
                    members_file="members.csv",
                    transfers_file="transfers.csv",
                    today=london_date(utcnow()),
                )

            started = time.perf_counter()
            dry = imports.reconcile(
                db.session, actor=coordinator, organisation_id=organisation.id, book=read()
            )
            db.session.rollback()
            dry_seconds = time.perf_counter() - started

            def run_once():
                started = time.perf_counter()
                result = imports.apply_import(
                    db.session,
                    actor=coordinator,
                    organisation_id=organisation.id,
                    book=read(),
                    now=utcnow(),
                )
                db.session.commit()
                return result, time.perf_counter() - started

            done, real_seconds = run_once()
            again, again_seconds = run_once()
    finally:
        with app.app_context():
            db.engine.dispose()
        if not args.keep:
            _psql(f"DROP DATABASE IF EXISTS {DATABASE}")

    print(f"Import benchmark on {platform.node()} ({os.cpu_count()} cores), PostgreSQL")
    print(f"  source: {args.members} members, {args.transfers} transfers")
    print(f"  dry run (read, check, reconcile):   {dry_seconds:6.2f} s")
    print(f"  import (one transaction, committed): {real_seconds:6.2f} s")
    print(f"  second run (imports nothing):        {again_seconds:6.2f} s")
    print(f"  balances equal the source's: {done.balances_equal and dry.balances_equal}")
    print(
        f"  second run imported: {again.members_to_import} members, "
        f"{again.transfers_to_import} transfers"
    )
    assert len(source) == args.members


if __name__ == "__main__":
    main()
