"""Holes 1 and 9 of issue 15: no usable default secret key; production refuses to run without a
mail server unless told, and never writes a link (a token) to the log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import app as app_package
import config
from app import create_app

ROOT = Path(config.__file__).resolve().parent
LONG_KEY = "k" * 48


@pytest.fixture()
def instance(tmp_path, monkeypatch):
    """create_app writes development's key under a throwaway instance/ folder."""
    monkeypatch.setattr(app_package, "INSTANCE_DIR", tmp_path)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    return tmp_path


def test_development_generates_a_random_key_once_into_instance(instance):
    first = create_app("development").config["SECRET_KEY"]
    again = create_app("development").config["SECRET_KEY"]
    assert first == again == (instance / "secret_key").read_text().strip()
    assert len(first) >= config.MIN_SECRET_KEY_LENGTH
    assert first not in config.KNOWN_SECRET_KEYS
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0  # only the owner reads it


def test_two_installations_get_different_keys(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    keys = set()
    for name in ("one", "two"):
        monkeypatch.setattr(app_package, "INSTANCE_DIR", tmp_path / name)
        keys.add(create_app("development").config["SECRET_KEY"])
    assert len(keys) == 2


def test_the_old_published_key_signs_nothing(instance):
    """Before: with APP_ENV unset the app ran on "development-only-not-secret"."""
    assert create_app("development").config["SECRET_KEY"] != "development-only-not-secret"
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("development", {"SECRET_KEY": "development-only-not-secret"})


@pytest.mark.parametrize("key", ["testing", "changeme", "short-but-random-7f3a"])
def test_known_or_short_keys_are_refused_outside_testing(instance, monkeypatch, key):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("development", {"SECRET_KEY": key})
    monkeypatch.setenv("SECRET_KEY", key)
    monkeypatch.setenv("ALLOW_NO_MAIL", "1")
    monkeypatch.setenv("ALLOW_SQLITE", "1")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_a_long_configured_key_is_used_as_given(instance, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", LONG_KEY)
    assert create_app("development").config["SECRET_KEY"] == LONG_KEY
    assert not (instance / "secret_key").exists()


def _bare_environment() -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "LC_ALL"}
    return {name: value for name, value in os.environ.items() if name in keep}


def test_gunicorn_without_configuration_fails_loudly():
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = subprocess.run(
        [str(gunicorn), "--check-config", "wsgi:app"],
        cwd=ROOT,
        env=_bare_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_mail_server(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", LONG_KEY)
    monkeypatch.setenv("ALLOW_SQLITE", "1")
    monkeypatch.delenv("MAIL_SERVER", raising=False)
    monkeypatch.delenv("ALLOW_NO_MAIL", raising=False)
    with pytest.raises(RuntimeError, match="MAIL_SERVER"):
        config.ProductionConfig.check()
    monkeypatch.setenv("ALLOW_NO_MAIL", "1")
    config.ProductionConfig.check()
    monkeypatch.delenv("ALLOW_NO_MAIL")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.org")
    config.ProductionConfig.check()
