"""The ledger benchmark: confirmed exchanges per second through the whole HTTP stack, measured
in the same run as PostgreSQL's own pgbench on the same machine (RECIPES.md, "Benchmarks").

    .venv/bin/python bench/ledger.py [--clients 8 --seconds 30 --members 200 --workers 4]

What it does, in order:

1. creates a fresh database (giveandget_bench), runs the migrations and seeds one organisation
   (balance limits -200 h / +1,000 h, the widest the app allows), N members, a coordinator
   and an API token for everyone;
2. serves wsgi:app with gunicorn (gthread) against it and waits for /healthz;
3. drives exchanges with concurrent clients (separate processes by default, each with one
   persistent keep-alive connection): member A records "A gave B" (POST /api/v1/exchanges,
   pending), then B confirms it (POST /api/v1/exchanges/{id}/confirm). Pairs are random, so
   accounts are contended. Only requests that finish inside the timed window (after the
   warm-up) count;
4. checks the ledger's invariants directly in SQL;
5. runs pgbench -i -s 10, then pgbench -c 8 -j 2 -T 30, on its own database;
6. prints the figures, the ratio exchanges/s / pgbench tps and the goal;
7. stops gunicorn and drops both databases, also on Ctrl+C or an error (--keep keeps them).

Where the CPU went during each timed window is printed too (from /proc), so a reader can tell
whether the app, PostgreSQL, the load generator or something else on the machine was busy; on a
shared machine, read "app CPU per request" next to the throughput. Clients send an
Idempotency-Key with every POST, as a careful client would (--no-idempotency-key to compare).
--ceiling also drives GET /healthz with the same clients: what Flask and gunicorn cost with no
ledger work at all. bench/ledger_profile.py shows the SQL and the CPU inside one exchange.
This is a benchmark, not a test: it is run by hand, never in CI.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing as mp
import os
import platform
import queue
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
GOAL_RATIO = 0.35  # against pgbench (issue 3); out of reach for any Flask request path here
GOAL_CEILING_SHARE = 0.5  # against the stack's own ceiling, GET /healthz req/s / 2 (issue 18)
CATEGORIES = ["cooking", "shopping", "gardening", "diy", "transport", "companionship", "other"]
PASSWORD = "bench-password-not-secret"


# --- small helpers ------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sleep_until(moment: float) -> None:
    while (left := moment - time.monotonic()) > 0:
        time.sleep(min(left, 0.5))


def machine() -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    commit = "unknown"
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        commit += " (+ uncommitted changes)" if dirty else ""
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "commit": commit,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# --- where the CPU goes (from /proc) ------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BACKEND = re.compile(r"\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]")  # a client's backend


def _proc_times() -> dict[int, tuple[str, int, float]]:
    """pid -> (label source, ppid, cpu seconds) for every process we can read."""
    out: dict[int, tuple[str, int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        rest = stat[stat.rindex(")") + 2 :].split()
        ppid = int(rest[1])
        seconds = (int(rest[11]) + int(rest[12])) / CLOCK_TICKS
        out[int(entry)] = (cmdline or comm, ppid, seconds)
    return out


def _total_cpu() -> tuple[float, float]:
    """(busy, all) CPU seconds over every core, from /proc/stat."""
    with open("/proc/stat") as handle:
        fields = [int(x) for x in handle.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


class CpuSnapshot:
    def __init__(self) -> None:
        self.at = time.monotonic()
        self.procs = _proc_times()
        self.busy, self.total = _total_cpu()


def cpu_split(
    before: CpuSnapshot,
    after: CpuSnapshot,
    *,
    groups: dict[str, set[int]],
    database: str,
    driver: str | None = None,
) -> dict[str, float]:
    """CPU seconds per group between two snapshots, as a share of one core (1.0 = one core)."""
    wall = after.at - before.at
    split: dict[str, float] = defaultdict(float)
    gunicorn_master = next(iter(groups.get("gunicorn", set())), None)
    for pid, (cmd, ppid, seconds) in after.procs.items():
        used = seconds - (before.procs[pid][2] if pid in before.procs else 0.0)
        if used <= 0:
            continue
        program = cmd.split()[0] if cmd.split() else cmd
        if pid == os.getpid():
            label = "bench parent"
        elif gunicorn_master is not None and (pid == gunicorn_master or ppid == gunicorn_master):
            label = "gunicorn (app)"
        elif pid in groups.get("clients", set()):
            label = "load generator"
        elif driver and Path(program).name == driver:
            label = f"{driver} (the client)"
        elif cmd.startswith("postgres: ") or Path(program).name in ("postgres", "postmaster"):
            if f" {database} " in cmd:
                label = f"postgres backends ({database})"
            elif BACKEND.search(cmd):
                label = "postgres backends (other databases)"
            else:
                label = "postgres background (wal writer, checkpointer...)"
        else:
            label = "everything else on the machine"
            program = " ".join(Path(word).name for word in cmd.split()[:2])[:40]
            split[f"~ {program}"] += used / wall
        split[label] += used / wall
    busy = (after.busy - before.busy) / wall
    attributed = sum(share for label, share in split.items() if not label.startswith("~ "))
    split["unattributed (processes that exited, kernel)"] = max(0.0, busy - attributed)
    split["= machine busy (all cores)"] = busy
    split["= cores available"] = (after.total - before.total) / wall
    return dict(split)


def print_cpu_split(title: str, split: dict[str, float]) -> None:
    print(f"  {title} (1.00 = one core busy for the whole window):")
    others = sorted((kv for kv in split.items() if kv[0].startswith("~ ")), key=lambda kv: -kv[1])
    groups = [kv for kv in split.items() if not kv[0].startswith("~ ")]
    for label, share in sorted(groups, key=lambda kv: (kv[0].startswith("="), -kv[1])):
        if share >= 0.005 or label.startswith("="):
            print(f"    {label:<52} {share:5.2f}")
        if label == "everything else on the machine" and share >= 0.05:
            mostly = ", ".join(f"{name[2:]} {value:.2f}" for name, value in others[:3])
            print(f"      (mostly {mostly})")


# --- databases ----------------------------------------------------------------------------------


def admin_connection(server_url: str):
    import psycopg

    return psycopg.connect(f"{server_url}/postgres", autocommit=True)


def recreate_database(server_url: str, name: str) -> None:
    from psycopg import sql

    with admin_connection(server_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(server_url: str, name: str) -> None:
    from psycopg import sql

    try:
        with admin_connection(server_url) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    except Exception as error:  # noqa: BLE001 - cleanup must carry on
        print(f"  could not drop {name}: {error}", file=sys.stderr)


def server_settings(server_url: str) -> dict[str, str]:
    with admin_connection(server_url) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        settings = {"version": version}
        for name in ("fsync", "synchronous_commit", "shared_buffers", "max_connections"):
            settings[name] = conn.execute(f"SHOW {name}").fetchone()[0]
    return settings


def migrate_and_seed(database_url: str, members: int) -> tuple[list[tuple[int, str]], int]:
    """Run the migrations and seed; returns [(member id, raw API token)] and the coordinator id.

    Runs in this process with the app's own services. Members get a password like real ones,
    hashed with argon2's cheapest cost (sign-in is not on the path this benchmark measures:
    API tokens are SHA-256 digests looked up by index).
    """
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from app import create_app
    from app.auth import services as auth
    from app.clock import utcnow
    from app.extensions import db

    url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    app = create_app("development", overrides={"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        auth.use_fast_password_hashing()
        now = utcnow()
        organisation = auth.create_organisation(
            db.session,
            actor=None,
            name="Bench Timebank",
            min_balance_minutes=-auth.MIN_BALANCE_BOUND_MINUTES,
            max_balance_minutes=auth.LIMIT_MINUTES_BOUND,
        )
        coordinator = auth.create_member(
            db.session,
            actor=None,
            new=auth.NewMember(
                name="Bench Coordinator",
                email="coordinator@bench.example.org",
                password=PASSWORD,
                role="coordinator",
                organisation_id=organisation.id,
            ),
            now=now,
            base_url=app.config["BASE_URL"],
        )
        auth.issue_api_token(db.session, coordinator, now, name="bench")
        people = [
            auth.create_member(
                db.session,
                actor=None,
                new=auth.NewMember(
                    name=f"Bench Member {number}",
                    email=f"member{number}@bench.example.org",
                    password=PASSWORD,
                    organisation_id=organisation.id,
                ),
                now=now,
                base_url=app.config["BASE_URL"],
            )
            for number in range(1, members + 1)
        ]
        tokens = [
            (person.id, auth.issue_api_token(db.session, person, now, "bench")) for person in people
        ]
        coordinator_id = coordinator.id
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return tokens, coordinator_id


INVARIANTS = {
    "sum of all balances is 0": "SELECT coalesce(sum(balance_minutes), 0) = 0 FROM account",
    "every balance equals the sum of its legs": """
        SELECT count(*) = 0 FROM account a
        LEFT JOIN (SELECT account_id, sum(amount_minutes) AS total FROM leg GROUP BY account_id) l
          ON l.account_id = a.id
        WHERE a.balance_minutes <> coalesce(l.total, 0)""",
    "every transaction's legs sum to 0": """
        SELECT count(*) = 0 FROM (
          SELECT t.id FROM ledger_transaction t LEFT JOIN leg ON leg.transaction_id = t.id
          GROUP BY t.id HAVING coalesce(sum(leg.amount_minutes), 0) <> 0 OR count(leg.id) < 2
        ) unbalanced""",
    "every confirmed exchange posted exactly once": """
        SELECT count(*) = 0 FROM exchange e
        WHERE (e.status = 'confirmed') <> EXISTS (
          SELECT 1 FROM ledger_transaction t WHERE t.exchange_id = e.id AND t.kind = 'exchange')""",
}


def check_invariants(database_url: str) -> tuple[bool, dict[str, bool], dict[str, int]]:
    import psycopg

    results: dict[str, bool] = {}
    with psycopg.connect(database_url) as conn:
        for name, query in INVARIANTS.items():
            results[name] = bool(conn.execute(query).fetchone()[0])
        counts = dict(
            conn.execute("SELECT status, count(*) FROM exchange GROUP BY status").fetchall()
        )
        counts["transactions"] = conn.execute("SELECT count(*) FROM ledger_transaction").fetchone()[
            0
        ]
        counts["legs"] = conn.execute("SELECT count(*) FROM leg").fetchone()[0]
        counts["min balance (min)"], counts["max balance (min)"] = conn.execute(
            "SELECT min(balance_minutes), max(balance_minutes) FROM account WHERE kind = 'member'"
        ).fetchone()
    return all(results.values()), results, counts


# --- gunicorn -----------------------------------------------------------------------------------


class Server:
    def __init__(self, database_url: str, workers: int, threads: int, log_dir: Path) -> None:
        self.port = free_port()
        self.log_path = log_dir / "gunicorn.log"
        env = {
            **os.environ,
            "APP_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),  # a known or short key is refused
            "ALLOW_NO_MAIL": "1",
            "DATABASE_URL": database_url,
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        env.pop("FLASK_DEBUG", None)
        command = [
            str(VENV_BIN / "gunicorn"),
            "-w",
            str(workers),
            "-k",
            "gthread",
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ]
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/healthz"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200 and json.load(response)["status"] == "ok":
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn was not healthy after {timeout:.0f}s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


# --- the load generator -------------------------------------------------------------------------


def _request(conn, method, path, body, headers, keepalive):
    """One request; (status, body). Status 0 is a connection error (the connection is reset)."""
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        if not keepalive:
            conn.close()
        return response.status, data
    except (OSError, http.client.HTTPException) as error:
        conn.close()
        return 0, repr(error).encode()


@dataclass(frozen=True)
class Plan:
    """What every client does: ``target`` "exchanges" (record then confirm) or "healthz"."""

    port: int
    members: list[tuple[int, str]]
    run_seconds: float
    keepalive: bool = True
    idempotency: bool = True
    target: str = "exchanges"


def client_loop(index: int, plan: Plan, start_at: float) -> dict:
    """Drive the plan's target until ``start_at + run_seconds`` (monotonic clock)."""
    rng = random.Random(index * 7919 + 17)
    conn = http.client.HTTPConnection("127.0.0.1", plan.port, timeout=60)
    occurred_on = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    stop_at = start_at + plan.run_seconds
    # (kind, start, end, status): kind "r" record, "c" confirm, "h" healthz
    records: list[tuple[str, float, float, int]] = []
    samples: dict[str, str] = {}
    sleep_until(start_at)
    while time.monotonic() < stop_at:
        if plan.target == "healthz":
            started = time.monotonic()
            status, data = _request(conn, "GET", "/healthz", None, {}, plan.keepalive)
            records.append(("h", started, time.monotonic(), status))
            continue
        (giver, giver_token), (taker, taker_token) = rng.sample(plan.members, 2)
        body = json.dumps(
            {
                "provider_id": giver,
                "receiver_id": taker,
                "minutes": rng.randint(15, 180),
                "category": rng.choice(CATEGORIES),
                "occurred_on": occurred_on,
                "description": "Bench exchange",
            }
        ).encode()
        headers = {"Authorization": f"Bearer {giver_token}", "Content-Type": "application/json"}
        if plan.idempotency:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        started = time.monotonic()
        status, data = _request(conn, "POST", "/api/v1/exchanges", body, headers, plan.keepalive)
        records.append(("r", started, time.monotonic(), status))
        if status != 201:
            samples.setdefault(f"record {status}", data[:300].decode(errors="replace"))
            continue
        exchange_id = json.loads(data)["id"]
        headers = {"Authorization": f"Bearer {taker_token}", "Content-Length": "0"}
        if plan.idempotency:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        path = f"/api/v1/exchanges/{exchange_id}/confirm"
        started = time.monotonic()
        status, data = _request(conn, "POST", path, None, headers, plan.keepalive)
        records.append(("c", started, time.monotonic(), status))
        if status != 200:
            samples.setdefault(f"confirm {status}", data[:300].decode(errors="replace"))
    conn.close()
    return {"records": records, "samples": samples}


def _client_process(index: int, plan: Plan, ready, go, start_value, results) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    ready.wait()
    go.wait()
    results.put(client_loop(index, plan, start_value.value))


def run_load(
    plan: Plan,
    *,
    clients: int,
    warmup: float,
    mode: str,
    gunicorn_pid: int,
    database: str,
    children: list,
) -> tuple[dict, dict[str, float]]:
    """Run ``clients`` clients; measure CPU over the window after ``warmup``."""
    client_pids: set[int] = set()
    if mode == "process":
        ctx = mp.get_context("spawn")
        ready = ctx.Barrier(clients + 1)
        go = ctx.Event()
        start_value = ctx.Value("d", 0.0)
        results = ctx.Queue()
        for index in range(clients):
            process = ctx.Process(
                target=_client_process,
                args=(index, plan, ready, go, start_value, results),
                daemon=True,
            )
            process.start()
            children.append(process)
            client_pids.add(process.pid)
        ready.wait(timeout=120)
        start_at = time.monotonic() + 0.2
        start_value.value = start_at
        go.set()
    else:
        start_at = time.monotonic() + 0.2
        results = queue.Queue()
        for index in range(clients):
            threading.Thread(
                target=lambda i=index: results.put(client_loop(i, plan, start_at)), daemon=True
            ).start()
        client_pids.add(os.getpid())
    window = (start_at + warmup, start_at + plan.run_seconds)
    sleep_until(window[0])
    before = CpuSnapshot()
    sleep_until(window[1])
    after = CpuSnapshot()
    outputs = [results.get(timeout=120) for _ in range(clients)]
    for process in children:
        process.join(timeout=30)
    children.clear()
    groups = {"gunicorn": {gunicorn_pid}, "clients": client_pids}
    split = cpu_split(before, after, groups=groups, database=database)
    if mode == "thread":
        split["load generator (bench parent, threads)"] = split.pop("bench parent", 0.0)
    return {"outputs": outputs, "window": window}, split


def summarise_load(load: dict, seconds: float) -> dict:
    start, end = load["window"]
    latencies: dict[str, list[float]] = {"r": [], "c": [], "h": []}
    statuses: Counter = Counter()
    confirmed = 0
    samples: dict[str, str] = {}
    for output in load["outputs"]:
        for key, value in output["samples"].items():
            samples.setdefault(key, value)
        for kind, began, ended, status in output["records"]:
            if not start <= ended <= end:
                continue
            name = {"r": "record", "c": "confirm", "h": "healthz"}[kind]
            statuses[(name, status)] += 1
            if (kind, status) in (("r", 201), ("c", 200), ("h", 200)):
                latencies[kind].append((ended - began) * 1000)
            if kind == "c" and status == 200:
                confirmed += 1
    return {
        "confirmed": confirmed,
        "per_second": confirmed / seconds,
        "record_ms": latencies["r"],
        "confirm_ms": latencies["c"],
        "healthz_ms": latencies["h"],
        "statuses": statuses,
        "samples": samples,
    }


# --- pgbench ------------------------------------------------------------------------------------


def find_pgbench() -> str:
    found = shutil.which("pgbench")
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), reverse=True):
        return str(candidate)
    raise RuntimeError("pgbench not found: install postgresql-contrib or put it on PATH")


def run_pgbench(
    server_url: str, name: str, *, scale: int, clients: int, jobs: int, seconds: int
) -> tuple[float, str, dict[str, float]]:
    pgbench = find_pgbench()
    host = re.sub(r"^\w+://", "", server_url)
    user, _, hostport = host.rpartition("@")
    hostname, _, port = hostport.partition(":")
    connect = ["-h", hostname, "-p", port or "5432", "-U", user or "postgres"]
    recreate_database(server_url, name)
    subprocess.run(
        [pgbench, *connect, "-i", "-q", "-s", str(scale), name], check=True, capture_output=True
    )
    command = [pgbench, *connect, "-c", str(clients), "-j", str(jobs), "-T", str(seconds), name]
    log("pgbench: " + " ".join(command[0:1] + command[1:]))
    started = time.monotonic()
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        margin = min(2.0, seconds / 10)
        sleep_until(started + margin)
        before = CpuSnapshot()
        sleep_until(started + seconds - margin)
        after = CpuSnapshot()
        output, _ = proc.communicate(timeout=seconds + 120)
    if proc.returncode != 0:
        raise RuntimeError(f"pgbench failed:\n{output}")
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
    if not match:
        raise RuntimeError(f"could not find tps in pgbench's output:\n{output}")
    split = cpu_split(before, after, groups={}, database=name, driver="pgbench")
    return float(match.group(1)), output, split


# --- the whole run ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--seconds", type=float, default=30, help="timed window (default 30)")
    parser.add_argument("--warmup", type=float, default=5, help="untimed warm-up (default 5)")
    parser.add_argument("--members", type=int, default=200, help="members seeded (default 200)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument(
        "--client-mode",
        choices=["process", "thread"],
        default="process",
        help="one process per client (default) or threads in this process",
    )
    parser.add_argument(
        "--no-keepalive",
        dest="keepalive",
        action="store_false",
        help="open a new connection for every request",
    )
    parser.add_argument(
        "--no-idempotency-key",
        dest="idempotency",
        action="store_false",
        help="do not send an Idempotency-Key header (sent by default, as a careful client would)",
    )
    parser.add_argument(
        "--server",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL, without a database",
    )
    parser.add_argument("--database", default="giveandget_bench")
    parser.add_argument("--pgbench-database", default="giveandget_pgbench")
    parser.add_argument("--pgbench-scale", type=int, default=10)
    parser.add_argument("--pgbench-clients", type=int, default=8)
    parser.add_argument("--pgbench-jobs", type=int, default=2)
    parser.add_argument("--pgbench-seconds", type=int, default=30)
    parser.add_argument("--skip-pgbench", action="store_true", help="only measure the app")
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="also drive GET /healthz (Flask + one SELECT 1) with the same clients: the stack's "
        "ceiling in requests/s, for comparison",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args(argv)
    if args.members < 2 or args.clients < 1 or args.seconds <= 0:
        parser.error("need at least 2 members, 1 client and a positive --seconds")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server_url = args.server.rstrip("/")
    database_url = f"{server_url}/{args.database}"
    about = machine()
    children: list = []
    server: Server | None = None
    databases: list[str] = []
    log_dir = Path(tempfile.mkdtemp(prefix="bench-ledger-"))

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        settings = server_settings(server_url)
        log(f"creating {args.database}, migrating, seeding {args.members} members")
        databases.append(args.database)
        recreate_database(server_url, args.database)
        members, _coordinator = migrate_and_seed(database_url, args.members)

        server = Server(database_url, args.workers, args.threads, log_dir)
        log(f"gunicorn on port {server.port}: {args.workers} workers x {args.threads} threads")
        server.wait_healthy()

        log(
            f"driving {args.clients} {args.client_mode} clients for {args.warmup:g}s warm-up "
            f"+ {args.seconds:g}s timed (keep-alive {'on' if args.keepalive else 'off'}, "
            f"Idempotency-Key {'on' if args.idempotency else 'off'})"
        )
        plan = Plan(
            port=server.port,
            members=members,
            run_seconds=args.warmup + args.seconds,
            keepalive=args.keepalive,
            idempotency=args.idempotency,
        )
        running = {
            "clients": args.clients,
            "mode": args.client_mode,
            "gunicorn_pid": server.process.pid,
            "database": args.database,
            "children": children,
        }
        load, app_cpu = run_load(plan, warmup=args.warmup, **running)
        result = summarise_load(load, args.seconds)
        failed = any(status == 0 or status >= 500 for _, status in result["statuses"])
        server_errors = server.tail() if failed else ""
        ceiling = None
        if args.ceiling:
            log(f"ceiling: the same clients on GET /healthz for {args.seconds:g}s")
            plan = replace(plan, target="healthz", run_seconds=2 + args.seconds)
            health_load, health_cpu = run_load(plan, warmup=2, **running)
            ceiling = (summarise_load(health_load, args.seconds), health_cpu)
        server.stop()
        server = None

        log("checking the ledger's invariants in SQL")
        ok, checks, counts = check_invariants(database_url)

        tps = None
        pgbench_cpu: dict[str, float] = {}
        pgbench_output = ""
        if not args.skip_pgbench:
            log(f"pgbench -i -s {args.pgbench_scale} {args.pgbench_database}")
            databases.append(args.pgbench_database)
            tps, pgbench_output, pgbench_cpu = run_pgbench(
                server_url,
                args.pgbench_database,
                scale=args.pgbench_scale,
                clients=args.pgbench_clients,
                jobs=args.pgbench_jobs,
                seconds=args.pgbench_seconds,
            )

        report(
            args,
            about,
            settings,
            {
                "result": result,
                "app_cpu": app_cpu,
                "ceiling": ceiling,
                "server_errors": server_errors,
                "invariants": (ok, checks, counts),
                "pgbench": (tps, pgbench_output, pgbench_cpu),
            },
        )
        return 0 if ok else 1
    except KeyboardInterrupt:
        print("\nInterrupted: cleaning up.", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for process in children:
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
        if server is not None:
            server.stop()
        if not args.keep:
            for name in databases:
                drop_database(server_url, name)
        shutil.rmtree(log_dir, ignore_errors=True)


def report(args, about: dict, settings: dict, figures: dict) -> None:
    result, app_cpu, ceiling = figures["result"], figures["app_cpu"], figures["ceiling"]
    ok, checks, counts = figures["invariants"]
    tps, pgbench_output, pgbench_cpu = figures["pgbench"]
    rule = "=" * 78
    record_ms, confirm_ms = result["record_ms"], result["confirm_ms"]
    print()
    print(rule)
    print("Give and Get ledger benchmark (bench/ledger.py)")
    print(rule)
    print(f"  date             {about['date']}   commit {about['commit']}")
    print(
        f"  machine          nproc {about['nproc']}, {about['cpu']}, load average before "
        f"{about['loadavg']}"
    )
    print(
        f"  software         Python {about['python']}, PostgreSQL {settings['version']} "
        f"(fsync {settings['fsync']}, synchronous_commit {settings['synchronous_commit']}, "
        f"shared_buffers {settings['shared_buffers']})"
    )
    print(
        f"  app              gunicorn -w {args.workers} -k gthread --threads {args.threads}; "
        f"{args.members} members; {args.clients} {args.client_mode} clients, keep-alive "
        f"{'on' if args.keepalive else 'off'}, Idempotency-Key "
        f"{'on' if args.idempotency else 'off'}"
    )
    print(f"  window           {args.seconds:g}s timed after {args.warmup:g}s warm-up")
    print()
    print(
        f"  confirmed exchanges/s   {result['per_second']:10.1f}   "
        f"({result['confirmed']} confirmed in the window)"
    )
    print(
        f"  confirm latency ms      p50 {percentile(confirm_ms, 0.50):7.1f}   "
        f"p99 {percentile(confirm_ms, 0.99):7.1f}   "
        f"mean {statistics.fmean(confirm_ms) if confirm_ms else float('nan'):7.1f}"
    )
    print(
        f"  record latency ms       p50 {percentile(record_ms, 0.50):7.1f}   "
        f"p99 {percentile(record_ms, 0.99):7.1f}   "
        f"mean {statistics.fmean(record_ms) if record_ms else float('nan'):7.1f}"
    )
    by_status = ", ".join(
        f"{name} {status or 'conn-error'}: {count}"
        for (name, status), count in sorted(result["statuses"].items())
    )
    print(f"  responses by status     {by_status}")
    errors = {k: v for k, v in result["statuses"].items() if k[1] not in (200, 201)}
    conflicts = sum(v for (_, status), v in errors.items() if status == 409)
    print(f"  errors                  {sum(errors.values())} (409 conflicts: {conflicts})")
    for key, body in sorted(result["samples"].items()):
        print(f"    e.g. {key}: {body[:200]}")
    if figures["server_errors"]:
        print("  gunicorn log tail:\n" + figures["server_errors"])
    print_cpu_split("CPU during the app's timed window", app_cpu)
    app_share = app_cpu.get("gunicorn (app)", 0.0)
    requests = sum(result["statuses"].values())
    if requests:
        print(
            f"  app CPU per request     {app_share * args.seconds / requests * 1000:10.2f} ms "
            f"(gunicorn CPU in the window / {requests} requests)"
        )
    if result["confirmed"]:
        ours = app_share + sum(
            share
            for label, share in app_cpu.items()
            if label.startswith(("postgres backends (" + args.database, "postgres background"))
        )
        per_exchange = ours * args.seconds / result["confirmed"]
        cores = app_cpu["= cores available"]
        print(
            f"  CPU per exchange        {per_exchange * 1000:10.2f} ms (app + its PostgreSQL); "
            f"with the {cores:.0f} cores to itself: about {cores / per_exchange:.0f} exchanges/s "
            f"(an estimate)"
        )
    if ceiling is not None:
        health, health_cpu = ceiling
        count = health["statuses"].get(("healthz", 200), 0)
        health_share = health_cpu.get("gunicorn (app)", 0.0)
        print()
        print(
            f"  ceiling: GET /healthz   {count / args.seconds:10.1f} req/s   p50 "
            f"{percentile(health['healthz_ms'], 0.5):.1f} ms, app CPU per request "
            f"{health_share * args.seconds / max(count, 1) * 1000:.2f} ms; an exchange is two "
            f"requests, so exchanges/s cannot pass {count / args.seconds / 2:.0f} on this stack"
        )
        print_cpu_split("CPU during the /healthz window", health_cpu)
        # Issue 18's goal: at least half the stack's own ceiling, measured in the same run.
        stack_ceiling = count / args.seconds / 2
        share = result["per_second"] / stack_ceiling if stack_ceiling else 0.0
        ledger_cpu = app_share * args.seconds / max(requests, 1)
        bare_cpu = health_share * args.seconds / max(count, 1)
        print(
            f"  against the ceiling     {share:10.3f}   = confirmed exchanges/s / (healthz req/s "
            f"/ 2); goal >= {GOAL_CEILING_SHARE}: {'MET' if share >= GOAL_CEILING_SHARE else 'NOT MET'}"
        )
        print(
            f"  ledger request / bare   {ledger_cpu / bare_cpu if bare_cpu else float('nan'):10.2f}x  "
            f"app CPU per request ({ledger_cpu * 1000:.2f} ms / {bare_cpu * 1000:.2f} ms)"
        )
    print()
    print(f"  ledger invariants       {'PASS' if ok else 'FAIL'}")
    for name, passed in checks.items():
        print(f"    {'ok  ' if passed else 'FAIL'} {name}")
    print("    rows: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print()
    if tps is None:
        print("  pgbench                 skipped (--skip-pgbench)")
    else:
        latency = re.search(r"latency average = ([\d.]+) ms", pgbench_output)
        print(
            f"  pgbench tps             {tps:10.1f}   (-s {args.pgbench_scale} -c "
            f"{args.pgbench_clients} -j {args.pgbench_jobs} -T {args.pgbench_seconds}, "
            f"without initial connection time; latency avg "
            f"{latency.group(1) if latency else '?'} ms)"
        )
        print_cpu_split("CPU during pgbench", pgbench_cpu)
        ratio = result["per_second"] / tps if tps else 0.0
        verdict = "MET" if ratio >= GOAL_RATIO else "NOT MET"
        print()
        print(f"  ratio                   {ratio:10.3f}   = confirmed exchanges/s / pgbench tps")
        print(f"  goal                    ratio >= {GOAL_RATIO}: {verdict}")
    print(rule)


if __name__ == "__main__":
    sys.exit(main())
