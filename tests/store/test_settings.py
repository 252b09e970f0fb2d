"""bot.settings: defaults, validation, the staff token file, Rasa's tracker store config."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import (
    Settings,
    ensure_secret,
    ensure_staff_token,
    load_settings,
    rasa_tracker_store_config,
)

ROOT = Path(__file__).resolve().parents[2]


def test_defaults() -> None:
    settings = load_settings({})
    assert settings == Settings(
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
    assert settings.root == ROOT
    with pytest.raises(ValidationError, match="frozen"):
        settings.web_port = 1  # type: ignore[misc]


def test_values_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "SAMTALE_VAR_DIR": str(tmp_path),
            "STAFF_API_TOKEN": "Vq3-fT9xLw0pZ7rKc2mN8bYh4sJd6gUe",  # 32 characters
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


def test_defaults_of_the_privacy_and_security_settings() -> None:
    settings = load_settings({})
    assert settings.action_server_token is None and settings.action_host == "127.0.0.1"
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.widget_allowed_origins == ()
    assert settings.staff_host == "127.0.0.1" and settings.staff_port is None
    assert (settings.chat_rate_limit_session, settings.chat_rate_limit_address) == (
        "20/minute", "120/minute")
    assert (settings.chat_max_body_bytes, settings.max_body_bytes) == (64 * 1024, 1024 * 1024)
    assert settings.redis_url is None
    assert (settings.retention_days, settings.retention_keep_open) == (180, True)
    assert settings.staff_require_2fa is False and settings.enable_api_docs is False
    assert load_settings({"WEB_PORT": "8081"}).public_url == "http://127.0.0.1:8081"


def test_privacy_and_security_settings_from_the_environment() -> None:
    settings = load_settings({
        "ACTION_SERVER_TOKEN": "action-token-0123456789",
        "ACTION_HOST": "10.0.0.5",
        "PUBLIC_URL": "https://samtale.kommune.dk/",
        "WIDGET_ALLOWED_ORIGINS": "https://www.kommune.dk, http://localhost:8080/ ,",
        "STAFF_PORT": "8001",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "RETENTION_DAYS": "30",
        "RETENTION_KEEP_OPEN": "false",
        "STAFF_REQUIRE_2FA": "yes",
        "ENABLE_API_DOCS": "1",
        "CHAT_RATE_LIMIT_SESSION": "5 per second; 100/hour",
        "CHAT_MAX_BODY_BYTES": "4096",
    })
    assert settings.chat_rate_limit_session == "5 per second; 100/hour"
    assert settings.chat_max_body_bytes == 4096
    assert settings.action_server_token == "action-token-0123456789"
    assert settings.action_host == "10.0.0.5"
    assert settings.public_url == "https://samtale.kommune.dk"
    assert settings.widget_allowed_origins == ("https://www.kommune.dk", "http://localhost:8080")
    assert (settings.staff_host, settings.staff_port) == ("127.0.0.1", 8001)  # intranet-safe
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert (settings.retention_days, settings.retention_keep_open) == (30, False)
    assert settings.staff_require_2fa is True and settings.enable_api_docs is True
    both = load_settings({"STAFF_HOST": "10.1.2.3", "STAFF_PORT": "8001"})
    assert (both.staff_host, both.staff_port) == ("10.1.2.3", 8001)


def test_secrets_stay_out_of_the_settings_repr() -> None:
    settings = load_settings({"STAFF_API_TOKEN": "staff-secret-0123456789",
                              "ACTION_SERVER_TOKEN": "action-secret-0123456789",
                              "SAMTALE_PSEUDONYM_KEY": "pseudonym-secret-0123456789",
                              "DATABASE_URL": "postgresql://sam:db-secret-pw@db/samtale"})
    shown = repr(settings) + str(settings)
    for secret in ("staff-secret", "action-secret", "pseudonym-secret", "db-secret-pw"):
        assert secret not in shown


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SAMTALE_ENV", "test", "SAMTALE_ENV must be 'development' or 'production', got 'test'"),
        ("SAMTALE_ENV", "prod", "SAMTALE_ENV must be 'development' or 'production'"),
        ("RETENTION_DAYS", "0", "RETENTION_DAYS must be a positive integer"),
        ("RETENTION_DAYS", "half a year", "RETENTION_DAYS must be an integer"),
        ("RETENTION_KEEP_OPEN", "maybe", "RETENTION_KEEP_OPEN must be true or false"),
        ("STAFF_REQUIRE_2FA", "sometimes", "STAFF_REQUIRE_2FA must be true or false"),
        ("ENABLE_API_DOCS", "please", "ENABLE_API_DOCS must be true or false"),
        ("STAFF_PORT", "99999", "STAFF_PORT must be a port between 1 and 65535"),
        ("STAFF_HOST", "0.0.0.0", "STAFF_HOST is set but STAFF_PORT is not"),
        ("STAFF_PORT", "8000", "STAFF_PORT must differ from WEB_PORT, got '8000'"),
        ("CHAT_RATE_LIMIT_SESSION", "fast", "CHAT_RATE_LIMIT_SESSION must be like '20/minute'"),
        ("CHAT_RATE_LIMIT_ADDRESS", "20", "CHAT_RATE_LIMIT_ADDRESS must be like '20/minute'"),
        ("CHAT_MAX_BODY_BYTES", "0", "CHAT_MAX_BODY_BYTES must be a positive integer"),
        ("MAX_BODY_BYTES", "1MB", "MAX_BODY_BYTES must be an integer"),
        ("PUBLIC_URL", "samtale.kommune.dk", "PUBLIC_URL must be an http\\(s\\) URL"),
        ("WIDGET_ALLOWED_ORIGINS", "*", "WIDGET_ALLOWED_ORIGINS must list origins"),
        ("WIDGET_ALLOWED_ORIGINS", "https://kommune.dk/chat",
         "WIDGET_ALLOWED_ORIGINS must list origins such as https://www.kommune.dk, got"),
        ("REDIS_URL", "127.0.0.1:6379", "REDIS_URL must be a redis://"),
        ("ACTION_SERVER_TOKEN", "short", "ACTION_SERVER_TOKEN must be at least 16 characters"),
        ("SAMTALE_PSEUDONYM_KEY", "short", "SAMTALE_PSEUDONYM_KEY must be at least 16"),
        ("TELEGRAM_WEBHOOK_SECRET", "has spaces in it!", "TELEGRAM_WEBHOOK_SECRET must be 16-256"),
        ("TELEGRAM_DEFAULT_LANGUAGE", "de", "TELEGRAM_DEFAULT_LANGUAGE must be 'da' or 'en'"),
        ("TELEGRAM_WEBHOOK_PORT", "-1", "TELEGRAM_WEBHOOK_PORT must be a port"),
    ],
)
def test_invalid_new_values_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_settings({name: value})


def test_several_errors_are_reported_together() -> None:
    with pytest.raises(ValueError) as raised:
        load_settings({"WEB_PORT": "x", "RETENTION_DAYS": "0", "SAMTALE_ENV": "staging"})
    message = str(raised.value)
    assert "WEB_PORT must be an integer" in message
    assert "RETENTION_DAYS must be a positive integer" in message
    assert "SAMTALE_ENV must be" in message
    assert "validation error" not in message and "pydantic" not in message  # our words only


GOOD_SECRET = "Vq3-fT9xLw0pZ7rKc2mN8bYh4sJd6gUe_k1"
PRODUCTION_SECRETS = ["STAFF_API_TOKEN", "ACTION_SERVER_TOKEN", "SAMTALE_PSEUDONYM_KEY",
                      "TELEGRAM_WEBHOOK_SECRET"]
PLACEHOLDER_VALUES = ["changeme", "change-me", "CHANGE_ME", "changethis", "secret", "password",
                      "token", "test", "example", "changeme-changeme-changeme-changeme",
                      "test1234test1234test1234test1234", "a" * 40, "ab" * 18]


def production(**env: str) -> dict[str, str]:
    return {"SAMTALE_ENV": "production", **env}


def test_production_accepts_long_random_secrets_and_generated_ones(tmp_path: Path) -> None:
    settings = load_settings(production(**dict.fromkeys(PRODUCTION_SECRETS, GOOD_SECRET),
                                        DATABASE_URL="postgresql://sam:Ux8-qP2zR@db/samtale"))
    assert settings.environment == "production" and settings.staff_api_token == GOOD_SECRET
    # Nothing configured: the secrets are generated into var/ (43 random characters).
    settings = load_settings(production(SAMTALE_VAR_DIR=str(tmp_path)))
    assert len(ensure_staff_token(settings)) >= 32


@pytest.mark.parametrize("name", PRODUCTION_SECRETS)
@pytest.mark.parametrize("value", PLACEHOLDER_VALUES)
def test_production_refuses_placeholder_secrets_by_name(name: str, value: str) -> None:
    env = production(**{name: value})
    if len(value) < 16 and name != "STAFF_API_TOKEN":
        message = name  # refused already by the development rule (too short), still by name
    else:
        message = f"SAMTALE_ENV=production refuses {name}: a placeholder value"
    with pytest.raises(ValueError, match=message) as raised:
        load_settings(env)
    assert value.lower() not in str(raised.value).replace(name, "").lower()  # never echoed
    load_settings({name: value} if len(value) >= 16 else {})  # development lets it be


@pytest.mark.parametrize("name", PRODUCTION_SECRETS)
def test_production_refuses_secrets_shorter_than_32_characters(name: str) -> None:
    short = GOOD_SECRET[:31]
    with pytest.raises(ValueError,
                       match=f"SAMTALE_ENV=production refuses {name}: shorter than 32 characters"):
        load_settings(production(**{name: short}))
    assert load_settings({name: short}).secrets()[name] == short  # fine in development
    assert load_settings(production(**{name: GOOD_SECRET[:32]})).secrets()[name]


@pytest.mark.parametrize("password", ["changeme", "password", "postgres", "secret", "Test"])
def test_production_refuses_a_placeholder_database_password(password: str) -> None:
    url = f"postgresql://samtale:{password}@db.kommune.dk/samtale"
    with pytest.raises(ValueError, match="DATABASE_URL has a placeholder password") as raised:
        load_settings(production(DATABASE_URL=url))
    assert f":{password}@" not in str(raised.value)  # the URL is not echoed
    assert load_settings({"DATABASE_URL": url}).database_url.endswith("/samtale")


def test_production_refuses_a_short_or_placeholder_secret_kept_in_var(tmp_path: Path) -> None:
    (tmp_path / "staff_api_token").write_text("changeme-changeme-changeme-changeme\n")
    (tmp_path / "pseudonym_key").write_text("shortish-key-0123\n")
    settings = load_settings(production(SAMTALE_VAR_DIR=str(tmp_path)))
    with pytest.raises(ValueError, match="staff_api_token: a placeholder value"):
        ensure_staff_token(settings)
    with pytest.raises(ValueError, match="pseudonym_key: shorter than 32 characters"):
        ensure_secret(settings, None, "pseudonym_key")
    development = load_settings({"SAMTALE_VAR_DIR": str(tmp_path)})
    assert ensure_secret(development, None, "pseudonym_key") == "shortish-key-0123"


def test_a_given_mapping_is_read_instead_of_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEB_PORT", "8123")
    monkeypatch.setenv("SAMTALE_ENV", "production")
    assert load_settings().web_port == 8123 and Settings().web_port == 8123
    assert load_settings({}).web_port == 8000  # tests pass a mapping: os.environ is not read
    assert load_settings({}).environment == "development"
    assert Settings(web_port=8200).web_port == 8200  # arguments win over the environment
