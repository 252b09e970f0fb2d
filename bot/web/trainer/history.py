"""/trainer/history: the commits touching the data folders, each with its diff (escaped), and
Revert, which makes a new commit checked like any save."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from bot.trainer import history
from bot.trainer.studio import SaveRefused
from bot.web.staff.auth import audit
from bot.web.templates import templates
from bot.web.trainer import Trainer, studio

router = APIRouter(prefix="/trainer/history", tags=["trainer: history"], include_in_schema=False)


@router.get("")
def commits(request: Request, user: Trainer, saved: str = "") -> Response:
    try:
        found, problems = history.commits(studio(request).root), []
    except history.GitError as error:
        found, problems = [], [str(error)]
    return templates.TemplateResponse(request, "trainer/history.html",
                                      {"commits": found, "problems": problems, "saved": saved[:40]})


def _kind(line: str) -> str:
    if line.startswith(("+++", "---", "diff ", "index ")):
        return "hunk"
    return {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "")


def _commit_page(request: Request, sha: str, *, problems: list[str] | None = None,
                 status_code: int = 200) -> Response:
    try:
        commit, diff = history.show(studio(request).root, sha)
    except history.GitError as error:
        return templates.TemplateResponse(request, "trainer/history.html", {
            "commits": [], "problems": [str(error)], "saved": ""}, status_code=404)
    lines = [{"kind": _kind(line), "text": line} for line in diff.splitlines()]
    return templates.TemplateResponse(request, "trainer/commit.html", {
        "commit": commit, "diff_lines": lines, "problems": problems or [], "saved": ""},
        status_code=status_code)


@router.get("/{sha}")
def commit_page(request: Request, user: Trainer, sha: str) -> Response:
    return _commit_page(request, sha)


@router.post("/{sha}/revert")
async def revert(request: Request, user: Trainer, sha: str) -> Response:
    try:
        new = await run_in_threadpool(studio(request).revert, sha, author=user.display_name,
                                      username=user.username)
    except SaveRefused as error:
        audit(request, user, "trainer.revert.refused", f"commit:{sha[:40]}",
              {"problems": len(error.problems)})
        return _commit_page(request, sha, problems=error.problems, status_code=400)
    audit(request, user, "trainer.revert", f"commit:{sha}", {"commit": new})
    return RedirectResponse(f"/trainer/history?saved={new}", status_code=303)
