"""GET /internal/model.tar.gz: the web service as Rasa's model server.

Every Rasa worker (each Sanic worker process of `rasa run`) pulls from here every
MODEL_PULL_SECONDS (endpoints.yml `models:`, written by bot/launcher.py) with the ETag of the model
it runs as If-None-Match, and loads what it gets. So a deploy (bot/web/trainer/deploy.py) is
only a line in the registry's deployments.json, and it reaches every worker and every instance
within one pull interval — unlike Rasa's `PUT /model`, which reaches the one worker that happens
to take the request (Rasa issue 7111).

What Rasa expects (rasa/core/agent.py, `_pull_model_and_fingerprint`): 200 with the tar.gz, its
fingerprint in `ETag` (sent back verbatim as If-None-Match on the next pull) and a `filename`
header (the name the worker saves it as: its /status shows it as model_file, so we send the
registry's model id); 304 when the fingerprint matches; 404 when there is no model.

Only Rasa may download models: the route exists only on the staff surface (never on the public
one a citizen reaches) and wants the token in the header `X-Samtale-Model-Token` (a header, not
Rasa's `?token=`, so the secret stays out of access logs), compared in constant time.
"""

from __future__ import annotations

import hmac
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from bot.settings import Settings, ensure_secret
from bot.trainer.registry import BASELINE_NAME, Registry

router = APIRouter(tags=["internal"], include_in_schema=False)

PATH = "/internal/model.tar.gz"
TOKEN_HEADER = "X-Samtale-Model-Token"
TOKEN_FILE = "model_server_token"


def model_server_token(settings: Settings) -> str:
    """MODEL_SERVER_TOKEN, else var_dir/model_server_token (made 0600 on first use)."""
    return ensure_secret(settings, settings.model_server_token, TOKEN_FILE)


def registry(request: Request) -> Registry:
    """The app's Registry (settings.var_dir/models); tests may put their own on app.state."""
    if getattr(request.app.state, "registry", None) is None:
        request.app.state.registry = Registry(request.app.state.settings.var_dir / "models")
    return request.app.state.registry


def baseline_model(request: Request) -> Path:
    """The model `make` trained, served while nothing has been deployed."""
    settings = request.app.state.settings
    return getattr(request.app.state, "baseline_model", None) or (
        settings.root / "models" / BASELINE_NAME)


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    bare = etag.strip('"')
    # Rasa sends back exactly what we sent; a browser or curl may send a list or W/"…".
    return any(tag.strip().removeprefix("W/").strip('"') == bare
               for tag in if_none_match.split(","))


@router.get(PATH)
def model_file(request: Request) -> Response:
    sent = request.headers.get(TOKEN_HEADER, "")
    expected = model_server_token(request.app.state.settings)
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        return Response("a model token is required", status_code=401,
                        media_type="text/plain")
    served = registry(request).served(baseline_model(request))
    if served is None:
        return Response("no model has been trained yet", status_code=404,
                        media_type="text/plain")
    headers = {"ETag": served.etag, "filename": served.filename, "Cache-Control": "no-cache"}
    if _etag_matches(request.headers.get("if-none-match"), served.etag):
        return Response(status_code=304, headers=headers)
    # FileResponse would add its own ETag (of mtime and size); ours is the content's sha256.
    response = FileResponse(served.path, media_type="application/gzip", headers=headers)
    response.headers["etag"] = served.etag
    return response
