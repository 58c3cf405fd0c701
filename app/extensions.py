"""Flask extensions, created unbound and initialised in create_app()."""

from functools import cached_property

import click
from flask import Flask
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _MigrateConfig:
    """What Flask-Migrate keeps in ``app.extensions["migrate"]`` (its ``_MigrateConfig``: the
    ``Migrate`` object, ``db``, the directory and the Alembic options), with the ``Migrate``
    object made when something first asks for it."""

    def __init__(self, db: SQLAlchemy, directory: str, options: dict) -> None:
        self.db = db
        self.directory = directory
        self.configure_args = dict(options)

    @cached_property
    def migrate(self):
        from flask_migrate import Migrate

        return Migrate(db=self.db, directory=self.directory, **self.configure_args)

    @property
    def metadata(self):
        return self.db.metadata


class _DeferredGroup(click.Group):
    """A command group loaded when it runs: ``flask db …`` is Flask-Migrate's own group, and
    ``flask --help`` lists it without importing it."""

    def __init__(self, name: str, load, short_help: str) -> None:
        super().__init__(name, short_help=short_help)
        self._load = load

    def make_context(self, info_name, args, parent=None, **extra):
        return self._load().make_context(info_name, args, parent=parent, **extra)


def _migrate_commands() -> click.Group:
    from flask_migrate.cli import db as commands

    return commands


class Migrations:
    """Flask-Migrate (``flask db …`` and ``flask_migrate.upgrade()``), without importing it or
    Alembic until something migrates: that import was a tenth of the app's start-up, and a web
    worker, the scheduler and every other command never need it."""

    def __init__(self, **options) -> None:
        self.options = options

    def init_app(self, app: Flask, db: SQLAlchemy, directory: str) -> None:
        app.extensions["migrate"] = _MigrateConfig(db, directory, self.options)
        app.cli.add_command(
            _DeferredGroup("db", _migrate_commands, "Perform database migrations."), name="db"
        )


db = SQLAlchemy(model_class=Base)
migrate = Migrations(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
