"""Start-up: how long the app takes to import and serve its first request (issue 18's goal: under
1 s), and which imports cost the most.

    .venv/bin/python bench/startup.py [--runs 5]

Each run is a fresh interpreter (``python -X importtime``) that imports ``wsgi`` (``create_app``)
and serves ``GET /healthz`` through the test client on the default SQLite database; the best and
median of the runs are printed, with the CPU time the whole process used (the fair figure on a
shared machine, where wall-clock time mostly measures the wait for a core), then the ten slowest
top-level imports of the last run. A first, unmeasured run writes the bytecode caches, as
installing the app does; measured runs then read them rather than compiling every edited module.
A benchmark, not a test: run by hand, never in CI.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = """
import time
started = time.perf_counter()
import wsgi
imported = time.perf_counter()
response = wsgi.app.test_client().get("/healthz")
served = time.perf_counter()
assert response.status_code == 200, response.status_code
print(f"{imported - started:.4f} {served - started:.4f} {time.process_time():.4f}")
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    imports, firsts, cpus, report = [], [], [], ""
    environment = {**os.environ, "APP_ENV": "development"}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, check=True, env=environment
    )  # writes the bytecode caches
    for _ in range(args.runs):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", PROGRAM],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            env=environment,
        )
        imported, served, cpu = (float(x) for x in done.stdout.split()[-3:])
        imports.append(imported)
        firsts.append(served)
        cpus.append(cpu)
        report = done.stderr
    print(
        f"import wsgi (create_app): best {min(imports):.3f} s, median {statistics.median(imports):.3f} s"
    )
    print(
        f"import + first request (GET /healthz): best {min(firsts):.3f} s, "
        f"median {statistics.median(firsts):.3f} s (goal < 1 s)"
    )
    print(
        f"CPU time of the whole process (interpreter, imports, first request): best "
        f"{min(cpus):.3f} s, median {statistics.median(cpus):.3f} s; load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    top = []
    for line in report.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if name.startswith("   ") and not name.startswith("     "):  # direct imports of wsgi/app
            top.append((int(cumulative.strip()), name.strip()))
    print("Slowest imports below wsgi (cumulative, last run):")
    for micros, name in sorted(top, reverse=True)[:10]:
        print(f"  {micros / 1e6:.3f} s  {name}")


if __name__ == "__main__":
    main()
