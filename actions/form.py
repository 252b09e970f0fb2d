"""Validation of `samtale_form`: each answer is checked, acknowledged and stored as an outcome.

Rasa asks the questions (`utter_ask_<slot>` in the domain); this class decides which question
is next (`actions.plan`) and what an answer means (`actions.parsing`).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from . import digressions, outcomes, parsing, plan
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


_CONTACT = re.compile(r"[^@\s]+@[^@\s]+\.\w+|(?:\+?\d[\d .-]{6,}\d)")


def looks_like_an_answer(slot: str, text: str) -> bool:
    """Does the text clearly answer this question? Then it is never treated as a side-step,
    however the intent classifier labelled it ("anna@example.dk" is not out of scope)."""
    checks = {
        "contact": lambda: bool(_CONTACT.search(text)),
        "commitment_due": lambda: parsing.parse_due_date(text) is not None,
        "gift_time": lambda: parsing.extract_availability(text) is not None,
        "role": lambda: parsing.parse_role(text) is not None,
        "ladder_step": lambda: parsing.parse_step(text, 4) is not None,
        "profession_step": lambda: parsing.parse_step(text, 3) is not None,
        "invitation_answer": lambda: parsing.parse_invitation_answer(text) is not None,
    }
    return not text.startswith("/") and checks.get(slot, lambda: False)()


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
        pending = plan.required_slots(tracker.slots)
        return events + [SlotSet("requested_slot", pending[0] if pending else None)]

    def take_answer(self, requested: str, answer: Any, dispatcher: CollectingDispatcher,
                    tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        """The events for a message sent while `requested` was pending: a side-step, or an
        answer validated by its `validate_<slot>` method."""
        if (digressions.is_digression(tracker, requested)
                and not looks_like_an_answer(requested, str(answer or ""))):
            return [SlotSet(requested, None),
                    *digressions.handle(_intent(tracker), dispatcher, tracker, requested)]
        validate = getattr(self, f"validate_{requested}")
        return [SlotSet(slot, value) for slot, value
                in validate(answer, dispatcher, tracker, domain).items()]

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
        answer = chosen_value(tracker)
        if answer not in ANSWER_LABELS:
            yes_no = _yes_no(value, tracker) if _intent(tracker) in ("affirm", "deny") else None
            answer = ({True: "accepted", False: "declined"}.get(yes_no)
                      or parsing.parse_invitation_answer(str(value)))
        if answer is None:
            dispatcher.utter_message(response="utter_choose_from_buttons")
            return {"invitation_answer": None}
        words = str(value) if not str(value).startswith("/") else label(
            ANSWER_LABELS, answer, tracker.get_slot("language"))
        outcomes.record(tracker, "invitation", words, {"answer": answer})
        dispatcher.utter_message(response=f"utter_invitation_{answer}")
        result: Result = {"invitation_answer": answer}
        if answer == "declined":
            # A real invitation can be declined; what holds the person back is asked next.
            agenda = [c for c in tracker.get_slot("agenda") or [] if plan.is_held(c, tracker.slots)
                      or c == "invitation"]
            result.update(agenda=agenda + ["dissent"], guided=False)
        return result

    def _record_text(self, kind: str, slot: str, value: Any, dispatcher: CollectingDispatcher,
                     tracker: Tracker, details: dict | None = None) -> Result:
        text = _free_text(value)
        if text is None:
            dispatcher.utter_message(response="utter_empty_answer")
            return {slot: None}
        outcome_id = outcomes.record(tracker, kind, text, details)
        return {slot: text, f"{kind}_outcome_id": outcome_id}

    def validate_possibility(self, value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> Result:
        if value is None:
            return {}
        result = self._record_text("possibility", "possibility", value, dispatcher, tracker)
        if result["possibility"]:
            dispatcher.utter_message(response="utter_ack_possibility")
        return result

    def validate_ownership(self, value: Any, dispatcher: CollectingDispatcher,
                           tracker: Tracker, domain: DomainDict) -> Result:
        if value is None:
            return {}
        result = self._record_text("ownership", "ownership", value, dispatcher, tracker,
                                   {"ladder_step": None})
        if result["ownership"]:
            dispatcher.utter_message(response="utter_ack_ownership")
        return result

    def validate_ladder_step(self, value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> Result:
        if value is None:
            return {}
        step = parsing.parse_step(chosen_value(tracker) or str(value), 4)
        if step is None:
            dispatcher.utter_message(response="utter_choose_from_buttons")
            return {"ladder_step": None}
        outcomes.add_details(tracker.get_slot("ownership_outcome_id"), {"ladder_step": step})
        dispatcher.utter_message(response=f"utter_ack_ladder_step_{step}")
        return {"ladder_step": str(step)}

    def validate_dissent(self, value: Any, dispatcher: CollectingDispatcher,
                         tracker: Tracker, domain: DomainDict) -> Result:
        if value is None:
            return {}
        none = isinstance(value, str) and parsing.is_none_answer(value)
        result = self._record_text("dissent", "dissent", value, dispatcher, tracker,
                                   {"none": none})
        if result["dissent"]:
            dispatcher.utter_message(response="utter_ack_dissent_none" if none
                                     else "utter_ack_dissent")
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

    def validate_profession_step(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> Result:
        if value is None:
            return {}
        step = parsing.parse_step(chosen_value(tracker) or str(value), 3)
        if step is None:
            dispatcher.utter_message(response="utter_choose_from_buttons")
            return {"profession_step": None}
        outcomes.add_details(tracker.get_slot("gift_outcome_id"), {"profession_step": step})
        return {"profession_step": str(step)}

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
        outcomes.save_profile(tracker, contact=text)
        dispatcher.utter_message(response="utter_ack_contact")
        return {"contact": text}

    def validate_resume(self, value: Any, dispatcher: CollectingDispatcher,
                        tracker: Tracker, domain: DomainDict) -> Result:
        if value is None:
            return {}
        dispatcher.utter_message(response="utter_welcome_back")
        return {"resume": None, "paused": False}

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
