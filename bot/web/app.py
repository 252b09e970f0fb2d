"""App factory for the staff service: wiring only.

uvicorn bot.web.app:create_app --factory --host 127.0.0.1 --port 8000
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from bot.channels import webchat
from bot.settings import Settings, ensure_staff_token, load_settings
from bot.store import get_store
from bot.web import errors
from bot.web.api import conversations, health, outcomes
from bot.web.janitor import run_janitor_forever
from bot.web.staff import mount as staff
from bot.web.staff import pages as staff_pages


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    janitor = asyncio.create_task(run_janitor_forever(app.state.store, app.state.settings))
    try:
        yield
    finally:
        janitor.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await janitor


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    app = FastAPI(title="Samtale staff API", lifespan=lifespan)
    app.state.settings = settings
    app.state.store = get_store(settings)
    app.state.staff_token = ensure_staff_token(settings)
    errors.install(app)
    staff.install(app)  # the staff pages under /staff/, their sessions, CSRF and error pages
    staff_pages.install(app)  # inbox, outcomes, transcripts, exports, reports, matches
    for api in (health, outcomes, conversations):
        app.include_router(api.router, prefix="/api")
    # The web chat: its proxy and demo page first, so /chat/api/... wins over the static mount.
    app.include_router(webchat.router)
    app.mount("/chat", webchat.static_files, name="webchat")
    return app
