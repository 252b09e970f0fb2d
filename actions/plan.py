"""Which question comes next: the conversation plan as a function of the slots.

The whole dialogue runs in one Rasa form (`samtale_form`) whose required slots are computed
here on every turn. The conversations, their order and their questions are data, in
conversations.yml (read by actions/plan_file.py); what is logic stays here: the opening,
pauses, deletion, a handoff's contact question, and respecting a declined invitation.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Mapping

from .plan_file import CLOSING, OPENING, Plan, Question, load

FINISH = "finish"  # the value of next_step when the person wants to round off
DECLINED = "-"  # a slot the person chose to leave empty (no date, no contact)
# Rasa sends every slot of the running model's domain, its built-in session_started_metadata
# among them. Such a mapping tells which questions the model knows; a plain mapping (a unit
# test's, a tool's) is taken to know them all.
MODEL_SLOT = "session_started_metadata"

__all__ = ["CLOSING", "DECLINED", "FINISH", "OPENING"]


@functools.cache
def plan_path() -> Path:
    """conversations.yml: SAMTALE_PLAN_FILE, else the trainers' content folder's, else ours."""
    from bot.settings import load_settings

    settings = load_settings()
    if settings.plan_file:
        return settings.plan_file
    return (settings.trainer_content_dir or settings.root) / "conversations.yml"


def current() -> Plan:
    """The plan as the file says now (read again after each change of the file)."""
    return load(plan_path())


def __getattr__(name: str) -> Any:
    """The plan's tables, always from the file as it is now (module attributes for callers)."""
    tables = {
        # Block suggests starting with the less demanding conversations; the file says how.
        "CONVERSATIONS": lambda: list(current().order),
        # The questions answered in the person's own words (a message without words is no
        # answer there); contact is the closing's.
        "FREE_TEXT_SLOTS": lambda: {q.slot for _, q in current().all_questions()
                                    if q.kind == "free_text"} | {"contact"},
        # The intents that take a person straight into one conversation.
        "CONVERSATION_BY_INTENT": lambda: {c.intent: name for name, c
                                           in current().conversations.items() if c.intent},
        "ALL_CONVERSATION_SLOTS": lambda: sorted({q.slot for _, q in current().all_questions()}),
    }
    if name in tables:
        return tables[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def conversation_slots(conversation: str, role: str | None) -> list[str]:
    """The questions of one conversation, in the order they are asked; none for one a trainer
    removed from the plan while it was on someone's agenda (it counts as held)."""
    found = current()
    if conversation not in found.conversations:
        return []
    return [q.slot for q in found.questions(conversation, role)]


def question(slot: str) -> tuple[str, Question] | None:
    """The conversation a question belongs to, and the question; None for opening/closing."""
    return current().question(slot)


def _asked(conversation: str, slots: Mapping[str, Any]) -> list[str]:
    """The questions of the conversation the running model can ask (see MODEL_SLOT)."""
    asked = conversation_slots(conversation, slots.get("role"))
    if MODEL_SLOT in slots:
        asked = [slot for slot in asked if slot in slots]
    return asked


def is_held(conversation: str, slots: Mapping[str, Any]) -> bool:
    return all(slots.get(s) is not None for s in _asked(conversation, slots))


def not_yet_held(slots: Mapping[str, Any]) -> list[str]:
    return [c for c in current().order if not is_held(c, slots)]


def required_slots(slots: Mapping[str, Any]) -> list[str]:
    """The slots the form still needs, first one first; empty means the form is done."""
    if slots.get("erased") or slots.get("ended"):
        return []
    if slots.get("delete_requested"):
        return ["confirm_delete"]
    if slots.get("paused"):
        return ["resume"]
    needed = [s for s in OPENING if slots.get(s) is None]
    known = current().conversations
    for conversation in slots.get("agenda") or []:
        if conversation in known:  # one a trainer removed since it was put on the agenda: gone
            needed += _asked(conversation, slots)
    needed = [s for s in dict.fromkeys(needed) if slots.get(s) is None]
    if (slots.get("handoff_requested") and slots.get("consent") is True
            and slots.get("contact") is None):
        # Someone who asked for a person is offered to leave a way to reach them, right away.
        needed = ["contact", *needed]
    if needed:
        return needed
    if respects_a_no(slots):
        return []
    if not_yet_held(slots) and slots.get("next_step") is None and not slots.get("guided"):
        return ["next_step"]
    if slots.get("consent") is True and slots.get("contact") is None:
        return ["contact"]
    return []


def respects_a_no(slots: Mapping[str, Any]) -> bool:
    """A declined invitation gets one optional question (what holds them back), then no more
    asks: no offer of other conversations, no contact question. Only a conversation the person
    opens themselves afterwards puts more on the agenda."""
    return (slots.get("invitation_answer") == "declined"
            and set(slots.get("agenda") or []) <= {"invitation",
                                                  current().after_decline.conversation})


def first_slot(conversation: str, role: str | None) -> str:
    return conversation_slots(conversation, role)[0]


def slot_of_kept_answer(kept: Mapping[str, Any] | None, role: str | None) -> str | None:
    """The question a kept message answers: named directly (an answer after a pause), or the
    first question of the conversation it brought up (before consent and role were known)."""
    if not kept:
        return None
    if kept.get("slot"):
        return kept["slot"]
    if kept.get("conversation") in current().conversations and role:
        return first_slot(kept["conversation"], role)
    return None


def agenda_for_entry(conversation: str, slots: Mapping[str, Any]) -> list[str]:
    """The agenda after the person asks for one conversation: it goes next, others keep order."""
    agenda = [c for c in (slots.get("agenda") or []) if c != conversation or not is_held(c, slots)]
    if conversation not in agenda:
        agenda.append(conversation)
    return agenda


def slots_to_reopen(conversation: str, slots: Mapping[str, Any]) -> list[str]:
    """A conversation already held can be held again: its answers are stored, so the slots reset."""
    if not is_held(conversation, slots):
        return []
    return _asked(conversation, slots)
