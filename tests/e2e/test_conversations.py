"""Whole conversations through Rasa's REST webhook; outcomes checked through the staff JSON API."""
from __future__ import annotations

import time
import uuid

import pytest

from .conftest import ALL_SIX, button, buttons, texts

pytestmark = pytest.mark.e2e


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def accept_invitation(stack, sender: str, consent: str = "Ja") -> list[dict]:
    """A Danish citizen says hello, answers consent, role and the invitation by button."""
    replies = stack.say(sender, "hej", "da")
    for title in (consent, "Som borger", "Ja, gerne"):
        replies = stack.say(sender, button(replies, title))
    assert "drømmer du om" in texts(replies)
    return replies


def test_a_danish_citizen_holds_all_six_conversations(stack):
    anna = new_id("anna")
    replies = stack.say(anna, "hej", "da")
    assert "samtalemakker" in texts(replies) and "Må jeg gemme" in texts(replies)
    replies = stack.say(anna, button(replies, "Ja"))
    assert "borger" in texts(replies)
    replies = stack.say(anna, button(replies, "Som borger"))
    assert "inviterer" in texts(replies)
    replies = stack.say(anna, button(replies, "Ja, gerne"))
    assert "drømmer du om" in texts(replies)
    replies = stack.say(anna, "Jeg drømmer om en fælleshave i Vollsmose, hvor naboer mødes")
    assert "din egen del" in texts(replies)
    replies = stack.say(anna, "Jeg kunne selv invitere naboerne til et første møde i haven")
    replies = stack.say(anna, button(replies, "3"))
    assert "tvivler" in texts(replies)
    replies = stack.say(anna, "Jeg er bange for at kommunen bare vil spare penge")
    assert "Din tvivl bliver skrevet ned" in texts(replies)
    replies = stack.say(anna, "Jeg lover at snakke med boligforeningen")
    assert "Hvornår" in texts(replies)
    replies = stack.say(anna, "blåt og grønt")  # not a date: a kind hint, the question again
    assert "kunne jeg ikke helt finde ud af" in texts(replies) and "Hvornår" in texts(replies)
    replies = stack.say(anna, "næste uge")
    assert "Fint, jeg noterer" in texts(replies) and "god til" in texts(replies)
    replies = stack.say(anna, "Jeg kan lave mad og hjælpe med lektier hver onsdag eftermiddag")
    assert "mail" in texts(replies)  # contact question, since time was already given
    replies = stack.say(anna, "anna@example.dk")
    assert "Her er det, du har fortalt mig" in texts(replies)
    assert "fælleshave i Vollsmose" in texts(replies) and "Tusind tak" in texts(replies)

    outcomes = {o["kind"]: o for o in stack.outcomes(anna)}
    assert set(outcomes) == ALL_SIX
    assert outcomes["invitation"]["details"] == {"answer": "accepted"}
    assert outcomes["possibility"]["text"] == ("Jeg drømmer om en fælleshave i Vollsmose, "
                                               "hvor naboer mødes")
    assert outcomes["ownership"]["details"]["ladder_step"] == 3
    assert outcomes["gift"]["details"]["skills"] == ["madlavning", "lektiehjælp"]
    assert outcomes["gift"]["details"]["skill_ids"] == ["cooking", "homework_help"]
    assert outcomes["gift"]["details"]["availability"] == {
        "text": "hver onsdag eftermiddag", "days": ["wed"], "time_of_day": "afternoon"}
    assert all(o["language"] == "da" and o["role"] == "citizen" and o["status"] == "new"
               for o in outcomes.values())
    conversation = stack.staff.get(f"/api/conversations/{anna}").json()
    assert conversation["contact"] == "anna@example.dk"
    spoken = [(t["speaker"], t["text"]) for t in conversation["transcript"]]
    assert ("user", "Jeg lover at snakke med boligforeningen") in spoken
    assert any(s == "bot" and "samtalemakker" in t for s, t in spoken)


def test_an_english_employee_enters_gift_directly_and_is_offered_the_rest(stack):
    sam = new_id("sam")
    replies = stack.say(sam, "I'm a teacher and I could help kids with their homework", "en")
    assert "May I store your answers" in texts(replies)
    replies = stack.say(sam, button(replies, "Yes"))
    replies = stack.say(sam, button(replies, "As an employee"))
    # The first message was the offer: taken as the answer, not asked for again.
    assert "You said you can" in texts(replies) and "your profession" not in texts(replies)
    assert "How could you imagine giving it" in texts(replies)
    replies = stack.say(sam, button(replies, "3"))
    assert "how much time" in texts(replies)
    replies = stack.say(sam, "two hours a week")
    offered = [b["title"] for b in buttons(replies)]
    assert "My dreams and ideas" in offered and "Finish for now" in offered
    assert "What I can give" not in offered
    replies = stack.say(sam, button(replies, "My doubts"))
    assert "doubt" in texts(replies)
    replies = stack.say(sam, "none")
    replies = stack.say(sam, button(replies, "Finish for now"))
    replies = stack.say(sam, button(replies, "No thanks"))
    assert "Here is what you've told me" in texts(replies)

    outcomes = {o["kind"]: o for o in stack.outcomes(sam)}
    assert set(outcomes) == {"gift", "dissent"}
    assert outcomes["gift"]["details"]["profession_step"] == 3
    assert outcomes["gift"]["details"]["availability"] == {
        "text": "two hours a week", "days": [], "time_of_day": None, "hours_per_week": 2.0}
    assert outcomes["dissent"]["details"] == {"none": True}
    assert {o["language"] for o in outcomes.values()} == {"en"}
    assert {o["role"] for o in outcomes.values()} == {"employee"}


def test_side_steps_answer_and_return_to_the_pending_question(stack):
    mia = new_id("mia")
    accept_invitation(stack, mia)

    replies = stack.say(mia, "hvorfor spørger du om det?")
    assert "Bag de fleste problemer er en drøm" in texts(replies)
    assert "drømmer du om" in texts(replies)  # the pending question again

    replies = stack.say(mia, "/help")
    assert "start forfra" in texts(replies) and "drømmer du om" in texts(replies)

    replies = stack.say(mia, "er du en robot?")
    assert "chatbot" in texts(replies) and "drømmer du om" in texts(replies)

    replies = stack.say(mia, "kan jeg tale med et menneske?")
    assert "medarbejder" in texts(replies) and "mail" in texts(replies)  # contact offered
    replies = stack.say(mia, button(replies, "Nej tak"))
    assert "drømmer du om" in texts(replies)

    replies = stack.say(mia, "can we speak English please")
    assert "continue in English" in texts(replies) and "dream of" in texts(replies)
    replies = stack.say(mia, "/switch_language")
    assert "på dansk" in texts(replies) and "drømmer du om" in texts(replies)

    replies = stack.say(mia, "/pause")
    assert "pause" in texts(replies) and "drømmer du om" not in texts(replies)
    replies = stack.say(mia, "hej igen")
    assert "Godt at se dig igen" in texts(replies) and "drømmer du om" in texts(replies)

    replies = stack.say(mia, "En lektiecafé på biblioteket")
    replies = stack.say(mia, "vis mine data")
    assert "En lektiecafé på biblioteket" in texts(replies)
    assert "din egen del" in texts(replies)  # and back to the pending question

    kinds = [o["kind"] for o in stack.outcomes(mia)]
    assert kinds == ["invitation", "handoff", "possibility"]

    replies = stack.say(mia, "slet mine data")
    assert "Det kan ikke fortrydes" in texts(replies)
    replies = stack.say(mia, button(replies, "Ja, slet"))
    assert "Alt er slettet" in texts(replies)
    assert stack.outcomes(mia) == []
    assert stack.staff.get(f"/api/conversations/{mia}").status_code == 404
    time.sleep(4)  # the transcript is purged just after Rasa has saved the turn
    assert stack.staff.get("/api/outcomes", params={"conversation_id": mia}).json()["count"] == 0
    assert stack.transcript(mia) == []

    # Writing again starts afresh: nothing erased comes back, from the database or from memory.
    replies = stack.say(mia, "hej igen")
    assert "Godt at se dig igen" not in texts(replies)
    spoken = stack.transcript(mia)
    assert spoken[0] == "hej igen" and "En lektiecafé på biblioteket" not in spoken


def test_without_consent_nothing_is_stored_or_shown(stack):
    ole = new_id("ole")
    replies = stack.say(ole, "hej", "da")
    replies = stack.say(ole, button(replies, "Nej"))
    assert "gemmer bare ikke" in texts(replies)
    replies = stack.say(ole, button(replies, "Som borger"))
    replies = stack.say(ole, button(replies, "Ja, gerne"))
    replies = stack.say(ole, "Flere bænke i parken")
    assert "din egen del" in texts(replies)
    assert stack.outcomes(ole) == []
    assert stack.staff.get(f"/api/conversations/{ole}").status_code == 404
    replies = stack.say(ole, "vis mine data")
    assert "ikke gemt noget" in texts(replies)


def test_a_declined_invitation_is_respected_and_asks_what_holds_back(stack):
    kim = new_id("kim")
    replies = stack.say(kim, "hej", "da")
    replies = stack.say(kim, button(replies, "Ja"))
    replies = stack.say(kim, button(replies, "Som borger"))
    replies = stack.say(kim, button(replies, "Nej tak"))
    assert "et nej er lige så vigtigt" in texts(replies)
    assert "hvad der holder dig tilbage" in texts(replies)
    replies = stack.say(kim, "Jeg har ikke tid, og jeg tror ikke det nytter")
    assert buttons(replies) == []  # respected: no more asks after the one optional question
    assert "Tusind tak for samtalen" in texts(replies)
    kinds = {o["kind"]: o for o in stack.outcomes(kim)}
    assert kinds["invitation"]["details"] == {"answer": "declined"}
    assert kinds["dissent"]["text"] == "Jeg har ikke tid, og jeg tror ikke det nytter"


def test_restart_begins_again(stack):
    eva = new_id("eva")
    replies = stack.say(eva, "hej", "da")
    replies = stack.say(eva, button(replies, "Ja"))
    replies = stack.say(eva, "start forfra")
    assert "starter vi forfra" in texts(replies)
    replies = stack.say(eva, "hej")
    assert "Må jeg gemme" in texts(replies)


def test_bad_input_gets_a_kind_answer_and_is_stored_verbatim(stack):
    bo = new_id("bo")
    accept_invitation(stack, bo)
    replies = stack.say(bo, "   ")  # once: a kind request (a second one moves on)
    assert "Jeg fik vist ikke noget med" in texts(replies)
    assert "drømmer du om" in texts(replies)
    script = "<script>alert('x')</script> & <b>fed</b>"
    replies = stack.say(bo, script)
    assert "din egen del" in texts(replies)
    too_long = "Jeg vil gerne hjælpe. " * 450  # about 10,000 characters: kindly refused
    assert "for lang" in texts(stack.say(bo, too_long))
    long_text = "Jeg vil gerne hjælpe. " * 170  # about 3,700 characters: an answer, kept whole
    replies = stack.say(bo, long_text)
    assert "Hvor ser du dig selv" in texts(replies)
    for noise in ("'; DROP TABLE outcomes; --", "🙂🎉🌱"):
        replies = stack.say(bo, noise)
        assert "Det fangede jeg ikke helt" in texts(replies), noise
        assert "Hvor ser du dig selv" in texts(replies)
    replies = stack.say(bo, "Ich möchte helfen, aber wie?")  # unknown language: still kind
    assert len(replies) >= 2 and "Hvor ser du dig selv" in texts(replies)
    outcomes = {o["kind"]: o for o in stack.outcomes(bo)}
    assert outcomes["possibility"]["text"] == script
    assert outcomes["ownership"]["text"] == long_text.strip()  # Rasa trims the ends only
    assert [o["kind"] for o in stack.outcomes(bo)].count("possibility") == 1


def test_a_first_message_is_answered_in_the_language_it_was_written_in(stack):
    """No client language given: the words decide, whichever action the message leads to."""
    assert texts(stack.say(new_id("tom"), "thank you so much for your help")) == "You're welcome!"
    assert texts(stack.say(new_id("tine"), "tusind tak for hjælpen")) == "Selv tak!"
