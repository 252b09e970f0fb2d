"""The one error path of the API: every failure becomes JSON {"detail": ...}."""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from bot.store import ConsentRequired, InvalidValue, StoreError, UnknownOutcome

_STATUS_FOR = {
    UnknownOutcome: status.HTTP_404_NOT_FOUND,
    InvalidValue: 422,  # the status FastAPI itself gives invalid input
    ConsentRequired: status.HTTP_409_CONFLICT,
}


async def store_error(request: Request, error: Exception) -> JSONResponse:
    code = _STATUS_FOR.get(type(error), status.HTTP_400_BAD_REQUEST)
    return JSONResponse({"detail": str(error)}, status_code=code)


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    # Starlette re-raises after this handler, so the server logs the traceback once, for us.
    return JSONResponse({"detail": "Internal server error"}, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(StoreError, store_error)
    app.add_exception_handler(Exception, unexpected_error)
