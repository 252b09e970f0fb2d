"""The flow between questions (issue 13: 4, 5, 6, 7, 10, 11, 14, 15), with real rasa-sdk Trackers,
the real domain and a real database. Every phrasing here is our own, none is training data."""
from __future__ import annotations

import pytest

from actions import plan, questions
from actions.conversation import ActionClose, ActionGoodbye, ActionStartConversation
from actions.form import ValidateSamtaleForm
from actions.kept import has_words, quote
from actions.language import decide

from .conftest import make_tracker, responses, run, slot_events

FORM = ValidateSamtaleForm()
NEW = {"agenda": list(plan.CONVERSATIONS), "guided": True}
ONBOARDED = {**NEW, "consent": True, "role": "citizen"}


def turn(slots: dict, text: str, intent: str, requested: str | None, domain, **kwargs):
    """One message at the pending question; returns the slots after it and what was said."""
    events, messages = run(FORM, make_tracker(slots, text=text, intent=intent,
                                              requested=requested, **kwargs), domain)
    after = {**slots, **slot_events(events)}
    return after, responses(messages), messages


def ask(slots: dict, domain) -> list[str]:
    """What the form's ask action says for the pending question."""
    slot = plan.required_slots(slots)[0]
    action = next(cls() for cls in _ask_actions() if cls.slot == slot)
    _, messages = run(action, make_tracker(slots), domain)
    return responses(messages)


def _ask_actions():
    return [c for c in vars(questions).values() if isinstance(c, type)
            and issubclass(c, questions.AskQuestion) and c is not questions.AskQuestion]


def test_every_ask_action_has_a_short_form_in_both_languages(domain):
    for cls in _ask_actions():
        action = cls()
        assert action.name() in domain["actions"]
        for reasking in (False, True):
            for extra in ({}, {"invitation_answer": "declined"}, {"possibility": "a garden"}):
                tracker = make_tracker({"reasking": reasking, **extra})
                name = action.short(tracker) if reasking else action.full(tracker)
                assert name in domain["responses"], name
    for conversation in plan.CONVERSATIONS:
        assert f"utter_kept_answer_{conversation}" in domain["responses"]


# --- 4: a no at the dissent question ---------------------------------------------------------

NO_DOUBT = {
    "da": ["nej, egentlig ikke", "nej ikke rigtig", "nej", "ingen", "nix", "nej, ikke noget",
           "ikke noget jeg kan komme på", "nej, det har jeg ikke", "intet", "nope, ingen tvivl",
           "nej nej"],
    "en": ["no, not really", "nothing comes to mind", "no", "none", "nope", "not really",
           "nothing at all", "no doubts here", "can't think of any", "nah, none", "no, I'm good"],
}


@pytest.mark.parametrize("language, text", [(lang, t) for lang, ts in NO_DOUBT.items()
                                            for t in ts])
def test_a_no_at_the_dissent_question_is_stored_as_no_doubt(language, text, domain,
                                                            action_store):
    action_store.save_conversation("anna", consent=True)
    slots = {**ONBOARDED, "language": language, "agenda": ["dissent"]}
    after, said, _ = turn(slots, text, "deny", "dissent", domain)
    [outcome] = action_store.outcomes_for("anna")
    assert outcome["details"] == {"none": True} and outcome["text"] == text
    assert said == ["utter_ack_dissent_none"] and after["dissent"] == text


@pytest.mark.parametrize("text", [
    "nej, jeg tror ikke på at kommunen vil lytte til os",
    "no, I don't think the council will ever listen to people like me",
    "Jeg er bange for at kommunen bare vil spare penge",
    "I worry that only people with time and money get heard"])
def test_a_doubt_is_thanked_and_stored_as_a_doubt(text, domain, action_store):
    action_store.save_conversation("anna", consent=True)
    intent = "deny" if text.lower().startswith("n") else "express_dissent"
    slots = {**ONBOARDED, "agenda": ["dissent"], "language": "da"}
    _, said, _ = turn(slots, text, intent, "dissent", domain)
    [outcome] = action_store.outcomes_for("anna")
    assert outcome["details"] == {"none": False} and said == ["utter_ack_dissent"]


# --- 5: an answer brought before consent --------------------------------------------------------

EARLY = {
    "da": [("jeg kan strikke huer til nyfødte om søndagen", "offer_gift", "gift"),
           ("jeg kan hjælpe ældre med deres computer", "offer_gift", "gift"),
           ("jeg er god til at reparere cykler hver lørdag", "offer_gift", "gift"),
           ("jeg drømmer om en fælleshave i gården", "share_possibility", "possibility"),
           ("det kunne være fedt med en legeplads ved skolen", "share_possibility",
            "possibility"),
           ("jeg tvivler på at kommunen lytter", "express_dissent", "dissent"),
           ("jeg er bekymret for at det bare er spareøvelse", "express_dissent", "dissent"),
           ("jeg lover at invitere naboerne til kaffe", "make_commitment", "commitment"),
           ("jeg vil love at rydde op i parken", "make_commitment", "commitment"),
           ("jeg kunne selv gøre mere for min opgang", "take_ownership", "ownership")],
    "en": [("I can knit hats for newborns on Sundays", "offer_gift", "gift"),
           ("I could teach kids to code on Monday evenings", "offer_gift", "gift"),
           ("I am good at fixing bikes", "offer_gift", "gift"),
           ("I dream of a community garden", "share_possibility", "possibility"),
           ("it would be great to have a youth club here", "share_possibility", "possibility"),
           ("I doubt the council really listens", "express_dissent", "dissent"),
           ("I worry that this is just about saving money", "express_dissent", "dissent"),
           ("I promise to bring my neighbours to the next meeting", "make_commitment",
            "commitment"),
           ("I will clean up the playground next week", "make_commitment", "commitment"),
           ("I could do more for my own street myself", "take_ownership", "ownership")],
}


def start(text: str, intent: str, domain, slots: dict | None = None) -> dict:
    events, _ = run(ActionStartConversation(), make_tracker(slots or {}, text=text,
                                                            intent=intent), domain)
    return {**(slots or {}), **slot_events(events)}


@pytest.mark.parametrize("language, text, intent, kind",
                         [(lang, *case) for lang, cases in EARLY.items() for case in cases])
def test_an_answer_before_consent_is_kept_and_used_after_consent_and_role(
        language, text, intent, kind, domain, action_store):
    slots = start(text, intent, domain, {"language": language})
    assert slots["kept_answer"]["text"] == text and action_store.outcomes_for("anna") == []
    assert plan.required_slots(slots)[:2] == ["consent", "role"]
    slots, _, _ = turn(slots, "/affirm", "affirm", "consent", domain)
    assert action_store.outcomes_for("anna") == []  # not before its question comes
    slots, said, messages = turn(slots, '/choose{"value":"citizen"}', "choose", "role", domain,
                                 entities=[{"entity": "value", "value": "citizen"}])
    assert said[0] == f"utter_kept_answer_{kind}" and messages[0]["kept_text"] == text
    [outcome] = action_store.outcomes_for("anna")
    assert (outcome["kind"], outcome["text"]) == (kind, text)
    assert slots[kind] == text and slots["kept_answer"] is None
    assert slots["requested_slot"] != kind  # never asked for again


@pytest.mark.parametrize("text, availability", [
    ("jeg kan strikke huer til nyfødte om søndagen", "søndagen"),
    ("I can help with homework every Wednesday afternoon", "every Wednesday afternoon")])
def test_a_gift_before_consent_keeps_its_availability(text, availability, domain, action_store):
    slots = start(text, "offer_gift", domain)
    slots, _, _ = turn(slots, "ja", "affirm", "consent", domain)
    slots, _, _ = turn(slots, "borger", "nlu_fallback", "role", domain)
    [gift] = action_store.outcomes_for("anna")
    assert availability in str(gift["details"]["availability"])
    assert slots["gift_time"] and slots["requested_slot"] != "gift_time"


def test_without_consent_a_kept_answer_is_the_answer_in_the_chat_but_nothing_is_stored(
        domain, action_store):
    text = "I dream of a community garden"
    slots = start(text, "share_possibility", domain, {"language": "en"})
    slots, _, _ = turn(slots, "/deny", "deny", "consent", domain)
    slots, said, _ = turn(slots, "as a citizen", "nlu_fallback", "role", domain)
    assert said[0] == "utter_kept_answer_possibility" and slots["possibility"] == text
    assert action_store.outcomes_for("anna") == [] and action_store.get_conversation("anna") is None


@pytest.mark.parametrize("text, intent, kind", [
    ("I dream of a community garden", "share_possibility", "possibility"),
    ("jeg kan bage kager til loppemarkedet", "offer_gift", "gift"),
    ("jeg vil gerne være med", "join_in", "invitation")])
def test_an_answer_at_the_consent_question_is_kept_and_consent_asked_again_short(
        text, intent, kind, domain, action_store):
    slots = {**NEW, "language": "da"}
    slots, said, _ = turn(slots, text, intent, "consent", domain)
    assert said == ["utter_kept_for_later"] and slots["consent"] is None
    assert slots["kept_answer"]["conversation"] == kind and slots["reasking"] is True
    assert ask(slots, domain) == ["utter_reask_consent"]


def test_a_returning_person_who_brings_an_answer_is_not_asked_for_it(domain, action_store):
    action_store.save_conversation("anna", consent=True)
    slots = start("jeg kan reparere cykler", "offer_gift", domain,
                  {**ONBOARDED, "agenda": ["possibility"], "guided": False, "possibility": "x"})
    events, messages = run(FORM, make_tracker(slots, text="jeg kan reparere cykler",
                                              intent="offer_gift",
                                              latest_action="action_start_conversation"), domain)
    assert responses(messages) == ["utter_ack_gift"]  # said just now: no "you wrote"
    assert slot_events(events)["requested_slot"] == "gift_time"
    assert [o["kind"] for o in action_store.outcomes_for("anna")] == ["gift"]


# --- 6: answering after a pause -------------------------------------------------------------------

AFTER_PAUSE = {
    "da": [("En lektiecafé på biblioteket", "share_possibility", "possibility"),
           ("jeg drømmer om flere bænke i parken", "share_possibility", "possibility"),
           ("mere liv i gaderne om aftenen", "nlu_fallback", "possibility"),
           ("at børnene kan lege trygt", "nlu_fallback", "possibility"),
           ("en byhave med plads til alle", "nlu_fallback", "possibility"),
           ("jeg kunne selv starte en madklub", "take_ownership", "ownership"),
           ("jeg kan tage initiativ i min opgang", "take_ownership", "ownership"),
           ("jeg er nok lidt for passiv", "take_ownership", "ownership"),
           ("jeg har ikke tid nok", "express_dissent", "ownership"),
           ("ved ikke helt, måske hjælpe naboen", "nlu_fallback", "ownership")],
    "en": [("A homework café at the library", "share_possibility", "possibility"),
           ("I dream of more benches in the park", "share_possibility", "possibility"),
           ("more life in the streets at night", "nlu_fallback", "possibility"),
           ("that kids can play safely", "nlu_fallback", "possibility"),
           ("an urban garden for everyone", "nlu_fallback", "possibility"),
           ("I could start a dinner club myself", "take_ownership", "ownership"),
           ("I can take the lead in my building", "take_ownership", "ownership"),
           ("I have probably been a bit passive", "take_ownership", "ownership"),
           ("I don't have enough time", "express_dissent", "ownership"),
           ("not sure, maybe help my neighbour", "nlu_fallback", "ownership")],
}


@pytest.mark.parametrize("language, text, intent, pending",
                         [(lang, *case) for lang, cases in AFTER_PAUSE.items()
                          for case in cases])
def test_coming_back_with_an_answer_counts_as_the_answer(language, text, intent, pending,
                                                         domain, action_store):
    action_store.save_conversation("anna", consent=True)
    slots = {**ONBOARDED, "language": language, "invitation_answer": "accepted",
             "paused": True}
    if pending == "ownership":
        slots["possibility"] = "a garden"
    after, said, _ = turn(slots, text, intent, "resume", domain)
    assert said[:2] == ["utter_welcome_back_short", f"utter_ack_{pending}"]
    assert after[pending] == text and after["paused"] is False
    [outcome] = action_store.outcomes_for("anna")
    assert (outcome["kind"], outcome["text"]) == (pending, text)


@pytest.mark.parametrize("text, intent", [("hej igen", "greet"), ("I'm back", "greet"),
                                          ("ja", "affirm"), ("hvordan går det?", "small_talk")])
def test_coming_back_with_a_greeting_asks_the_question_again(text, intent, domain,
                                                             action_store):
    slots = {**ONBOARDED, "invitation_answer": "accepted", "paused": True}
    after, said, _ = turn(slots, text, intent, "resume", domain)
    assert said == ["utter_welcome_back"] and after["requested_slot"] == "possibility"
    assert action_store.outcomes_for("anna") == []


def test_coming_back_in_a_new_session_with_an_answer_keeps_it(domain, action_store):
    action_store.save_conversation("anna", consent=True)
    slots = {**ONBOARDED, "invitation_answer": "accepted", "paused": True}
    text = "Jeg drømmer om en byhave"
    slots = start(text, "share_possibility", domain, slots)
    assert slots["kept_answer"]["slot"] == "possibility" and slots["paused"] is False
    events, messages = run(FORM, make_tracker(slots, text=text, intent="share_possibility",
                                              latest_action="action_start_conversation"), domain)
    assert responses(messages) == ["utter_ack_possibility"]
    assert action_store.outcomes_for("anna")[0]["text"] == text


# --- 7: joining in is accepting the invitation; no question refers to a missing answer ----------

@pytest.mark.parametrize("text", ["I want to join in", "count me in", "jeg vil gerne være med",
                                  "jeg vil gerne være en del af det"])
def test_joining_in_leads_to_the_invitation_accepted(text, domain, action_store):
    slots = start(text, "join_in", domain)
    assert slots["agenda"] == plan.CONVERSATIONS and slots["guided"] is True
    slots, _, _ = turn(slots, "ja", "affirm", "consent", domain)
    slots, said, _ = turn(slots, "borger", "nlu_fallback", "role", domain)
    assert said == ["utter_kept_answer_invitation", "utter_invitation_accepted"]
    assert slots["invitation_answer"] == "accepted" and slots["requested_slot"] == "possibility"
    [outcome] = action_store.outcomes_for("anna")
    assert outcome["details"] == {"answer": "accepted"} and outcome["text"] == text


def test_joining_in_at_the_invitation_question_accepts_it(domain, action_store):
    action_store.save_conversation("anna", consent=True)
    slots, said, _ = turn(ONBOARDED, "count me in", "join_in", "invitation_answer", domain)
    assert slots["invitation_answer"] == "accepted" and said == ["utter_invitation_accepted"]


def test_the_ownership_question_speaks_of_a_dream_only_when_there_is_one(domain):
    base = {**ONBOARDED, "agenda": ["ownership"]}
    assert ask(base, domain) == ["utter_ask_ownership_no_dream"]
    assert ask({**base, "possibility": plan.DECLINED}, domain) == ["utter_ask_ownership_no_dream"]
    assert ask({**base, "possibility": "en have"}, domain) == ["utter_ask_ownership"]
    for language in ("da", "en"):
        for name in ("utter_ask_ownership_no_dream", "utter_reask_ownership"):
            text = next(v["text"] for v in domain["responses"][name]
                        if (language == "en") == bool(v.get("condition")))
            assert "drøm" not in text and "dream" not in text


# --- 10: messages with no words ---------------------------------------------------------------

NO_WORDS = ["👍🏻🌈", "🙂", "❤️❤️", "...", "?!", "   ", "🎉 🎉", "—", ":-)", "👍", "¿?", "🌱🌻🌼"]


@pytest.mark.parametrize("text", NO_WORDS)
def test_a_message_without_words_gets_a_kind_request_once_then_moves_on(text, domain,
                                                                          action_store):
    action_store.save_conversation("anna", consent=True)
    slots = {**ONBOARDED, "invitation_answer": "accepted"}
    slots, said, _ = turn(slots, text, "affirm", "possibility", domain)
    assert said in (["utter_no_words"], ["utter_empty_answer"])
    assert "utter_ack_possibility" not in said and slots["possibility"] is None
    assert ask(slots, domain) == ["utter_reask_possibility"]
    slots, said, _ = turn(slots, text, "affirm", "possibility", domain)
    assert said == ["utter_question_skipped"] and slots["possibility"] == plan.DECLINED
    assert slots["requested_slot"] == "ownership" and action_store.outcomes_for("anna") == []
    assert ask(slots, domain) == ["utter_ask_ownership_no_dream"]


@pytest.mark.parametrize("text", ["ok", "3", "ja", "Æ", "ø"])
def test_a_single_word_or_digit_is_words(text):
    assert has_words(text)


def test_a_skipped_question_skips_what_depends_on_it(domain, action_store):
    slots = {**ONBOARDED, "agenda": ["commitment"], "no_words_at": "commitment"}
    slots, said, _ = turn(slots, "🤷", "nlu_fallback", "commitment", domain)
    assert slots["commitment"] == slots["commitment_due"] == plan.DECLINED
    assert slots["requested_slot"] == "contact"


def test_a_word_answer_after_the_request_is_stored(domain, action_store):
    action_store.save_conversation("anna", consent=True)
    slots = {**ONBOARDED, "invitation_answer": "accepted"}
    slots, _, _ = turn(slots, "🌈", "nlu_fallback", "possibility", domain)
    slots, said, _ = turn(slots, "en regnbuefestival", "nlu_fallback", "possibility", domain)
    assert said == ["utter_ack_possibility"] and slots["no_words_at"] is None


def test_a_kept_quote_is_short_and_safe_from_interpolation():
    assert quote("a {slot} 0[x]") == "a (slot) 0 [x]"
    assert len(quote("ord " * 100)) <= 140


# --- 11: goodbye ends; the handoff promises nothing ---------------------------------------------

@pytest.mark.parametrize("text", ["farvel", "bye", "goodbye", "hej hej, jeg smutter", "vi ses"])
def test_goodbye_mid_question_ends_the_conversation(text, domain, action_store):
    slots = {**ONBOARDED, "invitation_answer": "accepted"}
    after, said, _ = turn(slots, text, "goodbye", "possibility", domain)
    assert after["ended"] is True and after["requested_slot"] is None
    assert "paused" not in {k for k, v in after.items() if v}


def test_goodbye_without_consent_purges_the_transcript_at_once(domain, action_store,
                                                              rasa_events):
    rasa_events.user("anna", "Flere bænke i parken", 1.0)
    rasa_events.bot("anna", "Tak.", 2.0)
    _, messages = run(ActionClose(), make_tracker({**ONBOARDED, "consent": False,
                                                   "ended": True}), domain)
    assert responses(messages) == ["utter_goodbye_nothing_kept"]
    assert rasa_events.count("anna") == 0


def test_goodbye_with_consent_says_the_answers_are_kept(domain, action_store, rasa_events):
    rasa_events.user("anna", "En have", 1.0)
    _, messages = run(ActionClose(), make_tracker({**ONBOARDED, "ended": True}), domain)
    assert responses(messages) == ["utter_goodbye_answers_kept"]
    assert rasa_events.count("anna") == 1


def test_a_goodbye_with_no_question_pending_and_no_consent_purges_too(domain, action_store,
                                                                    rasa_events):
    rasa_events.user("anna", "tak", 1.0)
    _, messages = run(ActionGoodbye(), make_tracker({}, text="farvel", intent="goodbye"), domain)
    assert responses(messages) == ["utter_goodbye_nothing_kept"]
    assert rasa_events.count("anna") == 0


def test_writing_again_after_goodbye_continues(domain, action_store):
    slots = {**ONBOARDED, "invitation_answer": "accepted", "ended": True}
    slots = start("hej", "greet", domain, slots)
    assert slots["ended"] is None and plan.required_slots(slots)[0] == "possibility"


def test_the_handoff_message_promises_no_contact_and_offers_the_contact_question(
        domain, action_store):
    action_store.save_conversation("anna", consent=True)
    slots = {**ONBOARDED, "invitation_answer": "accepted"}
    slots, said, _ = turn(slots, "kan jeg tale med en medarbejder", "request_human",
                          "possibility", domain)
    assert said == ["utter_handoff"] and slots["requested_slot"] == "contact"
    slots, _, _ = turn(slots, "/deny", "deny", "contact", domain)
    assert slots["requested_slot"] == "possibility"  # then back to the question
    for variation in domain["responses"]["utter_handoff"]:
        text = variation["text"].lower()
        assert not any(p in text for p in ("kontakter dig", "get in touch", "will contact",
                                           "given besked", "let a staff member know"))


# --- 14: greetings and small talk at a question -------------------------------------------------

SOCIAL = {
    "da": [("hej", "greet"), ("hej hej", "greet"), ("godmorgen", "greet"), ("hejsa", "greet"),
           ("goddag", "greet"), ("davs", "greet"), ("hvordan går det?", "small_talk"),
           ("hvordan har du det", "small_talk"), ("går det godt?", "small_talk"),
           ("hej, hvordan går det", "small_talk"), ("godaften", "greet")],
    "en": [("hi", "greet"), ("hello", "greet"), ("good morning", "greet"), ("hiya", "greet"),
           ("hello there", "greet"), ("morning", "greet"), ("how are you?", "small_talk"),
           ("how are you doing", "small_talk"), ("how's it going?", "small_talk"),
           ("hi, how are you", "small_talk"), ("good evening", "greet")],
}


@pytest.mark.parametrize("language, text, intent",
                         [(lang, *case) for lang, cases in SOCIAL.items() for case in cases])
@pytest.mark.parametrize("pending", ["consent", "possibility", "ladder_step"])
def test_a_greeting_at_a_question_is_answered_in_kind_then_the_short_question(
        language, text, intent, pending, domain, action_store):
    slots = {**NEW} if pending == "consent" else {
        **ONBOARDED, "invitation_answer": "accepted", "possibility": "x"}
    slots["language"] = language
    if pending == "ladder_step":
        slots["ownership"] = "x"
    events, messages = run(FORM, make_tracker(slots, text=text, intent=intent,
                                              requested=pending), domain)
    after = {**slots, **slot_events(events)}
    assert responses(messages) == ["utter_greet_back" if intent == "greet"
                                   else "utter_small_talk"]
    assert after["language"] == language and after["requested_slot"] == pending
    assert after[pending] is None and after["reasking"] is True
    if pending == "consent":
        assert ask(after, domain) == ["utter_reask_consent"]


def test_hi_then_how_are_you_is_answered_in_english(domain):
    first = make_tracker({"language": None}, text="hi", intent="greet")
    assert decide(first) == "en"
    later = make_tracker({"language": "da"}, text="how are you?", intent="small_talk")
    assert decide(later) == "en"
    assert decide(make_tracker({"language": "en"}, text="hej hej", intent="greet")) == "da"
    # An answer of a few words is not a greeting: it does not flip the language.
    assert decide(make_tracker({"language": "da"}, text="how about a garden",
                               intent="share_possibility")) is None


def test_small_talk_with_no_question_pending_is_answered_and_the_conversation_starts(
        domain, action_store):
    events, messages = run(ActionStartConversation(),
                           make_tracker({}, text="how are you?", intent="small_talk"), domain)
    assert responses(messages) == ["utter_small_talk"]
    assert slot_events(events)["language"] == "en" and events[-1]["event"] == "followup"


def test_the_short_consent_question_is_short_and_keeps_its_buttons(domain):
    full = domain["responses"]["utter_ask_consent"]
    short = domain["responses"]["utter_reask_consent"]
    for f, s in zip(full, short, strict=True):
        assert len(s["text"]) < len(f["text"]) / 2 and s["buttons"] == f["buttons"]


# --- 15: a declined invitation gets one optional question, then is respected -------------------

REFUSALS = {
    "da": ["/deny", "det vil jeg helst ikke sige", "nej tak", "ingen", "nej", "helst ikke",
           "det vil jeg ikke ind på", "nej, det holder jeg for mig selv", "ikke noget",
           "det har jeg ikke lyst til at svare på"],
    "en": ["/deny", "I'd rather not say", "no thanks", "none", "no", "rather not",
           "I'd prefer not to go into it", "no, I'll keep that to myself", "nothing",
           "I don't want to answer that"],
}


@pytest.mark.parametrize("language, text", [(lang, t) for lang, ts in REFUSALS.items()
                                            for t in ts])
def test_a_refusal_after_a_declined_invitation_is_respected(language, text, domain,
                                                            action_store):
    action_store.save_conversation("anna", consent=True)
    slots = {**ONBOARDED, "language": language, "invitation_answer": "declined",
             "agenda": ["invitation", "dissent"], "guided": False}
    assert ask(slots, domain) == ["utter_ask_dissent_after_decline"]
    assert domain["responses"]["utter_ask_dissent_after_decline"][0]["buttons"][0]["payload"] \
        == "/deny"
    after, said, _ = turn(slots, text, "deny", "dissent", domain)
    assert said == ["utter_ack_dissent_declined_none"]  # never "Godt at høre"
    assert after["requested_slot"] is None  # no offer of more, no contact question
    [outcome] = action_store.outcomes_for("anna")
    assert outcome["details"] == {"none": True}
    assert not outcome["text"].startswith("/")


def test_a_reason_after_a_declined_invitation_is_thanked_and_then_we_round_off(domain,
                                                                                action_store):
    action_store.save_conversation("anna", consent=True)
    slots = {**ONBOARDED, "invitation_answer": "declined", "agenda": ["invitation", "dissent"],
             "guided": False}
    after, said, _ = turn(slots, "Jeg har ikke tid, og jeg tror ikke det nytter",
                          "express_dissent", "dissent", domain)
    assert said == ["utter_ack_dissent"] and after["requested_slot"] is None


def test_after_a_no_a_conversation_the_person_opens_is_followed_as_usual():
    slots = {"consent": True, "role": "citizen", "invitation_answer": "declined",
             "dissent": "x", "agenda": ["invitation", "dissent"], "guided": False}
    assert plan.required_slots(slots) == []
    slots["agenda"] = ["invitation", "dissent", "gift"]
    slots.update(gift="bikes", gift_time="-")
    assert plan.required_slots(slots) == ["next_step"]

