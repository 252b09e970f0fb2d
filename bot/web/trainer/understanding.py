"""/trainer/understanding: the intents of nlu/<language>/*.yml with their examples; add, edit,
delete an example, or move it to another intent (one commit, both files checked together)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from bot.trainer import examples
from bot.trainer.files import DataError, data_files
from bot.trainer.responses import EditError
from bot.trainer.studio import SaveRefused, digest
from bot.web.staff.auth import audit
from bot.web.templates import LANGUAGES, templates
from bot.web.trainer import MAX_TEXT, Trainer, studio

router = APIRouter(prefix="/trainer/understanding", tags=["trainer: understanding"],
                   include_in_schema=False)
ACTIONS = ("add", "edit", "delete", "move")


def _language(language: str) -> str:
    return language if language in LANGUAGES else "da"


def _intents(request: Request, language: str) -> tuple[list[dict], list[str]]:
    """[{file, base, intent: Intent}] of one language, and the files that could not be read."""
    the_studio, found, problems = studio(request), [], []
    for name in data_files(the_studio.root, f"nlu/{language}"):
        try:
            text = the_studio.read(name)
        except DataError as error:
            problems.append(str(error))
            continue
        for intent in examples.read_intents(text):
            found.append({"file": name, "base": digest(text), "intent": intent})
    return found, problems


@router.get("")
def overview(request: Request, user: Trainer, language: str = "da", q: str = "") -> Response:
    language = _language(language)
    query = q.strip().lower()[:200]
    found, problems = _intents(request, language)
    if query:
        found = [row for row in found if query in row["intent"].name.lower()
                 or any(query in example.lower() for example in row["intent"].examples)]
    return templates.TemplateResponse(request, "trainer/understanding.html", {
        "rows": found, "language": language, "q": query, "problems": problems})


@router.get("/{language}/{intent}")
def intent_page(request: Request, user: Trainer, language: str, intent: str, saved: str = ""
                ) -> Response:
    return _intent_page(request, _language(language), intent, saved=saved)


def _intent_page(request: Request, language: str, intent: str, *, saved: str = "",
                 problems: list[str] | None = None, status_code: int = 200,
                 message: str = "") -> Response:
    rows, unreadable = _intents(request, language)
    row = next((row for row in rows if row["intent"].name == intent), None)
    status_code = 404 if row is None and status_code == 200 else status_code
    context = {"row": row, "intent": intent, "language": language, "saved": saved[:40],
               "others": sorted({r["intent"].name for r in rows} - {intent}),
               "problems": [*(problems or []), *unreadable], "message": message}
    return templates.TemplateResponse(request, "trainer/intent.html", context,
                                      status_code=status_code)


@router.post("/example")
async def change_example(request: Request, user: Trainer) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    language, intent = _language(form.get("language", "")), form.get("intent", "")
    file, action = form.get("file", ""), form.get("action", "")
    try:
        if any(len(value) > MAX_TEXT for value in form.values()):
            raise EditError(f"a text is longer than {MAX_TEXT} characters")
        if not file.startswith(f"nlu/{language}/"):
            raise DataError(f"{file!r} is not an NLU file of language {language}")
        changes = _apply(request, language, file, intent, action, form)
    except (DataError, EditError, ValueError) as error:
        return _refused(request, user, language, file, intent, action, [str(error)], form)
    try:
        sha = await run_in_threadpool(
            studio(request).save, changes, author=user.display_name, username=user.username,
            message=form.get("message", ""), bases={file: form.get("base", "")})
    except SaveRefused as error:
        return _refused(request, user, language, file, intent, action, error.problems, form)
    audit(request, user, f"trainer.example.{action}", f"{file}#{intent}",
          {"commit": sha, "files": sorted(changes), "target": form.get("target") or None})
    return RedirectResponse(f"/trainer/understanding/{language}/{intent}?saved={sha}",
                            status_code=303)


def _apply(request: Request, language: str, file: str, intent: str, action: str,
           form: dict[str, str]) -> dict[str, str]:
    """{file: new text} for this action (two files when an example moves across files)."""
    the_studio = studio(request)
    text = the_studio.read(file)
    index = int(form.get("index") or -1)
    if action == "add":
        return {file: examples.change(text, intent, add=form.get("text", ""))}
    if action == "edit":
        return {file: examples.change(text, intent, replace=(index, form.get("text", "")))}
    if action == "delete":
        return {file: examples.change(text, intent, remove=index)}
    if action != "move":
        raise EditError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    target = form.get("target", "").strip()
    if not target or target == intent:
        raise EditError("choose another intent to move the example to")
    current = examples.read_intents(text)
    moving = next((i.examples for i in current if i.name == intent), [])
    if not 0 <= index < len(moving):
        raise EditError(f"{intent} has no example number {index + 1}")
    example, changes = moving[index], {file: examples.change(text, intent, remove=index)}
    for other in data_files(the_studio.root, f"nlu/{language}"):
        other_text = changes.get(other) or the_studio.read(other)
        if examples.has_intent(other_text, target):
            changes[other] = examples.change(other_text, target, add=example)
            return changes
    changes[file] = examples.add_intent(changes[file], target, example)
    return changes


def _refused(request: Request, user: Trainer, language: str, file: str, intent: str,
             action: str, problems: list[str], form: dict[str, str]) -> Response:
    audit(request, user, "trainer.example.refused", f"{file}#{intent}"[:200],
          {"action": action[:20], "problems": len(problems)})
    return _intent_page(request, language, intent, problems=problems, status_code=400,
                        message=form.get("message", ""))
