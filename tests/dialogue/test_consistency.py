"""The domain, the actions and the training data agree with each other."""
from __future__ import annotations

import inspect
import re
from collections import Counter
from pathlib import Path

import yaml
from rasa_sdk import Action

import actions.conversation
import actions.digressions
import actions.form
import actions.questions
from actions.content import ANSWER_LABELS

ROOT = Path(__file__).resolve().parents[2]
BUTTON_ONLY_INTENTS = {"choose"}


def implemented_actions() -> set[str]:
    found = set()
    for module in (actions.conversation, actions.digressions, actions.form, actions.questions):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (issubclass(cls, Action) and cls.__module__ == module.__name__
                    and not inspect.isabstract(cls)):
                found.add(cls().name())
    return found


def test_every_custom_action_in_the_domain_is_implemented_and_vice_versa(domain):
    assert set(domain["actions"]) == implemented_actions()


def test_every_response_speaks_danish_and_english(domain):
    for name, variations in domain["responses"].items():
        default = [v for v in variations if not v.get("condition")]
        english = [v for v in variations if {"type": "slot", "name": "language", "value": "en"}
                   in (v.get("condition") or [])]
        assert len(default) == 1 and len(english) == 1, name
        assert bool(default[0].get("buttons")) == bool(english[0].get("buttons")), name


def test_every_question_is_asked_explained_and_validated(domain):
    for slot in domain["forms"]["samtale_form"]["required_slots"]:
        assert f"utter_ask_{slot}" in domain["responses"] or f"action_ask_{slot}" in \
            domain["actions"], slot
        assert f"utter_why_{slot}" in domain["responses"], slot
        assert hasattr(actions.form.ValidateSamtaleForm, f"validate_{slot}"), slot


def test_every_response_the_actions_name_exists(domain):
    source = "\n".join(Path(m.__file__).read_text() for m in
                       (actions.conversation, actions.digressions, actions.form,
                        actions.questions))
    named = set(re.findall(r'"(utter_[a-z_]+)"', source))
    named |= {f"utter_invitation_{answer}" for answer in ANSWER_LABELS}
    named |= {f"utter_ack_ladder_step_{step}" for step in range(1, 5)}
    assert named - set(domain["responses"]) == set()


def test_every_intent_has_enough_examples_in_both_languages(domain):
    for language in ("da", "en"):
        counts: Counter = Counter()
        for path in (ROOT / "nlu" / language).glob("*.yml"):
            for block in yaml.safe_load(path.read_text())["nlu"]:
                counts[block["intent"]] += len([line for line in block["examples"].splitlines()
                                                if line.strip().startswith("- ")])
        for intent in set(domain["intents"]) - BUTTON_ONLY_INTENTS:
            assert counts[intent] >= 40, (language, intent, counts[intent])
