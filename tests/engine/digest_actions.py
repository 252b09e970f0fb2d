"""An action server for test_serve.py: actions that report what they were given or set a slot."""
from rasa_sdk import Action
from rasa_sdk.events import SlotSet


class ReportDomain(Action):
    def name(self) -> str:
        return "action_report_domain"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text=f"{len(domain['slots'])} slots, "
                                      f"{len(domain['responses'])} responses")
        return []


class SwitchToEnglish(Action):
    def name(self) -> str:
        return "action_switch_to_english"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(response="utter_language_switched")
        return [SlotSet("language", "en")]


class ConfirmLanguage(Action):
    def name(self) -> str:
        return "action_confirm_language"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(response="utter_language_switched")
        return []
