"""'Show my data' lists everything stored about the person, in their language, in short bubbles."""
from __future__ import annotations

import re
import types
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

import actions.outcomes
from actions.digressions import ActionDigress

from .conftest import make_tracker, run

CONSENTED = {"consent": True, "role": "citizen"}


def store_everything(store, sender: str, language: str, skills: list[str]) -> None:
    store.save_conversation(sender, consent=True, role="citizen", language=language,
                            contact="anna@example.dk")
    store.record_outcome(conversation_id=sender, kind="ownership", language=language,
                         text="Jeg kan invitere naboerne", details={"ladder_step": 3})
    store.record_outcome(conversation_id=sender, kind="commitment", language=language,
                         text="Jeg ringer til boligforeningen", details={"due": "2027-03-05"})
    store.record_outcome(conversation_id=sender, kind="gift", language=language,
                         text="Jeg er pensioneret tømrer og kan komme om torsdagen",
                         details={"skills": skills, "skill_ids": ["carpentry"],
                                  "availability": {"text": "torsdag formiddag", "days": ["thu"],
                                                   "time_of_day": "morning"},
                                  "profession_step": 2})
    store.record_outcome(conversation_id=sender, kind="dissent", language=language,
                         text="Jeg er bange for, at det bare er for at spare",
                         details={"none": False})


def show(domain, language: str, sender: str = "anna") -> list[dict]:
    tracker = make_tracker({**CONSENTED, "language": language}, text="vis mine data",
                           intent="show_my_data", sender=sender)
    return run(ActionDigress(), tracker, domain)[1]


def test_danish_lists_consent_role_language_contact_outcomes_and_transcript(domain,
                                                                               action_store):
    store_everything(action_store, "anna", "da", ["tømrerarbejde", "reparationer"])
    messages = show(domain, "da")

    assert messages[0]["response"] == "utter_show_data_intro"
    assert messages[-1]["response"] == "utter_show_data_transcript"
    assert messages[-1]["days"] == 180  # RETENTION_DAYS unset: the default
    text = "\n".join(m.get("text") or "" for m in messages[1:-1])
    given = datetime.fromisoformat(action_store.get_conversation("anna")["consent_at"])
    day = given.astimezone(ZoneInfo("Europe/Copenhagen")).strftime("%d.%m.%Y %H:%M")
    assert f"Samtykke til at gemme dine svar: ja, givet {day}" in text
    assert "Du skriver som: borger" in text and "Sprog: dansk" in text
    assert "Kontakt: anna@example.dk" in text
    assert "“Jeg kan invitere naboerne” (trin 3)" in text
    assert "“Jeg ringer til boligforeningen” (senest 05.03.2027)" in text
    assert "evner: tømrerarbejde, reparationer" in text and "tid: torsdag formiddag" in text
    assert "trin 2" in text and "Din tvivl: “Jeg er bange for" in text
    # Danish labels only, and no ids or raw structures.
    for english in ("carpentry", "Consent", "citizen", "skills", "time_of_day", "thu", "{"):
        assert english not in text, english
    assert all(len(m.get("text") or "") <= 300 for m in messages)


def test_english_reader_gets_english_labels(domain, action_store):
    store_everything(action_store, "sam", "en", ["carpentry", "repairs"])
    messages = show(domain, "en", sender="sam")
    text = "\n".join(m.get("text") or "" for m in messages[1:-1])
    assert "Consent to store your answers: yes, given" in text
    assert "You write as: citizen" in text and "Language: English" in text
    assert "(by 5 March 2027)" in text and "skills: carpentry, repairs" in text
    assert "step 3" in text and "Samtykke" not in text and "senest" not in text


def test_a_long_list_is_split_into_short_bubbles(domain, action_store):
    action_store.save_conversation("bo", consent=True, role="employee", language="da")
    for n in range(12):
        action_store.record_outcome(conversation_id="bo", kind="possibility", language="da",
                                    text=f"Drøm nummer {n}: en have, hvor naboerne mødes om søndagen")
    messages = show(domain, "da", sender="bo")
    bubbles = [m["text"] for m in messages if m.get("text")]
    assert len(bubbles) >= 3 and all(len(b) <= 300 for b in bubbles)
    joined = "\n".join(bubbles)
    assert all(f"Drøm nummer {n}:" in joined for n in range(12))
    assert "Du skriver som: medarbejder" in joined


def test_retention_days_come_from_the_settings(domain, action_store, monkeypatch):
    monkeypatch.setattr(actions.outcomes, "load_settings",
                        lambda: types.SimpleNamespace(retention_days=30))
    store_everything(action_store, "anna", "da", ["tømrerarbejde"])
    assert show(domain, "da")[-1]["days"] == 30


def test_without_consent_nothing_is_shown(domain, action_store):
    tracker = make_tracker({"consent": False, "role": "citizen"}, text="vis mine data",
                           intent="show_my_data")
    messages = run(ActionDigress(), tracker, domain)[1]
    assert [m["response"] for m in messages] == ["utter_show_data_nothing"]


@pytest.mark.parametrize("language", ["da", "en"])
def test_the_transcript_sentence_names_the_days(domain, language):
    variation = next(v for v in domain["responses"]["utter_show_data_transcript"]
                     if (language == "en") == bool(v.get("condition")))
    assert re.search(r"\{days\} (dage|days)", variation["text"])
