"""The Alembic migrations: they build our tables, match the models, and leave Rasa's alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect

from bot.store import OutcomeStore, migrate
from bot.store.database import MIGRATIONS_DIR

ROOT = Path(__file__).resolve().parents[2]


def test_migrate_is_repeatable_and_leaves_rasa_events_alone(database_url: str, rasa_events) -> None:
    rasa_events.user("c1", "hej", 1_700_000_000.0)
    migrate(database_url)
    engine = create_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"conversations", "outcomes", "events", "alembic_version"} <= tables
    assert rasa_events.count("c1") == 1


def test_models_match_the_migrations(database_url: str, rasa_events) -> None:
    # `alembic check` runs env.py's autogenerate; Rasa's events table must not count as a diff.
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS_DIR))
            config.attributes["connection"] = connection
            command.check(config)
    finally:
        engine.dispose()


def test_alembic_command_line_uses_database_url(tmp_path: Path) -> None:
    database = tmp_path / "cli.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini"), "upgrade", "head"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    store = OutcomeStore(env["DATABASE_URL"])
    try:
        assert store.save_conversation("c1", consent=True)["consent"] is True
    finally:
        store.close()


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wal.db'}"
    migrate(url)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()
