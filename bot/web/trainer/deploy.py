"""Deploy, Roll back, and /trainer/deployments: which model is served and what each Rasa worker
runs.

A deploy only writes the registry's deployments.json (bot/trainer/registry.py); the model
server (model_server.py) then hands the new model to every Rasa worker at its next pull. So the
Deployments page asks Rasa which model each worker runs (its /status, many times over fresh
connections, each answer carrying the worker's pid in X-Samtale-Worker, engine/serve.py) and
shows "rolling out: 1 of 2 workers" until every worker has it.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from bot.launcher import rasa_token
from bot.trainer.registry import BASELINE_NAME, NotDeployable
from bot.web.staff.auth import audit
from bot.web.templates import templates
from bot.web.trainer import Trainer
from bot.web.trainer.model_server import baseline_model, registry

router = APIRouter(prefix="/trainer", tags=["trainer: deployments"], include_in_schema=False)

WORKER_HEADER = "x-samtale-worker"
# Each /status over a new connection is taken by whichever worker accepts it first; asked one
# after the other (asked at once, one idle worker may take them all), 20 asks miss one of two
# workers about once in a million page views (then the page says how many answered).
STATUS_TRIES = 20


async def rasa_workers(request: Request) -> list[dict[str, str]]:
    """[{worker, model_file}] for each distinct Rasa worker that answered; [] if none did."""
    settings = request.app.state.settings
    params = {"token": rasa_token(settings)}
    limits = httpx.Limits(max_keepalive_connections=0)  # a new connection (and worker) each
    workers: dict[str, dict[str, str]] = {}
    async with httpx.AsyncClient(timeout=2, limits=limits) as client:
        for _ in range(STATUS_TRIES):
            try:
                response = await client.get(f"{settings.rasa_url}/status", params=params)
            except httpx.HTTPError:
                break  # Rasa is down or restarting: say so rather than wait
            if response.status_code != 200:
                break
            worker = response.headers.get(WORKER_HEADER, "?")
            workers[worker] = {"worker": worker,
                               "model_file": str(response.json().get("model_file") or "")}
            if len(workers) >= settings.rasa_workers:
                break
    return sorted(workers.values(), key=lambda answer: answer["worker"])


def _page(request: Request, *, problems: list[str] | None = None, done: str = "",
          workers: list[dict[str, str]], status_code: int = 200) -> Response:
    settings = request.app.state.settings
    models = registry(request)
    served = models.served(baseline_model(request))
    expected = served.filename if served else None
    history = []
    for entry in reversed(models.deployments()):
        record = models.get(entry["model_id"])
        history.append({**entry, "commit": record.commit[:10] if record else ""})
    on_it = sum(1 for worker in workers if worker["model_file"] == expected)
    return templates.TemplateResponse(request, "trainer/deployments.html", {
        "served": served, "current": models.current(), "previous": models.previous(),
        "baseline_name": BASELINE_NAME, "history": history, "workers": workers,
        "deployable": [model for model in models.models()
                       if model.passed and (served is None or model.id != served.model_id)],
        "on_it": on_it, "worker_count": settings.rasa_workers,
        "model_server": settings.model_server, "pull_seconds": settings.model_pull_seconds,
        "problems": problems or [], "done": done}, status_code=status_code)


@router.get("/deployments")
async def deployments(request: Request, user: Trainer, done: str = "") -> Response:
    return _page(request, done=done[:40], workers=await rasa_workers(request))


async def _refused(request: Request, user: Any, action: str, target: str,
                   error: Exception) -> Response:
    audit(request, user, action, target, {"reason": str(error)[:200]})
    return _page(request, problems=[str(error)], workers=await rasa_workers(request),
                 status_code=400)


@router.post("/models/{model_id}/deploy")
async def deploy(request: Request, user: Trainer, model_id: str) -> Response:
    target = f"model:{model_id[:40]}"
    try:
        record = await run_in_threadpool(registry(request).deploy, model_id[:40],
                                         by=user.username)
    except NotDeployable as error:
        return await _refused(request, user, "trainer.model.deploy_refused", target, error)
    audit(request, user, "trainer.model.deployed", f"model:{record.id}",
          {"commit": record.commit, "sha256": record.sha256})
    return RedirectResponse(f"/trainer/deployments?done=deployed:{record.id}", status_code=303)


@router.post("/models/rollback")
async def rollback(request: Request, user: Trainer) -> Response:
    models = registry(request)
    current = models.current()
    try:
        record = await run_in_threadpool(models.rollback, by=user.username)
    except NotDeployable as error:
        return await _refused(request, user, "trainer.model.rollback_refused",
                              f"model:{current.id if current else ''}", error)
    to = record.id if record else BASELINE_NAME
    audit(request, user, "trainer.model.rolled_back", f"model:{to}",
          {"from": current.id if current else None, "commit": record.commit if record else ""})
    return RedirectResponse(f"/trainer/deployments?done=rolled_back:{to}", status_code=303)
