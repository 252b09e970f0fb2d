"""Shared fixtures: real databases (SQLite and PostgreSQL), Rasa's events table, the web app.

Other areas may add their own fixtures here or in their folder's conftest.py.
Set TEST_POSTGRES_ADMIN_URL to use another server; `-m "not postgres"` runs SQLite only.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.settings import Settings, load_settings
from bot.store import OutcomeStore, migrate
from bot.web.app import create_app

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
STAFF_TOKEN = "test-staff-token-0123456789"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database per test."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'samtale.db'}"
        migrate(url)
        yield url
        return
    with _postgres_database() as url:
        migrate(url)
        yield url


@contextlib.contextmanager
def _postgres_database() -> Iterator[str]:
    name = f"samtale_test_{secrets.token_hex(6)}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except OperationalError as error:
            pytest.skip(f"PostgreSQL not available at {POSTGRES_ADMIN_URL}: {error}")
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        # FORCE ends connections still pooled by stores and apps created during the test.
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[OutcomeStore]:
    store = OutcomeStore(database_url)
    yield store
    store.close()


class RasaEvents:
    """Rasa's `events` table, created and filled the way Rasa's SQLTrackerStore does it."""

    metadata = MetaData()
    table = Table(
        "events",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("sender_id", String(255), nullable=False, index=True),
        Column("type_name", String(255), nullable=False),
        Column("timestamp", Float),
        Column("intent_name", String(255)),
        Column("action_name", String(255)),
        Column("data", Text),
    )

    def __init__(self, database_url: str) -> None:
        self.engine = create_engine(database_url)
        self.metadata.create_all(self.engine)

    def add(
        self,
        sender_id: str,
        type_name: str,
        timestamp: float,
        data: dict[str, Any],
        *,
        intent_name: str | None = None,
        action_name: str | None = None,
    ) -> None:
        row = {
            "sender_id": sender_id,
            "type_name": type_name,
            "timestamp": timestamp,
            "intent_name": intent_name,
            "action_name": action_name,
            "data": json.dumps({"event": type_name, "timestamp": timestamp, **data}),
        }
        with self.engine.begin() as connection:
            connection.execute(self.table.insert().values(**row))

    def user(
        self, sender_id: str, text: str, timestamp: float, *, metadata: dict | None = None
    ) -> None:
        parse_data = {"intent": {"name": "inform", "confidence": 0.9}, "entities": [], "text": text}
        data = {
            "text": text,
            "parse_data": parse_data,
            "input_channel": "rest",
            "message_id": secrets.token_hex(8),
            "metadata": metadata or {},
        }
        self.add(sender_id, "user", timestamp, data, intent_name="inform")

    def bot(
        self,
        sender_id: str,
        text: str | None,
        timestamp: float,
        *,
        buttons: list[dict[str, str]] | None = None,
    ) -> None:
        payload = {
            "elements": None,
            "quick_replies": None,
            "buttons": buttons,
            "attachment": None,
            "image": None,
            "custom": None,
        }
        data = {"text": text, "data": payload, "metadata": {"utter_action": "utter_ask"}}
        self.add(sender_id, "bot", timestamp, data)

    def action(self, sender_id: str, name: str, timestamp: float) -> None:
        data = {"name": name, "policy": None, "confidence": 1.0}
        self.add(sender_id, "action", timestamp, data, action_name=name)

    def count(self, sender_id: str | None = None) -> int:
        query = self.table.select()
        if sender_id is not None:
            query = query.where(self.table.c.sender_id == sender_id)
        with self.engine.connect() as connection:
            return len(connection.execute(query).all())


@pytest.fixture
def rasa_events(database_url: str) -> Iterator[RasaEvents]:
    events = RasaEvents(database_url)
    yield events
    events.engine.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    env = {
        "DATABASE_URL": database_url,
        "SAMTALE_VAR_DIR": str(tmp_path / "var"),
        "STAFF_API_TOKEN": STAFF_TOKEN,
        "SAMTALE_ENV": "development",
    }
    return load_settings(env)


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings)
    yield app
    app.state.store.close()


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    """A client without the lifespan, so the janitor never runs during a test."""
    return TestClient(app)


@pytest.fixture
def staff_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {STAFF_TOKEN}"}
