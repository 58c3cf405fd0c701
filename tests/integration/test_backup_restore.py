"""Issue 15, Proof 3: a backup restores. PostgreSQL: pg_dump, restore into a fresh database,
the ledger invariants hold and every balance and exchange is as it was. SQLite (small
installs): the online backup API copies a live database, and the copy passes the same checks.
The README's "Backups" section gives the same commands."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import uuid

import pytest

from tests.conftest import USING_POSTGRES
from tests.faults.test_faults import world

SERVER = ["-h", "127.0.0.1", "-U", "postgres"]


def _seeded(url: str) -> dict:
    world("seed", url, "0")
    world("confirm-some", url, "2")
    return world("check", url)


@pytest.mark.postgres_only
@pytest.mark.skipif(not USING_POSTGRES, reason="pg_dump needs PostgreSQL")
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs pg_dump")
def test_a_pg_dump_restores_into_a_fresh_database_with_the_ledger_whole(tmp_path):
    source, target = (f"restore_{uuid.uuid4().hex[:8]}" for _ in range(2))
    dump = tmp_path / "giveandget.dump"
    try:
        for name in (source, target):
            subprocess.run(["createdb", *SERVER, name], check=True, timeout=60)
        before = _seeded(f"postgresql://postgres@127.0.0.1/{source}")
        subprocess.run(
            ["pg_dump", *SERVER, "--format=custom", f"--file={dump}", source],
            check=True,
            timeout=120,
        )
        subprocess.run(
            ["pg_restore", *SERVER, "--no-owner", f"--dbname={target}", str(dump)],
            check=True,
            timeout=120,
        )
        after = world("check", f"postgresql://postgres@127.0.0.1/{target}")  # invariants hold
    finally:
        for name in (source, target):
            subprocess.run(["dropdb", *SERVER, "--if-exists", "--force", name], timeout=60)
    assert before["confirmed_ids"], "the backup held confirmed exchanges"
    assert after == before


def test_the_sqlite_online_backup_copies_a_live_database_whole(tmp_path):
    live, copy = tmp_path / "live.sqlite", tmp_path / "copy.sqlite"
    before = _seeded(f"sqlite:///{live}")
    with sqlite3.connect(live) as source, sqlite3.connect(copy) as destination:
        source.backup(destination)  # what `sqlite3 live.sqlite ".backup copy.sqlite"` does
    after = world("check", f"sqlite:///{copy}")
    assert before["confirmed_ids"] and after == before
