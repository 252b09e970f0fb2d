"""The staff pages' one error path: each failure becomes a friendly page (or JSON for API
callers), in the reader's language. Installed by bot.web.staff.mount.install."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.web import errors as api_errors
from bot.web.staff import auth
from bot.web.staff.csrf import CsrfFailed
from bot.web.templates import templates, translate, ui_language

PAGE_PREFIXES = ("/staff", "/trainer")


def is_page(request: Request) -> bool:
    return request.url.path.startswith(PAGE_PREFIXES) and not auth.wants_json(request)


def error_page(request: Request, status_code: int, title_key: str, message: str,
               problems: list[str] | None = None, headers: dict[str, str] | None = None
               ) -> Response:
    if not hasattr(request.state, "user"):
        auth.load_user(request)  # so the page shows the menu to a signed-in reader
    language = ui_language(request)
    context = {"title": translate(language, title_key), "message": message,
               "problems": problems or []}
    return templates.TemplateResponse(request, "staff/error.html", context,
                                      status_code=status_code, headers=headers)


async def login_required(request: Request, error: Exception) -> Response:
    assert isinstance(error, auth.LoginRequired)
    target = "/staff/login/code" if error.second_factor else auth.login_url(error.next_url)
    if request.headers.get("hx-request"):  # htmx would swap the login page into a fragment
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def enrol_required(request: Request, error: Exception) -> Response:
    return RedirectResponse(auth.ENROL_PATH, status_code=303)


async def forbidden(request: Request, error: Exception) -> Response:
    assert isinstance(error, auth.Forbidden)
    language = ui_language(request)
    message = translate(language, "errors.forbidden",
                        role=translate(language, f"role.{error.needed}"))
    if not is_page(request):
        return JSONResponse({"detail": f"This needs the role {error.needed}"}, status_code=403)
    return error_page(request, 403, "errors.forbidden_title", message)


async def csrf_failed(request: Request, error: Exception) -> Response:
    key = str(error)
    if not is_page(request):
        return JSONResponse({"detail": translate("en", key)}, status_code=403)
    return error_page(request, 403, "errors.csrf_title", translate(ui_language(request), key))


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if not is_page(request):
        return await http_exception_handler(request, error)
    language = ui_language(request)
    if error.status_code == 404:
        return error_page(request, 404, "errors.not_found_title",
                          translate(language, "errors.not_found"))
    return error_page(request, error.status_code, "errors.bad_request_title", str(error.detail),
                      headers=getattr(error, "headers", None))


async def invalid_request(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    if not is_page(request):
        # The JSON API's own answer: location and message, never the input (bot/web/errors.py).
        return await api_errors.validation_error(request, error)
    problems = [
        f"{'.'.join(str(part) for part in problem['loc'][1:]) or problem['loc'][0]}: "
        f"{problem['msg']}"
        for problem in error.errors()
    ]
    return error_page(request, 400, "errors.bad_request_title",
                      translate(ui_language(request), "errors.bad_request"), problems)


def install(app: FastAPI) -> None:
    app.add_exception_handler(auth.LoginRequired, login_required)
    app.add_exception_handler(auth.EnrolRequired, enrol_required)
    app.add_exception_handler(auth.Forbidden, forbidden)
    app.add_exception_handler(CsrfFailed, csrf_failed)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
