"""/trainer/models: the trained models (newest first) with their test results, the background
train and test jobs with their progress, and each model's test report (failed stories,
per-intent F1, confusion matrices, the comparison with the deployed model).

Jobs run in their own processes (bot/trainer/jobs.py); this page only starts them and reads
their files, so a reload, another web worker or a restarted web service shows the same job.
The running job's box is an htmx partial polled every 2 s; without JS a reload shows the same.
Deploy and Roll back are rendered here but handled by the deploy routes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response

from bot.trainer import report as reports
from bot.trainer.jobs import AlreadyRunning, Job, Jobs
from bot.trainer.registry import BASELINE_NAME, MODEL_ID, ModelRecord, Registry
from bot.trainer.svg import confusion_matrix
from bot.web.staff.auth import accounts, audit, client_address
from bot.web.templates import templates
from bot.web.trainer import Trainer, studio

router = APIRouter(prefix="/trainer/models", tags=["trainer: models"], include_in_schema=False)


def registry(request: Request) -> Registry:
    """The app's model registry (settings.var_dir/models); tests may put one on app.state."""
    if getattr(request.app.state, "registry", None) is None:
        request.app.state.registry = Registry(request.app.state.settings.var_dir / "models")
    return request.app.state.registry


def jobs(request: Request) -> Jobs:
    """The job folder (settings.var_dir/jobs), running the studio's Rasa on its content."""
    if getattr(request.app.state, "jobs", None) is None:
        the_studio = studio(request)
        request.app.state.jobs = Jobs(
            request.app.state.settings.var_dir / "jobs", rasa=the_studio.rasa,
            project_root=the_studio.project_root, content_root=the_studio.root,
            models_dir=registry(request).directory)
    return request.app.state.jobs


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def job_json(job: Job) -> dict[str, Any]:
    return {"id": job.id, "kind": job.kind, "status": job.status, "who": job.who,
            "created_at": job.created_at, "started_at": job.started_at,
            "finished_at": job.finished_at, "commit": job.commit, "model_id": job.model_id,
            "options": job.options, "step": job.step, "steps": job.steps,
            "progress": job.progress, "log_tail": job.log_tail, "error": job.error,
            "result": job.result}


def _audit_finished(request: Request, found: list[Job]) -> None:
    """A finished job goes into the audit log once, by whichever worker sees it first (the job's
    own process has no database): claimed by creating <id>.audited exclusively."""
    folder = jobs(request).directory
    for job in found:
        if job.active:
            continue
        try:
            (folder / f"{job.id}.audited").touch(mode=0o600, exist_ok=False)
        except FileExistsError:
            continue
        accounts(request).add_audit(
            user_id=None, username=job.username, action=f"trainer.{job.kind}.finished",
            target=f"job:{job.id}", client_address=client_address(request),
            detail={"status": job.status, "model_id": job.model_id,
                    "passed": job.result.get("passed"), "test_job": job.result.get("test_job")})
        if job.kind == "train" and job.result.get("test_job"):  # the training started it
            accounts(request).add_audit(
                user_id=None, username=job.username, action="trainer.test.started",
                target=f"job:{job.result['test_job']}", client_address=client_address(request),
                detail={"model_id": job.model_id, "started_by": f"job:{job.id}"})


def _baseline(request: Request, exclude: str | None = None) -> ModelRecord | None:
    """What a new model is compared with: the deployed one; when none is, the newest model
    whose tests passed (other than the one being compared)."""
    the_registry = registry(request)
    current = the_registry.current()
    if current is not None and current.id != exclude:
        return current
    if current is not None:  # the compared model is the deployed one
        return None
    return next((m for m in the_registry.models() if m.passed and m.id != exclude), None)


def _jobs_context(request: Request) -> dict[str, Any]:
    recent = jobs(request).recent(limit=6)
    _audit_finished(request, recent)
    return {"jobs": recent, "active": any(job.active for job in recent)}


def _page(request: Request, *, message: str = "", problems: list[str] | None = None,
          status_code: int = 200) -> Response:
    the_registry = registry(request)
    current = the_registry.current()
    context = {"models": the_registry.models(), "current": current,
               "previous": the_registry.previous(), "baseline_name": BASELINE_NAME,
               "message": message,
               "problems": problems or [], "floors": reports.MIN_MACRO_F1,
               **_jobs_context(request)}
    return templates.TemplateResponse(request, "trainer/models.html", context,
                                      status_code=status_code)


@router.get("")
def models_page(request: Request, user: Trainer, started: str = "") -> Response:
    if _wants_json(request):
        return JSONResponse({
            "models": [{"id": m.id, "status": m.status, "commit": m.commit,
                        "trained_by": m.trained_by, "created_at": m.created_at,
                        "summary": (m.test or {}).get("summary")}
                       for m in registry(request).models()],
            "jobs": [job_json(job) for job in _jobs_context(request)["jobs"]]})
    job = jobs(request).get(started) if started else None
    message = f"{job.kind} job {job.id} started" if job else ""
    return _page(request, message=message)


@router.get("/jobs")
def jobs_partial(request: Request, user: Trainer) -> Response:
    """The jobs box alone, for htmx to poll while one runs. htmx polls only while a job runs,
    so when none does any more, it reloads the whole page: the new model shows in the list."""
    context = _jobs_context(request)
    response = templates.TemplateResponse(request, "trainer/_partials/jobs.html", context)
    if request.headers.get("hx-request") == "true" and not context["active"]:
        response.headers["HX-Refresh"] = "true"
    return response


@router.get("/jobs/{job_id}")
def job_page(request: Request, user: Trainer, job_id: str) -> Response:
    job = jobs(request).get(job_id)
    if job is None:
        if _wants_json(request):
            return JSONResponse({"detail": f"there is no job {job_id[:40]}"}, status_code=404)
        return _page(request, problems=[f"there is no job {job_id[:40]}"], status_code=404)
    _audit_finished(request, [job])
    if _wants_json(request):
        return JSONResponse(job_json(job))
    return templates.TemplateResponse(request, "trainer/job.html", {"job": job})


async def _start(request: Request, user: Trainer, kind: str, model_id: str | None) -> Response:
    form = await request.form()
    options = {"cross_validation": form.get("cross_validation") == "on"}
    try:
        job = await run_in_threadpool(jobs(request).start, kind, who=user.display_name,
                                      username=user.username, model_id=model_id,
                                      options=options)
    except AlreadyRunning as busy:
        audit(request, user, f"trainer.{kind}.refused", f"job:{busy.job.id}",
              {"reason": "already running"})
        if _wants_json(request):
            return JSONResponse({"detail": str(busy), "job": job_json(busy.job)},
                                status_code=409)
        return _page(request, problems=[str(busy)], status_code=409)
    audit(request, user, f"trainer.{kind}.started", f"job:{job.id}",
          {"model_id": model_id, **options})
    if _wants_json(request):
        return JSONResponse(job_json(job), status_code=202)
    return RedirectResponse(f"/trainer/models?started={job.id}", status_code=303)


@router.post("/train")
async def start_training(request: Request, user: Trainer) -> Response:
    return await _start(request, user, "train", None)


@router.post("/{model_id}/test")
async def start_test(request: Request, user: Trainer, model_id: str) -> Response:
    if registry(request).get(model_id) is None:
        problem = f"there is no model {model_id[:40]}"
        if _wants_json(request):
            return JSONResponse({"detail": problem}, status_code=404)
        return _page(request, problems=[problem], status_code=404)
    return await _start(request, user, "test", model_id)


@router.get("/{model_id}/report")
def report_page(request: Request, user: Trainer, model_id: str) -> Response:
    record = registry(request).get(model_id) if MODEL_ID.fullmatch(model_id) else None
    if record is None or not record.test:
        problem = (f"there is no model {model_id[:40]}" if record is None
                   else f"model {model_id} has not been tested yet")
        if _wants_json(request):
            return JSONResponse({"detail": problem}, status_code=404)
        return _page(request, problems=[problem], status_code=404)
    baseline = _baseline(request, exclude=record.id)
    comparison = reports.compare(record.test, baseline.test if baseline else None)
    if _wants_json(request):
        return JSONResponse({"model": record.id, "status": record.status, "report": record.test,
                             "baseline": baseline.id if baseline else None,
                             "worse": comparison["worse"]})
    matrices = {language: confusion_matrix(found["confusion"]["labels"],
                                           found["confusion"]["matrix"],
                                           title=f"Confusion matrix ({language})")
                for language, found in record.test.get("nlu", {}).items()}
    return templates.TemplateResponse(request, "trainer/report.html", {
        "model": record, "report": record.test, "baseline": baseline,
        "comparison": comparison, "matrices": matrices,
        "deployed": registry(request).current()})
