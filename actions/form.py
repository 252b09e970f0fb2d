"""Validation of `samtale_form`: each answer is checked, acknowledged and stored as an outcome.

Rasa asks the questions (`utter_ask_<slot>` in the domain); this class decides which question
is next (`actions.plan`) and what an answer means (`actions.parsing`). A question with its own
`validate_<slot>` method is checked there; every other question of the plan (conversations.yml)
by its kind of answer (`validate_by_kind`), so a new question needs no Python.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot.store.validation import contact_details

from . import digressions, kept, outcomes, parsing, plan
from .content import ANSWER_LABELS, label
from .language import decided_first
from .messages import chosen_value, latest_intent

Result = Dict[Text, Any]


def _intent(tracker: Tracker) -> str | None:
    return latest_intent(tracker)[0]


def _yes_no(value: Any, tracker: Tracker) -> bool | None:
    intent = _intent(tracker)
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    return parsing.parse_yes_no(str(value))


def _free_text(value: Any) -> str | None:
    """The person's words, verbatim; None for an empty message or a stale button's payload."""
    if not isinstance(value, str) or not value.strip() or value.startswith("/"):
        return None
    return value


NO_DOUBT_MAX_WORDS = 6
_CONTACT = re.compile(r"[^@\s]+@[^@\s]+\.\w+|(?:\+?\d[\d .-]{6,}\d)")


def looks_like_an_answer(slot: str, text: str) -> bool:
    """Does the text clearly answer this question? Then it is never treated as a side-step,
    however the intent classifier labelled it ("anna@example.dk" is not out of scope)."""
    checks = {
        "contact": lambda: bool(_CONTACT.search(text)),
        "gift_time": lambda: parsing.extract_availability(text) is not None,
        "role": lambda: parsing.parse_role(text) is not None,
        "invitation_answer": lambda: parsing.parse_invitation_answer(text) is not None,
    }
    if text.startswith("/"):
        return False
    if slot in checks:
        return checks[slot]()
    found = plan.question(slot)
    if found is None:
        return False
    question = found[1]
    if question.kind == "date":
        return parsing.parse_due_date(text) is not None
    if question.kind == "ladder_step":
        return parsing.parse_step(text, question.steps or 0) is not None
    return False


def is_no_doubt(text: str, tracker: Tracker) -> bool:
    """'Nej, egentlig ikke', 'nothing comes to mind': no doubt, recorded as such. The classifier's
    deny counts for short answers only; a longer one starting with 'nej' may well be a doubt."""
    if parsing.is_none_answer(text):
        return True
    # After a declined invitation the question is what holds them back, and a no is a refusal.
    limit = NO_DOUBT_MAX_WORDS * (2 if tracker.get_slot("invitation_answer") == "declined" else 1)
    return _intent(tracker) == "deny" and len(parsing.words(text)) <= limit


class ValidateSamtaleForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_samtale_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        return plan.required_slots(tracker.slots)

    @decided_first
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        """Validate the answer to the pending question (only that one), then plan the next.

        Rasa also calls this when the form starts or resumes after a side-step; then nothing
        new was said, and re-validating earlier answers would repeat (and re-store) them.
        A kept answer (given before its question) is taken as soon as its question is next.
        """
        requested = tracker.get_slot("requested_slot")
        # Rasa appends this turn's extracted answer after the form's own action event; with no
        # such candidate the form is starting or resuming, and there is nothing to validate.
        just_answered = requested is not None and requested in tracker.slots_to_validate()
        events: List[Dict[Text, Any]] = []
        if just_answered:
            answer = tracker.slots_to_validate()[requested]
            events = self.take_answer(requested, answer, dispatcher, tracker, domain)
        tracker.add_slots(events)
        events += self.use_kept_answer(dispatcher, tracker, domain)
        pending = plan.required_slots(tracker.slots)
        next_slot = pending[0] if pending else None
        # The same question again (after a side-step or an unclear answer): its short form.
        reasking = just_answered and next_slot == requested
        if bool(tracker.get_slot("reasking")) != reasking:
            events.append(SlotSet("reasking", reasking))
        if tracker.get_slot("no_words_at") not in (None, next_slot) and not any(
                e.get("name") == "no_words_at" for e in events):
            events.append(SlotSet("no_words_at", None))
        return events + [SlotSet("requested_slot", next_slot)]

    def take_answer(self, requested: str, answer: Any, dispatcher: CollectingDispatcher,
                    tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        """The events for a message sent while `requested` was pending: a side-step, a message
        without words, an answer to come (before consent and role), or an answer validated by
        its `validate_<slot>` method."""
        text = str(answer or "")
        if (digressions.is_digression(tracker, requested)
                and not looks_like_an_answer(requested, text)):
            return [SlotSet(requested, None),
                    *digressions.handle(_intent(tracker), dispatcher, tracker, requested,
                                       domain)]
        if requested in plan.FREE_TEXT_SLOTS and not text.startswith("/") \
                and not kept.has_words(text):
            return self.no_words(requested, text, dispatcher, tracker)
        if requested in ("consent", "role") and not looks_like_an_answer(requested, text):
            conversation = kept.brings_a_conversation(tracker)
            if conversation:  # kept in a slot until consent and role are known
                dispatcher.utter_message(response="utter_kept_for_later")
                return [SlotSet(requested, None), *kept.keep_for_later(conversation, tracker)]
        validate = getattr(self, f"validate_{requested}", None) or functools.partial(
            self.validate_by_kind, requested)
        return [SlotSet(slot, value) for slot, value
                in validate(answer, dispatcher, tracker, domain).items()]

    def no_words(self, requested: str, text: str, dispatcher: CollectingDispatcher,
                 tracker: Tracker) -> List[Dict[Text, Any]]:
        """A message with no words ("👍🏻🌈", "...", spaces) gets a kind request for a few words,
        once; a second one moves on: the question (and what depends on it) is left unanswered,
        and nothing is stored."""
        if tracker.get_slot("no_words_at") != requested:
            dispatcher.utter_message(response="utter_no_words" if text.strip()
                                     else "utter_empty_answer")
            return [SlotSet(requested, None), SlotSet("no_words_at", requested)]
        dispatcher.utter_message(response="utter_question_skipped")
        role = tracker.get_slot("role")
        skipped = next((plan.conversation_slots(c, role) for c in plan.CONVERSATIONS
                        if requested in plan.conversation_slots(c, role)), [requested])
        skipped = skipped[skipped.index(requested):]
        return [*(SlotSet(slot, plan.DECLINED) for slot in skipped
                  if slot == requested or tracker.get_slot(slot) is None),
                SlotSet("no_words_at", None)]

    def use_kept_answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                        domain: DomainDict) -> List[Dict[Text, Any]]:
        """Take the kept message as the answer when its question is the next one."""
        answer = tracker.get_slot("kept_answer")
        slot = plan.slot_of_kept_answer(answer, tracker.get_slot("role"))
        pending = plan.required_slots(tracker.slots)
        if slot is None or not pending or pending[0] != slot:
            return []
        said_now = answer.get("message_id") == (tracker.latest_message or {}).get("message_id")
        if answer.get("conversation") and not said_now:
            # Told, so the person knows why the question they expected is not asked.
            dispatcher.utter_message(response=f"utter_kept_answer_{answer['conversation']}",
                                     kept_text=kept.quote(answer["text"]))
        events = [SlotSet("kept_answer", None),
                  *self.take_answer(slot, answer["text"], dispatcher,
                                    kept.tracker_for(answer, tracker), domain)]
        tracker.add_slots(events)
        return events

    # --- opening -------------------------------------------------------------------------------

    def validate_consent(self, value: Any, dispatcher: CollectingDispatcher,
                         tracker: Tracker, domain: DomainDict) -> Result:
        if value is None:
            return {}
        consent = _yes_no(value, tracker)
        if consent is None:
            dispatcher.utter_message(response="utter_choose_from_buttons")
            return {"consent": None}
        if consent:
            outcomes.save_profile(tracker, consent=True,
                                  language=tracker.get_slot("language") or "da")
            dispatcher.utter_message(response="utter_consent_given")
        else:
            dispatcher.utter_message(response="utter_consent_declined")
        return {"consent": consent}

    def validate_role(self, value: Any, dispatcher: CollectingDispatcher,
                      tracker: Tracker, domain: DomainDict) -> Result:
        if value is None:
            return {}
        role = chosen_value(tracker) or parsing.parse_role(str(value))
        if role not in ("citizen", "employee"):
            dispatcher.utter_message(response="utter_choose_from_buttons")
            return {"role": None}
        outcomes.save_profile(tracker, role=role)
        return {"role": role}

    # --- the six conversations ------------------------------------------------------------------

    def validate_invitation_answer(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> Result:
        if value is None:
            return {}
        answer = "accepted" if _intent(tracker) == "join_in" else chosen_value(tracker)
        if answer not in ANSWER_LABELS:
            yes_no = _yes_no(value, tracker) if _intent(tracker) in ("affirm", "deny") else None
            answer = ({True: "accepted", False: "declined"}.get(yes_no)
                      or parsing.parse_invitation_answer(str(value)))
        if answer is None:
            dispatcher.utter_message(response="utter_choose_from_buttons")
            return {"invitation_answer": None}
        typed = not str(value).startswith("/")
        words = str(value) if typed else (
            (tracker.latest_message or {}).get("metadata") or {}).get("button_title") or label(
            ANSWER_LABELS, answer, tracker.get_slot("language"))
        outcomes.record(tracker, "invitation", words, {"answer": answer})
        dispatcher.utter_message(response=f"utter_invitation_{answer}")
        # The summary quotes typed words ("nej, ikke lige nu"), not the button they match.
        result: Result = {"invitation_answer": answer, "invitation_words": words if typed else None}
        if answer == "declined":
            # A real invitation can be declined; what holds the person back is asked next.
            agenda = [c for c in tracker.get_slot("agenda") or [] if plan.is_held(c, tracker.slots)
                      or c == "invitation"]
            result.update(agenda=agenda + ["dissent"], guided=False)
        return result

    # --- any question of the plan, by its kind of answer -----------------------------------------

    def validate_by_kind(self, slot: str, value: Any, dispatcher: CollectingDispatcher,
                         tracker: Tracker, domain: DomainDict) -> Result:
        """The answer to a question without its own method: checked by its kind, stored as the
        plan says (the conversation's outcome, or a detail of it), then acknowledged."""
        if value is None:
            return {}
        found = plan.question(slot)
        if found is None:  # not a question of the plan (any more): taken as it is
            return {slot: value}
        conversation, question = found
        answer = self._answer_by_kind(question, value, dispatcher, tracker)
        if answer is None:
            return {slot: None}
        stored, kept_in_slot = answer
        result: Result = {slot: kept_in_slot}
        if question.stores == "outcome":
            details = {q.detail: None for q in plan.current().conversations[conversation]
                       .questions.all() if q.stores == "detail"}
            result[f"{conversation}_outcome_id"] = outcomes.record(
                tracker, conversation, str(stored), details)
        elif question.stores == "detail" and kept_in_slot != plan.DECLINED:
            outcomes.add_details(tracker.get_slot(f"{conversation}_outcome_id"),
                                 {question.detail: stored})
        if question.acknowledge and kept_in_slot != plan.DECLINED:
            dispatcher.utter_message(response=question.acknowledge.replace(
                "{answer}", str(kept_in_slot)))
        return result

    @staticmethod
    def _answer_by_kind(question: Any, value: Any, dispatcher: CollectingDispatcher,
                        tracker: Tracker) -> tuple[Any, Any] | None:
        """(what is stored, what the slot keeps), or None after asking again."""
        text = str(value)
        if question.kind == "free_text":
            words = _free_text(value)
            if words is None:
                dispatcher.utter_message(response="utter_empty_answer")
                return None
            return words, words
        if question.kind == "date":
            if _intent(tracker) == "deny" or parsing.is_dont_know(text):
                return None, plan.DECLINED
            due = parsing.parse_due_date(text)
            if due is None or due < dt.date.today():
                dispatcher.utter_message(response="utter_not_a_date")
                return None
            return due.isoformat(), due.isoformat()
        if question.kind == "yes_no":
            yes = _yes_no(value, tracker)
            if yes is None:
                dispatcher.utter_message(response="utter_choose_from_buttons")
                return None
            return yes, yes
        if question.kind == "ladder_step":
            step = parsing.parse_step(chosen_value(tracker) or text, question.steps)
            if step is None:
                dispatcher.utter_message(response="utter_choose_from_buttons")
                return None
            return step, str(step)
        # choice: a button's value, or typed words that are an option's value or label
        chosen = chosen_value(tracker)
        typed = text.strip().casefold()
        for option, labels in question.options.items():
            if chosen == option or typed in (option.casefold(), labels.da.casefold(),
                                             labels.en.casefold()):
                return option, option
        dispatcher.utter_message(response="utter_choose_from_buttons")
        return None

    def _record_text(self, kind: str, slot: str, value: Any, dispatcher: CollectingDispatcher,
                     tracker: Tracker, details: dict | None = None) -> Result:
        text = _free_text(value)
        if text is None:
            dispatcher.utter_message(response="utter_empty_answer")
            return {slot: None}
        outcome_id = outcomes.record(tracker, kind, text, details)
        return {slot: text, f"{kind}_outcome_id": outcome_id}

    def validate_dissent(self, value: Any, dispatcher: CollectingDispatcher,
                         tracker: Tracker, domain: DomainDict) -> Result:
        if value is None:
            return {}
        if str(value).startswith("/") and _intent(tracker) == "deny":
            value = label(ANSWER_LABELS, "declined", tracker.get_slot("language"))  # its title
        none = isinstance(value, str) and is_no_doubt(value, tracker)
        result = self._record_text("dissent", "dissent", value, dispatcher, tracker,
                                   {"none": none})
        if result["dissent"]:
            declined = tracker.get_slot("invitation_answer") == "declined"
            dispatcher.utter_message(response="utter_ack_dissent" if not none
                                     else "utter_ack_dissent_declined_none" if declined
                                     else "utter_ack_dissent_none")
        return result

    def validate_commitment(self, value: Any, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: DomainDict) -> Result:
        if value is None:
            return {}
        due = parsing.parse_due_date(value) if _free_text(value) else None
        result = self._record_text("commitment", "commitment", value, dispatcher, tracker,
                                   {"due": due.isoformat() if due else None})
        if result["commitment"]:
            dispatcher.utter_message(response="utter_ack_commitment")
            if due:
                result["commitment_due"] = due.isoformat()
        return result

    def validate_commitment_due(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> Result:
        if value is None:
            return {}
        text = str(value)
        if _intent(tracker) == "deny" or parsing.is_dont_know(text):
            dispatcher.utter_message(response="utter_ack_no_date")
            return {"commitment_due": plan.DECLINED}
        due = parsing.parse_due_date(text)
        if (due is None or due < dt.date.today()) and tracker.get_slot("reasking"):
            # Asked once more and still no date: the promise stands without one (due stays null).
            dispatcher.utter_message(response="utter_ack_no_date")
            return {"commitment_due": plan.DECLINED}
        if due is None or due < dt.date.today():
            dispatcher.utter_message(response="utter_not_a_date")
            return {"commitment_due": None}
        outcomes.add_details(tracker.get_slot("commitment_outcome_id"), {"due": due.isoformat()})
        dispatcher.utter_message(response="utter_ack_date", due=due.strftime("%d.%m.%Y"))
        return {"commitment_due": due.isoformat()}

    def _validate_gift(self, slot: str, value: Any, dispatcher: CollectingDispatcher,
                       tracker: Tracker) -> Result:
        text = _free_text(value) or ""
        availability = parsing.extract_availability(text)
        result = self._record_text("gift", slot, value, dispatcher, tracker, {
            **parsing.gift_skills(text, tracker.get_slot("language") or "da"),
            "availability": availability})
        if result[slot]:
            dispatcher.utter_message(response="utter_ack_gift")
            if availability:
                result["gift_time"] = availability["text"]
        return result

    def validate_gift(self, value: Any, dispatcher: CollectingDispatcher,
                      tracker: Tracker, domain: DomainDict) -> Result:
        return {} if value is None else self._validate_gift("gift", value, dispatcher, tracker)

    def validate_profession_gift(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> Result:
        if value is None:
            return {}
        return self._validate_gift("profession_gift", value, dispatcher, tracker)

    def validate_gift_time(self, value: Any, dispatcher: CollectingDispatcher,
                           tracker: Tracker, domain: DomainDict) -> Result:
        if value is None:
            return {}
        text = _free_text(value)
        if text is None or _intent(tracker) == "deny" or parsing.is_dont_know(text):
            return {"gift_time": plan.DECLINED}
        # Words without a day or time ("når det passer") are kept as the person's words.
        availability = parsing.extract_availability(text) or {
            "text": text.strip(), "days": [], "time_of_day": None}
        outcomes.add_details(tracker.get_slot("gift_outcome_id"), {"availability": availability})
        return {"gift_time": availability["text"]}

    # --- moving on, rounding off ------------------------------------------------------------------

    def validate_next_step(self, value: Any, dispatcher: CollectingDispatcher,
                           tracker: Tracker, domain: DomainDict) -> Result:
        if value is None:
            return {}
        choice = chosen_value(tracker)
        intent = _intent(tracker)
        if choice is None:
            choice = plan.CONVERSATION_BY_INTENT.get(intent)
        if choice is None and (intent in ("deny", "goodbye", "thank")
                               or parsing.parse_yes_no(str(value)) is False):
            choice = plan.FINISH
        if choice == plan.FINISH:
            return {"next_step": plan.FINISH}
        if choice not in plan.CONVERSATIONS:
            dispatcher.utter_message(response="utter_choose_from_buttons")
            return {"next_step": None}
        reopened = {slot: None for slot in plan.slots_to_reopen(choice, tracker.slots)}
        return {**reopened, "next_step": None,
                "agenda": plan.agenda_for_entry(choice, tracker.slots)}

    def validate_contact(self, value: Any, dispatcher: CollectingDispatcher,
                         tracker: Tracker, domain: DomainDict) -> Result:
        if value is None:
            return {}
        text = _free_text(value)
        if text is None or _intent(tracker) == "deny" or parsing.parse_yes_no(text) is False:
            return {"contact": plan.DECLINED}
        # Only the e-mail address or phone number itself is kept, apart from the words around it.
        contact = contact_details(text)
        if contact is None:
            dispatcher.utter_message(response="utter_contact_invalid")  # try again, or skip
            return {"contact": None}
        outcomes.save_profile(tracker, contact=contact)
        dispatcher.utter_message(response="utter_ack_contact")
        return {"contact": contact}

    def validate_resume(self, value: Any, dispatcher: CollectingDispatcher,
                        tracker: Tracker, domain: DomainDict) -> Result:
        if value is None:
            return {}
        result: Result = {"resume": None, "paused": False}
        pending = plan.required_slots({**tracker.slots, "paused": False})
        if pending and kept.is_an_answer_after_pause(tracker):
            # Coming back by answering: a short welcome, and the message is the answer.
            dispatcher.utter_message(response="utter_welcome_back_short")
            result["kept_answer"] = kept.message(tracker, slot=pending[0])
        else:
            dispatcher.utter_message(response="utter_welcome_back")
        return result

    def validate_confirm_delete(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> Result:
        if value is None:
            return {}
        confirmed = _yes_no(value, tracker)
        if confirmed is None:
            dispatcher.utter_message(response="utter_choose_from_buttons")
            return {"confirm_delete": None}
        if not confirmed:
            dispatcher.utter_message(response="utter_delete_cancelled")
            return {"confirm_delete": None, "delete_requested": False}
        outcomes.erase(tracker)
        return {"confirm_delete": None, "delete_requested": False, "erased": True}
