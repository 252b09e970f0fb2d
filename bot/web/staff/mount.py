"""Wires the staff pages into the web app: stores, CSRF key, routers, static files, errors."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from bot.settings import ensure_secret
from bot.store.accounts import AccountStore
from bot.store.models import utcnow
from bot.web.staff import account, errors, home, login

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
CSRF_KEY_FILE = "staff_csrf_key"  # in var_dir, 0600, made once


def install(app: FastAPI) -> None:
    settings = app.state.settings
    app.state.accounts = AccountStore(app.state.store)
    app.state.clock = utcnow  # tests replace it to move time forward
    app.state.csrf_key = ensure_secret(settings, None, CSRF_KEY_FILE).encode()
    app.mount("/staff/static", StaticFiles(directory=STATIC_DIR), name="staff-static")
    for page in (login, home, account):
        app.include_router(page.router)
    errors.install(app)
