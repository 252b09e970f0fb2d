"""The domain, the actions and the training data agree with each other."""
from __future__ import annotations

import inspect
import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Action

import actions.conversation
import actions.digressions
import actions.form
import actions.plan
import actions.questions
from actions.content import ANSWER_LABELS

ROOT = Path(__file__).resolve().parents[2]
BUTTON_ONLY_INTENTS = {"choose"}
MAX_BUBBLE = 300

# Everyone the bot may talk to: a reply language, and consent yes / no / not asked yet.
AUDIENCES = [{"language": language, "consent": consent}
             for language in ("da", "en") for consent in (True, False, None)]

# Phrases that promise keeping, noting, reading or contacting — true only with consent.
# Questions ("Må jeg gemme …?") and refusals ("jeg har ikke gemt") are not promises.
PROMISES = [re.compile(pattern, re.IGNORECASE) for pattern in (
    # Danish
    r"\b(?:er|bliver|blevet|har|har jeg) gemt\b", r"\bgemmer (?:jeg |vi )?(?:dine|din|dit|det)\b",
    r"\bnoter(?:et|er)\b", r"\bskrevet ned\b", r"\bskriver (?:jeg )?det ned\b",
    r"\blæser (?:dine|dit|din|svarene)\b", r"\bkan (?:nu )?læse dine svar\b",
    r"\b(?:vil|skal) kontakte dig\b", r"\bkontakter dig\b",
    r"\b(?:giver|givet|sender) besked\b",
    # English
    r"\b(?:is|are|been|have|I've|I have|we've) stored\b", r"\bI'?ll note\b", r"\bnoted\b",
    r"\bwritten down\b", r"\bwill contact\b", r"\bget in touch\b",
    r"\bread (?:your|the) answers\b", r"\blet (?:a|the) (?:staff|colleague)",
)]


def conditions(variation: dict) -> dict:
    return {c["name"]: c["value"] for c in variation.get("condition") or []}


def matches(variation: dict, audience: dict) -> bool:
    """Rasa 3.6's ResponseVariationFilter: every condition equals the slot's value."""
    return all(audience.get(name) == value for name, value in conditions(variation).items())


def seen_by(variations: list[dict], audience: dict) -> dict:
    """The variation Rasa shows this audience: a matching conditional one, else the default."""
    matching = [v for v in variations if v.get("condition") and matches(v, audience)]
    return matching[0] if matching else next(v for v in variations if not v.get("condition"))


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


def test_every_response_has_a_danish_default_and_english(domain):
    """Rasa falls back to the condition-free variation, so it is the Danish one, and each
    audience (language x consent) gets its own variation with the same buttons."""
    for name, variations in domain["responses"].items():
        default = [v for v in variations if not v.get("condition")]
        assert len(default) == 1, name
        for audience in AUDIENCES:
            chosen = seen_by(variations, audience)
            assert bool(chosen.get("buttons")) == bool(default[0].get("buttons")), (name, audience)
            assert [b["payload"] for b in chosen.get("buttons") or []] == \
                [b["payload"] for b in default[0].get("buttons") or []], (name, audience)
            if audience["language"] == "en":
                assert chosen is not default[0], (name, audience)


def test_consent_variants_exist_in_both_languages(domain):
    """A consent-conditioned text exists in Danish and English alike, for every consent value."""
    for name, variations in domain["responses"].items():
        consent_values = {conditions(v).get("consent", "absent") for v in variations}
        for value in consent_values - {"absent"}:
            languages = {conditions(v).get("language") for v in variations
                         if conditions(v).get("consent", "absent") == value}
            # Danish with consent is conditioned on language=da; without, it is the default.
            expected = {"da", "en"} if value is True else {"en"}
            assert expected <= languages, (name, value, languages)


def test_exactly_one_variation_fits_each_audience(domain):
    """Rasa picks at random among all matching conditional variations: they must not overlap."""
    for name, variations in domain["responses"].items():
        for audience in AUDIENCES:
            matching = [v for v in variations if v.get("condition") and matches(v, audience)]
            assert len(matching) <= 1, (name, audience)


def test_every_chat_bubble_is_short(domain):
    for name, variations in domain["responses"].items():
        for variation in variations:
            assert len(variation.get("text") or "") < MAX_BUBBLE, (name, variation.get("text"))


def test_no_promise_is_made_to_a_person_without_consent(domain):
    """What is said to someone who has not said yes to storage (yet) promises no keeping,
    noting, reading or contacting."""
    for name, variations in domain["responses"].items():
        for audience in AUDIENCES:
            if audience["consent"] is True:
                continue
            text = seen_by(variations, audience).get("text") or ""
            found = [p.pattern for p in PROMISES if p.search(text)]
            assert found == [], (name, audience, text)


def test_promise_words_are_found_where_they_are_true(domain):
    """The list above can fail: the consented variations do make these promises."""
    texts = [seen_by(domain["responses"][name], {"language": language, "consent": True})["text"]
             for name in ("utter_ack_dissent", "utter_ack_date", "utter_help", "utter_handoff",
                          "utter_closing_thanks", "utter_ack_contact")
             for language in ("da", "en")]
    for text in texts:
        assert any(p.search(text) for p in PROMISES), text


@pytest.mark.parametrize("text", [
    "Din tvivl er gemt.", "Jeg har noteret det.", "Jeg noterer fredag.", "Det er skrevet ned.",
    "En medarbejder læser dine svar.", "En kollega vil kontakte dig.", "De kontakter dig snart.",
    "Jeg har givet besked til en medarbejder.", "Dine svar bliver gemt.", "Vi gemmer dine svar.",
    "Your answers are stored.", "I'll note that.", "Noted!", "It's written down.",
    "A colleague will contact you.", "They will get in touch.", "Staff read your answers.",
    "I've let a staff member know.", "I have stored your doubt.", "Staff read the answers.",
])
def test_promise_words_catch_promises(text):
    assert any(p.search(text) for p in PROMISES), text


@pytest.mark.parametrize("text", [
    "Jeg har ikke gemt noget om dig.", "Jeg gemmer bare ikke noget af det, du skriver.",
    "Må jeg gemme dine svar?", "Må en medarbejder kontakte dig om det?",
    "I haven't stored anything about you.", "May I store your answers?",
    "As I'm not keeping anything for you, I can't pass it on.",
])
def test_promise_words_let_questions_and_refusals_through(text):
    assert not any(p.search(text) for p in PROMISES), text


def test_every_question_is_asked_explained_and_validated(domain):
    """Opening and closing questions have their own validation; a question of the plan
    (conversations.yml) may have one, else it is checked by its kind of answer. One the plan
    added without its own utter_why_ is explained by utter_why_general."""
    for slot in domain["forms"]["samtale_form"]["required_slots"]:
        assert f"utter_ask_{slot}" in domain["responses"] or f"action_ask_{slot}" in \
            domain["actions"], slot
        in_plan = actions.plan.question(slot) is not None
        assert f"utter_why_{slot}" in domain["responses"] or in_plan, slot
        assert hasattr(actions.form.ValidateSamtaleForm, f"validate_{slot}") or in_plan, slot
    assert "utter_why_general" in domain["responses"]


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


RENDER_IN_RASA = """
import json, sys
from rasa.shared.core.domain import Domain
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
domain = Domain.load("domain")
nlg = TemplatedNaturalLanguageGenerator(domain.responses)
audiences = json.loads(sys.argv[1])
print(json.dumps({name: [nlg.generate_from_slots(name, audience, "rest", due="01.02.2027",
                                                  days=180)["text"]
                         for audience in audiences] for name in domain.responses}))
"""


def test_rasa_itself_shows_each_audience_its_variation(domain):
    """Rasa's own generator (engine environment) agrees with `seen_by`, null condition included."""
    from tests.engine.engine_python import run_in_engine

    rendered = run_in_engine(RENDER_IN_RASA, json.dumps(AUDIENCES))
    for name, variations in domain["responses"].items():
        for audience, text in zip(AUDIENCES, rendered[name]):
            expected = (seen_by(variations, audience)["text"].replace("{due}", "01.02.2027")
                        .replace("{days}", "180"))
            assert text == expected, (name, audience)
