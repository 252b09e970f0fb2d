"""/trainer/lexicons: the skills and themes the bot recognises in what people write
(lexicons/skills.yml, lexicons/themes.yml), with their labels and words per language; edit a
label, add / edit / delete a word, add or delete a skill or theme. Every change is read back by
the lexicon loader's own parser (bot/lexicon/data.py) before the Studio checks and commits it;
a result the loader would refuse is refused with its message (file and entry named).

The other vocabularies (ladder words, dates, the bot's yes/no words) are Python in actions/, not
data; professions are edited on the Files page."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from bot.lexicon.data import LANGUAGES
from bot.trainer import lexicons
from bot.trainer.files import DataError
from bot.trainer.responses import EditError
from bot.trainer.studio import SaveRefused, digest
from bot.web.staff.auth import audit
from bot.web.templates import templates
from bot.web.trainer import MAX_TEXT, Trainer, studio

router = APIRouter(prefix="/trainer/lexicons", tags=["trainer: lexicons"], include_in_schema=False)
ACTIONS = ("label", "add_word", "edit_word", "delete_word", "add_concept", "delete_concept")


def _read(request: Request, kind: str) -> tuple[str, list[lexicons.Concept]]:
    text = studio(request).read(lexicons.FILES[kind])
    return text, lexicons.read_concepts(text, kind)


@router.get("")
def overview(request: Request, user: Trainer, q: str = "", saved: str = "") -> Response:
    return _overview(request, q, saved=saved)


def _overview(request: Request, q: str, *, saved: str = "", problems: list[str] | None = None,
              draft: dict[str, str] | None = None, status_code: int = 200) -> Response:
    query = q.strip().lower()[:200]
    kinds, problems = [], list(problems or [])
    for kind in lexicons.FILES:
        try:
            text, concepts = _read(request, kind)
        except (DataError, EditError) as error:
            problems.append(str(error))
            continue
        kinds.append({"kind": kind, "file": lexicons.FILES[kind], "base": digest(text),
                      "concepts": [c for c in concepts if c.matches(query)]})
    return templates.TemplateResponse(request, "trainer/lexicons.html", {
        "kinds": kinds, "q": query, "saved": saved[:40], "problems": problems,
        "draft": draft or {}, "languages": LANGUAGES}, status_code=status_code)


@router.get("/{kind}/{concept_id}")
def concept_page(request: Request, user: Trainer, kind: str, concept_id: str, saved: str = ""
                 ) -> Response:
    return _concept_page(request, kind, concept_id, saved=saved)


def _concept_page(request: Request, kind: str, concept_id: str, *, saved: str = "",
                  problems: list[str] | None = None, status_code: int = 200) -> Response:
    concept, base, problems = None, "", list(problems or [])
    if kind in lexicons.FILES:
        try:
            text, concepts = _read(request, kind)
            base = digest(text)
            concept = next((c for c in concepts if c.id == concept_id), None)
        except (DataError, EditError) as error:
            problems.append(str(error))
    if concept is None and status_code == 200:
        status_code = 404
    return templates.TemplateResponse(request, "trainer/lexicon.html", {
        "kind": kind, "concept_id": concept_id, "concept": concept, "base": base,
        "file": lexicons.FILES.get(kind, ""), "saved": saved[:40], "problems": problems,
        "languages": LANGUAGES, "lists": lexicons.LISTS}, status_code=status_code)


def _new_text(text: str, kind: str, form: dict[str, str]) -> str:
    action, concept_id = form.get("action", ""), form.get("concept", "").strip()
    list_name, language = form.get("list", ""), form.get("language", "")
    index = int(form["index"]) if form.get("index", "").isdigit() else -1
    if action == "label":
        for code in LANGUAGES:
            if f"label_{code}" in form:
                text = lexicons.set_label(text, kind, concept_id, code, form[f"label_{code}"])
        return text
    if action == "add_word":
        return lexicons.change(text, kind, concept_id, list_name, language, add=form.get("word", ""))
    if action == "edit_word":
        return lexicons.change(text, kind, concept_id, list_name, language,
                               replace=(index, form.get("word", "")))
    if action == "delete_word":
        return lexicons.change(text, kind, concept_id, list_name, language, remove=index)
    if action == "add_concept":
        labels = {code: form.get(f"label_{code}", "") for code in LANGUAGES}
        words = {code: form.get(f"words_{code}", "").split(",") for code in LANGUAGES}
        return lexicons.add_concept(text, kind, concept_id, labels, words)
    if action == "delete_concept":
        return lexicons.delete_concept(text, kind, concept_id)
    raise EditError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")


@router.post("/save")
async def save(request: Request, user: Trainer) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    kind, concept_id = form.get("kind", ""), form.get("concept", "").strip()
    action = form.get("action", "")
    try:
        if kind not in lexicons.FILES:
            raise EditError(f"{kind!r} is not a lexicon; one of {', '.join(lexicons.FILES)}")
        if any(len(value) > MAX_TEXT for value in form.values()):
            raise EditError(f"a text is longer than {MAX_TEXT} characters")
        file = lexicons.FILES[kind]
        current = studio(request).read(file)
        new = _new_text(current, kind, form)
        if new == current:
            raise EditError("nothing changed")
        problem = lexicons.problem(new, kind)  # what the bot's own loader says of the result
        if problem:
            raise EditError(f"the lexicon loader would refuse this: {problem}")
        sha = await run_in_threadpool(
            studio(request).save, {file: new}, author=user.display_name,
            username=user.username, message=form.get("message", ""),
            bases={file: form.get("base", "")})
    except (DataError, EditError) as error:
        problems = [str(error)]
    except SaveRefused as error:
        problems = error.problems
    else:
        audit(request, user, f"trainer.lexicon.{action}", f"{file}#{concept_id}",
              {"commit": sha})
        if action == "delete_concept":
            return RedirectResponse(f"/trainer/lexicons?saved={sha}", status_code=303)
        return RedirectResponse(f"/trainer/lexicons/{kind}/{quote(concept_id)}?saved={sha}",
                                status_code=303)
    audit(request, user, "trainer.lexicon.refused", f"{kind}#{concept_id}"[:200],
          {"action": action[:20], "problems": len(problems)})
    if action == "add_concept" or kind not in lexicons.FILES:
        return _overview(request, "", problems=problems, draft=form, status_code=400)
    return _concept_page(request, kind, concept_id, problems=problems, status_code=400)
