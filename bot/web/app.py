"""App factory for the web service: wiring only.

One process serves everything (surface "all"), or, with STAFF_PORT set, the launcher runs two:
    uvicorn bot.web.app:create_public_app --factory   chat widget, its proxy, demo page, health
    uvicorn bot.web.app:create_staff_app --factory    /api/*, /staff/*, /trainer/*, health
so a municipality can keep the staff side on its intranet (STAFF_HOST) while the chat is public.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Literal

from fastapi import APIRouter, FastAPI

from bot.channels import webchat
from bot.settings import Settings, ensure_staff_token, load_settings
from bot.store import get_store
from bot.web import apidocs, errors, trainer
from bot.web.api import conversations, health, outcomes
from bot.web.janitor import run_janitor_forever
from bot.web.ratelimit import ChatRateLimiter
from bot.web.security import BodyLimitMiddleware, ChatCORSMiddleware, SecurityHeadersMiddleware
from bot.web.staff import mount as staff
from bot.web.staff import pages as staff_pages

Surface = Literal["all", "public", "staff"]


def staff_routers() -> list[tuple[APIRouter, str]]:
    """Every router of the staff side, with its prefix. Staff pages add theirs here."""
    return [(outcomes.router, "/api"), (conversations.router, "/api")]


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The janitor runs once per deployment: in the staff process when the two are split.
    janitor = None
    if app.state.surface != "public" or app.state.settings.staff_port is None:
        janitor = asyncio.create_task(run_janitor_forever(app.state.store, app.state.settings))
    try:
        yield
    finally:
        if janitor is not None:
            janitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await janitor


def create_app(settings: Settings | None = None, surface: Surface = "all") -> FastAPI:
    settings = settings or load_settings()
    docs = settings.enable_api_docs
    app = FastAPI(title="Samtale web service", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json" if docs else None)
    app.state.settings = settings
    app.state.surface = surface
    app.state.store = get_store(settings)
    app.state.staff_token = ensure_staff_token(settings)
    errors.install(app)
    if docs:
        apidocs.install(app)
    app.include_router(health.router, prefix="/api")
    if surface in ("all", "staff"):
        staff.install(app)  # the staff pages under /staff/, their sessions, CSRF and error pages
        staff_pages.install(app)  # inbox, outcomes, transcripts, exports, reports, matches
        trainer.install(app)  # /trainer/: content, understanding, history
        for router, prefix in staff_routers():
            app.include_router(router, prefix=prefix)
    if surface in ("all", "public"):
        app.state.rate_limiter = ChatRateLimiter(settings)
        app.state.session_signer = webchat.SessionSigner(settings)
        # The web chat: its proxy and demo page first, so /chat/api/... wins over the static mount.
        app.include_router(webchat.router)
        app.mount("/chat", webchat.static_files, name="webchat")
    # Added innermost first: headers wrap everything, then CORS, the catch-all, the size limit.
    app.add_middleware(BodyLimitMiddleware, chat_limit=settings.chat_max_body_bytes,
                       default_limit=settings.max_body_bytes)
    app.add_middleware(errors.CatchAllMiddleware)
    app.add_middleware(ChatCORSMiddleware, allowed_origins=settings.widget_allowed_origins,
                       public_url=settings.public_url)
    app.add_middleware(SecurityHeadersMiddleware)
    return app


def create_public_app() -> FastAPI:
    return create_app(surface="public")


def create_staff_app() -> FastAPI:
    return create_app(surface="staff")
