import pytest

import config


def test_plain_postgres_url_gets_the_psycopg_driver():
    assert config.database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert config.database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_default_database_is_sqlite_under_instance():
    assert config.database_url(None).startswith("sqlite:///")
    assert config.database_url(None).endswith("instance/giveandget.sqlite")


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        config.ProductionConfig.check()


def test_production_refuses_sqlite_unless_told(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setattr(config.ProductionConfig, "SQLALCHEMY_DATABASE_URI", "sqlite:///x.db")
    monkeypatch.delenv("ALLOW_SQLITE", raising=False)
    with pytest.raises(RuntimeError, match="PostgreSQL"):
        config.ProductionConfig.check()
    monkeypatch.setenv("ALLOW_SQLITE", "1")
    monkeypatch.setenv("ALLOW_NO_MAIL", "1")
    config.ProductionConfig.check()


def test_unknown_environment_is_refused():
    with pytest.raises(RuntimeError, match="APP_ENV"):
        config.config_for("staging")
