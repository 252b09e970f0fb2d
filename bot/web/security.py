"""The web service's edge, as plain ASGI middleware: security headers, body-size limits, and
CORS for the chat widget alone.

Headers on every response:
- Content-Security-Policy: scripts, styles and fetches from this origin only, no inline script
  or style (the demo page keeps its look in a static file; the widget and the vendored Swagger UI
  set styles through the DOM, which CSP allows); no framing at all (frame-ancestors 'none': the
  widget is embedded with a script tag on the municipality's page, never in a frame).
- X-Content-Type-Options: nosniff, and X-Frame-Options: DENY for browsers without CSP 3.
- Referrer-Policy: same-origin. Staff URLs carry conversation ids and filters, so no other site
  may see them; a same-origin POST still carries its Origin header (under no-referrer browsers
  send "Origin: null"), which the staff pages' CSRF check and the chat's origin check rely on.
- Cache-Control: no-store on everything that carries personal data (PERSONAL_PREFIXES).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PERSONAL_PREFIXES = ("/api/", "/chat/api/", "/staff", "/trainer")
CHAT_PREFIX = "/chat/"
CHAT_API_PREFIX = "/chat/api/"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


def _path(scope: Scope) -> str:
    return scope.get("path", "")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = _path(scope)
        personal = path.startswith(PERSONAL_PREFIXES) and path != "/api/health"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                ours = {name for name, _ in HEADERS} | {b"content-security-policy"}
                if personal:
                    ours |= {b"cache-control", b"pragma"}
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in ours]
                headers += HEADERS + [(b"content-security-policy", CSP.encode())]
                if personal:
                    headers += [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimitMiddleware:
    """Refuses request bodies over a size (413) before the app reads them: by Content-Length
    when it is sent, and by counting what arrives when it is not (chunked uploads)."""

    def __init__(self, app: ASGIApp, *, chat_limit: int, default_limit: int) -> None:
        self.app = app
        self.chat_limit, self.default_limit = chat_limit, default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.chat_limit if _path(scope).startswith(CHAT_PREFIX) else self.default_limit
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await too_large(limit)(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                # Raised inside the route's body read: the app's HTTP error handler answers it.
                raise HTTPException(413, detail=too_large_detail(limit))
            return message

        await self.app(scope, counting_receive, send)


def too_large_detail(limit: int) -> str:
    return f"Request body too large: at most {limit} bytes."


def too_large(limit: int) -> JSONResponse:
    return JSONResponse({"detail": too_large_detail(limit)}, status_code=413)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class ChatCORSMiddleware:
    """CORS for the widget's API only, and only for the sites a municipality configured
    (WIDGET_ALLOWED_ORIGINS). A browser on any other site gets no CORS answer, and a request it
    sends anyway (a form post needs no preflight) is refused with 403: defence in depth."""

    def __init__(self, app: ASGIApp, *, allowed_origins: tuple[str, ...], public_url: str) -> None:
        self.app = app
        self.allowed = set(allowed_origins)
        self.own = origin_of(public_url)
        self.cors = CORSMiddleware(app, allow_origins=list(allowed_origins),
                                   allow_methods=["POST"], allow_headers=["Content-Type"],
                                   max_age=600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _path(scope).startswith(CHAT_API_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin", b"").decode("latin-1")
        if origin and scope["method"] != "OPTIONS" and not self._may_use(origin, headers):
            refusal = JSONResponse({"detail": "This site may not use the Samtale chat."},
                                   status_code=403)
            await refusal(scope, receive, send)
            return
        await self.cors(scope, receive, send)

    def _may_use(self, origin: str, headers: dict[bytes, bytes]) -> bool:
        # Same origin as the service itself (the demo page), by configuration or as reached.
        host = headers.get(b"host", b"").decode("latin-1")
        same = origin in (self.own, f"http://{host}", f"https://{host}")
        return same or origin in self.allowed
