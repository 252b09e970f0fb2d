"""/trainer/files: every data file (domain/, nlu/, stories/, lexicons/) as YAML text, for what
the forms do not cover (stories, the lexicons, comments); saved through the same checks."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from bot.trainer.files import DATA_FOLDERS, DataError, data_files
from bot.trainer.studio import SaveRefused, digest
from bot.web.staff.auth import audit
from bot.web.templates import templates, translate
from bot.web.trainer import Trainer, studio

router = APIRouter(prefix="/trainer/files", tags=["trainer: files"], include_in_schema=False)
MAX_FILE = 512 * 1024


@router.get("")
def listing(request: Request, user: Trainer) -> Response:
    root = studio(request).root
    folders = {folder: data_files(root, folder) for folder in DATA_FOLDERS}
    return templates.TemplateResponse(request, "trainer/files.html", {"folders": folders})


@router.get("/{path:path}")
def show(request: Request, user: Trainer, path: str, saved: str = "") -> Response:
    return _page(request, path, saved=saved)


def _page(request: Request, path: str, *, saved: str = "", problems: list[str] | None = None,
          draft: str | None = None, message: str = "", status_code: int = 200) -> Response:
    try:
        text = studio(request).read(path)
    except DataError as error:
        text, problems, status_code = None, [*(problems or []), str(error)], 400
    context = {"path": path, "text": draft if draft is not None else text,
               "base": digest(text) if text is not None else "", "saved": saved[:40],
               "problems": problems or [],
               "message": message or translate(request.state.user.language,
                                               "trainer.files.default_message", path=path)}
    return templates.TemplateResponse(request, "trainer/file.html", context,
                                      status_code=status_code)


@router.post("/{path:path}")
async def save(request: Request, user: Trainer, path: str) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    text = form.get("text", "").replace("\r\n", "\n")
    message = form.get("message", "")
    try:
        if len(text.encode("utf-8")) > MAX_FILE:
            raise SaveRefused([f"the file is larger than {MAX_FILE // 1024} KiB"])
        sha = await run_in_threadpool(
            studio(request).save, {path: text}, author=user.display_name,
            username=user.username, message=message, bases={path: form.get("base", "")})
    except SaveRefused as error:
        audit(request, user, "trainer.file.refused", path[:200], {"problems": len(error.problems)})
        return _page(request, path, problems=error.problems, draft=text, message=message,
                     status_code=400)
    audit(request, user, "trainer.file.save", path, {"commit": sha})
    return RedirectResponse(f"/trainer/files/{path}?saved={sha}", status_code=303)
