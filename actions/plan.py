"""Which question comes next: the conversation plan as a pure function of the slots.

The whole dialogue runs in one Rasa form (`samtale_form`) whose required slots are computed
here on every turn. Keeping the plan pure means it is tested without Rasa, and the order of
Peter Block's conversations is readable in one place.
"""
from __future__ import annotations

from typing import Any, Mapping

# Block suggests starting with the less demanding conversations.
CONVERSATIONS = ["invitation", "possibility", "ownership", "dissent", "commitment", "gift"]

FINISH = "finish"  # the value of next_step when the person wants to round off
DECLINED = "-"  # a slot the person chose to leave empty (no date, no contact)

# The questions answered in the person's own words (a message without words is no answer there).
FREE_TEXT_SLOTS = {"possibility", "ownership", "dissent", "commitment", "gift", "profession_gift",
                   "gift_time", "contact"}

# The intents that take a person straight into one conversation.
CONVERSATION_BY_INTENT = {
    "share_possibility": "possibility",
    "take_ownership": "ownership",
    "express_dissent": "dissent",
    "make_commitment": "commitment",
    "offer_gift": "gift",
}


def conversation_slots(conversation: str, role: str | None) -> list[str]:
    """The questions of one conversation, in the order they are asked."""
    if conversation == "gift":
        if role == "employee":
            return ["profession_gift", "profession_step", "gift_time"]
        return ["gift", "gift_time"]
    return {
        "invitation": ["invitation_answer"],
        "possibility": ["possibility"],
        "ownership": ["ownership", "ladder_step"],
        "dissent": ["dissent"],
        "commitment": ["commitment", "commitment_due"],
    }[conversation]


ALL_CONVERSATION_SLOTS = sorted(
    {slot for c in CONVERSATIONS for role in ("citizen", "employee")
     for slot in conversation_slots(c, role)}
)


def is_held(conversation: str, slots: Mapping[str, Any]) -> bool:
    return all(slots.get(s) is not None for s in conversation_slots(conversation, slots.get("role")))


def not_yet_held(slots: Mapping[str, Any]) -> list[str]:
    return [c for c in CONVERSATIONS if not is_held(c, slots)]


def required_slots(slots: Mapping[str, Any]) -> list[str]:
    """The slots the form still needs, first one first; empty means the form is done."""
    if slots.get("erased") or slots.get("ended"):
        return []
    if slots.get("delete_requested"):
        return ["confirm_delete"]
    if slots.get("paused"):
        return ["resume"]
    needed = [s for s in ("consent", "role") if slots.get(s) is None]
    for conversation in slots.get("agenda") or []:
        needed += conversation_slots(conversation, slots.get("role"))
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
            and set(slots.get("agenda") or []) <= {"invitation", "dissent"})


def first_slot(conversation: str, role: str | None) -> str:
    return conversation_slots(conversation, role)[0]


def slot_of_kept_answer(kept: Mapping[str, Any] | None, role: str | None) -> str | None:
    """The question a kept message answers: named directly (an answer after a pause), or the
    first question of the conversation it brought up (before consent and role were known)."""
    if not kept:
        return None
    if kept.get("slot"):
        return kept["slot"]
    if kept.get("conversation") in CONVERSATIONS and role:
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
    return conversation_slots(conversation, slots.get("role"))
