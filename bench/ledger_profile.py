"""Where a confirmed exchange's time goes, in one process, without HTTP or gunicorn.

    .venv/bin/python bench/ledger_profile.py [--exchanges 300 --members 200]

A companion to bench/ledger.py: it seeds its own database the same way, then drives
record-then-confirm through Flask's test client (single-threaded) and prints

- the SQL statements each request sends (counted with SQLAlchemy event listeners), plus pool
  checkouts (each one is also a ``SELECT 1`` ping while ``pool_pre_ping`` is on);
- CPU per request in Python versus time waiting for PostgreSQL;
- the same for cheap endpoints (/healthz, GET /api/v1/categories) as a floor for the stack;
- a cProfile of the exchanges, grouped by library and by function.

The database is dropped at the end (--keep keeps it).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import re
import sys
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ledger as bench  # noqa: E402 - the sibling benchmark's helpers

ROOT = bench.ROOT


def shorten(statement: str) -> str:
    text = " ".join(statement.split())
    text = re.sub(r"SELECT .*? FROM", "SELECT … FROM", text, count=1)
    text = re.sub(r"\(.*?\) VALUES", "(…) VALUES", text)
    text = re.sub(r"SET .*? WHERE", "SET … WHERE", text)
    return text[:150]


class Recorder:
    """Counts statements, time in the driver and pool checkouts for the current request."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.statements: list[str] = []
        self.checkouts = 0
        self.db_seconds = 0.0
        self._started = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine.pool, "checkout", self._checkout)
        event.listen(engine, "commit", lambda conn: self.statements.append("COMMIT"))
        event.listen(engine, "rollback", lambda conn: self.statements.append("ROLLBACK"))

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self._started = time.perf_counter()
        self.statements.append(shorten(statement) + (" [executemany]" if executemany else ""))

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        self.db_seconds += time.perf_counter() - self._started

    def _checkout(self, dbapi_connection, record, proxy):
        self.checkouts += 1

    def reset(self) -> None:
        self.statements, self.checkouts, self.db_seconds = [], 0, 0.0


def library(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/work/main/app/" in filename or filename.startswith(str(ROOT / "app")):
        return "app (" + filename.split("/app/", 1)[1].rsplit("/", 1)[0] + ")"
    if filename.startswith("~") or filename == "<built-in>":
        return "builtins (C)"
    return "python stdlib"


STAGES = [
    ("Flask wsgi_app (everything but the test client)", "flask/app.py", "wsgi_app"),
    (
        "  before_request: bearer token -> user (+ the key's record, one SELECT)",
        "app/auth/services.py",
        "api_token_row",
    ),
    ("  Idempotency-Key: fingerprint", "app/api/common.py", "_request_fingerprint"),
    ("  Idempotency-Key: the record's expiry check", "app/api/common.py", "_find_record"),
    ("  body parsing and validation (marshmallow load)", "marshmallow/schema.py", "load"),
    ("  record: the two parties (SELECT user, account...)", "app/api/timebank.py", "_party"),
    ("  record: record_exchange (INSERT exchange)", "app/timebank/exchanges.py", "record_exchange"),
    (
        "  confirm: confirm_exchange (locks, limits, posting)",
        "app/timebank/exchanges.py",
        "confirm_exchange",
    ),
    (
        "    of which ledger.post (lock, INSERT transaction+legs, UPDATE)",
        "app/timebank/ledger.py",
        "post",
    ),
    (
        "    of which check_limits (account_name, organisation)",
        "app/timebank/ledger.py",
        "check_limits",
    ),
    ("  response: marshmallow dump (incl. lazy loads)", "marshmallow/schema.py", "dump"),
    (
        "  response: Response.get_data for the idempotency record",
        "werkzeug/wrappers/response.py",
        "get_data",
    ),
    (
        "  commit (flush idempotency record / exchange, COMMIT)",
        "sqlalchemy/orm/session.py",
        "commit",
    ),
    ("  after_request and teardown (session.remove)", "flask/app.py", "do_teardown_request"),
    (
        "SQLAlchemy: all statements executed (Connection.execute)",
        "sqlalchemy/engine/base.py",
        "_execute_context",
    ),
    ("SQLAlchemy: all flushes (unit of work)", "sqlalchemy/orm/session.py", "_flush"),
    ("psycopg: waiting for PostgreSQL (Connection.wait)", "psycopg/connection.py", "wait"),
]


def stages(result: pstats.Stats) -> list[tuple[str, float]]:
    found = []
    for label, path, function in STAGES:
        cumulative = [
            ct
            for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in result.stats.items()
            if name == function and filename.endswith(path)
        ]
        found.append((label, max(cumulative, default=0.0)))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exchanges", type=int, default=300)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="giveandget_bench_profile")
    parser.add_argument("--no-idempotency-key", dest="idempotency", action="store_false")
    parser.add_argument(
        "--no-pre-ping",
        dest="pre_ping",
        action="store_false",
        help="experiment: SQLALCHEMY_ENGINE_OPTIONS without pool_pre_ping",
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="profile CPU time (time.thread_time) instead of wall time: waiting for PostgreSQL "
        "then costs nothing, so what is left is the Python each request runs",
    )
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    server_url = args.server.rstrip("/")
    database_url = f"{server_url}/{args.database}"
    bench.recreate_database(server_url, args.database)
    try:
        members, _ = bench.migrate_and_seed(database_url, args.members)
        return profile(args, database_url, members)
    finally:
        if not args.keep:
            bench.drop_database(server_url, args.database)


def profile(args, database_url: str, members: list[tuple[int, str]]) -> int:
    from app import create_app
    from app.extensions import db

    url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    overrides = {"SQLALCHEMY_DATABASE_URI": url}
    if not args.pre_ping:
        overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": False}
    app = create_app("development", overrides=overrides)
    client = app.test_client()
    rng = random.Random(1)
    occurred_on = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    with app.app_context():
        recorder = Recorder(db.engine)

    def one_exchange() -> None:
        (giver, giver_token), (taker, taker_token) = rng.sample(members, 2)
        headers = {"Authorization": f"Bearer {giver_token}"}
        if args.idempotency:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        body = {
            "provider_id": giver,
            "receiver_id": taker,
            "minutes": rng.randint(15, 180),
            "category": "cooking",
            "occurred_on": occurred_on,
            "description": "Bench exchange",
        }
        recorded = measured(
            "record", lambda: client.post("/api/v1/exchanges", json=body, headers=headers), 201
        )
        exchange_id = recorded.get_json()["id"]
        headers = {"Authorization": f"Bearer {taker_token}"}
        if args.idempotency:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        measured(
            "confirm",
            lambda: client.post(f"/api/v1/exchanges/{exchange_id}/confirm", headers=headers),
            200,
        )

    stats: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    statement_lists: dict[str, list[str]] = {}

    def measured(name: str, call, expected: int):
        recorder.reset()
        cpu, wall = time.process_time(), time.perf_counter()
        response = call()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if response.status_code != expected:
            raise RuntimeError(f"{name}: {response.status_code} {response.get_data(as_text=True)}")
        stats[name]["cpu_ms"].append(cpu * 1000)
        stats[name]["wall_ms"].append(wall * 1000)
        stats[name]["db_ms"].append(recorder.db_seconds * 1000)
        stats[name]["statements"].append(len(recorder.statements))
        stats[name]["checkouts"].append(recorder.checkouts)
        statement_lists[name] = list(recorder.statements)
        return response

    token = members[0][1]
    for _ in range(50):  # warm caches (SQLAlchemy's compiled cache, marshmallow, smorest)
        one_exchange()
        measured("GET /healthz", lambda: client.get("/healthz"), 200)
        measured(
            "GET /api/v1/categories",
            lambda: client.get("/api/v1/categories", headers={"Authorization": f"Bearer {token}"}),
            200,
        )
    stats.clear()
    for _ in range(args.exchanges):
        one_exchange()
        measured("GET /healthz", lambda: client.get("/healthz"), 200)
        measured(
            "GET /api/v1/categories",
            lambda: client.get("/api/v1/categories", headers={"Authorization": f"Bearer {token}"}),
            200,
        )

    print(
        f"\nPer request, single-threaded, in-process (no HTTP, no gunicorn), {args.exchanges} exchanges, "
        f"Idempotency-Key {'on' if args.idempotency else 'off'}, "
        f"pool_pre_ping {'on' if args.pre_ping else 'off'}:"
    )
    print(
        f"  {'request':<26}{'SQL stmts':>10}{'checkouts':>10}{'wall ms':>10}{'CPU ms':>9}{'in driver ms':>14}"
    )
    for name, values in stats.items():
        mean = {key: sum(series) / len(series) for key, series in values.items()}
        print(
            f"  {name:<26}{mean['statements']:>10.1f}{mean['checkouts']:>10.1f}"
            f"{mean['wall_ms']:>10.2f}{mean['cpu_ms']:>9.2f}{mean['db_ms']:>14.2f}"
        )
    for name in ("record", "confirm"):
        print(f"\n  Statements for one {name} (plus one SELECT 1 ping per pool checkout):")
        for number, statement in enumerate(statement_lists[name], 1):
            print(f"    {number:>2}. {statement}")

    profiler = cProfile.Profile(time.thread_time) if args.cpu else cProfile.Profile()
    count = min(200, args.exchanges)
    profiler.enable()
    for _ in range(count):
        one_exchange()
    profiler.disable()
    result = pstats.Stats(profiler)
    by_library: Counter = Counter()
    total = 0.0
    for (filename, _line, _function), (_cc, _nc, tottime, _ct, _callers) in result.stats.items():
        by_library[library(filename)] += tottime
        total += tottime
    print(
        f"\n  cProfile of {count} exchanges (record + confirm): own time by library "
        + (
            "(CPU time; profiler overhead inflates Python-heavy code)"
            if args.cpu
            else "(wall time: psycopg includes waiting for PostgreSQL; profiler overhead "
            "inflates Python-heavy code)"
        )
    )
    for name, seconds in by_library.most_common(14):
        print(f"    {name:<40}{seconds / count * 1000:8.2f} ms/exchange  {seconds / total:6.1%}")
    clock = "CPU" if args.cpu else "wall"
    print(f"\n  Stages (cumulative {clock} time per exchange, both requests; {count} exchanges):")
    for label, seconds in stages(result):
        print(f"    {label:<66}{seconds / count * 1000:8.2f} ms")
    print("\n  Top functions by cumulative time:")
    result.sort_stats("cumulative").print_stats(40)
    print("\n  Top functions by own time:")
    result.sort_stats("tottime").print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
