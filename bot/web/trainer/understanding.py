"""/trainer/understanding: the intents of nlu/<language>/*.yml with their examples; add, edit,
delete an example, or move it to another intent (one commit, both files checked together);
search, and bulk move / delete of the examples chosen (one commit). The lexicons have their own
pages (bot/web/trainer/lexicons.py)."""

from __future__ import annotations

from urllib.parse import urlencode

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
def overview(request: Request, user: Trainer, language: str = "da", q: str = "", saved: str = ""
             ) -> Response:
    return _overview(request, _language(language), q, saved=saved)


def _overview(request: Request, language: str, q: str, *, saved: str = "",
              problems: list[str] | None = None, status_code: int = 200) -> Response:
    """The intents; with a search, also every matching example, ready for a bulk action."""
    query = q.strip().lower()[:200]
    found, unreadable = _intents(request, language)
    hits = []
    if query:
        found = [row for row in found if query in row["intent"].name.lower()
                 or any(query in example.lower() for example in row["intent"].examples)]
        hits = [{"row": row, "index": index, "example": example} for row in found
                for index, example in enumerate(row["intent"].examples)
                if query in example.lower() or query in row["intent"].name.lower()]
    files = {row["file"]: row["base"] for row in found}
    return templates.TemplateResponse(request, "trainer/understanding.html", {
        "rows": found, "hits": hits, "files": files, "language": language, "q": query,
        "saved": saved[:40], "problems": [*(problems or []), *unreadable],
        "intent_names": sorted({row["intent"].name for row in _intents(request, language)[0]})},
        status_code=status_code)


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


# Bulk actions: several examples, chosen with checkboxes on an intent's page or in the search
# results, moved to another intent or deleted in ONE checked commit (Django admin's change list:
# select, pick an action, go).

BULK_ACTIONS = ("move", "delete")


def _selected(values: list[str], language: str) -> dict[tuple[str, str], set[int]]:
    """{(file, intent): {example indexes}} from checkbox values "file|intent|index"."""
    chosen: dict[tuple[str, str], set[int]] = {}
    for value in values:
        parts = value.split("|")
        if len(parts) != 3 or not parts[2].isdigit():
            raise EditError(f"{value[:80]!r} is not an example of this page")
        file, intent, index = parts
        if not file.startswith(f"nlu/{language}/"):
            raise DataError(f"{file!r} is not an NLU file of language {language}")
        chosen.setdefault((file, intent), set()).add(int(index))
    if not chosen:
        raise EditError("choose one or more examples first (the boxes in front of them)")
    return chosen


def _bulk_changes(request: Request, language: str, chosen: dict[tuple[str, str], set[int]],
                  action: str, target: str) -> tuple[dict[str, str], int]:
    """{file: new text} for the whole bulk action, and how many examples it touches."""
    the_studio, changes, moving = studio(request), {}, []
    if action not in BULK_ACTIONS:
        raise EditError(f"unknown bulk action {action!r}; one of {', '.join(BULK_ACTIONS)}")
    if action == "move":
        if not target:
            raise EditError("choose the intent to move the examples to")
        if any(intent == target for _, intent in chosen):
            raise EditError(f"some of the chosen examples are already in {target}")
    for (file, intent), indexes in chosen.items():
        text = changes.get(file) or the_studio.read(file)
        changes[file], removed = examples.change_many(text, intent, remove=indexes)
        moving += removed
    if action == "move":
        for other in data_files(the_studio.root, f"nlu/{language}"):
            text = changes.get(other) or the_studio.read(other)
            if examples.has_intent(text, target):
                changes[other], _ = examples.change_many(text, target, add=moving)
                break
        else:  # a new intent, in the first file the examples came from
            first = next(iter(chosen))[0]
            text = examples.add_intent(changes[first], target, moving[0])
            changes[first], _ = examples.change_many(text, target, add=moving[1:])
    return changes, sum(len(indexes) for indexes in chosen.values())


@router.post("/bulk")
async def bulk(request: Request, user: Trainer) -> Response:
    raw = await request.form()
    form = {k: str(v) for k, v in raw.items() if isinstance(v, str)}
    selected = [str(v) for v in raw.getlist("selected")]
    language, action = _language(form.get("language", "")), form.get("action", "")
    target, page_intent = form.get("target", "").strip(), form.get("page_intent", "")
    bases = {key[5:]: value for key, value in form.items() if key.startswith("base:")}
    try:
        if any(len(value) > MAX_TEXT for value in form.values()):
            raise EditError(f"a text is longer than {MAX_TEXT} characters")
        chosen = _selected(selected, language)
        changes, count = _bulk_changes(request, language, chosen, action, target)
        sha = await run_in_threadpool(
            studio(request).save, changes, author=user.display_name, username=user.username,
            message=form.get("message", ""), bases={f: b for f, b in bases.items() if f in changes})
    except (DataError, EditError) as error:
        problems = [str(error)]
    except SaveRefused as error:
        problems = error.problems
    else:
        audit(request, user, f"trainer.example.bulk_{action}", f"nlu/{language}",
              {"commit": sha, "files": sorted(changes), "examples": count,
               "target": target or None})
        if page_intent:
            return RedirectResponse(f"/trainer/understanding/{language}/{page_intent}"
                                    f"?saved={sha}", status_code=303)
        where = urlencode({"language": language, "q": form.get("q", ""), "saved": sha})
        return RedirectResponse(f"/trainer/understanding?{where}", status_code=303)
    audit(request, user, "trainer.example.refused", f"nlu/{language}",
          {"action": f"bulk_{action[:20]}", "problems": len(problems)})
    if page_intent:
        return _intent_page(request, language, page_intent, problems=problems, status_code=400,
                            message=form.get("message", ""))
    return _overview(request, language, form.get("q", ""), problems=problems, status_code=400)
