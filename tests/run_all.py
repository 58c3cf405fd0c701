"""Run the whole suite on SQLite, then on PostgreSQL when one is available.

PostgreSQL is used when TEST_DATABASE_URL is set, or when a server answers on 127.0.0.1:5432
(a throwaway database is created and dropped). REQUIRE_POSTGRES=1 makes a missing or skipped
PostgreSQL pass a failure (CI sets it); REQUIRE_BROWSER=1 does the same for the browser tests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

NO_TESTS_COLLECTED = 5
REPORTS = Path("instance/test-reports")


def server_answers(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def run_pytest(name: str, env: dict[str, str], extra: list[str]) -> tuple[int, dict[str, int]]:
    REPORTS.mkdir(parents=True, exist_ok=True)
    report = REPORTS / f"{name}.xml"
    print(f"\n=== {name} pass ===", flush=True)
    code = subprocess.call(
        [sys.executable, "-m", "pytest", f"--junitxml={report}", *extra], env=env
    )
    if code == NO_TESTS_COLLECTED:
        print(f"{name}: pytest collected no tests; that is a failure, not a pass.")
        return 1, {}
    suite = ET.parse(report).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    counts = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
    return code, counts


def skipped_browser_tests(name: str) -> int:
    root = ET.parse(REPORTS / f"{name}.xml").getroot()
    return sum(
        1
        for case in root.iter("testcase")
        if case.find("skipped") is not None and "browser" in (case.get("classname") or "")
    )


def main(argv: list[str]) -> int:
    base_env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    failed = False

    code, counts = run_pytest("sqlite", base_env, argv)
    print(f"SQLite pass: {counts}")
    failed |= code != 0
    if os.environ.get("REQUIRE_BROWSER") == "1" and skipped_browser_tests("sqlite"):
        print("Browser tests were skipped but REQUIRE_BROWSER=1: failing.")
        failed = True

    url = os.environ.get("TEST_DATABASE_URL")
    created = None
    if not url and server_answers():
        import psycopg

        created = f"giveandget_test_{uuid.uuid4().hex[:8]}"
        with psycopg.connect("postgresql://postgres@127.0.0.1/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{created}"')
        url = f"postgresql://postgres@127.0.0.1/{created}"
    if url:
        try:
            env = {**base_env, "TEST_DATABASE_URL": url}
            # The browser layer runs once, against SQLite; everything else runs again here.
            code, counts = run_pytest("postgresql", env, [*argv, "-m", "not browser"])
            print(f"PostgreSQL pass: {counts}")
            failed |= code != 0
            if counts.get("tests", 0) == 0:
                failed = True
        finally:
            if created:
                import psycopg

                with psycopg.connect(
                    "postgresql://postgres@127.0.0.1/postgres", autocommit=True
                ) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')
    else:
        print("PostgreSQL pass: skipped (no TEST_DATABASE_URL and nothing on 127.0.0.1:5432).")
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            print("REQUIRE_POSTGRES=1: a skipped PostgreSQL pass is a failure.")
            failed = True
    print("\nAll passes succeeded." if not failed else "\nSome passes FAILED.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
