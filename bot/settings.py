"""One settings object for every Samtale process, read from the environment (pydantic-settings).

Each component takes the slice it needs from `Settings`; nothing else reads `os.environ`.
Empty environment variables count as unset, so a blank line in an env file means "use the default".
Every error names the environment variable; with SAMTALE_ENV=production placeholder and short
secrets are refused as well.
"""

from __future__ import annotations

import contextvars
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ROOT = Path(__file__).resolve().parent.parent
MIN_TOKEN_LENGTH = 16
PRODUCTION_MIN_SECRET_LENGTH = 32
TOKEN_FILE_NAME = "staff_api_token"
AUTO_RASA_WORKERS_AT_MOST = 2
# Values people type while trying things out; compared lower-case, without punctuation.
PLACEHOLDERS = frozenset({
    "changeme", "changethis", "change", "secret", "password", "passwd", "pass", "token",
    "test", "testing", "example", "default", "admin", "root", "postgres", "samtale", "dummy",
    "sample", "placeholder", "xxx", "todo", "letmein", "qwerty", "123456", "12345678", "none",
    "null", "foo", "bar", "foobar", "key", "apikey", "secretkey", "mysecret", "insecure",
})


def _port(value: int) -> int:
    if not 1 <= value <= 65535:
        raise ValueError(f"must be a port between 1 and 65535, got {str(value)!r}")
    return value


def _positive(value: int) -> int:
    if value < 1:
        raise ValueError(f"must be a positive integer, got {str(value)!r}")
    return value


def _auto_workers(value: Any) -> Any:
    """Unset or "auto": one worker per usable core, at most two. On two cores two workers take
    the tail latency under load to ~0.6x one's (README, Benchmark); each loads its own model
    (~1.2 GB), so more cores do not mean more workers unless asked for."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto")):
        return min(len(os.sched_getaffinity(0)), AUTO_RASA_WORKERS_AT_MOST)
    return value


def _origins(value: Any) -> Any:
    """A comma-separated list in the environment; each a browser origin, as its Origin header
    spells it (scheme://host[:port], no path), since CORS compares them exactly."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    origins = []
    for origin in value or []:
        origin = str(origin).rstrip("/")
        if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?", origin):
            raise ValueError(f"must list origins such as https://www.kommune.dk, got {origin!r}")
        origins.append(origin.lower())
    return origins


def _rate_limit(value: str) -> str:
    # `limits` notation: "20/minute", "5 per second", "100/2 hours"; several joined by ";".
    amount = r"\d+\s*(?:/|per)\s*(?:\d+\s*)?(?:second|minute|hour|day|month|year)s?"
    if not re.fullmatch(rf"\s*{amount}(?:\s*[;,]\s*{amount})*\s*", value, re.IGNORECASE):
        raise ValueError(f"must be like '20/minute' or '5/second', got {value!r}")
    return value.strip()


Port = Annotated[int, AfterValidator(_port)]
PositiveInt = Annotated[int, AfterValidator(_positive)]
Secret = Annotated[str | None, Field(repr=False)]


class Settings(BaseSettings):
    """The environment variable of each field is its name in capitals unless an alias says so."""

    model_config = SettingsConfigDict(
        frozen=True, env_ignore_empty=True, extra="ignore", validate_by_name=True,
        validate_by_alias=True,
    )

    var_dir: Path = Field(ROOT / "var", validation_alias="SAMTALE_VAR_DIR", validate_default=True)
    # SQLite in var_dir unless set; postgres(ql):// URLs get our psycopg 3 driver.
    database_url: str = Field("", validate_default=True, repr=False)  # it may hold a password
    staff_api_token: Secret = None
    rasa_port: Port = 5005
    rasa_url: str = Field("", validate_default=True)  # default: 127.0.0.1 and rasa_port
    web_host: str = "127.0.0.1"
    web_port: Port = 8000
    action_host: str = "127.0.0.1"
    action_port: Port = 5055
    # Shared secret the action server demands of Rasa's calls; None: generated into var_dir.
    action_server_token: Secret = None
    # Where people reach the web service (the widget's script address); default: web_port.
    public_url: str = Field("", validate_default=True)
    # Sites that may embed the widget (CORS); comma-separated in the environment.
    widget_allowed_origins: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_origins)] = ()
    # How long a widget session may continue its conversation after it was issued.
    widget_session_days: PositiveInt = 30
    # A separate port (and interface) for the staff pages and API; None: the web service's own.
    staff_port: Port | None = None
    staff_host: str = Field("127.0.0.1", validate_default=False)  # checked only when given
    staff_require_2fa: bool = False  # admins must enrol in TOTP two-factor first
    enable_api_docs: bool = False  # /docs and /openapi.json
    redis_url: str | None = None  # rate-limit counters shared by web workers; None: in memory
    # Chat rate limits in `limits` notation, per widget session and per client address.
    chat_rate_limit_session: Annotated[str, AfterValidator(_rate_limit)] = "20/minute"
    chat_rate_limit_address: Annotated[str, AfterValidator(_rate_limit)] = "120/minute"
    chat_max_body_bytes: PositiveInt = 64 * 1024  # request bodies on /chat/
    max_body_bytes: PositiveInt = 1024 * 1024  # request bodies elsewhere
    no_consent_purge_minutes: PositiveInt = 30
    retention_days: PositiveInt = 180
    # Outcomes still open for follow-up (new, in_progress) outlive retention until closed.
    retention_keep_open: bool = True
    environment: Literal["development", "production"] = Field(
        "development", validation_alias="SAMTALE_ENV")
    # Rasa processes serving the webhook; more than one share ticket locks in var_dir/locks.
    rasa_workers: Annotated[PositiveInt, BeforeValidator(_auto_workers)] = Field(
        "auto", validate_default=True)
    # Telegram channel (bot/channels/telegram): off unless a bot token is given.
    telegram_bot_token: Secret = None
    telegram_api_url: str | None = None  # None: Telegram's own Bot API; tests use a fake
    telegram_webhook_url: str | None = None  # None: long polling
    telegram_webhook_port: Port = 8443
    telegram_webhook_secret: Secret = None  # None: generated into var_dir
    telegram_default_language: str = "en"  # for Telegram users whose language is not da/en
    # HMAC key for channel sender ids; None: from var_dir.
    pseudonym_key: Secret = Field(None, validation_alias="SAMTALE_PSEUDONYM_KEY")
    # Trainer studio: the git work tree whose domain/, nlu/, stories/, lexicons/ and config.yml
    # trainers edit (their saves are commits there); None: the project's own folder.
    trainer_content_dir: Path | None = None
    trainer_rasa: Path | None = None  # rasa for `rasa data validate`; None: .venv-engine/bin/rasa
    # The conversation plan the action server follows; None: conversations.yml of the trainers'
    # content folder (trainer_content_dir), else of the project.
    plan_file: Path | None = Field(None, validation_alias="SAMTALE_PLAN_FILE")
    # The review inbox lists messages whose top intent's confidence is under this.
    review_confidence_below: float = Field(0.6, ge=0.0, le=1.0)
    # Rasa's workers pull the deployed model from the web service (bot/web/trainer/
    # model_server.py) every model_pull_seconds; off: Rasa runs models/samtale.tar.gz only.
    model_server: bool = True
    model_pull_seconds: PositiveInt = 10
    # The secret Rasa's pulls carry (X-Samtale-Model-Token); None: generated into var_dir.
    model_server_token: Secret = None

    @property
    def root(self) -> Path:
        return ROOT

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings,
                                   dotenv_settings, file_secret_settings):
        # Arguments, then the environment (or the mapping load_settings was given); no .env.
        return init_settings, _MappingSource(settings_cls)

    @field_validator("var_dir", mode="after")
    @classmethod
    def _var_dir(cls, value: Path) -> Path:
        return _absolute(value)

    @field_validator("database_url", mode="after")
    @classmethod
    def _database_url(cls, value: str, info: ValidationInfo) -> str:
        var_dir = info.data.get("var_dir", ROOT / "var")
        return _normalise_database_url(value or f"sqlite:///{var_dir / 'samtale.db'}")

    @field_validator("rasa_url", mode="after")
    @classmethod
    def _rasa_url(cls, value: str, info: ValidationInfo) -> str:
        return value or f"http://127.0.0.1:{info.data.get('rasa_port', 5005)}"

    @field_validator("public_url", mode="after")
    @classmethod
    def _public_url(cls, value: str, info: ValidationInfo) -> str:
        url = (value or f"http://127.0.0.1:{info.data.get('web_port', 8000)}").rstrip("/")
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url):
            raise ValueError(f"must be an http(s) URL such as https://samtale.kommune.dk, "
                             f"got {value!r}")
        return url

    @field_validator("staff_host", mode="after")
    @classmethod
    def _staff_host(cls, value: str, info: ValidationInfo) -> str:
        # Runs only when STAFF_HOST is given: it means nothing without a port of its own.
        if info.data.get("staff_port") is None:
            raise ValueError("is set but STAFF_PORT is not: give the staff service a port")
        return value

    @field_validator("staff_port", mode="after")
    @classmethod
    def _staff_port(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and value == info.data.get("web_port"):
            raise ValueError(f"must differ from WEB_PORT, got {str(value)!r}")
        return value

    @field_validator("redis_url", mode="after")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"(rediss?|unix)://", value):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("telegram_api_url", mode="after")
    @classmethod
    def _telegram_api_url(cls, value: str | None) -> str | None:
        return (value or "").rstrip("/") or None

    @field_validator("telegram_default_language", mode="after")
    @classmethod
    def _language(cls, value: str) -> str:
        if value.strip().lower() not in ("da", "en"):
            raise ValueError(f"must be 'da' or 'en', got {value!r}")
        return value.strip().lower()

    @field_validator("action_server_token", "pseudonym_key", "model_server_token", mode="after")
    @classmethod
    def _long_enough(cls, value: str | None) -> str | None:
        # A short key would let anyone who knows a Telegram user id guess the pseudonym.
        if value is not None and len(value) < MIN_TOKEN_LENGTH:
            raise ValueError(f"must be at least {MIN_TOKEN_LENGTH} characters")
        return value

    @field_validator("telegram_webhook_secret", mode="after")
    @classmethod
    def _webhook_secret(cls, value: str | None) -> str | None:
        # Telegram's own rule for secret_token: 1-256 characters of A-Z, a-z, 0-9, _ and -.
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", value):
            raise ValueError("must be 16-256 characters of A-Z a-z 0-9 _ -")
        return value

    @model_validator(mode="after")
    def _production_secrets(self) -> Self:
        if self.environment != "production":
            return self
        problems = [problem for name, value in self.secrets().items()
                    if (problem := secret_problem(name, value)) is not None]
        password = make_url(self.database_url).password
        if password is not None and _is_placeholder(password):
            problems.append("DATABASE_URL has a placeholder password")
        if problems:
            raise ValueError("SAMTALE_ENV=production refuses " + "; ".join(problems))
        return self

    def secrets(self) -> dict[str, str | None]:
        """The configured secrets by environment variable (None: generated into var_dir)."""
        return {
            "STAFF_API_TOKEN": self.staff_api_token,
            "ACTION_SERVER_TOKEN": self.action_server_token,
            "SAMTALE_PSEUDONYM_KEY": self.pseudonym_key,
            "TELEGRAM_WEBHOOK_SECRET": self.telegram_webhook_secret,
            "MODEL_SERVER_TOKEN": self.model_server_token,
        }


def secret_problem(name: str, value: str | None) -> str | None:
    """What is wrong with a production secret, naming it (never quoting it); None if fine."""
    if value is None:
        return None
    if _is_placeholder(value) or len(set(value)) < 8:  # "aaaa…", "abab…" are no secret either
        return f"{name}: a placeholder value; use e.g. `openssl rand -hex 32`"
    if len(value) < PRODUCTION_MIN_SECRET_LENGTH:
        return (f"{name}: shorter than {PRODUCTION_MIN_SECRET_LENGTH} characters; "
                "use e.g. `openssl rand -hex 32`")
    return None


def _is_placeholder(value: str) -> bool:
    letters = re.sub(r"[^a-z0-9]", "", value.lower())
    if letters in PLACEHOLDERS:
        return True
    # "changeme-changeme-…", "test1234test1234…": a placeholder word repeated or numbered.
    return any(re.fullmatch(f"(?:{word}|[0-9])+", letters) for word in PLACEHOLDERS)


_ENVIRONMENT: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar("environment")


class _MappingSource(EnvSettingsSource):
    """The environment source, reading the mapping given to load_settings (else os.environ)."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(_ENVIRONMENT.get(os.environ), self.case_sensitive,
                              self.env_ignore_empty, self.env_parse_none_str)


def load_settings(env: Mapping[str, str] = os.environ) -> Settings:
    """Build validated settings; raises ValueError naming the offending variable."""
    token = _ENVIRONMENT.set(env)
    try:
        return Settings()
    except ValidationError as error:
        raise ValueError("; ".join(_explain(e) for e in error.errors())) from None
    finally:
        _ENVIRONMENT.reset(token)


# pydantic's own checks, in the words of the rest of this module.
_TYPE_ERRORS = {"int_parsing": "must be an integer", "int_from_float": "must be an integer",
                "bool_parsing": "must be true or false (1/0, yes/no, on/off)"}


def _explain(error: Any) -> str:
    if not error["loc"]:  # a check of the whole object; its message names the variables
        return str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
    name = _environment_name(str(error["loc"][0]))
    if error["type"] == "value_error":
        return f"{name} {error['ctx']['error']}"
    if error["type"] == "literal_error":
        return f"{name} must be {error['ctx']['expected']}, got {error['input']!r}"
    message = _TYPE_ERRORS.get(error["type"], error["msg"])
    return f"{name} {message}, got {error['input']!r}"


def _environment_name(field_or_alias: str) -> str:
    field = Settings.model_fields.get(field_or_alias)
    if field is None:
        return field_or_alias
    return str(field.validation_alias or field_or_alias.upper())


def ensure_staff_token(settings: Settings) -> str:
    """The staff API token: from settings, else var_dir/staff_api_token, else a new one."""
    if settings.staff_api_token is not None:
        return _checked_token(settings, settings.staff_api_token, "STAFF_API_TOKEN")
    path = settings.var_dir / TOKEN_FILE_NAME
    if not path.exists():
        _write_token_once(path, secrets.token_urlsafe(32))
    return _checked_token(settings, path.read_text(encoding="utf-8").strip(), str(path))


def ensure_secret(settings: Settings, configured: str | None, file_name: str) -> str:
    """A secret from settings, else var_dir/<file_name>, else a new one written there (0600).

    Generated once and kept, so e.g. pseudonymous sender ids stay the same across restarts.
    In production a kept file is held to the same rule as a configured secret.
    """
    if configured is not None:
        return configured
    path = settings.var_dir / file_name
    if not path.exists():
        _write_token_once(path, secrets.token_urlsafe(32))
    value = path.read_text(encoding="utf-8").strip()
    if settings.environment == "production" and (problem := secret_problem(str(path), value)):
        raise ValueError(f"SAMTALE_ENV=production refuses {problem}")
    return value


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
        raise ValueError(f"is not a valid database URL: {error}") from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        # Our venv ships psycopg 3 only; SQLAlchemy's bare "postgresql" means psycopg2.
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ValueError("must name a SQLite file: Rasa shares the database")
        # Rasa and our services start from different directories; pin the file absolutely.
        return f"sqlite:///{_absolute(Path(url.database))}"
    raise ValueError(f"must be sqlite or postgresql, got {url.drivername!r}")


def _absolute(path: Path) -> Path:
    # Relative paths are relative to the repo root, so every process agrees whatever its cwd.
    path = path.expanduser()
    return path if path.is_absolute() else (ROOT / path).resolve()


def _checked_token(settings: Settings, token: str, source: str) -> str:
    if len(token) < MIN_TOKEN_LENGTH:
        raise ValueError(
            f"{source}: the staff API token must be at least {MIN_TOKEN_LENGTH} characters"
        )
    if settings.environment == "production" and (problem := secret_problem(source, token)):
        raise ValueError(f"SAMTALE_ENV=production refuses {problem}")
    return token


def _write_token_once(path: Path, token: str) -> None:
    """Write the token file atomically; if another process won the race, keep its token."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
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
