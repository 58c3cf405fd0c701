"""The matching benchmark: a synthetic network on PostgreSQL with real postcodes, and the figures
issue 13 asks for (goals: candidate query p99 under 50 ms; a batch of 1,000 under 5 s).

    .venv/bin/python bench/matching.py [--peers 100000 --referrals 10000 --organisations 10]

1. creates a fresh database (giveandget_matching_bench, or --database), runs the migrations and loads OS
   Code-Point Open for the areas it uses (units, sectors, districts);
2. bulk-loads (COPY) the network: organisations, each in two postcode areas, with a coordinator,
   peers (one or two conditions under consent, support types, modes, languages, capacity 1–3,
   travel 3–20 km, some paused, some without DBS) and waiting referrals, all at real unit
   postcodes drawn from Code-Point;
3. times ``candidates_for`` (the indexed candidate query and ranking, top 10) for a sample of
   referrals and prints p50/p99 in ms (wall clock, and the CPU time of this process), then runs every statement of ``--explain``
   lists again under EXPLAIN ANALYZE and prints the database's execution time per list;
4. times ``plan_batch`` for one organisation's whole queue (referrals / organisations, 1,000 by
   default) and prints the seconds (wall clock and CPU), the batch's weighted total against
   greedy's, and peak memory; and the load average before and after, since on a shared machine
   the wall clock measures the neighbours as much as the code;
5. drops the database (--keep keeps it).

A benchmark, not a test: run by hand, never in CI.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DB = "giveandget_matching_bench"
AREAS = [
    "LS",
    "M",
    "B",
    "BS",
    "NE",
    "S",
    "L",
    "NG",
    "LE",
    "CF",
    "EH",
    "G",
    "SO",
    "PL",
    "NR",
    "CB",
    "OX",
    "YO",
    "HU",
    "BD",
]
SUPPORT = ["talk", "support_planning", "accompany", "practical"]
MODES = ["in_person", "phone", "video"]
LANGUAGES = ["english", "punjabi", "urdu", "polish", "bengali", "somali", "welsh", "arabic"]


def sh(*args: str) -> None:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def copy(cursor, table: str, columns: list[str], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as stream:
        for row in rows:
            stream.write_row(row)


def postcodes_by_area(areas: list[str]) -> dict[str, list[str]]:
    from app.matching.geo import code_point_files

    found = {}
    for area, path in zip(areas, code_point_files(areas), strict=True):
        with gzip.open(path, "rt", newline="") as handle:
            found[area] = [line[0] for line in csv.reader(handle) if int(line[2]) or int(line[3])]
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--peers", type=int, default=100_000)
    parser.add_argument("--referrals", type=int, default=10_000)
    parser.add_argument("--organisations", type=int, default=10)
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument(
        "--explain", type=int, default=50, help="lists whose statements are EXPLAIN ANALYZEd"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--database", default=DB, help="a throwaway database: dropped first")
    args = parser.parse_args()
    db_name = args.database
    url = f"postgresql://postgres@{args.host}/{db_name}"
    subprocess.run(
        ["dropdb", "-h", args.host, "-U", "postgres", "--if-exists", "--force", db_name], check=True
    )
    sh("createdb", "-h", args.host, "-U", "postgres", db_name)
    os.environ["DATABASE_URL"] = url
    try:
        run(args, url)
    finally:
        if not args.keep:
            subprocess.run(
                ["dropdb", "-h", args.host, "-U", "postgres", "--if-exists", "--force", db_name]
            )


def run(args, url: str) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from app.auth.models import User
    from app.clock import utcnow
    from app.extensions import db
    from app.matching import candidates, workflow
    from app.matching.geo import import_code_point

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    rng = random.Random(2026)
    now = utcnow()
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        areas = AREAS[: max(2, min(len(AREAS), args.organisations * 2))]
        import_code_point(db.session, areas=areas)
        db.session.commit()
        print(f"Code-Point for {len(areas)} areas loaded in {time.perf_counter() - started:.1f} s")
        by_area = postcodes_by_area(areas)
        conditions = db.session.execute(text('SELECT code, "group" FROM condition')).all()
        codes = [c for c, _ in conditions]

        started = time.perf_counter()
        raw = db.session.connection().connection.driver_connection
        with raw.cursor() as cursor:
            copy(
                cursor,
                "organisation",
                [
                    "id",
                    "name",
                    "min_balance_minutes",
                    "max_balance_minutes",
                    "hourly_rate_pence",
                    "created_at",
                ],
                (
                    (o, f"Bench organisation {o}", -600, 6000, 1500, now)
                    for o in range(1, args.organisations + 1)
                ),
            )
            users, peers, links_t, links_m, links_l, consents, member_conditions, referrals = (
                [] for _ in range(8)
            )
            user_id = 0
            coordinators = {}
            for o in range(1, args.organisations + 1):
                user_id += 1
                coordinators[o] = user_id
                users.append((user_id, o, f"Coordinator {o}", None, "coordinator", None, True, now))
            per_org_peers = args.peers // args.organisations
            per_org_referrals = args.referrals // args.organisations
            consent_id = condition_row = 0
            for o in range(1, args.organisations + 1):
                home_areas = [
                    areas[(2 * (o - 1)) % len(areas)],
                    areas[(2 * (o - 1) + 1) % len(areas)],
                ]
                for kind, count in (("peer", per_org_peers), ("referral", per_org_referrals)):
                    for _ in range(count):
                        user_id += 1
                        postcode = rng.choice(by_area[rng.choice(home_areas)])
                        users.append(
                            (
                                user_id,
                                o,
                                f"{kind.title()} {user_id}",
                                None,
                                "member",
                                postcode,
                                True,
                                now,
                            )
                        )
                        consent_id += 1
                        consents.append((consent_id, user_id, "peer_support", coordinators[o], now))
                        for code in rng.sample(codes, rng.choice([1, 1, 2])):
                            condition_row += 1
                            member_conditions.append(
                                (condition_row, user_id, code, "own", consent_id, now)
                            )
                        if kind == "peer":
                            peer_id = len(peers) + 1
                            dbs = rng.random() < 0.7
                            peers.append(
                                (
                                    peer_id,
                                    user_id,
                                    o,
                                    rng.choice(["female", "male", None]),
                                    rng.randint(1, 3),
                                    rng.randint(3, 20),
                                    None,
                                    now if dbs else None,
                                    None,
                                    now,
                                    coordinators[o],
                                    rng.random() < 0.05,
                                    "coordinator",
                                    "",
                                    now,
                                )
                            )
                            for i, t in enumerate(rng.sample(SUPPORT, rng.randint(1, 3))):
                                links_t.append((peer_id, t, i))
                            for i, m in enumerate(rng.sample(MODES, rng.randint(1, 3))):
                                links_m.append((peer_id, m, i))
                            spoken = ["english"] + rng.sample(LANGUAGES[1:], rng.choice([0, 0, 1]))
                            for i, lang in enumerate(spoken):
                                links_l.append((peer_id, lang, i))
                        else:
                            waited = timedelta(days=rng.randint(0, 240))
                            referrals.append(
                                (
                                    len(referrals) + 1,
                                    user_id,
                                    o,
                                    "coordinator",
                                    "waiting",
                                    postcode,
                                    f'["{rng.choice(SUPPORT)}"]',
                                    f'["{rng.choice(MODES)}"]',
                                    '["Punjabi"]' if rng.random() < 0.05 else "[]",
                                    "female" if rng.random() < 0.1 else None,
                                    False,
                                    now - waited,
                                    coordinators[o],
                                    now - waited,
                                )
                            )
            copy(
                cursor,
                "user_account",
                [
                    "id",
                    "organisation_id",
                    "name",
                    "email",
                    "role",
                    "postcode",
                    "active",
                    "created_at",
                ],
                users,
            )
            copy(
                cursor,
                "health_data_consent",
                ["id", "member_id", "purpose", "recorded_by_id", "recorded_at"],
                consents,
            )
            copy(
                cursor,
                "member_condition",
                [
                    "id",
                    "member_id",
                    "condition_code",
                    "relationship_kind",
                    "consent_id",
                    "created_at",
                ],
                member_conditions,
            )
            copy(
                cursor,
                "peer_profile",
                [
                    "id",
                    "member_id",
                    "organisation_id",
                    "gender",
                    "capacity",
                    "travel_km",
                    "references_checked_on",
                    "dbs_checked_on",
                    "training_completed_on",
                    "approved_at",
                    "approved_by_id",
                    "paused",
                    "source",
                    "notes",
                    "created_at",
                ],
                peers,
            )
            copy(cursor, "peer_support_type", ["peer_id", "code", "position"], links_t)
            copy(cursor, "peer_mode", ["peer_id", "code", "position"], links_m)
            copy(cursor, "peer_language", ["peer_id", "language", "position"], links_l)
            copy(
                cursor,
                "referral",
                [
                    "id",
                    "member_id",
                    "organisation_id",
                    "source",
                    "status",
                    "postcode",
                    "support_types",
                    "modes",
                    "languages",
                    "peer_gender",
                    "is_carer",
                    "waiting_since",
                    "created_by_id",
                    "created_at",
                ],
                referrals,
            )
            for table in (
                "organisation",
                "user_account",
                "health_data_consent",
                "member_condition",
                "peer_profile",
                "referral",
            ):
                sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608 - constant names
                cursor.execute(sql)
        # COPY bypasses the flush hook that keeps each peer's grid point in step: refresh it as
        # a bulk centroid load does (absent before 0018, where the benchmark also runs).
        from app.matching import models as matching_models

        if hasattr(matching_models, "refresh_peer_grid"):
            matching_models.refresh_peer_grid(db.session.connection(), everyone=True)
        db.session.commit()
        # What autovacuum would have done by the time anyone asks: statistics, and the visibility
        # map that lets an index-only scan skip the table.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
        print(
            f"Network loaded in {time.perf_counter() - started:.1f} s: {len(peers):,} peers, "
            f"{len(referrals):,} waiting referrals, {args.organisations} organisations, "
            f"{len(member_conditions):,} member conditions"
        )

        sample = rng.sample(referrals, min(args.sample, len(referrals)))
        actors = {o: db.session.get(User, c) for o, c in coordinators.items()}
        for referral in sample[:20]:  # warm the caches and the pool
            candidates.candidates_for(db.session, actors[referral[2]], referral[0], 10, now=now)
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
            for referral in sample[:20]:
                candidates.candidates_for(db.session, actors[referral[2]], referral[0], 10, now=now)
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        print(f"Load average before timing: {load_average()}")
        timings, cpu, sizes = [], [], []
        for referral in sample:
            t0, c0 = time.perf_counter(), time.process_time()
            found = candidates.candidates_for(
                db.session, actors[referral[2]], referral[0], 10, now=now
            )
            timings.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            sizes.append(len(found))
            db.session.rollback()
        print(
            f"Candidate query (top 10, {len(sample)} referrals), wall clock: "
            f"p50 {statistics.median(timings):.1f} ms, p99 {percentile(timings, 99):.1f} ms "
            f"(goal p99 < 50 ms); median list length {statistics.median(sizes):.0f}"
        )
        print(
            f"  CPU of this process per list: p50 {statistics.median(cpu):.1f} ms, "
            f"p99 {percentile(cpu, 99):.1f} ms, mean {statistics.fmean(cpu):.1f} ms"
        )
        explained = explain_lists(db, candidates, actors, now, sample[: args.explain])
        if explained:
            print(
                f"  PostgreSQL execution time per list (EXPLAIN ANALYZE of every statement of "
                f"{len(explained)} lists): p50 {statistics.median(explained):.1f} ms, "
                f"p99 {percentile(explained, 99):.1f} ms"
            )

        organisation = 1
        t0, c0 = time.perf_counter(), time.process_time()
        planned = workflow.plan_batch(db.session, actors[organisation], now=now)
        seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
        print(
            f"Batch of {planned.considered:,} referrals over {per_org_peers:,} peers: {seconds:.2f} s "
            f"wall clock (goal < 5 s), {cpu_seconds:.2f} s CPU of this process; "
            f"{len(planned.result.assignments):,} assigned"
        )
        print(
            f"Batch weighted total {planned.result.total_score:.2f} vs greedy "
            f"{planned.greedy.total_score:.2f} (+{planned.result.total_score - planned.greedy.total_score:.2f})"
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"Peak memory (this process): {peak:.0f} MB")
        print(f"Load average after timing: {load_average()}")
        print(
            f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        )


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg()) + f" on {os.cpu_count()} CPUs"


def percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def explain_lists(db, candidates, actors, now, sample) -> list[float]:
    """The database's own time for each list: every statement a list sends, captured, then run
    again under EXPLAIN (ANALYZE) and its execution times added up. Unlike the wall clock, this
    leaves out the round trips and the waits for a CPU on a shared machine."""
    from sqlalchemy import event

    totals = []
    for referral in sample:
        captured = []

        def capture(conn, cursor, statement, parameters, context, executemany, captured=captured):
            if statement.lstrip().upper().startswith("SELECT"):
                captured.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            candidates.candidates_for(db.session, actors[referral[2]], referral[0], 10, now=now)
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        raw = db.session.connection().connection.driver_connection
        total = 0.0
        with raw.cursor() as cursor:
            for statement, parameters in captured:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
                total += cursor.fetchone()[0][0]["Execution Time"]
        totals.append(total)
        db.session.rollback()
    return totals


if __name__ == "__main__":
    main()
