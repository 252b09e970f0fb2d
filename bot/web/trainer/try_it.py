"""/trainer/try: a chat pane talking to the running bot, each message shown with the intent, its
confidence (and the runners-up) and the slots it filled (bot/trainer/try_it.py reads them from
Rasa's tracker).

    GET  /trainer/try                 a new try-it conversation (a fresh `try-` id in the URL)
    GET  /trainer/try?c=try-...       the conversation so far, read back from Rasa's tracker
    POST /trainer/try                 say something; htmx gets the new turn, a plain form a 303
    POST /trainer/try/start-over      erase the conversation (store's erasure), begin a new one

The page keeps no state: the conversation id travels in the URL and the form, and only ids of
the try- form are accepted, so the page can never read or erase a citizen's conversation.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from bot.launcher import rasa_token
from bot.trainer import try_it
from bot.web.staff.auth import audit
from bot.web.templates import LANGUAGES, templates, translate
from bot.web.trainer import Trainer

router = APIRouter(prefix="/trainer/try", tags=["trainer: try it"], include_in_schema=False)
MAX_MESSAGE = 4000  # as the widget's text box


def _conversation(value: str) -> str:
    return value if try_it.is_try_conversation(value) else try_it.new_conversation_id()


def _language(value: str) -> str:
    return value if value in LANGUAGES else "da"


def _page(request: Request, conversation: str, language: str, *, turns: list[try_it.Turn],
          problem: str = "", status_code: int = 200) -> Response:
    return templates.TemplateResponse(request, "trainer/try.html", {
        "conversation": conversation, "language": language, "turns": turns,
        "problem": problem}, status_code=status_code)


@router.get("")
async def pane(request: Request, user: Trainer, c: str = "", language: str = "") -> Response:
    conversation, language = _conversation(c), _language(language or user.language)
    if conversation != c:  # a new conversation: its id in the address, so reloads keep it
        where = urlencode({"c": conversation, "language": language})
        return RedirectResponse(f"/trainer/try?{where}", status_code=303)
    settings = request.app.state.settings
    try:
        turns = await try_it.conversation(settings, rasa_token(settings), conversation)
    except try_it.RasaUnavailable as error:
        return _page(request, conversation, language, turns=[],
                     problem=_unavailable(user.language, error), status_code=503)
    return _page(request, conversation, language, turns=turns)


@router.post("")
async def say(request: Request, user: Trainer) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    conversation = form.get("conversation", "")
    language = _language(form.get("language", ""))
    message = form.get("message", "").strip()
    htmx = request.headers.get("hx-request") == "true"
    problem = ""
    if not try_it.is_try_conversation(conversation):
        problem = translate(user.language, "trainer.try.bad_conversation")
    elif not message:
        problem = translate(user.language, "trainer.try.empty")
    elif len(message) > MAX_MESSAGE:
        problem = translate(user.language, "trainer.try.too_long", limit=MAX_MESSAGE)
    if problem:
        return _answer(request, htmx, _conversation(conversation), language, [], problem, 400)
    settings = request.app.state.settings
    try:
        turns = await try_it.send(settings, rasa_token(settings), conversation, message,
                                  language=language,
                                  button_title=form.get("button_title", "")[:500] or None)
    except try_it.RasaUnavailable as error:
        return _answer(request, htmx, conversation, language, [],
                       _unavailable(user.language, error), 503)
    if htmx:  # only the new turn, appended to the log by htmx
        return templates.TemplateResponse(request, "trainer/_partials/try_turn.html", {
            "turn": turns[-1], "number": len(turns), "conversation": conversation,
            "language": language, "clear_status": True})
    where = urlencode({"c": conversation, "language": language})
    return RedirectResponse(f"/trainer/try?{where}#turn-{len(turns)}", status_code=303)


def _answer(request: Request, htmx: bool, conversation: str, language: str,
            turns: list[try_it.Turn], problem: str, status_code: int) -> Response:
    if htmx:  # htmx swaps 2xx only: the problem replaces the status line instead (hx-target-error
        # would need an extension); 200 with the message, marked as an alert
        return templates.TemplateResponse(request, "trainer/_partials/try_problem.html",
                                          {"problem": problem},
                                          headers={"HX-Retarget": "#try-status",
                                                   "HX-Reswap": "innerHTML"})
    return _page(request, conversation, language, turns=turns, problem=problem,
                 status_code=status_code)


@router.post("/start-over")
async def start_over(request: Request, user: Trainer) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    conversation = form.get("conversation", "")
    language = _language(form.get("language", ""))
    if try_it.is_try_conversation(conversation):
        # The action server's own erasure: outcomes, consent row, transcript, and the erasure
        # mark that keeps Rasa's tracker store from writing the old turns back.
        erased = await run_in_threadpool(request.app.state.store.erase_conversation, conversation)
        audit(request, user, "trainer.try.start_over", conversation, erased)
    where = urlencode({"language": language})
    return RedirectResponse(f"/trainer/try?{where}", status_code=303)


def _unavailable(language: str, error: try_it.RasaUnavailable) -> str:
    return translate(language, "trainer.try.unavailable", reason=str(error))
