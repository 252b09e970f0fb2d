"""The web service as the fuzzers meet it: the whole app (chat and staff API) on a real
database, Rasa "down" (a closed port, answered at once) so an accepted message costs nothing,
rate limits high enough not to hide the handlers behind 429s."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from bot.settings import Settings
from bot.web.app import create_app


@pytest.fixture
def fuzz_app(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings.model_copy(update=dict(
        rasa_url="http://127.0.0.1:9", enable_api_docs=True,
        chat_rate_limit_session="100000/minute", chat_rate_limit_address="100000/minute")))
    yield app
    app.state.store.close()
