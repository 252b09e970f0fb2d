"""bot.settings: defaults, validation, the staff token file, Rasa's tracker store config."""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

import pytest

from bot.settings import (
    Settings,
    ensure_staff_token,
    load_settings,
    rasa_tracker_store_config,
)

ROOT = Path(__file__).resolve().parents[2]


def test_defaults() -> None:
    settings = load_settings({})
    assert settings == Settings(
        root=ROOT,
        var_dir=ROOT / "var",
        database_url=f"sqlite:///{ROOT / 'var' / 'samtale.db'}",
        staff_api_token=None,
        rasa_url="http://127.0.0.1:5005",
        web_host="127.0.0.1",
        web_port=8000,
        action_port=5055,
        rasa_port=5005,
        no_consent_purge_minutes=30,
        environment="development",
        rasa_workers=min(len(os.sched_getaffinity(0)), 2),  # one per core, at most two
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.web_port = 1  # type: ignore[misc]


def test_values_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "SAMTALE_VAR_DIR": str(tmp_path),
            "STAFF_API_TOKEN": "a" * 20,
            "RASA_URL": "http://rasa:5005",
            "WEB_HOST": "0.0.0.0",
            "WEB_PORT": "8080",
            "ACTION_PORT": "6055",
            "RASA_PORT": "6005",
            "NO_CONSENT_PURGE_MINUTES": "15",
            "SAMTALE_ENV": "production",
        }
    )
    assert settings.database_url == f"sqlite:///{tmp_path / 'samtale.db'}"
    assert (settings.web_port, settings.action_port, settings.rasa_port) == (8080, 6055, 6005)
    assert settings.no_consent_purge_minutes == 15 and settings.environment == "production"
    assert settings.rasa_url == "http://rasa:5005" and settings.web_host == "0.0.0.0"


def test_empty_variables_mean_default() -> None:
    assert load_settings({"WEB_PORT": "", "STAFF_API_TOKEN": ""}) == load_settings({})


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://sam:pw@db:5433/samtale", "postgresql+psycopg://sam:pw@db:5433/samtale"),
        ("postgres://sam@db/samtale", "postgresql+psycopg://sam@db/samtale"),
        ("postgresql+psycopg://sam@db/samtale", "postgresql+psycopg://sam@db/samtale"),
        ("sqlite:////srv/samtale/samtale.db", "sqlite:////srv/samtale/samtale.db"),
        ("sqlite:///var/other.db", f"sqlite:///{ROOT / 'var' / 'other.db'}"),
    ],
)
def test_database_url_is_normalised(given: str, expected: str) -> None:
    assert load_settings({"DATABASE_URL": given}).database_url == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("WEB_PORT", "eighty", "WEB_PORT must be an integer, got 'eighty'"),
        ("ACTION_PORT", "70000", "ACTION_PORT must be a port between 1 and 65535"),
        ("RASA_PORT", "0", "RASA_PORT must be a port between 1 and 65535"),
        ("NO_CONSENT_PURGE_MINUTES", "0", "NO_CONSENT_PURGE_MINUTES must be a positive integer"),
        ("NO_CONSENT_PURGE_MINUTES", "1.5", "NO_CONSENT_PURGE_MINUTES must be an integer"),
        ("RASA_WORKERS", "0", "RASA_WORKERS must be a positive integer"),
        ("RASA_WORKERS", "two", "RASA_WORKERS must be an integer"),
        ("DATABASE_URL", "mysql://db/samtale", "DATABASE_URL must be sqlite or postgresql"),
        ("DATABASE_URL", "not a url", "DATABASE_URL is not a valid database URL"),
        ("DATABASE_URL", "sqlite://", "DATABASE_URL must name a SQLite file"),
    ],
)
def test_invalid_values_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_settings({name: value})


def test_staff_token_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    settings = load_settings({"SAMTALE_VAR_DIR": str(tmp_path / "new" / "var")})
    token = ensure_staff_token(settings)
    token_file = tmp_path / "new" / "var" / "staff_api_token"
    assert len(token) >= 32
    assert token_file.read_text().strip() == token
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert ensure_staff_token(settings) == token
    assert list(token_file.parent.iterdir()) == [token_file]  # no drafts left behind


def test_staff_token_from_the_environment_wins(tmp_path: Path) -> None:
    env = {"SAMTALE_VAR_DIR": str(tmp_path), "STAFF_API_TOKEN": "s" * 16}
    assert ensure_staff_token(load_settings(env)) == "s" * 16
    assert not (tmp_path / "staff_api_token").exists()


def test_short_staff_tokens_are_refused(tmp_path: Path) -> None:
    env = {"SAMTALE_VAR_DIR": str(tmp_path), "STAFF_API_TOKEN": "changethis"}
    with pytest.raises(ValueError, match="STAFF_API_TOKEN: .* at least 16 characters"):
        ensure_staff_token(load_settings(env))
    (tmp_path / "staff_api_token").write_text("short\n")
    with pytest.raises(ValueError, match="staff_api_token: .* at least 16 characters"):
        ensure_staff_token(load_settings({"SAMTALE_VAR_DIR": str(tmp_path)}))


def test_rasa_tracker_store_config_for_sqlite(tmp_path: Path) -> None:
    settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp_path}/samtale.db"})
    assert rasa_tracker_store_config(settings) == {
        "type": "engine.tracker_store.CachedSQLTrackerStore",
        "dialect": "sqlite",
        "db": str(tmp_path / "samtale.db"),
    }


def test_rasa_tracker_store_config_for_postgresql() -> None:
    settings = load_settings({"DATABASE_URL": "postgresql://sam:p%40ss@db.local:5433/samtale"})
    assert rasa_tracker_store_config(settings) == {
        "type": "engine.tracker_store.CachedSQLTrackerStore",
        "dialect": "postgresql",
        "url": "db.local",
        "port": 5433,
        "db": "samtale",
        "username": "sam",
        "password": "p@ss",
    }
    minimal = load_settings({"DATABASE_URL": "postgresql://localhost/samtale"})
    assert rasa_tracker_store_config(minimal) == {
        "type": "engine.tracker_store.CachedSQLTrackerStore",
        "dialect": "postgresql",
        "url": "localhost",
        "db": "samtale",
    }
