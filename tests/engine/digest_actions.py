"""An action server for test_serve.py: one action that says which domain it was given."""
from rasa_sdk import Action


class ReportDomain(Action):
    def name(self) -> str:
        return "action_report_domain"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text=f"{len(domain['slots'])} slots, "
                                      f"{len(domain['responses'])} responses")
        return []
