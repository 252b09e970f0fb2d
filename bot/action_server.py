"""The action server: rasa-sdk's Sanic app, on 127.0.0.1, for Rasa only.

    python -m bot.action_server [--port 5055]      (the launcher's Procfile line)

`python -m rasa_sdk` listens on every interface and runs any call it is sent, so anyone who can
reach the port could post a forged tracker for any sender id: show that person's data, delete
it, or plant outcomes. Here, around the same app:

- it binds ACTION_HOST (127.0.0.1 unless configured);
- every call but /health must carry the shared secret ACTION_SERVER_TOKEN in the
  `X-Samtale-Action-Token` header (Rasa sends it from endpoints.yml's action_endpoint), compared
  in constant time; without it: 401, before anything is read or run;
- a body may be at most MAX_BODY_BYTES, and a deflate body may unpack to at most
  MAX_INFLATED_BYTES (rasa-sdk inflates without a limit: 300 kB unpacked to 300 MB); other
  encodings are refused (415);
- errors never echo the request (rasa-sdk's own handler returned the whole body in a 500), and
  the logs carry no user text (engine/private_logs.py).
"""
from __future__ import annotations

import argparse
import hmac
import logging
import zlib
from functools import partial

from rasa_sdk.endpoint import create_app as create_sdk_app
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.worker.loader import AppLoader

from bot.settings import ensure_secret, load_settings
from engine import private_logs

TOKEN_HEADER = "X-Samtale-Action-Token"
TOKEN_FILE = "action_server_token"
MAX_BODY_BYTES = 2 * 1024 * 1024  # a call carries one turn's events and, once, the domain
MAX_INFLATED_BYTES = 8 * 1024 * 1024
ACTIONS_PACKAGE = "actions"

log = logging.getLogger(__name__)


class TooLarge(Exception):
    pass


def inflate(body: bytes, limit: int = MAX_INFLATED_BYTES) -> bytes:
    """A deflate (zlib) body unpacked, refusing to unpack past `limit` bytes."""
    inflater = zlib.decompressobj()
    unpacked = inflater.decompress(body, limit + 1)
    if len(unpacked) > limit or inflater.unconsumed_tail:
        raise TooLarge
    return unpacked + inflater.flush()


def action_token() -> str:
    settings = load_settings()
    return ensure_secret(settings, settings.action_server_token, TOKEN_FILE)


def create_app(token: str, package: str = ACTIONS_PACKAGE) -> Sanic:
    executor = ActionExecutor()
    executor.register_package(package)
    app = create_sdk_app(executor, cors_origins=None)  # Rasa is no browser: no CORS at all
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
    expected = token.encode()

    @app.on_request
    async def authenticate_and_inflate(request: Request) -> HTTPResponse | None:
        if request.path == "/health":
            return None
        supplied = request.headers.get(TOKEN_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(supplied, expected):
            log.warning("refused a call to %s without the action server's token", request.path)
            return response.json({"error": "unauthorized"}, status=401)
        encoding = request.headers.get("Content-Encoding", "identity").lower()
        if encoding == "deflate":
            try:
                request.body = inflate(request.body)
            except TooLarge:
                return response.json({"error": "the body unpacks past the size limit"},
                                     status=413)
            except zlib.error:
                return response.json({"error": "the body is not valid deflate data"},
                                     status=400)
            del request.headers["Content-Encoding"]  # rasa-sdk would inflate it again
        elif encoding != "identity":
            return response.json({"error": "only deflate bodies are accepted"}, status=415)
        return None

    async def private_errors(request: Request, exception: Exception) -> HTTPResponse:
        status = getattr(exception, "status_code", 500)
        if status >= 500:
            log.error("action call to %s failed: %s", request.path, type(exception).__name__)
        return response.json({"error": "the action call failed" if status >= 500
                              else "bad request"}, status=status)

    # Replaces rasa-sdk's handler, which answered with the whole request body.
    app.error_handler.cached_handlers[(Exception, None)] = private_errors
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.action_server", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    settings = load_settings()
    parser.add_argument("--port", type=int, default=settings.action_port)
    parser.add_argument("--host", default=settings.action_host)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(levelname)s] %(message)s")
    private_logs.protect_every_handler()
    loader = AppLoader(factory=partial(create_app, action_token()))
    app = loader.load()
    app.prepare(host=args.host, port=args.port, workers=1, access_log=False)
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
