"""OpenAPI docs, only with ENABLE_API_DOCS: /openapi.json and Swagger UI at /docs.

Swagger UI is vendored (static/, from the npm package swagger-ui-dist 5.35.0, tarball sha256
1b8e891893404ea4c3558b6a87e2a3e494e7eedba41168c2ece5800a391a6ea6, MIT/Apache-2.0 licences
beside it): FastAPI's own /docs loads it from a CDN and starts it with an inline script, which
the Content-Security-Policy forbids. To update: `npm pack swagger-ui-dist@<version>` and copy
swagger-ui-bundle.js and swagger-ui.css here.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"
PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Samtale API</title>
  <link rel="stylesheet" href="/docs/static/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="/openapi.json"></div>
  <script src="/docs/static/swagger-ui-bundle.js"></script>
  <script src="/docs/static/init.js"></script>
</body>
</html>
"""

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def docs() -> str:
    return PAGE


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/docs/static", StaticFiles(directory=STATIC), name="apidocs")
