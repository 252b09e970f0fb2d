"""Samtale's custom actions, served by the rasa-sdk action server (`python -m rasa_sdk`).

- form.py           validation of samtale_form: every answer checked, acknowledged, stored
- plan.py           which question comes next (pure)
- conversation.py   entering and rounding off conversations
- questions.py      asking a question: in full, or short when asked again
- kept.py           answers given before their question (before consent, after a pause)
- digressions.py    help, why, a human, pause, language, show/delete my data
- outcomes.py       the one door to the outcome store (consent enforced here)
- parsing.py        dates, skills, availability, yes/no, language (pure)
"""
