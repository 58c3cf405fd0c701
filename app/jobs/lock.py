"""One scheduler at a time: a lock held for the scheduler process's whole life.

On PostgreSQL a session-level advisory lock (``pg_try_advisory_lock``) on a connection of
its own: PostgreSQL releases it when that connection ends, so if the process dies (even by
SIGKILL) the next one takes over. On SQLite, an exclusive ``flock`` on a lock file, which the
kernel releases when the process dies. A second copy polls until it gets the lock.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

# Any fixed 64-bit number, the same in every copy: "GiveGet" in ASCII.
ADVISORY_LOCK_KEY = 0x47697665476574


@dataclass
class SchedulerLock:
    """A held lock; ``release()`` (or the process ending) lets the next copy in."""

    kind: str
    _connection: Connection | None = None
    _handle: Any = None
    _released: bool = field(default=False)

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        if self._connection is not None:
            try:
                self._connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY}
                )
            finally:
                self._connection.close()
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            os.close(self._handle)

    def still_held(self) -> bool:
        """For PostgreSQL: the lock's connection is alive (a restart of the server ends it)."""
        if self._released:
            return False
        if self._connection is None:
            return True
        try:
            self._connection.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means the session, and the lock, are gone
            return False
        return True


def try_acquire(engine: Engine, lock_path: str) -> SchedulerLock | None:
    """Take the lock now, or return None if another process holds it."""
    if engine.dialect.name == "postgresql":
        # Autocommit: the lock is the session's, and must not sit in an open transaction.
        connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
        ).scalar()
        if not got:
            connection.close()
            return None
        return SchedulerLock("postgresql advisory lock", _connection=connection)
    handle = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        return None
    os.ftruncate(handle, 0)
    os.write(handle, f"{os.getpid()}\n".encode())
    return SchedulerLock(f"lock file {lock_path}", _handle=handle)


def wait_for_lock(
    engine: Engine,
    lock_path: str,
    *,
    poll_seconds: float = 30.0,
    give_up_after: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_wait: Callable[[], None] | None = None,
) -> SchedulerLock | None:
    """Poll until the lock is ours (None if ``give_up_after`` seconds pass first)."""
    started = time.monotonic()
    while True:
        lock = try_acquire(engine, lock_path)
        if lock is not None:
            return lock
        if give_up_after is not None and time.monotonic() - started >= give_up_after:
            return None
        if on_wait is not None:
            on_wait()
        sleep(poll_seconds)
