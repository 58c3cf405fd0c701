"""Pages with a long history (issue 18): a member with 5,000 exchanges over ten years, and how
fast their pages serve at 8 clients through gunicorn and PostgreSQL.

    .venv/bin/python bench/pages.py [--exchanges 5000 --clients 8 --seconds 20 --workers 4]

1. creates a fresh database (giveandget_pages_bench), runs the migrations and records the
   member's exchanges with the app's own service (a coordinator records each, so it is confirmed
   at once), dated across ten years, with a handful of other members;
2. serves wsgi:app with gunicorn (gthread), as bench/ledger.py does;
3. each client signs in as the member (its own session cookie) and requests, round robin, the
   home page, the statement (first page, newest first, a page deep in the history), the
   exchanges list and the whole CSV, for --seconds;
4. prints p50 / p95 per page (goal: p95 under 100 ms) and the CSV's size; drops the database
   (--keep keeps it).

A benchmark, not a test: run by hand, never in CI.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ledger import PASSWORD, Server, drop_database, machine, recreate_database  # noqa: E402

PAGES = {
    "home": "/",
    "statement, first page": "/hours",
    "statement, newest first": "/hours?order=newest",
    "statement, page 60": "/hours?page=60",
    "exchanges list": "/exchanges",
    "whole CSV": "/hours.csv",
}


def seed(database_url: str, count: int) -> str:
    """The member's email, after recording ``count`` exchanges across ten years."""
    from flask_migrate import upgrade

    from app import create_app
    from app.auth import services as auth
    from app.clock import london_date, utcnow
    from app.extensions import db
    from app.timebank import exchanges
    from app.timebank.services import member_account

    url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    app = create_app("development", overrides={"SQLALCHEMY_DATABASE_URI": url})
    rng = random.Random(18)
    with app.app_context():
        upgrade()
        auth.use_fast_password_hashing()
        now = utcnow()
        organisation = auth.create_organisation(
            db.session,
            actor=None,
            name="Pages Timebank",
            min_balance_minutes=-auth.MIN_BALANCE_BOUND_MINUTES,
            max_balance_minutes=auth.LIMIT_MINUTES_BOUND,
        )

        def person(name: str, email: str, role: str = "member"):
            return auth.create_member(
                db.session,
                actor=None,
                new=auth.NewMember(
                    name=name,
                    email=email,
                    password=PASSWORD,
                    role=role,
                    organisation_id=organisation.id,
                ),
                now=now,
                base_url="",
            )

        coordinator = person("Pages Coordinator", "coordinator@pages.example.org", "coordinator")
        member = person("Long History", "member@pages.example.org")
        others = [person(f"Neighbour {n}", f"neighbour{n}@pages.example.org") for n in range(20)]
        db.session.commit()
        started = time.perf_counter()
        span = timedelta(days=3650)
        for number in range(count):
            when = now - span + span * (number / count)
            other = rng.choice(others)
            gives = rng.random() < 0.5
            provider, receiver = (member, other) if gives else (other, member)
            exchanges.record_exchange(
                db.session,
                actor=coordinator,
                new=exchanges.NewExchange(
                    provider=member_account(db.session, provider),
                    receiver=member_account(db.session, receiver),
                    minutes=rng.choice([15, 30, 45, 60, 90, 120]),
                    category="cooking",
                    occurred_on=london_date(when),
                    description=f"Exchange {number + 1}",
                ),
                now=when,
            )
            if number % 250 == 249:
                db.session.commit()
        db.session.commit()
        print(f"Recorded {count:,} exchanges in {time.perf_counter() - started:.1f} s")
        db.session.remove()
        db.engine.dispose()
    return "member@pages.example.org"


def plain_cookies(session) -> None:
    """The app marks its cookies Secure (production settings), and this benchmark talks plain
    HTTP to 127.0.0.1: send them back all the same."""
    for cookie in session.cookies:
        cookie.secure = False


def signed_in(base: str, email: str):
    import requests

    session = requests.Session()
    form = session.get(f"{base}/sign-in", timeout=30).text
    plain_cookies(session)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    token = token or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', form)
    response = session.post(
        f"{base}/sign-in",
        data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
        timeout=30,
        allow_redirects=False,
    )
    assert response.status_code == 302, response.status_code
    plain_cookies(session)
    return session


def client(base: str, email: str, seconds: float, results: dict, errors: list, index: int):
    session = signed_in(base, email)
    names = list(PAGES)
    deadline = time.monotonic() + seconds
    turn = index
    while time.monotonic() < deadline:
        name = names[turn % len(names)]
        turn += 1
        started = time.perf_counter()
        response = session.get(base + PAGES[name], timeout=60)
        body = response.content  # read the whole body: a streamed CSV ends when its last byte does
        elapsed = (time.perf_counter() - started) * 1000
        plain_cookies(session)
        if response.status_code != 200:
            errors.append((name, response.status_code))
            continue
        results.setdefault(name, []).append(elapsed)
        if name == "whole CSV":
            results.setdefault("csv bytes", [len(body)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--exchanges", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="giveandget_pages_bench")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="serve a database kept (--keep) by an earlier run"
    )
    args = parser.parse_args()
    server_url = args.server.rstrip("/")
    database_url = f"{server_url}/{args.database}"
    if not args.reuse:
        recreate_database(server_url, args.database)
    server = None
    try:
        email = "member@pages.example.org"
        if not args.reuse:
            email = seed(database_url, args.exchanges)
        server = Server(database_url, args.workers, args.threads, Path(tempfile.mkdtemp()))
        server.wait_healthy()
        base = f"http://127.0.0.1:{server.port}"
        warm = signed_in(base, email)
        for path in PAGES.values():  # every worker imports its templates once
            for _ in range(args.workers):
                warm.get(base + path, timeout=60)
        results: dict[str, list[float]] = {}
        errors: list = []
        threads = [
            threading.Thread(
                target=client, args=(base, email, args.seconds, results, errors, index)
            )
            for index in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(
            f"{args.clients} clients, {args.workers} workers x {args.threads} threads, "
            f"{args.seconds:.0f} s, a member with {args.exchanges:,} exchanges over ten years"
        )
        for name in PAGES:
            times = sorted(results.get(name, []))
            if not times:
                print(f"  {name}: no answers")
                continue
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            print(
                f"  {name:<26} p50 {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms  "
                f"({len(times)} requests; goal p95 < 100 ms)"
            )
        if "csv bytes" in results:
            print(f"  whole CSV: {results['csv bytes'][0]:,} bytes")
        if errors:
            print(f"  errors: {len(errors)} (first {errors[:3]})")
        print("Machine:", ", ".join(f"{k} {v}" for k, v in machine().items()))
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            drop_database(server_url, args.database)


if __name__ == "__main__":
    main()
