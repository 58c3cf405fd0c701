"""What speaking Urdu costs a page: rendering every shipped condition (name and group) and
every exchange category, with hours and money, in English and in Urdu, in-process on SQLite.
An Urdu page reads the translated names once (two small queries); an English page reads none.

    .venv/bin/python bench/languages.py [--pages 500]

Prints the mean milliseconds a page for each language, and how many queries a page ran.
A benchmark, not a test: run by hand, never in CI.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAGE = (
    "{% for c in conditions %}{{ c|condition_name }} ({{ c.group|condition_group }}) {% endfor %}"
    "{% for code in categories %}{{ code|category_name }} {% endfor %}"
    "{{ 5432|minutes }} {{ 1250000|pounds }} {{ when|date }}"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    args = parser.parse_args()

    from flask import render_template_string
    from flask_babel import refresh
    from flask_migrate import upgrade
    from sqlalchemy import event, select

    from app import create_app
    from app.clock import utcnow
    from app.extensions import db
    from app.peers.models import Condition
    from app.timebank.categories import CATEGORIES

    handle, path = tempfile.mkstemp(suffix=".sqlite")
    os.close(handle)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    try:
        with app.app_context():
            upgrade()
            conditions = db.session.scalars(select(Condition).order_by(Condition.code)).all()
            queries = []
            event.listen(db.engine, "before_cursor_execute", lambda *a: queries.append(1))
            for language, headers in (("English", {}), ("Urdu", {"Accept-Language": "ur"})):
                queries.clear()
                started = time.perf_counter()
                for _ in range(args.pages):
                    with app.test_request_context(headers=headers):
                        refresh()
                        render_template_string(
                            PAGE, conditions=conditions, categories=CATEGORIES, when=utcnow()
                        )
                took = (time.perf_counter() - started) / args.pages * 1000
                print(
                    f"{language}: {took:.2f} ms a page ({len(conditions)} conditions, "
                    f"{len(CATEGORIES)} categories), {len(queries) / args.pages:.0f} queries a page"
                )
    finally:
        os.unlink(path)


if __name__ == "__main__":
    main()
