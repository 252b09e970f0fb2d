"""Engines and schema upgrades. Nothing here runs at import time."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option asking for a write transaction (BEGIN IMMEDIATE on SQLite).
WRITE_TRANSACTION = "samtale_write"
# Any constant works; it only has to be the same in every process that migrates.
MIGRATION_LOCK_KEY = 0x5A47A1E


def create_store_engine(database_url: str) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(database_url, url.database)
    return create_engine(database_url, pool_pre_ping=True)


def migrate(database_url: str) -> None:
    """Run `alembic upgrade head` on database_url (our tables only; Rasa's are left alone)."""
    engine = create_store_engine(database_url)
    try:
        writer = {WRITE_TRANSACTION: True}
        with engine.connect().execution_options(**writer) as connection, connection.begin():
            if connection.dialect.name == "postgresql":
                # The action server and web service may both migrate on start-up.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS_DIR))
            # Passing the connection avoids configparser mangling '%' in passwords.
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def _sqlite_engine(database_url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        _create_private_file(Path(database))
    engine = create_engine(database_url)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Leave BEGIN to SQLAlchemy (below) instead of pysqlite's implicit transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL lets readers (the web service) proceed while the action server or Rasa writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:  # type: ignore[no-untyped-def]
        # A deferred transaction that reads and then writes cannot wait for a lock in WAL mode:
        # it fails at once with "database is locked". Writers take the lock up front instead.
        immediate = connection.get_execution_options().get(WRITE_TRANSACTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _create_private_file(path: Path) -> None:
    """Create the SQLite file empty and 0600 before SQLite opens it: SQLite gives its -wal and
    -shm files the database file's mode, so the transcripts are never readable by others."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
