"""The browser layer: Debian's Chromium, driven by Playwright, against a served copy of the app.

The served app is a second app with its own SQLite file, migrated and loaded with the demo data,
with CSRF on, exactly as a person would meet it. It never uses the suite's `app` or `session`
fixtures (those swap `db.session` for rolled-back transactions) and ignores TEST_DATABASE_URL:
run_all.py runs this layer once, in the SQLite pass.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from app import create_app
from app.demo import DEMO_PASSWORD, load_demo
from app.extensions import db
from app.mail import OutboxEmail
from tests.browser.crowd import Crowd, load_crowd

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Short enough that a missing element fails fast; long enough for a loaded 2-core CI machine.
TIMEOUT_MS = 10_000


class QuietRequestHandler(WSGIRequestHandler):
    """No line per request in the test output; errors are still logged."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@dataclass
class LiveServer:
    app: Flask
    url: str

    def outbox_bodies(self, to_address: str) -> list[str]:
        """Email bodies queued for someone, oldest first, read from the served database."""
        with self.app.app_context():
            bodies = db.session.scalars(
                select(OutboxEmail.body)
                .where(OutboxEmail.to_address == to_address)
                .order_by(OutboxEmail.id)
            ).all()
            db.session.remove()
        return list(bodies)

    def invitation_path(self, to_address: str) -> str:
        """The path of the newest invitation link emailed to someone."""
        return self.link_path(to_address, "/invitations/")

    def link_path(self, to_address: str, prefix: str) -> str:
        """The path of the newest emailed link starting with ``prefix``."""
        for body in reversed(self.outbox_bodies(to_address)):
            match = re.search(rf"({re.escape(prefix)}[^\s]+)", body)
            if match:
                return match.group(1)
        raise AssertionError(f"No {prefix} link was queued for {to_address}")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium) "
            "to run the browser tests"
        )
    return str(CHROMIUM)


@contextmanager
def serve(load: Callable[[], object]) -> Iterator[tuple[LiveServer, object]]:
    """Serve a fresh app on its own SQLite file, migrated and filled by ``load()``.

    Yields the server and whatever ``load()`` returned (ids the tests need)."""
    handle, path = tempfile.mkstemp(prefix="giveandget-browser-", suffix=".sqlite")
    os.close(handle)
    served: dict[str, Flask] = {}

    # Bind first so the app's BASE_URL (used in emailed links) carries the real port.
    server = make_server(
        "127.0.0.1",
        0,
        lambda environ, start: served["app"](environ, start),
        threaded=True,
        request_handler=QuietRequestHandler,
    )
    url = f"http://127.0.0.1:{server.server_port}"
    app = create_app(
        "testing",
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "WTF_CSRF_ENABLED": True, "BASE_URL": url},
    )
    with app.app_context():
        upgrade()
        loaded = load()
        db.session.commit()
        db.session.remove()
    served["app"] = app

    thread = threading.Thread(target=server.serve_forever, name="browser-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=url), loaded
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()
        os.unlink(path)


@pytest.fixture(scope="session")
def live_server(chromium_path) -> Iterator[LiveServer]:
    """The demo organisation, as `make run` serves it."""
    with serve(load_demo) as (server, _):
        yield server


@pytest.fixture(scope="session")
def crowded_server(chromium_path) -> Iterator[tuple[LiveServer, Crowd]]:
    """The demo organisation crowded with long names and many rows (tests/browser/crowd.py)."""
    with serve(load_crowd) as (server, crowd):
        yield server, crowd


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def signed_in_states() -> dict[str, dict]:
    """Cookies per demo person, so most tests skip the sign-in form (it is tested on its own)."""
    return {}


@contextmanager
def page_maker(browser, server: LiveServer, signed_in_states: dict[str, dict]):
    """`make(who, **context_options)`: a page in a fresh browser context on ``server``,
    anonymous or signed in as `who`. Contexts are closed on leaving."""
    contexts = []

    def make(who: str | None = None, **options):
        state = None
        if who is not None and who not in signed_in_states:
            context = browser.new_context(base_url=server.url, **options)
            contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            sign_in(page, who)
            signed_in_states[who] = context.storage_state()
            return page
        if who is not None:
            state = signed_in_states[who]
        context = browser.new_context(base_url=server.url, storage_state=state, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        return page

    try:
        yield make
    finally:
        for context in contexts:
            context.close()


@pytest.fixture()
def new_page(browser, live_server, signed_in_states):
    """`new_page(who)`: a page in a fresh browser context, anonymous or signed in as `who`."""
    with page_maker(browser, live_server, signed_in_states) as make:
        yield make


@pytest.fixture()
def page(new_page):
    """An anonymous page in a fresh context."""
    return new_page(None)


def sign_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the form, as a person would; ends on the home page."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("button", name="Sign out").is_visible(), f"{email} did not sign in"
