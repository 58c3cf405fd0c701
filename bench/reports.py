"""The reports benchmark: seconds for a year's contribution report over 1,000,000 exchanges of one
organisation on PostgreSQL, with and without the breakdowns.

    .venv/bin/python bench/reports.py [--exchanges 1000000 --members 5000 --runs 5 --keep]

1. creates a fresh database (giveandget_reports_bench) and runs the migrations;
2. loads one organisation, its members (postcodes in 40 districts) and their hours accounts, and
   the exchanges over three years (85% confirmed, 10% reversed, 5% pending; 20 categories) with
   COPY, then VACUUM ANALYZE. Only the rows the report reads are made: no ledger legs (the report never
   reads them), no matches or plans beyond a few hundred;
3. times compute_contribution for the last full year, with and without breakdowns, best and
   median of --runs after one warm-up, and prints them with the goal (under 1 s);
4. drops the database (--keep keeps it).

A benchmark, not a test: run by hand, never in CI.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE = "giveandget_reports_bench"
SERVER = "postgresql://postgres@127.0.0.1:5432"
CATEGORIES = [
    "cooking", "shopping", "gardening", "diy", "cleaning", "transport", "companionship",
    "befriending", "peer_support", "support_planning", "paperwork", "technology", "learning",
    "arts_crafts", "childcare", "pet_care", "wellbeing", "admin", "events", "other",
]  # fmt: skip
GOAL_SECONDS = 1.0


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _copy(cursor, table: str, columns: list[str], rows) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    buffer.seek(0)
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)


def load(connection, exchanges: int, members: int, seed: int) -> tuple[int, date]:
    rng = random.Random(seed)
    today = date.today()
    now = datetime.utcnow()
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO organisation (name, min_balance_minutes, max_balance_minutes,"
            " hourly_rate_pence, created_at) VALUES ('Bench', -600000, 600000, 1500, %s)"
            " RETURNING id",
            (now,),
        )
        organisation_id = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO account (organisation_id, kind, balance_minutes, created_at)"
            " VALUES (%s, 'organisation', 0, %s), (%s, 'chest', 0, %s) RETURNING id",
            (organisation_id, now, organisation_id, now),
        )
        organisation_account = cur.fetchone()[0]
        cur.execute("SELECT coalesce(max(id), 0) FROM user_account")
        first_user = cur.fetchone()[0] + 1
        districts = [f"LS{n}" for n in range(1, 30)] + [f"BD{n}" for n in range(1, 12)]
        _copy(
            cur,
            "user_account",
            ["id", "organisation_id", "name", "role", "postcode", "active", "created_at"],
            (
                (
                    first_user + i,
                    organisation_id,
                    f"Member {i}",
                    "coordinator" if i == 0 else "member",
                    None if i % 50 == 0 else f"{rng.choice(districts)} {rng.randint(1, 9)}AB",
                    "true",
                    now - timedelta(days=rng.randint(0, 1500)),
                )
                for i in range(members)
            ),
        )
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('user_account', 'id'), %s)",
            (first_user + members,),
        )
        cur.execute(
            "INSERT INTO account (organisation_id, kind, user_id, balance_minutes, created_at)"
            " SELECT organisation_id, 'member', id, 0, created_at FROM user_account"
            " WHERE organisation_id = %s RETURNING id",
            (organisation_id,),
        )
        accounts = [row[0] for row in cur.fetchall()]
        statuses = ["confirmed"] * 17 + ["reversed"] * 2 + ["pending"]
        start = today - timedelta(days=3 * 365)

        def rows():
            for _ in range(exchanges):
                provider, receiver = rng.sample(accounts, 2)
                if rng.random() < 0.05:  # peer support is paid by the organisation's account
                    receiver = organisation_account
                yield (
                    organisation_id,
                    provider,
                    receiver,
                    rng.randint(15, 240),
                    rng.choice(CATEGORIES),
                    start + timedelta(days=rng.randint(0, 3 * 365)),
                    "",
                    rng.choice(statuses),
                    first_user,
                    now,
                )

        _copy(
            cur,
            "exchange",
            [
                "organisation_id", "provider_account_id", "receiver_account_id", "minutes",
                "category", "occurred_on", "description", "status", "recorded_by_id", "created_at",
            ],
            rows(),
        )  # fmt: skip
    connection.commit()
    # Index-only scans need the visibility map that VACUUM writes (autovacuum would, later).
    connection.autocommit = True
    connection.execute("VACUUM ANALYZE")
    connection.autocommit = False
    return organisation_id, today


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    url = f"{SERVER}/{DATABASE}"
    _psql(f"DROP DATABASE IF EXISTS {DATABASE}")
    _psql(f"CREATE DATABASE {DATABASE}")
    os.environ["DATABASE_URL"] = url
    try:
        import psycopg
        from flask_migrate import upgrade

        from app import create_app
        from app.auth.models import Organisation
        from app.extensions import db
        from app.reports.contribution import Period, compute_contribution

        app = create_app("development", {"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            began = time.perf_counter()
            with psycopg.connect(url) as connection:
                organisation_id, today = load(connection, args.exchanges, args.members, args.seed)
            loaded = time.perf_counter() - began
            year_end = date(today.year - 1, 12, 31)
            period = Period(date(year_end.year, 1, 1), year_end)
            organisation = db.session.get(Organisation, organisation_id)
            results = {}
            for breakdowns in (False, True):
                compute_contribution(db.session, organisation, period, breakdowns=breakdowns)
                times = []
                for _ in range(args.runs):
                    began = time.perf_counter()
                    report = compute_contribution(
                        db.session, organisation, period, breakdowns=breakdowns
                    )
                    times.append(time.perf_counter() - began)
                    db.session.rollback()
                results[breakdowns] = (min(times), statistics.median(times), report)
            db.session.remove()
            db.engine.dispose()
        server = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        print(
            f"machine: {platform.node()}, {os.cpu_count()} cores, {platform.processor() or platform.machine()}, PostgreSQL {server}"
        )
        print(
            f"loaded {args.exchanges:,} exchanges for {args.members:,} members with COPY in {loaded:.1f} s"
        )
        exact = results[True][2]
        print(
            f"year {period.start} to {period.end}: {exact.exchanges:,} confirmed exchanges,"
            f" {exact.hours_exchanged_minutes / 60:,.0f} hours, {exact.active_members:,} active members"
        )
        for breakdowns in (False, True):
            best, median, _ = results[breakdowns]
            label = "with breakdowns   " if breakdowns else "without breakdowns"
            verdict = "meets" if median < GOAL_SECONDS else "misses"
            print(
                f"{label}: best {best:.3f} s, median {median:.3f} s of {args.runs} ({verdict} the goal of {GOAL_SECONDS:.0f} s)"
            )
    finally:
        if not args.keep:
            _psql(f"DROP DATABASE IF EXISTS {DATABASE}")


if __name__ == "__main__":
    main()
