"""/trainer/conversations: the conversation plan (conversations.yml) as its structure — the
conversations in order, their questions per role with kind, slot and what the answer becomes —
with forms to add a free-text or choice question (and its question in Danish and English),
remove a question, and move questions and conversations; and the file itself in a YAML editor
beside the description of its fields. Every change is saved through the Studio: the plan's
schema, the derived domain/questions.yml, rasa data validate, a commit, the audit log."""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from actions import plan_domain, plan_file
from bot.trainer.files import DataError
from bot.trainer.studio import SaveRefused, digest
from bot.web.staff.auth import audit
from bot.web.templates import templates
from bot.web.trainer import MAX_TEXT, Trainer, studio

router = APIRouter(prefix="/trainer/conversations", tags=["trainer: conversations"],
                   include_in_schema=False)
PLAN = plan_domain.PLAN
RESPONSES = "domain/conversations.yml"  # where a new question's texts go
MAX_FILE = 256 * 1024
ROLE_LISTS = ("both", "citizen", "employee")


class EditError(Exception):
    """A form that does not fit the plan (unknown conversation, question, direction)."""


@router.get("")
def page(request: Request, user: Trainer, saved: str = "") -> Response:
    return _page(request, saved=saved)


def _page(request: Request, *, saved: str = "", problems: list[str] | None = None,
          draft: str | None = None, fields: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    problems = list(problems or [])
    text, structure = None, None
    try:
        text = studio(request).read(PLAN)
        structure = plan_file.parse(text)
    except DataError as error:
        problems.append(str(error))
    except plan_file.PlanError as error:  # a hand edit outside the Studio: still editable here
        problems += error.problems
    context = {"text": draft if draft is not None else text, "base": digest(text or ""),
               "plan": structure, "rows": _rows(structure) if structure else [],
               "saved": saved[:40], "problems": problems, "fields": fields or {},
               "reference": _reference(), "header": plan_file.header_of(text or "")}
    return templates.TemplateResponse(request, "trainer/conversations.html", context,
                                      status_code=status_code)


def _rows(structure: plan_file.Plan) -> list[dict[str, Any]]:
    """Per conversation in order: its labels and, per role list, its questions."""
    rows = []
    for position, name in enumerate(structure.order):
        conversation = structure.conversations[name]
        lists = [(role, getattr(conversation.questions, role)) for role in ROLE_LISTS
                 if getattr(conversation.questions, role) is not None]
        rows.append({"name": name, "position": position + 1, "conversation": conversation,
                     "lists": lists,
                     "first": position == 0, "last": position == len(structure.order) - 1,
                     "after_decline": structure.after_decline.conversation == name})
    return rows


def _reference() -> list[tuple[str, list[tuple[str, str]]]]:
    """The fields of each part of the file, from the schema itself (never out of date)."""
    parts = [("plan", plan_file.Plan), ("conversations.<name>", plan_file.Conversation),
             ("questions", plan_file.Questions), ("question", plan_file.Question),
             ("summary", plan_file.Summary), ("labels", plan_file.ConversationLabels)]
    found = []
    for title, model in parts:
        fields = []
        for name, field in model.model_fields.items():
            kind = str(field.annotation).replace("typing.", "").replace("actions.plan_file.", "")
            kind = kind.replace("<class '", "").replace("'>", "")
            fields.append((name, kind + ("" if field.is_required() else " (optional)")))
        found.append((title, fields))
    return found


# --- the forms: each builds the new file, then the one save path below ----------------------

async def _fields(request: Request) -> dict[str, str]:
    form = await request.form()
    fields = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    if any(len(value) > MAX_TEXT for value in fields.values()):
        raise EditError(f"a field is longer than {MAX_TEXT} characters")
    return fields


def _current(request: Request) -> tuple[str, dict[str, Any]]:
    text = studio(request).read(PLAN)
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("conversations"), dict):
        raise EditError(f"{PLAN} has no conversations: mapping; fix it in the editor below")
    return text, data


def _conversation(data: dict[str, Any], name: str) -> dict[str, Any]:
    if name not in data["conversations"]:
        raise EditError(f"no conversation {name!r} in {PLAN}")
    return data["conversations"][name]


def _options(text: str) -> dict[str, dict[str, str]]:
    """'value | Dansk | English' per line, for a choice question's buttons."""
    options = {}
    for number, line in enumerate(text.replace("\r\n", "\n").splitlines(), 1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3 or not all(parts):
            raise EditError(f"options, line {number}: write value | Danish label | English label")
        options[parts[0]] = {"da": parts[1], "en": parts[2]}
    if not options:
        raise EditError("options: a choice question needs at least one option")
    return options


def _ask_response(slot: str, da: str, en: str, options: dict[str, dict[str, str]] | None
                  ) -> str:
    """utter_ask_<slot> in Danish (the default) and English, with buttons for a choice."""
    def buttons(language: str, indent: str) -> str:
        if not options:
            return ""
        lines = [f"{indent}buttons:"]
        for value, labels in options.items():
            payload = '/choose{{"value":"' + value + '"}}'
            lines += [f"{indent}  - title: {json.dumps(labels[language], ensure_ascii=False)}",
                      f"{indent}    payload: '{payload}'"]
        return "\n".join(lines) + "\n"
    return (f"  utter_ask_{slot}:\n"
            f"    - text: {json.dumps(da, ensure_ascii=False)}\n{buttons('da', '      ')}"
            f"    - condition: [{{type: slot, name: language, value: en}}]\n"
            f"      text: {json.dumps(en, ensure_ascii=False)}\n{buttons('en', '      ')}")


@router.post("/question")
async def add_question(request: Request, user: Trainer) -> Response:
    """A free-text or choice question at the end of a conversation's list (for one role or
    everyone), with its question in both languages."""
    fields: dict[str, str] = {}
    try:
        fields = await _fields(request)
        text, data = _current(request)
        conversation = _conversation(data, fields.get("conversation", ""))
        slot, kind = fields.get("slot", "").strip(), fields.get("kind", "")
        if kind not in ("free_text", "choice"):
            raise EditError("kind: this form adds free_text or choice questions (the others in "
                            "the editor below)")
        question: dict[str, Any] = {"slot": slot, "kind": kind}
        options = _options(fields.get("options", "")) if kind == "choice" else None
        if options:
            question["options"] = options
        if fields.get("stores") == "detail":
            question.update(stores="detail", detail=fields.get("detail", "").strip() or slot)
        elif fields.get("stores") == "nothing":
            question["stores"] = "nothing"
        lists = conversation.get("questions") or {}
        role = fields.get("role", "both")
        targets = ([r for r in ("citizen", "employee") if r in lists] if role == "both"
                   and "both" not in lists else [role])
        for target in targets:
            if target not in lists:
                raise EditError(f"role: {fields.get('conversation')} asks everyone the same "
                                "questions; choose Everyone (or split it in the editor below)")
            lists[target].append(copy.deepcopy(question))
        da, en = fields.get("ask_da", "").strip(), fields.get("ask_en", "").strip()
        if not da or not en:
            raise EditError("the question itself is needed in Danish and in English")
        responses = studio(request).read(RESPONSES)
        if f"utter_ask_{slot}" in plan_domain.responses_of({RESPONSES: responses}):
            raise EditError(f"utter_ask_{slot} exists already; choose another slot name")
        new_responses = responses.rstrip("\n") + "\n" + _ask_response(slot, da, en, options)
    except (DataError, EditError) as error:
        return _refused(request, user, "question", [str(error)], fields)
    return await _save(request, user, "question", {
        PLAN: plan_file.render(data, plan_file.header_of(text)), RESPONSES: new_responses},
        fields, f"{fields.get('conversation')}: {slot}")


@router.post("/remove")
async def remove_question(request: Request, user: Trainer) -> Response:
    fields: dict[str, str] = {}
    try:
        fields = await _fields(request)
        text, data = _current(request)
        conversation = _conversation(data, fields.get("conversation", ""))
        slot = fields.get("slot", "")
        removed = False
        for role in ROLE_LISTS:
            listed = (conversation.get("questions") or {}).get(role)
            if listed is not None:
                kept = [q for q in listed if q.get("slot") != slot]
                removed |= len(kept) != len(listed)
                conversation["questions"][role] = kept
        if not removed:
            raise EditError(f"{fields.get('conversation')} asks no question {slot!r}")
        summary = conversation.get("summary") or {}
        for key in ("answer", "add"):
            if isinstance(summary.get(key), list):
                summary[key] = [s for s in summary[key] if s != slot]
        if "add" in summary and not summary["add"]:
            del summary["add"]
    except (DataError, EditError) as error:
        return _refused(request, user, "remove", [str(error)], fields)
    return await _save(request, user, "remove", {
        PLAN: plan_file.render(data, plan_file.header_of(text))}, fields,
        f"{fields.get('conversation')}: {slot}")


def _moved(items: list[Any], index: int, direction: str) -> None:
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(items):
        raise EditError(f"cannot move {direction!r} from there")
    items[index], items[other] = items[other], items[index]


@router.post("/move")
async def move(request: Request, user: Trainer) -> Response:
    """A conversation one place up or down in the order, or a question within its list."""
    fields: dict[str, str] = {}
    try:
        fields = await _fields(request)
        text, data = _current(request)
        name, direction = fields.get("conversation", ""), fields.get("direction", "")
        slot = fields.get("slot", "")
        if not slot:
            order = data.get("order") or []
            if name not in order:
                raise EditError(f"{name!r} is not in order")
            _moved(order, order.index(name), direction)
            target = name
        else:
            listed = ((_conversation(data, name).get("questions") or {})
                      .get(fields.get("role", "")))
            slots = [q.get("slot") for q in listed or []]
            if slot not in slots:
                raise EditError(f"{name} ({fields.get('role')}) asks no question {slot!r}")
            _moved(listed, slots.index(slot), direction)
            target = f"{name}: {slot}"
    except (DataError, EditError) as error:
        return _refused(request, user, "move", [str(error)], fields)
    return await _save(request, user, "move", {
        PLAN: plan_file.render(data, plan_file.header_of(text))}, fields, target)


@router.post("/yaml")
async def save_yaml(request: Request, user: Trainer) -> Response:
    fields: dict[str, str] = {}
    try:
        fields = await _fields_large(request)
    except EditError as error:
        return _refused(request, user, "yaml", [str(error)], fields)
    new = fields.get("text", "").replace("\r\n", "\n")
    return await _save(request, user, "yaml", {PLAN: new}, fields, PLAN, draft=new)


async def _fields_large(request: Request) -> dict[str, str]:
    form = await request.form()
    fields = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    if len(fields.get("text", "").encode("utf-8")) > MAX_FILE:
        raise EditError(f"the file is larger than {MAX_FILE // 1024} KiB")
    return fields


async def _save(request: Request, user: Trainer, what: str, changes: dict[str, str],
                fields: dict[str, str], target: str, draft: str | None = None) -> Response:
    message = fields.get("message", "") or f"Conversations: {what} {target}"
    try:
        sha = await run_in_threadpool(
            studio(request).save, changes, author=user.display_name, username=user.username,
            message=message, bases={PLAN: fields.get("base", "")})
    except SaveRefused as error:
        return _refused(request, user, what, error.problems, fields, draft=draft)
    audit(request, user, f"trainer.conversations.{what}", target[:200], {"commit": sha})
    return RedirectResponse(f"/trainer/conversations?saved={sha}", status_code=303)


def _refused(request: Request, user: Trainer, what: str, problems: list[str],
             fields: dict[str, str], draft: str | None = None) -> Response:
    audit(request, user, f"trainer.conversations.{what}.refused", what,
          {"problems": len(problems)})
    return _page(request, problems=problems, draft=draft, fields=fields, status_code=400)
