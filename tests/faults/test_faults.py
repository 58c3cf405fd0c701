"""Issue 15, Proof 2: faults on PostgreSQL, in a throwaway cluster of our own (RECIPES.md).

- The app server (gunicorn) is SIGKILLed in the middle of concurrent confirmations: after a
  restart every exchange is wholly applied or not at all (tests/ledger_checks.py), and nothing a
  client was told was confirmed is lost.
- PostgreSQL is restarted under load: while it is down ``/healthz`` answers 503 (and the API 503,
  never 500); afterwards the same app processes answer again without a restart of their own, and
  nothing acknowledged is lost.
- Two schedulers at once (and the second taking over when the first is killed) send nothing twice.

Skipped on SQLite; needs ``pg_createcluster`` (Debian's postgresql-common). The cluster has its
own name and a free port, so the shared cluster on 5432 is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import USING_POSTGRES

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not USING_POSTGRES, reason="faults are proved on PostgreSQL"),
    pytest.mark.skipif(shutil.which("pg_createcluster") is None, reason="needs pg_createcluster"),
    pytest.mark.timeout(600),
]

ROOT = Path(__file__).resolve().parents[2]
VERSION = "15"
WAIT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def call(method: str, url: str, token: str | None = None) -> tuple[int | None, dict]:
    """(status, JSON body); (None, {}) when the server did not answer at all."""
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body or b"{}")
        except ValueError:
            return error.code, {"raw": body[:200].decode("utf-8", "replace")}
    except (OSError, urllib.error.URLError):
        return None, {}


class Cluster:
    """A PostgreSQL cluster made for these tests and dropped after them."""

    def __init__(self) -> None:
        self.name = f"ggfaults{uuid.uuid4().hex[:8]}"
        self.port = free_port()

    def _run(self, *command: str) -> None:
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def create(self) -> None:
        self._run(
            "pg_createcluster", VERSION, self.name, "--port", str(self.port),
            "--", "--auth-host=trust", "--auth-local=trust",
        )  # fmt: skip
        self.start()

    def start(self) -> None:
        self._run("pg_ctlcluster", VERSION, self.name, "start")
        wait_until(self.answers, "PostgreSQL to start")

    def stop(self) -> None:
        self._run("pg_ctlcluster", VERSION, self.name, "stop", "-m", "fast")

    def answers(self) -> bool:
        ready = subprocess.run(
            ["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port)], timeout=30
        )
        return ready.returncode == 0

    def drop(self) -> None:
        subprocess.run(
            ["pg_dropcluster", "--stop", VERSION, self.name], capture_output=True, timeout=120
        )

    def new_database(self) -> str:
        name = f"faults_{uuid.uuid4().hex[:8]}"
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="module")
def cluster():
    made = Cluster()
    try:
        made.create()
        yield made
    finally:
        made.drop()


def world(command: str, url: str, *args: str) -> object:
    done = subprocess.run(
        [sys.executable, "-m", "tests.faults.world", command, url, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TEST_DATABASE_URL": url},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def app_env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "APP_ENV": "testing",
        "TEST_DATABASE_URL": url,
        "FLASK_APP": "wsgi",
        "SCHEDULER_POLL_SECONDS": "1",
    }


class Server:
    """gunicorn serving the app against the fault database, in a process group of its own."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = Path(f"/tmp/giveandget-faults-{self.port}.log")

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "--workers",
                "2",
                "--threads",
                "4",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--graceful-timeout",
                "1",
                "--log-level",
                "warning",
                "wsgi:app",
            ],  # fmt: skip
            cwd=ROOT,
            env=app_env(self.url),
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("a"),
        )
        wait_until(lambda: call("GET", f"{self.base}/healthz")[0] == 200, "gunicorn to answer")

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: no worker finishes its request."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)


@pytest.fixture()
def server_for(cluster):
    servers: list[Server] = []

    def make(url: str) -> Server:
        server = Server(url)
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        server.stop()


def confirm_all(server: Server, pairs, *, threads: int):
    """Confirm every exchange from ``threads`` clients at once; returns (exchange id, status)
    for each request that was answered (None: no answer, the server died under it)."""
    answers: list[tuple[int, int | None]] = []
    lock = threading.Lock()
    queue = list(pairs)

    def client() -> None:
        while True:
            with lock:
                if not queue:
                    return
                exchange_id, token = queue.pop(0)
            status, _ = call("POST", f"{server.base}/api/v1/exchanges/{exchange_id}/confirm", token)
            with lock:
                answers.append((exchange_id, status))

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    return workers, answers


def test_killing_the_app_server_mid_confirmations_leaves_every_exchange_whole(cluster, server_for):
    url = cluster.new_database()
    pairs = world("seed", url, "0")
    server = server_for(url)
    workers, answers = confirm_all(server, pairs, threads=8)
    wait_until(lambda: len(answers) >= len(pairs) // 3, "a third of the confirmations")
    server.kill()
    for worker in workers:
        worker.join(timeout=60)
    told_confirmed = {exchange_id for exchange_id, status in answers if status == 200}
    unanswered = [exchange_id for exchange_id, status in answers if status is None]
    assert all(status in (200, None) for _, status in answers), answers

    after_kill = world("check", url)  # the invariants hold over whatever was committed
    confirmed = set(after_kill["confirmed_ids"])
    assert told_confirmed <= confirmed, "a confirmation the client was told of was lost"
    assert 0 < len(confirmed) < len(pairs), "the kill did not land mid-way"

    server.start()  # the same database, a new server: confirm the rest (and retry the lost)
    workers, retried = confirm_all(server, pairs, threads=8)
    for worker in workers:
        worker.join(timeout=120)
    statuses = {exchange_id: status for exchange_id, status in retried}
    for exchange_id in confirmed:
        assert statuses[exchange_id] == 409, "a confirmed exchange must not post twice"
    final = world("check", url)
    assert final["statuses"] == {"confirmed": len(pairs)}, final["statuses"]
    print(f"\nSIGKILL: {len(answers)} answered, {len(unanswered)} cut off, nothing lost")


def test_restarting_postgresql_under_load_answers_503_then_recovers(cluster, server_for):
    url = cluster.new_database()
    pairs = world("seed", url, "0")
    server = server_for(url)
    stop = threading.Event()
    reads: list[int | None] = []
    exchange_id, token = pairs[0]

    def read_load() -> None:  # keeps reading until the end, through the restart
        while not stop.is_set():
            reads.append(call("GET", f"{server.base}/api/v1/exchanges/{exchange_id}", token)[0])

    reader = threading.Thread(target=read_load)
    reader.start()
    workers, answers = confirm_all(server, pairs, threads=4)
    wait_until(lambda: len(answers) >= 20, "some confirmations")
    cluster.stop()
    try:
        wait_until(lambda: call("GET", f"{server.base}/healthz")[0] == 503, "/healthz 503")
        status, body = call("GET", f"{server.base}/healthz")
        assert status == 503 and body["database"] == "unreachable"
        down = call("GET", f"{server.base}/api/v1/exchanges/{pairs[0][0]}", pairs[0][1])
        assert down[0] == 503 and down[1]["error"]["code"] == "unavailable", down
    finally:
        cluster.start()
    wait_until(lambda: call("GET", f"{server.base}/healthz")[0] == 200, "/healthz 200 again")
    recovered_at = len(reads)
    wait_until(lambda: 200 in reads[recovered_at:], "the reads to answer again")
    stop.set()
    reader.join(timeout=60)
    for worker in workers:
        worker.join(timeout=180)
    assert set(reads) <= {200, 503} and 503 in reads, (
        sorted(set(reads), key=str),
        server.log_tail(),
    )
    assert server.process.poll() is None, "the app kept running: it was never restarted"
    assert all(status in (200, 409, 503) for _, status in answers), sorted(
        {s for _, s in answers}, key=str
    )
    told = {exchange_id for exchange_id, status in answers if status == 200}
    # After the restart the same processes confirm whatever was refused while it was down.
    workers, retried = confirm_all(server, pairs, threads=4)
    for worker in workers:
        worker.join(timeout=180)
    assert {status for _, status in retried} <= {200, 409}
    final = world("check", url)
    assert told <= set(final["confirmed_ids"]), "an acknowledged confirmation was lost"
    assert final["statuses"] == {"confirmed": len(pairs)}


def _scheduler(url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("flask")), "scheduler", "run"],
        cwd=ROOT,
        env=app_env(url),
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _read_until(process: subprocess.Popen, texts: tuple[str, ...], lines: list[str]) -> None:
    """Read the process's output up to a line saying one of ``texts`` (on a thread, so a
    silent process cannot hang the test)."""
    found = threading.Event()

    def read() -> None:
        for line in process.stdout:
            lines.append(line)
            if any(text in line for text in texts):
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    assert found.wait(WAIT_SECONDS), f"never said {texts!r}: {''.join(lines)[-2000:]}"


def test_two_schedulers_at_once_send_nothing_twice(cluster):
    url = cluster.new_database()
    pairs = world("seed", url, "10")  # recorded 10 days ago: every one is due a reminder
    first, second = _scheduler(url), _scheduler(url)
    try:
        first_lines: list[str] = []
        second_lines: list[str] = []
        # One holds the lock and runs; the other says it is waiting. Which is which is a race.
        started = ("Holding the", "waiting to take over")
        _read_until(first, started, first_lines)
        _read_until(second, started, second_lines)
        said = first_lines[-1] + second_lines[-1]
        assert said.count("Holding the") == 1 and said.count("waiting to take over") == 1, said
        runner, waiter = (first, second) if "Holding" in first_lines[-1] else (second, first)
        runner_lines = first_lines if runner is first else second_lines
        waiter_lines = second_lines if runner is first else first_lines
        _read_until(runner, ("Ran scheduled jobs",), runner_lines)
        once = world("check", url)
        assert once["reminders"] >= len(pairs) // 2, once  # the reminders were sent
        os.killpg(runner.pid, signal.SIGKILL)  # the waiting copy takes over and runs again
        runner.wait(timeout=30)
        _read_until(waiter, ("Ran scheduled jobs",), waiter_lines)
        twice = world("check", url)
    finally:
        for process in (first, second):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
    assert twice["reminders"] == twice["distinct_reminders"] == once["reminders"]
    assert twice["notifications"] == twice["distinct_notifications"] == once["notifications"]
    assert twice["emails"] == once["emails"]
