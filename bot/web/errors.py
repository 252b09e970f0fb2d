"""The one error path of the web service: every failure becomes JSON {"detail": ...}.

Nothing a client sent is echoed back or written to the log: FastAPI's own 422 body repeats the
"input", and a traceback's message can carry it (a database error quotes its parameters). So
validation errors keep only where and what, and unexpected errors are logged as their type and
the code lines they passed through, never their message.
"""

from __future__ import annotations

import logging
import traceback

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.store import ConsentRequired, InvalidValue, StoreError, UnknownOutcome

log = logging.getLogger(__name__)

_STATUS_FOR = {
    UnknownOutcome: status.HTTP_404_NOT_FOUND,
    InvalidValue: 422,  # the status FastAPI itself gives invalid input
    ConsentRequired: status.HTTP_409_CONFLICT,
}
INTERNAL_ERROR = {"detail": "Internal server error"}


async def store_error(request: Request, error: Exception) -> JSONResponse:
    code = _STATUS_FOR.get(type(error), status.HTTP_400_BAD_REQUEST)
    return JSONResponse({"detail": str(error)}, status_code=code)


async def validation_error(request: Request, error: Exception) -> JSONResponse:
    """FastAPI's 422 without "input" and "ctx" (the value sent, a 10 MB message included)."""
    assert isinstance(error, RequestValidationError)
    detail = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
              for e in error.errors()]
    return JSONResponse({"detail": detail}, status_code=422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(StoreError, store_error)
    app.add_exception_handler(RequestValidationError, validation_error)


def describe(error: BaseException) -> str:
    """An exception as its type and the frames it passed: never its message or its cause's."""
    frames = "".join(traceback.format_tb(error.__traceback__)).rstrip()
    return f"{type(error).__module__}.{type(error).__qualname__}\n{frames}"


class CatchAllMiddleware:
    """Turns any unhandled exception into a plain 500 and one log record without user data.

    Starlette's own error middleware re-raises after answering, and the server then logs the
    exception's message; this sits inside it, so nothing unhandled ever reaches it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:  # noqa: BLE001 - the one place that must catch everything
            log.error("Unhandled error in %s %s: %s", scope.get("method"), scope.get("path"),
                      describe(error))
            if not started:
                await JSONResponse(INTERNAL_ERROR, status_code=500)(scope, receive, send)

