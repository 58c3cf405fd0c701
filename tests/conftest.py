"""One app and one migrated schema per test session; each test runs in a rolled-back transaction.

Set TEST_DATABASE_URL to run the same suite on PostgreSQL (the database is emptied first).
"""

from __future__ import annotations

import os
import tempfile

import pytest
from flask import g
from flask.testing import FlaskClient
from flask_migrate import upgrade
from hypothesis import settings
from sqlalchemy import event, inspect, text

from app import create_app
from app.extensions import db
from tests import factories

# Tests assert behaviour, never wall-clock time: Hypothesis's default 200 ms deadline per example
# turns a busy machine (CI's two cores running the browser layer beside it) into a failure.
settings.register_profile("giveandget", deadline=None)
settings.load_profile("giveandget")

USING_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"))


def _database_url() -> str:
    if USING_POSTGRES:
        return os.environ["TEST_DATABASE_URL"]
    # A file, not :memory:, so migrations and threads share one database.
    handle, path = tempfile.mkstemp(prefix="giveandget-test-", suffix=".sqlite")
    os.close(handle)
    return f"sqlite:///{path}"


def _make_sqlite_savepoints_work(engine) -> None:
    """pysqlite's own transaction handling breaks SAVEPOINTs: take it over (SQLAlchemy docs)."""

    @event.listens_for(engine, "connect")
    def do_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def do_begin(connection):
        connection.exec_driver_sql("BEGIN")


def _empty_database() -> None:
    """Drop whatever an earlier run left, including alembic's own table."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def app():
    url = _database_url()
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _make_sqlite_savepoints_work(db.engine)
        _empty_database()
        upgrade()  # the schema comes from the migrations, exactly as in production
        yield app
        db.session.remove()
        db.engine.dispose()
    if url.startswith("sqlite:///"):
        os.unlink(url.removeprefix("sqlite:///"))


@pytest.fixture()
def session(app):
    """A session whose commits land in a savepoint of an outer transaction rolled back after."""
    connection = db.engine.connect()
    outer = connection.begin()
    original_engines = dict(db.engines)
    original_session = db.session
    db.engines[None] = connection  # Flask-SQLAlchemy picks the bind from here
    db.session = db._make_scoped_session({"join_transaction_mode": "create_savepoint"})
    factories.bind(db.session)
    try:
        yield db.session
    finally:
        db.session.remove()
        db.session = original_session
        db.engines.clear()
        db.engines.update(original_engines)
        if outer.is_active:
            outer.rollback()
        connection.close()


class FreshRequestClient(FlaskClient):
    """Each request starts with an empty ``g``, as on a real server.

    The test's app context stays pushed (factories need it), and Flask reuses an active app
    context for requests, so without this Flask-Login's cached user would leak between requests.
    """

    def open(self, *args, **kwargs):
        saved = dict(g.__dict__)
        g.__dict__.clear()
        try:
            return super().open(*args, **kwargs)
        finally:
            g.__dict__.clear()
            g.__dict__.update(saved)


@pytest.fixture()
def client(app, session):
    app.test_client_class = FreshRequestClient
    return app.test_client()


@pytest.fixture()
def db_dialect(app) -> str:
    return db.engine.dialect.name


@pytest.fixture()
def postgres_only(db_dialect):
    if db_dialect != "postgresql":
        pytest.skip("needs PostgreSQL")


def table_names() -> list[str]:
    return inspect(db.engine).get_table_names()
