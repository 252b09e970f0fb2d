"""One settings object for every Samtale process, read from the environment.

Each component takes the slice it needs from `Settings`; nothing else reads `os.environ`.
Empty environment variables count as unset, so a blank line in an env file means "use the default".
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ROOT = Path(__file__).resolve().parent.parent
MIN_TOKEN_LENGTH = 16
TOKEN_FILE_NAME = "staff_api_token"
AUTO_RASA_WORKERS_AT_MOST = 2


@dataclass(frozen=True)
class Settings:
    root: Path
    var_dir: Path
    database_url: str
    staff_api_token: str | None
    rasa_url: str
    web_host: str
    web_port: int
    action_port: int
    rasa_port: int
    no_consent_purge_minutes: int
    environment: str
    # Rasa processes serving the webhook; more than one share ticket locks in var_dir/locks.
    rasa_workers: int = 1
    # Telegram channel (bot/channels/telegram): off unless a bot token is given.
    telegram_bot_token: str | None = None
    telegram_api_url: str | None = None  # None: Telegram's own Bot API; tests use a fake
    telegram_webhook_url: str | None = None  # None: long polling
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: str | None = None  # None: generated into var_dir
    telegram_default_language: str = "en"  # for Telegram users whose language is not da/en
    pseudonym_key: str | None = None  # HMAC key for channel sender ids; None: from var_dir
    # Staff pages: admins must enrol in TOTP two-factor before anything else (STAFF_REQUIRE_2FA=1).
    staff_require_2fa: bool = False


def load_settings(env: Mapping[str, str] = os.environ) -> Settings:
    """Build validated settings; raises ValueError naming the offending variable."""

    def get(name: str) -> str | None:
        value = env.get(name)
        return value if value else None

    var_dir = _absolute(Path(get("SAMTALE_VAR_DIR") or ROOT / "var"))
    database_url = get("DATABASE_URL") or f"sqlite:///{var_dir / 'samtale.db'}"
    return Settings(
        root=ROOT,
        var_dir=var_dir,
        database_url=_normalise_database_url(database_url),
        staff_api_token=get("STAFF_API_TOKEN"),
        rasa_url=get("RASA_URL") or f"http://127.0.0.1:{_port('RASA_PORT', get('RASA_PORT'), 5005)}",
        web_host=get("WEB_HOST") or "127.0.0.1",
        web_port=_port("WEB_PORT", get("WEB_PORT"), 8000),
        action_port=_port("ACTION_PORT", get("ACTION_PORT"), 5055),
        rasa_port=_port("RASA_PORT", get("RASA_PORT"), 5005),
        no_consent_purge_minutes=_positive_int(
            "NO_CONSENT_PURGE_MINUTES", get("NO_CONSENT_PURGE_MINUTES"), 30
        ),
        environment=get("SAMTALE_ENV") or "development",
        rasa_workers=_rasa_workers(get("RASA_WORKERS")),
        telegram_bot_token=get("TELEGRAM_BOT_TOKEN"),
        telegram_api_url=(get("TELEGRAM_API_URL") or "").rstrip("/") or None,
        telegram_webhook_url=get("TELEGRAM_WEBHOOK_URL"),
        telegram_webhook_port=_port("TELEGRAM_WEBHOOK_PORT", get("TELEGRAM_WEBHOOK_PORT"), 8443),
        telegram_webhook_secret=_webhook_secret(get("TELEGRAM_WEBHOOK_SECRET")),
        telegram_default_language=_language(
            "TELEGRAM_DEFAULT_LANGUAGE", get("TELEGRAM_DEFAULT_LANGUAGE"), "en"
        ),
        pseudonym_key=_pseudonym_key(get("SAMTALE_PSEUDONYM_KEY")),
        staff_require_2fa=_flag("STAFF_REQUIRE_2FA", get("STAFF_REQUIRE_2FA")),
    )


def ensure_staff_token(settings: Settings) -> str:
    """The staff API token: from settings, else var_dir/staff_api_token, else a new one."""
    if settings.staff_api_token is not None:
        return _checked_token(settings.staff_api_token, "STAFF_API_TOKEN")
    path = settings.var_dir / TOKEN_FILE_NAME
    if not path.exists():
        _write_token_once(path, secrets.token_urlsafe(32))
    return _checked_token(path.read_text(encoding="utf-8").strip(), str(path))


def ensure_secret(settings: Settings, configured: str | None, file_name: str) -> str:
    """A secret from settings, else var_dir/<file_name>, else a new one written there (0600).

    Generated once and kept, so e.g. pseudonymous sender ids stay the same across restarts.
    """
    if configured is not None:
        return configured
    path = settings.var_dir / file_name
    if not path.exists():
        _write_token_once(path, secrets.token_urlsafe(32))
    return path.read_text(encoding="utf-8").strip()


# Rasa's SQL tracker store that reuses the trackers it has just saved (engine/tracker_store.py).
TRACKER_STORE_TYPE = "engine.tracker_store.CachedSQLTrackerStore"


# Rasa's ticket locks in files, for more than one Rasa worker (engine/lock_store.py).
LOCK_STORE_TYPE = "engine.lock_store.FileLockStore"


def rasa_lock_store_config(settings: Settings) -> dict[str, Any] | None:
    """The `lock_store` section of Rasa's endpoints.yml: Rasa's in-memory default for one
    worker, locks shared through files for several."""
    if settings.rasa_workers == 1:
        return None
    return {"type": LOCK_STORE_TYPE, "directory": str(settings.var_dir / "locks")}


def rasa_tracker_store_config(settings: Settings) -> dict[str, Any]:
    """The `tracker_store` section of Rasa's endpoints.yml for our database_url."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return {"type": TRACKER_STORE_TYPE, "dialect": "sqlite",
                "db": str(_absolute(Path(url.database)))}
    config: dict[str, Any] = {
        "type": TRACKER_STORE_TYPE,
        # Rasa runs SQLAlchemy 1.4 with psycopg2, so it gets the bare dialect, not our driver.
        "dialect": "postgresql",
        # Rasa passes the endpoint's `url` on as the host of its SQL tracker store.
        "url": url.host,
        "port": url.port,
        "db": url.database,
        "username": url.username,
        "password": url.password,
        "query": dict(url.query) or None,
    }
    return {key: value for key, value in config.items() if value is not None}


def _normalise_database_url(raw: str) -> str:
    try:
        url = make_url(raw)
    except ArgumentError as error:
        raise ValueError(f"DATABASE_URL is not a valid database URL: {error}") from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        # Our venv ships psycopg 3 only; SQLAlchemy's bare "postgresql" means psycopg2.
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ValueError("DATABASE_URL must name a SQLite file: Rasa shares the database")
        # Rasa and our services start from different directories; pin the file absolutely.
        return f"sqlite:///{_absolute(Path(url.database))}"
    raise ValueError(f"DATABASE_URL must be sqlite or postgresql, got {url.drivername!r}")


def _absolute(path: Path) -> Path:
    # Relative paths are relative to the repo root, so every process agrees whatever its cwd.
    path = path.expanduser()
    return path if path.is_absolute() else (ROOT / path).resolve()


def _port(name: str, raw: str | None, default: int) -> int:
    value = _int(name, raw, default)
    if not 1 <= value <= 65535:
        raise ValueError(f"{name} must be a port between 1 and 65535, got {raw!r}")
    return value


def _positive_int(name: str, raw: str | None, default: int) -> int:
    value = _int(name, raw, default)
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}")
    return value


def _rasa_workers(raw: str | None) -> int:
    """A number, or unset / "auto": one worker per usable core, at most two. On two cores two
    workers take the tail latency under load to ~0.6x one's (README, Benchmark); each loads
    its own model (~1.2 GB), so more cores do not mean more workers unless asked for."""
    if raw is None or raw.strip().lower() in ("", "auto"):
        return min(len(os.sched_getaffinity(0)), AUTO_RASA_WORKERS_AT_MOST)
    return _positive_int("RASA_WORKERS", raw, 1)


def _language(name: str, raw: str | None, default: str) -> str:
    value = (raw or default).strip().lower()
    if value not in ("da", "en"):
        raise ValueError(f"{name} must be 'da' or 'en', got {raw!r}")
    return value


def _pseudonym_key(raw: str | None) -> str | None:
    # A short key would let anyone who knows a Telegram user id guess the pseudonym.
    if raw is not None and len(raw) < MIN_TOKEN_LENGTH:
        raise ValueError(f"SAMTALE_PSEUDONYM_KEY must be at least {MIN_TOKEN_LENGTH} characters")
    return raw


def _webhook_secret(raw: str | None) -> str | None:
    # Telegram's own rule for secret_token: 1-256 characters of A-Z, a-z, 0-9, _ and -.
    if raw is not None and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", raw):
        raise ValueError("TELEGRAM_WEBHOOK_SECRET must be 16-256 characters of A-Z a-z 0-9 _ -")
    return raw


def _flag(name: str, raw: str | None) -> bool:
    value = (raw or "0").strip().lower()
    if value not in ("0", "1", "true", "false", "yes", "no"):
        raise ValueError(f"{name} must be 1 or 0, got {raw!r}")
    return value in ("1", "true", "yes")


def _int(name: str, raw: str | None, default: int) -> int:
    if raw is None:
        return default
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def _checked_token(token: str, source: str) -> str:
    if len(token) < MIN_TOKEN_LENGTH:
        raise ValueError(
            f"{source}: the staff API token must be at least {MIN_TOKEN_LENGTH} characters"
        )
    return token


def _write_token_once(path: Path, token: str) -> None:
    """Write the token file atomically; if another process won the race, keep its token."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask may only have narrowed it, but be exact
        os.write(fd, f"{token}\n".encode())
    finally:
        os.close(fd)
    try:
        # link() fails if the file exists, so a reader never sees a half-written token.
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(draft)
