"""Asking a question: in full the first time, in its short form when it is asked again.

Rasa's form asks for a slot with `action_ask_<slot>` when the domain has one, else it says
`utter_ask_<slot>` itself (Rasa 3.6 FormAction._name_of_utterance). The derived domain
(domain/questions.yml) lists an ask action only for the questions that have a class here, so a
question added in conversations.yml is asked by its response alone, in full every time.
The form's validation sets `reasking` when the same question comes again (after a greeting, a
side-step, an unclear answer), and then the short `utter_reask_<slot>` follows instead of the whole
question; the introduction is never said twice. A question never refers to an answer that does
not exist: the ownership question speaks of "the dream" only when one was shared.
"""
from __future__ import annotations

import abc
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from . import plan


class AskQuestion(Action, abc.ABC):
    """`action_ask_<slot>`: the full question, or its short form when asked again."""

    @property
    @abc.abstractmethod
    def slot(self) -> str:
        """The question's slot (a class attribute in each subclass)."""

    def name(self) -> Text:
        return f"action_ask_{self.slot}"

    def full(self, tracker: Tracker) -> str:
        """The response that asks the question the first time."""
        return f"utter_ask_{self.slot}"

    def short(self, tracker: Tracker) -> str:
        return f"utter_reask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        response = self.short(tracker) if tracker.get_slot("reasking") else self.full(tracker)
        dispatcher.utter_message(response=response)
        return []


class ActionAskConsent(AskQuestion):
    slot = "consent"


class ActionAskInvitationAnswer(AskQuestion):
    slot = "invitation_answer"


class ActionAskPossibility(AskQuestion):
    slot = "possibility"


class ActionAskCommitment(AskQuestion):
    slot = "commitment"


class ActionAskGift(AskQuestion):
    slot = "gift"


class ActionAskProfessionGift(AskQuestion):
    slot = "profession_gift"


class ActionAskOwnership(AskQuestion):
    slot = "ownership"

    def full(self, tracker: Tracker) -> str:
        dream = tracker.get_slot("possibility") not in (None, plan.DECLINED)
        return "utter_ask_ownership" if dream else "utter_ask_ownership_no_dream"


class ActionAskDissent(AskQuestion):
    """After a declined invitation: one gentle, optional question, with a "no thanks" button."""

    slot = "dissent"

    def _declined(self, tracker: Tracker) -> bool:
        return tracker.get_slot("invitation_answer") == "declined"

    def full(self, tracker: Tracker) -> str:
        return "utter_ask_dissent_after_decline" if self._declined(tracker) else "utter_ask_dissent"

    def short(self, tracker: Tracker) -> str:
        return ("utter_reask_dissent_after_decline" if self._declined(tracker)
                else "utter_reask_dissent")
