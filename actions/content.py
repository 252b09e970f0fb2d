"""Labels the actions compose into messages (summaries, 'show my data', next-step buttons).

Everything the bot *says* as a whole sentence lives in domain.yml, where trainers edit it;
these are only the short labels that actions combine with the person's own words.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping


class _PlanLabels(Mapping):
    """Labels per conversation from conversations.yml (as the file is now), plus fixed ones."""

    def __init__(self, which: str, fixed: dict[str, dict[str, str]]) -> None:
        self._which, self._fixed = which, fixed

    def _table(self) -> dict[str, dict[str, str]]:
        from . import plan

        found = {name: getattr(c.labels, self._which).model_dump()
                 for name, c in plan.current().conversations.items()}
        return {**found, **self._fixed}

    def __getitem__(self, key: str) -> dict[str, str]:
        return self._table()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


# What an outcome is called (summary, 'show my data'): the conversations' from the plan.
KIND_LABELS = _PlanLabels("kind", {
    "handoff": {"da": "Ønske om at tale med en medarbejder",
                "en": "Request to talk to a staff member"},
})

# The buttons that offer a conversation (the plan's), and rounding off.
NEXT_STEP_LABELS = _PlanLabels("next_step", {
    "finish": {"da": "Afslut for nu", "en": "Finish for now"},
})

ANSWER_LABELS = {
    "accepted": {"da": "Ja, gerne", "en": "Yes, gladly"},
    "declined": {"da": "Nej tak", "en": "No, thank you"},
    "undecided": {"da": "Ved ikke endnu", "en": "Not sure yet"},
}

DETAIL_LABELS = {
    "due": {"da": "senest", "en": "by"},
    "ladder_step": {"da": "trin", "en": "step"},
    "skills": {"da": "evner", "en": "skills"},
    "availability": {"da": "tid", "en": "time"},
    "contact": {"da": "Kontakt", "en": "Contact"},
    "profession_step": {"da": "trin", "en": "step"},
}

# 'Show my data': what the conversation row holds about the person.
PROFILE_LABELS = {
    "consent": {"da": "Samtykke til at gemme dine svar", "en": "Consent to store your answers"},
    "consent_given": {"da": "ja, givet {when}", "en": "yes, given {when}"},
    "role": {"da": "Du skriver som", "en": "You write as"},
    "language": {"da": "Sprog", "en": "Language"},
    "citizen": {"da": "borger", "en": "citizen"},
    "employee": {"da": "medarbejder", "en": "employee"},
    "da": {"da": "dansk", "en": "Danish"},
    "en": {"da": "engelsk", "en": "English"},
}

MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]


def label(table: Mapping, key: str, language: str | None) -> str:
    return table[key]["en" if language == "en" else "da"]


# What a button said, for a pressed button whose title the channel did not send and whose
# message is no longer on record (staff read titles, never raw payloads). Keyed by intent, or
# by intent and value for /choose{"value": ...}.
PAYLOAD_LABELS = {
    "affirm": {"da": "Ja (knap)", "en": "Yes (button)"},
    "deny": {"da": "Nej (knap)", "en": "No (button)"},
    "request_human": {"da": "Bad om at tale med en medarbejder (knap)",
                      "en": "Asked to talk to a staff member (button)"},
    "show_my_data": {"da": "Vis mine data (knap)", "en": "Show my data (button)"},
    "delete_my_data": {"da": "Slet mine data (knap)", "en": "Delete my data (button)"},
    "pause": {"da": "Hold pause (knap)", "en": "Pause (button)"},
    "switch_language": {"da": "Skift sprog (knap)", "en": "Switch language (button)"},
    "help": {"da": "Hjælp (knap)", "en": "Help (button)"},
    # Sent unseen by the web widget when it opens (and by Telegram's /start).
    "greet": {"da": "(åbnede chatten)", "en": "(opened the chat)"},
    "restart": {"da": "Start forfra (knap)", "en": "Start over (button)"},
    "choose:citizen": {"da": "Som borger (knap)", "en": "As a citizen (button)"},
    "choose:employee": {"da": "Som medarbejder (knap)", "en": "As an employee (button)"},
}


def payload_label(payload: str, language: str | None) -> str:
    """A readable label for a button payload ('/request_human', '/choose{"value":"1"}')."""
    match = re.fullmatch(r"/(\w+)(\{.*\})?", payload.strip(), re.DOTALL)
    if not match:
        return payload
    intent, key = match.group(1), match.group(1)
    value = None
    if match.group(2):
        try:
            value = json.loads(match.group(2)).get("value")
        except (ValueError, AttributeError):
            value = None
    if value is not None:
        key = f"{intent}:{value}"
        for table in (ANSWER_LABELS, NEXT_STEP_LABELS):
            if str(value) in table:
                return f"{label(table, str(value), language)} ({_BUTTON[_lang(language)]})"
        if key not in PAYLOAD_LABELS:
            return f"{value} ({_BUTTON[_lang(language)]})"
    if key in PAYLOAD_LABELS:
        return label(PAYLOAD_LABELS, key, language)
    return payload


_BUTTON = {"da": "knap", "en": "button"}


def _lang(language: str | None) -> str:
    return "en" if language == "en" else "da"
