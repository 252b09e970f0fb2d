"""Labels the actions compose into messages (summaries, 'show my data', next-step buttons).

Everything the bot *says* as a whole sentence lives in domain.yml, where trainers edit it;
these are only the short labels that actions combine with the person's own words.
"""
from __future__ import annotations

KIND_LABELS = {
    "invitation": {"da": "Invitationen", "en": "The invitation"},
    "possibility": {"da": "Din drøm eller idé", "en": "Your dream or idea"},
    "ownership": {"da": "Din egen rolle", "en": "Your own part"},
    "dissent": {"da": "Din tvivl", "en": "Your doubts"},
    "commitment": {"da": "Dit løfte", "en": "Your promise"},
    "gift": {"da": "Det, du kan give", "en": "What you can give"},
    "handoff": {"da": "Ønske om at tale med en medarbejder",
                "en": "Request to talk to a staff member"},
}

NEXT_STEP_LABELS = {
    "invitation": {"da": "Invitationen", "en": "The invitation"},
    "possibility": {"da": "Mine drømme og idéer", "en": "My dreams and ideas"},
    "ownership": {"da": "Min egen rolle", "en": "My own part"},
    "dissent": {"da": "Min tvivl", "en": "My doubts"},
    "commitment": {"da": "Et løfte", "en": "A promise"},
    "gift": {"da": "Hvad jeg kan give", "en": "What I can give"},
    "finish": {"da": "Afslut for nu", "en": "Finish for now"},
}

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


def label(table: dict, key: str, language: str | None) -> str:
    return table[key]["en" if language == "en" else "da"]
