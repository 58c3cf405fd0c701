"""Two schedulers at once: one holds the lock, the other waits and takes over when the first
releases it or dies. The lock functions are tested directly, and a dying holder is a child
process killed at a known moment (no sleeps: the test waits on its output, with a timeout)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from sqlalchemy import create_engine

from app.jobs import lock as scheduler_lock
from app.jobs.scheduler import JOB_ID, MISFIRE_GRACE_SECONDS, build_scheduler
from tests.conftest import USING_POSTGRES
from tests.factories import ListingFactory

HOLD_AND_WAIT = textwrap.dedent(
    """
    import sys
    from sqlalchemy import create_engine
    from app.jobs.lock import try_acquire
    lock = try_acquire(create_engine(sys.argv[1]), sys.argv[2])
    print("held" if lock else "refused", flush=True)
    sys.stdin.read()  # hold it until killed
    """
)


@pytest.fixture()
def engine(app):
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    yield engine
    engine.dispose()


@pytest.fixture()
def lock_path(tmp_path):
    return str(tmp_path / "scheduler.lock")


def test_a_second_scheduler_is_refused_while_the_first_holds_the_lock(engine, lock_path):
    first = scheduler_lock.try_acquire(engine, lock_path)
    assert first is not None
    try:
        assert scheduler_lock.try_acquire(engine, lock_path) is None
    finally:
        first.release()
    second = scheduler_lock.try_acquire(engine, lock_path)
    assert second is not None, "the lock is free once the first lets go"
    second.release()


def test_the_waiting_scheduler_takes_over_when_the_first_lets_go(engine, lock_path):
    first = scheduler_lock.try_acquire(engine, lock_path)
    polls = []

    def first_stops(_seconds):  # the first copy stops while the second is waiting
        polls.append(_seconds)
        first.release()

    second = scheduler_lock.wait_for_lock(engine, lock_path, poll_seconds=5, sleep=first_stops)
    assert second is not None and polls == [5]
    assert scheduler_lock.wait_for_lock(engine, lock_path, give_up_after=0) is None
    second.release()


def test_the_lock_is_freed_when_the_process_holding_it_dies(app, engine, lock_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_WAIT, app.config["SQLALCHEMY_DATABASE_URI"], lock_path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert scheduler_lock.try_acquire(engine, lock_path) is None
        holder.kill()  # SIGKILL: no clean-up runs in the holder
        holder.wait(timeout=30)
        taken = scheduler_lock.wait_for_lock(engine, lock_path, poll_seconds=0.1, give_up_after=30)
        assert taken is not None
        assert taken.still_held()
        taken.release()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=30)


@pytest.mark.skipif(not USING_POSTGRES, reason="needs PostgreSQL")
def test_on_postgresql_the_lock_is_an_advisory_lock_on_its_own_connection(engine, lock_path):
    first = scheduler_lock.try_acquire(engine, lock_path)
    assert first.kind == "postgresql advisory lock"
    other = create_engine(str(engine.url.render_as_string(hide_password=False)))
    try:
        assert scheduler_lock.try_acquire(other, lock_path) is None
        first.release()
        taken = scheduler_lock.try_acquire(other, lock_path)
        assert taken is not None
        taken.release()
    finally:
        other.dispose()


def test_missed_runs_happen_once_after_downtime():
    scheduler = build_scheduler(lambda: None)
    [job] = scheduler.get_jobs()
    assert job.id == JOB_ID
    assert job.coalesce is True
    assert job.misfire_grace_time == MISFIRE_GRACE_SECONDS >= 60 * 60
    assert job.max_instances == 1
    assert job.next_run_time is not None  # runs at once on start: the catch-up


def test_flask_jobs_run_due_runs_every_job_as_of_the_moment_given(app, session):
    from app.clock import london_date, utcnow

    now = utcnow().replace(second=0, microsecond=0)
    ListingFactory(expires_on=london_date(now) + timedelta(days=3))
    runner = app.test_cli_runner()
    moment = now.strftime("%Y-%m-%dT%H:%M")
    first = runner.invoke(args=["jobs", "run-due", "--now", moment])
    assert first.exit_code == 0, first.output
    assert "listing expiry reminders: 1" in first.output
    again = runner.invoke(args=["jobs", "run-due", "--now", moment])
    assert "listing expiry reminders: 0" in again.output
    bad = runner.invoke(args=["jobs", "run-due", "--now", "yesterday"])
    assert bad.exit_code == 2 and "YYYY-MM-DDTHH:MM" in bad.output
