"""/trainer/review: the messages the bot did not understand well (bot/store/review.py), grouped
by similar text, and what trainers do with them, per message or for all ticked ones at once:

- add as example: each message becomes an example of the intent chosen in its row (prefilled
  with the predicted one) in its language's NLU file; all of them in one checked commit;
- ignore: the message leaves the inbox, nothing else changes;
- test story: the conversations of the messages become one Rasa test-stories file in
  tests/stories/ (read back by Rasa's story reader first), to be refined in the Files editor.

Each decision is stored (the message leaves the inbox) and audited, with ids, never the text.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, RedirectResponse, Response

from bot.store.errors import InvalidValue
from bot.store.review import FALLBACK_INTENT, SOURCES, Review, UnknownReviewItem, normal_form
from bot.trainer import examples
from bot.trainer.files import DataError, data_files
from bot.trainer.responses import EditError
from bot.trainer.review_stories import (
    FOLDER,
    STORY_NAME,
    add_test_story,
    check_story,
    featurized_slots,
    story_steps,
    story_yaml,
)
from bot.trainer.studio import SaveRefused, Studio
from bot.web.staff.auth import audit
from bot.web.templates import LANGUAGES, templates, translate
from bot.web.trainer import Trainer, studio

router = APIRouter(prefix="/trainer/review", tags=["trainer: review"], include_in_schema=False)
ACTIONS = ("example", "ignore", "story")
PAGE_SIZE = 20  # groups per page
MAX_MESSAGE = 300


def review_store(request: Request) -> Review:
    settings = request.app.state.settings
    return Review(request.app.state.store, confidence_below=settings.review_confidence_below)


def _filters(source: str, language: str, intent: str) -> dict[str, str]:
    """The filters as they may be used: unknown values are dropped, not an error."""
    return {"source": source if source in SOURCES else "",
            "language": language if language in LANGUAGES else "",
            "intent": intent if examples.INTENT_NAME.fullmatch(intent) else ""}


def intent_files(the_studio: Studio) -> dict[str, dict[str, str]]:
    """{language: {intent: the NLU file of that language holding it}}."""
    found: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        found[language] = {}
        for name in data_files(the_studio.root, f"nlu/{language}"):
            try:
                text = the_studio.read(name)
            except DataError:
                continue  # the Understanding page names unreadable files
            for intent in examples.read_intents(text):
                found[language].setdefault(intent.name, name)
    return found


@router.get("")
def inbox(request: Request, user: Trainer, source: str = "", language: str = "",
          intent: str = "", page: str = "1", done: str = "", count: str = "0",
          added: str = "0", commit: str = "", file: str = "") -> Response:
    return _page(request, _filters(source, language, intent), page=_number(page, 1),
                 done=_done(done, _number(count, 0), _number(added, 0), commit, file))


@router.get(".json")
def inbox_json(request: Request, user: Trainer, source: str = "", language: str = "",
               intent: str = "", page: str = "1") -> JSONResponse:
    """The page's data as JSON, read through the same store method."""
    filters = _filters(source, language, intent)
    result = review_store(request).inbox(
        **{name: value or None for name, value in filters.items()}, limit=PAGE_SIZE,
        offset=(_number(page, 1) - 1) * PAGE_SIZE)
    return JSONResponse(jsonable_encoder(result))


def _number(value: str, default: int) -> int:
    # A hand-edited URL gets the first page rather than an error.
    return max(0, min(int(value), 10_000)) if value.isdigit() else default


def _done(done: str, count: int, added: int, commit: str, file: str) -> dict[str, Any] | None:
    """What the last action did, from the redirect's query (only well-formed values shown)."""
    if done not in ACTIONS:
        return None
    return {"action": done, "count": count, "added": added,
            "commit": commit[:40] if commit.isalnum() else "",
            "file": file if STORY_NAME.fullmatch(file) else ""}


def _page(request: Request, filters: dict[str, str], *, page: int = 1,
          done: dict[str, Any] | None = None, problems: list[str] | None = None,
          form: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    page = max(1, min(page, 10_000))
    result = review_store(request).inbox(
        **{name: value or None for name, value in filters.items()},
        limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-result["total_groups"] // PAGE_SIZE))
    options = {language: sorted(set(names) - {FALLBACK_INTENT})
               for language, names in intent_files(studio(request)).items()}

    def link(**changes: str | None) -> str:
        query = {**filters, **changes}  # a changed filter starts again at page 1
        return "/trainer/review?" + urlencode({k: v for k, v in query.items() if v})

    context = {
        "result": result, "filters": filters, "sources": SOURCES, "languages": LANGUAGES,
        "options": options, "link": link, "page": page, "pages": pages,
        "page_url": lambda number: link(page=str(number)), "done": done,
        "problems": problems or [], "form": form or {},
    }
    return templates.TemplateResponse(request, "trainer/review.html", context,
                                      status_code=status_code)


@router.post("")
async def decide(request: Request, user: Trainer) -> Response:
    raw = await request.form()
    filters = _filters(*(str(raw.get(name) or "") for name in ("source", "language", "intent")))
    action, chosen = _action_and_events(raw)
    form = {"message": str(raw.get("message") or "")[:MAX_MESSAGE], "events": chosen,
            "intents": {key: str(value) for key, value in raw.items()
                        if key.startswith("intent_") and isinstance(value, str)}}
    try:
        if action not in ACTIONS:
            raise InvalidValue(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
        if not chosen:
            raise InvalidValue(translate(user.language, "trainer.review.choose"))
        handler: Callable[..., Any] = {"example": _add_examples, "ignore": _ignore,
                                       "story": _write_story}[action]
        outcome = await run_in_threadpool(handler, request, user, chosen, form)
    except (InvalidValue, UnknownReviewItem, EditError, DataError, SaveRefused) as error:
        problems = error.problems if isinstance(error, SaveRefused) else [str(error)]
        audit(request, user, "trainer.review.refused", action[:20],
              {"events": chosen[:100], "problems": len(problems)})
        return _page(request, filters, problems=problems, form=form, status_code=400)
    audit(request, user, f"trainer.review.{action}", outcome.get("commit") or
          outcome.get("file") or "inbox", {"events": chosen, **outcome})
    query = {**{k: v for k, v in filters.items() if v}, "done": action, "count": len(chosen),
             **({"added": len(outcome["added"])} if "added" in outcome else {}),
             **{k: outcome[k] for k in ("commit", "file") if outcome.get(k)}}
    return RedirectResponse("/trainer/review?" + urlencode(query), status_code=303)


def _action_and_events(raw: Any) -> tuple[str, list[int]]:
    """A row's own button ("example:17") acts on that message alone; the bulk buttons on every
    ticked one."""
    row = str(raw.get("row") or "")
    if row:
        action, _, event = row.partition(":")
        return action, [int(event)] if event.isdigit() else []
    chosen = [int(value) for value in raw.getlist("event")
              if isinstance(value, str) and value.isdigit()]
    return str(raw.get("action") or ""), list(dict.fromkeys(chosen))


def _chosen_intents(items: list[dict[str, Any]], form: dict[str, Any],
                    options: dict[str, dict[str, str]]) -> dict[int, str]:
    """The intent each message's row chose; a precise problem for a row without a valid one."""
    chosen = {}
    for item in items:
        intent = form["intents"].get(f"intent_{item['event_id']}", "").strip()
        if not intent:
            raise InvalidValue(f"choose an intent for {item['text'][:60]!r}")
        if intent == FALLBACK_INTENT or intent not in options[item["language"]]:
            raise InvalidValue(f"{intent!r} is not an intent of the {item['language']} "
                               f"NLU files (for {item['text'][:60]!r})")
        chosen[item["event_id"]] = intent
    return chosen


def _add_examples(request: Request, user: Trainer, chosen: list[int],
                  form: dict[str, Any]) -> dict[str, Any]:
    review, the_studio = review_store(request), studio(request)
    items = review.items(chosen)
    files = intent_files(the_studio)
    intents = _chosen_intents(items, form, files)
    changes: dict[str, str] = {}
    added: list[int] = []
    for item in items:
        intent = intents[item["event_id"]]
        file = files[item["language"]][intent]
        text = changes.get(file) or the_studio.read(file)
        example = " ".join(item["text"].split())
        current = next(i.examples for i in examples.read_intents(text) if i.name == intent)
        if normal_form(example) in {normal_form(e) for e in current}:
            # The same words are an example already (or twice among the ticked, "Goddaw du!"
            # and "goddaw du"): one is enough; the message is decided all the same.
            continue
        changes[file] = examples.change(text, intent, add=example)
        added.append(item["event_id"])
    sha = None
    if changes:
        sha = the_studio.save(changes, author=user.display_name, username=user.username,
                              message=form["message"] or translate(
                                  user.language, "trainer.review.default_message"))
    review.decide(chosen, decision="example", author=user.username, intents=intents,
                  reference=sha)
    return {"commit": sha, "files": sorted(changes), "added": added,
            "intents": sorted(set(intents.values()))}


def _ignore(request: Request, user: Trainer, chosen: list[int],
            form: dict[str, Any]) -> dict[str, Any]:
    review = review_store(request)
    review.items(chosen)  # every one must still be in the inbox
    review.decide(chosen, decision="ignored", author=user.username)
    return {}


def _write_story(request: Request, user: Trainer, chosen: list[int],
                 form: dict[str, Any]) -> dict[str, Any]:
    review, the_studio = review_store(request), studio(request)
    items = review.items(chosen)
    # Every row's intent counts, not only the chosen rows': the other misunderstood messages of
    # the same conversation then get the intent the trainer sees beside them too.
    corrected = {int(key.removeprefix("intent_")): value.strip()
                 for key, value in form["intents"].items()
                 if key.removeprefix("intent_").isdigit() and value.strip()}
    domain = [the_studio.read(name) for name in data_files(the_studio.root, "domain")]
    keep = featurized_slots(domain)
    short = secrets.token_hex(4)
    stories = []
    for number, conversation in enumerate(dict.fromkeys(i["conversation_id"] for i in items), 1):
        steps = story_steps(review.conversation_events(conversation), corrected=corrected,
                            keep_slots=keep)
        if not steps:
            raise InvalidValue(f"conversation {number} has no turn a story can show")
        stories.append((f"review {short} {number}", steps))
    comment = translate(user.language, "trainer.review.story_comment", count=len(items))
    text = story_yaml(stories, comment)
    problems = check_story(the_studio.rasa, the_studio.root, the_studio.project_root, text)
    if problems:
        raise SaveRefused([translate(user.language, "trainer.review.story_refused"), *problems])
    relative = f"{FOLDER}/test_review_{short}.yml"
    sha = add_test_story(the_studio, relative, text, author=user.display_name,
                         username=user.username, message=form["message"] or translate(
                             user.language, "trainer.review.story_message"))
    review.decide(chosen, decision="story", author=user.username, reference=relative)
    return {"commit": sha, "file": relative, "stories": len(stories)}
