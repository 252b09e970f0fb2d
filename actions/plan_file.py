"""conversations.yml: the conversation plan as data, its schema, and reading it (cached).

The file says which conversations there are and in which order, which questions each asks per
role, what kind of answer each question takes, what an answer becomes in the outcome store and
what the closing summary shows. actions/plan.py answers "which question is next" from it, the
form validates answers by it, and actions/plan_domain.py derives the Rasa domain's question
slots, the form's slot list and the ask actions from it.

Errors name the place in the file ("conversations.gift.questions.citizen[1].options") and the
reason, so a trainer can fix them without reading Python.
"""
from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

log = logging.getLogger(__name__)

SLOT_NAME = r"^[a-z][a-z0-9_]{0,40}$"
ROLES = ("citizen", "employee")
KINDS = ("free_text", "choice", "date", "ladder_step", "yes_no")
# The slots of the opening and closing: asked by the form, but not part of any conversation.
OPENING = ["consent", "role"]
CLOSING = ["next_step", "contact", "resume", "confirm_delete"]
# Slots with a fixed meaning elsewhere: a question may not take one of these names.
RESERVED = {*OPENING, *CLOSING, "language", "agenda", "guided", "paused", "delete_requested",
            "erased", "kept_answer", "reasking", "no_words_at", "ended", "handoff_requested",
            "requested_slot", "session_started_metadata", "invitation_words"}
# The outcome store's kinds (bot/store/check.py): a conversation's outcomes are of its name.
OUTCOME_KINDS = ("invitation", "possibility", "ownership", "dissent", "commitment", "gift")


class PlanError(Exception):
    """The plan file cannot be used: `problems` lists each one as "where: why"."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Labels(_Strict):
    da: str = Field(min_length=1, max_length=80)
    en: str = Field(min_length=1, max_length=80)


class Question(_Strict):
    slot: str = Field(pattern=SLOT_NAME)
    kind: Literal["free_text", "choice", "date", "ladder_step", "yes_no"]
    # choice: the values its buttons send (/choose{"value": ...}), each with its label.
    options: dict[str, Labels] | None = None
    steps: int | None = Field(None, ge=2, le=10)  # ladder_step: how many steps
    # What the answer becomes: the conversation's outcome (the person's words), one detail of
    # that outcome (`detail` names it), or nothing stored.
    stores: Literal["outcome", "detail", "nothing"] = "outcome"
    detail: str | None = Field(None, pattern=SLOT_NAME)
    # The response said after a valid answer; "{answer}" is replaced by the answer's value.
    acknowledge: str | None = Field(None, pattern=r"^utter_[a-z0-9_{}]+$")

    @model_validator(mode="after")
    def _fits_its_kind(self) -> Question:
        if self.kind == "choice" and not self.options:
            raise ValueError("a choice question needs options (value: {da: ..., en: ...})")
        if self.kind != "choice" and self.options is not None:
            raise ValueError(f"options belong to choice questions, not to {self.kind}")
        if self.kind == "ladder_step" and self.steps is None:
            raise ValueError("a ladder_step question needs steps (how many, 2 to 10)")
        if self.kind != "ladder_step" and self.steps is not None:
            raise ValueError(f"steps belong to ladder_step questions, not to {self.kind}")
        if self.stores == "detail" and not self.detail:
            raise ValueError("stores: detail needs detail: <name> (the key in the outcome)")
        if self.stores != "detail" and self.detail is not None:
            raise ValueError("detail: is only used with stores: detail")
        if self.acknowledge and "{" in self.acknowledge and self.acknowledge.count("{answer}") != 1:
            raise ValueError("acknowledge may only contain the placeholder {answer}")
        return self

    @field_validator("options")
    @classmethod
    def _option_values(cls, options: dict[str, Labels] | None) -> dict[str, Labels] | None:
        for value in options or {}:
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", str(value)):
                raise ValueError(f"option {value!r}: letters, digits, - and _ only")
        return options


class Questions(_Strict):
    """The questions in the order they are asked: the same for both roles, or per role."""

    both: list[Question] | None = None
    citizen: list[Question] | None = None
    employee: list[Question] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Questions:
        if self.both is not None and (self.citizen is not None or self.employee is not None):
            raise ValueError("give either both: or citizen: and employee:, not both kinds")
        if self.both is None and (self.citizen is None or self.employee is None):
            raise ValueError("give both: (asked of everyone) or citizen: and employee:")
        for role in ("both", *ROLES):
            listed = getattr(self, role)
            if listed is not None and not listed:
                raise ValueError(f"{role}: a conversation asks at least one question")
        return self

    def for_role(self, role: str | None) -> list[Question]:
        if self.both is not None:
            return list(self.both)
        return list(self.employee if role == "employee" else self.citizen)  # type: ignore[arg-type]

    def all(self) -> list[Question]:
        """Every question once, in file order (a question asked of both roles counts once)."""
        seen: dict[str, Question] = {}
        for listed in (self.both, self.citizen, self.employee):
            for question in listed or []:
                seen.setdefault(question.slot, question)
        return list(seen.values())


class Summary(_Strict):
    # The first of these slots that holds an answer is quoted (a choice shows its label).
    answer: list[str] = Field(min_length=1)
    # Answers added in brackets after the quote, when given.
    add: list[str] = []


class ConversationLabels(_Strict):
    kind: Labels  # what the summary and "show my data" call its outcome
    next_step: Labels  # the button that offers the conversation


class Conversation(_Strict):
    labels: ConversationLabels
    intent: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]*$")  # leads straight into it
    questions: Questions
    summary: Summary


class AfterDecline(_Strict):
    # The conversation that follows a declined invitation; its questions are optional, and
    # nothing more is offered after it (actions/plan.py respects_a_no).
    conversation: str


class Plan(_Strict):
    version: Literal[1] = 1
    order: list[str] = Field(min_length=1)
    conversations: dict[str, Conversation]
    after_decline: AfterDecline

    @model_validator(mode="after")
    def _consistent(self) -> Plan:
        problems = []
        for index, name in enumerate(self.order):
            if name not in self.conversations:
                problems.append(f"order[{index}]: {name!r} is not defined under conversations")
            if self.order.count(name) > 1 and self.order.index(name) == index:
                problems.append(f"order: {name!r} is listed more than once")
        for name in self.conversations:
            if name not in self.order:
                problems.append(f"conversations.{name}: not listed in order (it would never "
                                "be held)")
            if name not in OUTCOME_KINDS:
                problems.append(f"conversations.{name}: the outcome store keeps only "
                                f"{', '.join(OUTCOME_KINDS)}")
        owner: dict[str, str] = {}
        intents: dict[str, str] = {}
        for name, conversation in self.conversations.items():
            if conversation.intent:
                if conversation.intent in intents:
                    problems.append(f"conversations.{name}.intent: {conversation.intent!r} "
                                    f"already leads into {intents[conversation.intent]}")
                intents[conversation.intent] = name
            for role in ("both", *ROLES):
                listed = getattr(conversation.questions, role) or []
                seen: set[str] = set()
                for index, question in enumerate(listed):
                    where = f"conversations.{name}.questions.{role}[{index}].slot"
                    if question.slot in seen:
                        problems.append(f"{where}: {question.slot!r} is asked twice")
                    seen.add(question.slot)
                    if question.slot in RESERVED:
                        problems.append(f"{where}: {question.slot!r} is reserved for the "
                                        "opening, closing or bookkeeping")
                    if owner.setdefault(question.slot, name) != name:
                        problems.append(f"{where}: {question.slot!r} is already a question of "
                                        f"{owner[question.slot]}")
            details = [q.detail for q in conversation.questions.all() if q.stores == "detail"]
            for detail in {d for d in details if details.count(d) > 1}:
                problems.append(f"conversations.{name}: detail {detail!r} is stored by two "
                                "questions")
        if self.after_decline.conversation not in self.conversations:
            problems.append(f"after_decline.conversation: {self.after_decline.conversation!r} "
                            "is not defined under conversations")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    # --- reading ---------------------------------------------------------------------------

    def questions(self, conversation: str, role: str | None) -> list[Question]:
        return self.conversations[conversation].questions.for_role(role)

    def all_questions(self) -> list[tuple[str, Question]]:
        """(conversation, question) for every question, conversations in order."""
        return [(name, question) for name in self.order
                for question in self.conversations[name].questions.all()]

    def question(self, slot: str) -> tuple[str, Question] | None:
        return next(((c, q) for c, q in self.all_questions() if q.slot == slot), None)


def _where(location: tuple[Any, ...]) -> str:
    where = ""
    for part in location:
        if isinstance(part, int):
            where += f"[{part}]"
        elif part not in ("function-after", "dict[str,Labels]") and not str(part).startswith(
                "function-"):
            where += f".{part}" if where else str(part)
    return where or "the file"


def parse(text: str, source: str = "conversations.yml") -> Plan:
    """The plan in `text`, or PlanError with one "place: reason" per problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise PlanError([f"{source}: YAML error at {where}{error.problem or error.context}"]
                        ) from None
    except yaml.YAMLError as error:
        raise PlanError([f"{source}: YAML error: {error}"]) from None
    if not isinstance(data, dict):
        raise PlanError([f"{source}: the plan is a mapping (order:, conversations:, ...)"])
    try:
        return Plan.model_validate(data)
    except ValidationError as error:
        problems = []
        for found in error.errors():
            reason = str(found["msg"]).removeprefix("Value error, ")
            where = _where(found["loc"])
            for line in reason.split("\n"):
                problems.append(f"{source}: {line}" if ": " in line and not found["loc"]
                                else f"{source}: {where}: {line}")
        raise PlanError(problems) from None


# --- the file, followed as it changes ------------------------------------------------------

_lock = threading.Lock()
_cache: dict[Path, tuple[tuple[int, int], Plan]] = {}


def load(path: Path) -> Plan:
    """The plan in `path`, read again whenever the file changes (mtime or size), so the action
    server follows a trainer's save without a restart. A broken edit (the Studio refuses those,
    but a hand edit may slip through) keeps the last good plan and is logged."""
    stat = os.stat(path)
    key = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _cache.get(path)
        if cached and cached[0] == key:
            return cached[1]
        try:
            found = parse(path.read_text(encoding="utf-8"), path.name)
        except (PlanError, UnicodeDecodeError) as error:
            if cached is None:
                raise
            log.error("%s is not usable, keeping the plan read before: %s", path, error)
            _cache[path] = (key, cached[1])  # logged once per edit, not on every turn
            return cached[1]
        _cache[path] = (key, found)
        return found


# --- writing (the Conversations page's forms) ----------------------------------------------

def header_of(text: str) -> str:
    """The comment block at the top of the file (kept as it is when a form rewrites the body)."""
    lines = []
    for line in text.splitlines():
        if line.startswith("#") or (not line.strip() and lines):
            lines.append(line)
        else:
            break
    return "\n".join(lines).rstrip() + "\n" if lines else ""


def render(data: dict[str, Any], header: str = "") -> str:
    """The file for `data`: the header comment, a blank line, then the plan in the file's own
    layout (short mappings on one line), so a form's change is a small diff."""
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None,
                          width=100)
    return f"{header}\n{body}" if header else body
