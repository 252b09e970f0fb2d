"""The flow between questions through the real stack (issue 13: 4, 5, 6, 7, 10, 11, 14, 15):
Rasa with the trained model, the action server and the web service; outcomes read through the
staff API, transcripts from the database itself."""
from __future__ import annotations

import time
import uuid

import pytest

from .conftest import button, buttons, texts

pytestmark = pytest.mark.e2e


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def onboard(stack, sender: str, first: str, language: str, consent: str, role: str) -> list:
    replies = stack.say(sender, first, language)
    replies = stack.say(sender, button(replies, consent))
    return stack.say(sender, button(replies, role))


# --- 5: an answer brought before consent is kept and used --------------------------------------

def test_an_offer_before_consent_is_the_gift_after_consent_and_role(stack):
    lene = new_id("lene")
    offer = "jeg kan strikke huer til nyfødte om søndagen"
    replies = stack.say(lene, offer, "da")
    assert "Må jeg gemme" in texts(replies)
    assert stack.outcomes(lene) == []  # nothing stored before consent
    replies = stack.say(lene, button(replies, "Ja"))
    replies = stack.say(lene, button(replies, "Som borger"))
    said = texts(replies)
    assert "Du skrev, at du kan" in said and "strikke huer til nyfødte" in said
    assert "Hvad er du god til" not in said and "Hvornår eller hvor meget tid" not in said
    [gift] = stack.outcomes(lene)
    assert gift["kind"] == "gift" and gift["text"] == offer
    assert "søndag" in str(gift["details"]["availability"]).lower()


def test_a_dream_before_consent_is_the_possibility_in_english(stack):
    dan = new_id("dan")
    replies = onboard(stack, dan, "I dream of a community garden where neighbours meet", "en",
                      "Yes", "As a citizen")
    said = texts(replies)
    assert "You wrote" in said and "community garden" in said
    assert "what do you dream of" not in said and "talk about any of these" in said
    [dream] = stack.outcomes(dan)
    assert (dream["kind"], dream["language"]) == ("possibility", "en")


def test_without_consent_an_early_doubt_is_answered_but_nothing_is_stored(stack):
    ib = new_id("ib")
    replies = onboard(stack, ib, "I doubt the council really listens to people like me", "en",
                      "No", "As a citizen")
    assert "You wrote" in texts(replies) and "doubt" in texts(replies)
    assert stack.outcomes(ib) == []
    assert stack.staff.get(f"/api/conversations/{ib}").status_code == 404


# --- 6: coming back from a pause with the answer -------------------------------------------------

def test_answering_after_a_pause_counts_as_the_answer(stack):
    mia = new_id("mia")
    replies = onboard(stack, mia, "hej", "da", "Ja", "Som borger")
    replies = stack.say(mia, button(replies, "Ja, gerne"))
    replies = stack.say(mia, "pause")
    assert "pause" in texts(replies) and "drømmer du om" not in texts(replies)
    replies = stack.say(mia, "En lektiecafé på biblioteket")
    assert "Velkommen tilbage" in texts(replies)
    assert "din egen del" in texts(replies)  # the next question: the answer was taken
    kinds = {o["kind"]: o["text"] for o in stack.outcomes(mia)}
    assert kinds["possibility"] == "En lektiecafé på biblioteket"


def test_greeting_after_a_pause_asks_the_question_again(stack):
    eli = new_id("eli")
    replies = onboard(stack, eli, "hello", "en", "Yes", "As a citizen")
    replies = stack.say(eli, button(replies, "Yes, gladly"))
    stack.say(eli, "/pause")
    replies = stack.say(eli, "hello again")
    assert "Good to see you again" in texts(replies) and "dream of" in texts(replies)
    assert [o["kind"] for o in stack.outcomes(eli)] == ["invitation"]


# --- 7: joining in is the invitation, accepted ---------------------------------------------------

@pytest.mark.parametrize("phrase, language, consent, role, next_question", [
    ("I want to join in", "en", "Yes", "As a citizen", "dream of"),
    ("jeg vil gerne være en del af det", "da", "Ja", "Som borger", "drømmer du om")])
def test_joining_in_leads_to_the_invitation_accepted(stack, phrase, language, consent, role,
                                                     next_question):
    ana = new_id("ana")
    replies = onboard(stack, ana, phrase, language, consent, role)
    said = texts(replies)
    assert next_question in said
    assert "dream a step closer" not in said and "drømmen et skridt" not in said
    [invitation] = stack.outcomes(ana)
    assert invitation["kind"] == "invitation" and invitation["details"] == {"answer": "accepted"}


# Our own phrasings, in neither nlu/ nor tests/nlu: how people say they want to join in.
JOINING = {
    "en": ["I would like to join in", "count me in please", "I'd love to take part in this",
           "I want to join you", "yes, I want to be part of it", "can I be part of this?",
           "sign me up please", "I'd like to get involved in this", "I'm in, let's do it",
           "I want to join the community"],
    "da": ["jeg vil gerne være med i det her", "tæl mig med, tak", "jeg vil meget gerne deltage",
           "jeg vil gerne være en del af fællesskabet her", "må jeg også være med?",
           "jeg er med, lad os gå i gang", "skriv mig på listen", "jeg har lyst til at deltage",
           "regn bare med mig", "jeg vil gerne være med til det"],
}


@pytest.mark.parametrize("language", ["da", "en"])
def test_joining_phrases_lead_to_the_invitation_accepted(stack, language):
    consent, role, told = {"da": ("Ja", "Som borger", "du gerne vil være med"),
                           "en": ("Yes", "As a citizen", "you'd like to join in")}[language]
    misread = {}
    for text in JOINING[language]:
        sender = new_id("join")
        said = texts(onboard(stack, sender, text, language, consent, role))
        if told not in said:
            misread[text] = said[:80]
    assert misread == {}


def test_count_me_in_at_the_invitation_question_accepts_it(stack):
    per = new_id("per")
    onboard(stack, per, "hi there", "en", "Yes", "As a citizen")
    replies = stack.say(per, "count me in")
    assert "dream of" in texts(replies)
    assert stack.outcomes(per)[0]["details"] == {"answer": "accepted"}


# --- 11: goodbye ends; the handoff promises nothing ----------------------------------------------

def test_goodbye_without_consent_ends_and_purges_the_transcript_at_once(stack):
    ole = new_id("ole")
    replies = onboard(stack, ole, "hej", "da", "Nej", "Som borger")
    replies = stack.say(ole, button(replies, "Ja, gerne"))
    stack.say(ole, "Flere bænke i parken")
    replies = stack.say(ole, "farvel")
    said = texts(replies)
    assert "Farvel" in said and "Jeg har ikke gemt noget af det, du har skrevet" in said
    assert "pause" not in said.lower() and "din egen del" not in said
    # Rasa writes the turn after the action returns (and would write back what was purged
    # before that), so the purge runs again just after the save: well before any janitor.
    time.sleep(4)
    assert stack.transcript(ole) == []


def test_goodbye_with_consent_keeps_the_answers_and_writing_again_continues(stack):
    kai = new_id("kai")
    replies = onboard(stack, kai, "hello", "en", "Yes", "As a citizen")
    replies = stack.say(kai, button(replies, "Yes, gladly"))
    stack.say(kai, "A bigger library with a café")
    replies = stack.say(kai, "bye")
    assert "What you've answered so far is stored" in texts(replies)
    assert "your own part" not in texts(replies)
    replies = stack.say(kai, "hi")
    assert "Good to see you again" in texts(replies)
    assert "your own part" in texts(replies)
    assert [o["kind"] for o in stack.outcomes(kai)] == ["invitation", "possibility"]


def test_the_handoff_says_what_happens_and_offers_the_contact_question(stack):
    liv = new_id("liv")
    replies = onboard(stack, liv, "hej", "da", "Ja", "Som borger")
    replies = stack.say(liv, button(replies, "Ja, gerne"))
    replies = stack.say(liv, "kan jeg tale med et menneske?")
    said = texts(replies)
    assert "Medarbejderne ser det" in said and "der går ikke automatisk besked" in said
    assert "kontakter dig" not in said and "mail eller dit telefonnummer" in said
    replies = stack.say(liv, "liv@example.dk")
    assert "drømmer du om" in texts(replies)  # and back to the question left open
    assert stack.staff.get(f"/api/conversations/{liv}").json()["contact"] == "liv@example.dk"
    assert [o["kind"] for o in stack.outcomes(liv)] == ["invitation", "handoff"]


# --- 14: greetings and small talk at a question -------------------------------------------------

def test_a_greeting_at_the_consent_question_is_answered_and_the_question_asked_short(stack):
    bo = new_id("bo")
    replies = stack.say(bo, "hej", "da")
    assert "samtalemakker" in texts(replies)
    replies = stack.say(bo, "hej hej")
    said = texts(replies)
    assert "Hej med dig" in said and "Må jeg gemme" in said
    assert "samtalemakker" not in said and "fangede jeg ikke" not in said
    assert [b["title"] for b in buttons(replies)][:1] == ["Ja, det er i orden"]


def test_hi_then_how_are_you_is_answered_in_english(stack):
    tim = new_id("tim")
    stack.say(tim, "hi", "da")
    replies = stack.say(tim, "how are you?")
    said = texts(replies)
    assert "I'm well" in said and "May I store your answers" in said
    assert "Hello, and welcome" not in said


# --- 4, 10, 15: a no, messages without words, a declined invitation ------------------------------

def test_no_doubt_is_stored_as_none(stack):
    uma = new_id("uma")
    replies = onboard(stack, uma, "jeg tvivler", "da", "Ja", "Som borger")
    assert "tvivler på eller er bekymret for" in texts(replies)  # a topic, not yet an answer
    replies = stack.say(uma, "nej, egentlig ikke")
    assert "Tak for din ærlighed" not in texts(replies)
    [doubt] = stack.outcomes(uma)
    assert doubt["details"] == {"none": True} and doubt["text"] == "nej, egentlig ikke"


def test_an_emoji_answer_is_asked_about_once_and_then_skipped(stack):
    rie = new_id("rie")
    replies = onboard(stack, rie, "hej", "da", "Ja", "Som borger")
    replies = stack.say(rie, button(replies, "Ja, gerne"))
    replies = stack.say(rie, "👍🏻🌈")
    assert "et par ord" in texts(replies) and "værd at tage alvorligt" not in texts(replies)
    assert "drømmer du om" in texts(replies)
    replies = stack.say(rie, "🌈")
    said = texts(replies)
    assert "springer det spørgsmål over" in said and "din egen del" in said
    assert "drømmen" not in said
    assert [o["kind"] for o in stack.outcomes(rie)] == ["invitation"]


def test_a_declined_invitation_gets_one_optional_question_then_rounds_off(stack):
    kim = new_id("kim")
    replies = onboard(stack, kim, "hej", "da", "Ja", "Som borger")
    replies = stack.say(kim, button(replies, "Nej tak"))
    assert "hvad der holder dig tilbage" in texts(replies)
    replies = stack.say(kim, button(replies, "Nej tak"))
    said = texts(replies)
    assert "Helt i orden" in said and "Godt at høre" not in said
    assert buttons(replies) == []  # no offer of more conversations, no contact question
    assert "Tusind tak for samtalen" in said
    kinds = {o["kind"]: o for o in stack.outcomes(kim)}
    assert kinds["dissent"]["details"] == {"none": True}
