"""/trainer/content: every response of domain/*.yml, Danish and English side by side, grouped by
conversation (bot/trainer/responses.py says how), with search (name, Danish and English text,
button titles; `?q=` in the URL) and a preview drawn with the widget's own CSS classes; one form
per response edits its texts and button titles in place (payloads are shown, not edited)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response

from bot.channels.webchat.router import STATIC as WIDGET_STATIC
from bot.trainer import responses
from bot.trainer.files import DataError, data_files
from bot.trainer.responses import EditError
from bot.trainer.studio import SaveRefused, digest
from bot.web.staff.auth import audit
from bot.web.templates import templates, translate
from bot.web.trainer import MAX_TEXT, Trainer, studio

router = APIRouter(prefix="/trainer", tags=["trainer: content"], include_in_schema=False)
WIDGET_CSS = WIDGET_STATIC / "widget.css"


def _groups(request: Request, query: str, only: str = "") -> tuple[list[dict[str, Any]],
                                                                 dict[str, int], list[str]]:
    """The responses matching the search, grouped by conversation (responses.GROUPS order):
    [{key, entries: [{file, base, response}]}], the count per group, the unreadable files."""
    the_studio = studio(request)
    entries: dict[str, list[dict[str, Any]]] = {key: [] for key in responses.GROUPS}
    problems = []
    for name in data_files(the_studio.root, "domain"):
        try:
            text = the_studio.read(name)
        except DataError as error:
            problems.append(str(error))
            continue
        base = digest(text)
        for response in responses.read_responses(text):
            if response.matches(query):
                entries[response.group(name)].append(
                    {"file": name, "base": base, "response": response})
    counts = {key: len(found) for key, found in entries.items() if found}
    groups = [{"key": key, "entries": found} for key, found in entries.items()
              if found and (not only or key == only)]
    return groups, counts, problems


@router.get("/content/widget.css")
def widget_css(user: Trainer) -> Response:
    """The widget's own stylesheet, so the preview is drawn exactly as citizens see it (the staff
    service may run without the public side that serves /chat/widget.css)."""
    return FileResponse(WIDGET_CSS, media_type="text/css")


@router.get("")
def home(request: Request, user: Trainer) -> Response:
    return templates.TemplateResponse(request, "trainer/home.html", {})


@router.get("/content")
def content(request: Request, user: Trainer, q: str = "", group: str = "", saved: str = ""
            ) -> Response:
    return _page(request, q, group=group, saved=saved)


def _page(request: Request, query: str, *, group: str = "", saved: str = "",
          problems: list[str] | None = None, draft: dict[str, Any] | None = None,
          status_code: int = 200) -> Response:
    query = query.strip().lower()[:200]
    group = group if group in responses.GROUPS else ""
    groups, counts, unreadable = _groups(request, query, group)
    context = {"groups": groups, "counts": counts, "q": query, "group": group,
               "saved": saved[:40], "problems": [*(problems or []), *unreadable],
               "draft": draft or {}}
    return templates.TemplateResponse(request, "trainer/content.html", context,
                                      status_code=status_code)


@router.post("/content/save")
async def save(request: Request, user: Trainer) -> Response:
    form = await request.form()
    fields = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    file, name = fields.get("file", ""), fields.get("name", "")
    query, group = fields.get("q", ""), fields.get("group", "")
    draft = {"file": file, "name": name, **fields}
    try:
        if any(len(value) > MAX_TEXT for value in fields.values()):
            raise EditError(f"a text is longer than {MAX_TEXT} characters")
        current = studio(request).read(file)
        new = responses.set_texts(current, name, *_changes(current, name, fields))
    except (DataError, EditError) as error:
        return _refused(request, user, file, name, query, group, [str(error)], draft)
    if new == current:
        return _page(request, query, group=group, draft=draft, status_code=400,
                     problems=[translate(user.language, "trainer.nothing_changed")])
    try:
        sha = await run_in_threadpool(
            studio(request).save, {file: new}, author=user.display_name,
            username=user.username, message=fields.get("message", ""),
            bases={file: fields.get("base", "")})
    except SaveRefused as error:
        return _refused(request, user, file, name, query, group, error.problems, draft)
    audit(request, user, "trainer.content.save", f"{file}#{name}", {"commit": sha})
    where = urlencode({"q": query, "group": group, "saved": sha})
    return RedirectResponse(f"/trainer/content?{where}#{quote(name)}", status_code=303)


def _changes(current: str, name: str, fields: dict[str, str]
             ) -> tuple[dict[int, str], dict[tuple[int, int], str]]:
    """Only the fields that differ from the file: an untouched text keeps its quoting."""
    found = {r.name: r for r in responses.read_responses(current)}
    if name not in found:
        raise EditError(f"no response {name!r} in this file")
    texts, titles = {}, {}
    for variation in found[name].variations:
        value = fields.get(f"text_{variation.index}")
        value = value.replace("\r\n", "\n") if value is not None else None  # browsers send CRLF
        if value is not None and variation.shared_with is None and value != variation.text:
            texts[variation.index] = value
        for button, title in enumerate(variation.buttons):
            value = fields.get(f"title_{variation.index}_{button}")
            if value is not None and value != title:
                titles[(variation.index, button)] = value
    return texts, titles


def _refused(request: Request, user: Trainer, file: str, name: str, query: str, group: str,
             problems: list[str], draft: dict[str, Any]) -> Response:
    audit(request, user, "trainer.content.refused", f"{file}#{name}"[:200],
          {"problems": len(problems)})
    return _page(request, query, group=group, problems=problems, draft=draft, status_code=400)
