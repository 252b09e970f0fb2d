"""Try it without a running bot: reading a turn out of Rasa's tracker (the JSON shape Rasa 3.6's
`GET /conversations/{id}/tracker` returns, literal below), the precise message when Rasa does not
answer (never a 500), the ids the page accepts, staff's 403 and CSRF. The conversation with the
real bot is tests/e2e/test_trainer_try.py."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from fastapi import FastAPI

from bot.trainer import try_it
from tests.web.conftest import CSRF_FIELD, visible_text

# A tracker as Rasa 3.6 returns it after "hej" and a press on the consent button (trimmed to
# the event kinds it holds; field names and nesting exactly Rasa's).
TRACKER: dict[str, Any] = {
    "sender_id": "try-" + "a" * 32,
    "slots": {"consent": True, "language": "da", "requested_slot": "role"},
    "latest_message": {"intent": {"name": "affirm", "confidence": 1.0}},
    "latest_event_time": 1764588003.5,
    "followup_action": None,
    "paused": False,
    "events": [
        {"event": "action", "timestamp": 1764588000.1, "metadata": {"model_id": "m1"},
         "name": "action_session_start", "policy": None, "confidence": 1.0,
         "action_text": None, "hide_rule_turn": False},
        {"event": "session_started", "timestamp": 1764588000.1, "metadata": {"model_id": "m1"}},
        {"event": "action", "timestamp": 1764588000.2, "metadata": {"model_id": "m1"},
         "name": "action_listen", "policy": None, "confidence": None, "action_text": None,
         "hide_rule_turn": False},
        {"event": "user", "timestamp": 1764588000.3,
         "metadata": {"language": "da", "model_id": "m1"}, "text": "hej",
         "parse_data": {
             "intent": {"name": "greet", "confidence": 0.9873},
             "entities": [],
             "text": "hej", "message_id": "5f1c", "metadata": {"language": "da"},
             "text_tokens": [[0, 3]],
             "intent_ranking": [{"name": "greet", "confidence": 0.9873},
                                {"name": "small_talk", "confidence": 0.0051},
                                {"name": "affirm", "confidence": 0.0032},
                                {"name": "deny", "confidence": 0.0011}],
             "response_selector": {"all_retrieval_intents": []}},
         "input_channel": "rest", "message_id": "5f1c"},
        {"event": "user_featurization", "timestamp": 1764588000.4,
         "metadata": {"model_id": "m1"}, "use_text_for_featurization": False},
        {"event": "action", "timestamp": 1764588000.5, "metadata": {"model_id": "m1"},
         "name": "action_ask_consent", "policy": "RulePolicy", "confidence": 1.0,
         "action_text": None, "hide_rule_turn": False},
        {"event": "slot", "timestamp": 1764588000.5, "metadata": {"model_id": "m1"},
         "name": "language", "value": "da"},
        {"event": "bot", "timestamp": 1764588000.6,
         "metadata": {"utter_action": "utter_ask_consent", "model_id": "m1"},
         "text": "Må jeg gemme dine svar?",
         "data": {"elements": None, "quick_replies": None,
                  "buttons": [{"title": "Ja, det er i orden", "payload": "/affirm"},
                              {"title": "Nej, gem ikke noget", "payload": "/deny"}],
                  "attachment": None, "image": None, "custom": None}},
        {"event": "action", "timestamp": 1764588000.7, "metadata": {"model_id": "m1"},
         "name": "action_listen", "policy": "RulePolicy", "confidence": 1.0,
         "action_text": None, "hide_rule_turn": False},
        {"event": "user", "timestamp": 1764588003.1,
         "metadata": {"language": "da", "button_title": "Ja, det er i orden", "model_id": "m1"},
         "text": "/affirm",
         "parse_data": {"intent": {"name": "affirm", "confidence": 1.0}, "entities": [],
                        "text": "/affirm", "message_id": "77aa", "metadata": {},
                        "intent_ranking": [{"name": "affirm", "confidence": 1.0}]},
         "input_channel": "rest", "message_id": "77aa"},
        {"event": "slot", "timestamp": 1764588003.3, "metadata": {"model_id": "m1"},
         "name": "consent", "value": True},
        {"event": "active_loop", "timestamp": 1764588003.3, "metadata": {"model_id": "m1"},
         "name": "role_form"},
        {"event": "slot", "timestamp": 1764588003.4, "metadata": {"model_id": "m1"},
         "name": "requested_slot", "value": "role"},
        {"event": "bot", "timestamp": 1764588003.5,
         "metadata": {"utter_action": "utter_ask_role", "model_id": "m1"},
         "text": "Skriver du som borger <eller> medarbejder?",
         "data": {"elements": None, "quick_replies": None, "buttons": None,
                  "attachment": None, "image": None, "custom": None}},
    ],
    "latest_input_channel": "rest",
    "active_loop": {"name": "role_form"},
    "latest_action": {"action_name": "action_listen"},
    "latest_action_name": "action_listen",
}


def test_read_turns_gives_intent_ranking_slots_and_replies_per_user_message() -> None:
    first, second = try_it.read_turns(TRACKER)
    assert (first.text, first.intent, first.confidence) == ("hej", "greet", 0.9873)
    assert first.ranking == [("greet", 0.9873), ("small_talk", 0.0051), ("affirm", 0.0032)]
    assert first.slots == [("language", "da")]
    assert first.replies == [{"text": "Må jeg gemme dine svar?", "buttons": [
        {"title": "Ja, det er i orden", "payload": "/affirm"},
        {"title": "Nej, gem ikke noget", "payload": "/deny"}]}]
    assert (second.intent, second.confidence) == ("affirm", 1.0)
    assert (first.button_title, second.button_title) == (None, "Ja, det er i orden")
    assert second.slots == [("consent", True), ("requested_slot", "role")]
    assert second.slots_shown == [("consent", "true"), ("requested_slot", '"role"')]
    assert second.replies == [{"text": "Skriver du som borger <eller> medarbejder?",
                               "buttons": []}]


def test_read_turns_of_an_empty_or_odd_tracker() -> None:
    assert try_it.read_turns({}) == []
    assert try_it.read_turns({"events": [{"event": "action", "name": "action_listen"}]}) == []
    [turn] = try_it.read_turns({"events": [{"event": "user", "text": "x"}]})
    assert (turn.intent, turn.confidence, turn.ranking, turn.slots) == (None, None, [], [])


def test_only_ids_the_page_makes_are_accepted() -> None:
    made = try_it.new_conversation_id()
    assert try_it.is_try_conversation(made) and made != try_it.new_conversation_id()
    for other in ("web-" + "a" * 32, "tg-abc", "try-" + "A" * 32, "try-abc", "try-" + "a" * 33,
                  "try-" + "a" * 32 + "\n", ""):
        assert not try_it.is_try_conversation(other), other


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: nothing listens


@pytest.fixture
def rasa_down(app: FastAPI) -> str:
    url = f"http://127.0.0.1:{closed_port()}"
    app.state.settings = app.state.settings.model_copy(update={"rasa_url": url})
    return url


def test_rasa_down_gives_a_precise_message_not_a_500(signed_in: Any, rasa_down: str,
                                                      accounts: Any) -> None:
    client = signed_in("trainer")
    page = client.get("/trainer/try", follow_redirects=False)
    assert page.status_code == 303 and "/trainer/try?c=try-" in page.headers["location"]
    page = client.get(page.headers["location"])
    assert page.status_code == 503
    text = visible_text(page)
    assert f"Botten svarer ikke lige nu: Rasa at {rasa_down} did not answer (ConnectError)" in text
    conversation = page.url.params["c"]
    token = CSRF_FIELD.search(page.text).group(1)
    form = {"csrf_token": token, "conversation": conversation, "language": "da", "message": "hej"}
    said = client.post("/trainer/try", data=form, follow_redirects=False)
    assert said.status_code == 503 and "did not answer (ConnectError)" in visible_text(said)
    # htmx gets the message where the status line is, and a 200 so that it swaps it in.
    swapped = client.post("/trainer/try", data=form, headers={"HX-Request": "true"})
    assert swapped.status_code == 200 and swapped.headers["HX-Retarget"] == "#try-status"
    assert "did not answer (ConnectError)" in visible_text(swapped)
    assert 'role="alert"' in swapped.text


def test_an_empty_message_or_a_foreign_conversation_is_refused(signed_in: Any, rasa_down: str
                                                               ) -> None:
    client = signed_in("trainer", language="en")
    page = client.get("/trainer/try", follow_redirects=True)
    token = CSRF_FIELD.search(page.text).group(1)
    conversation = page.url.params["c"]
    empty = client.post("/trainer/try", data={"csrf_token": token, "conversation": conversation,
                                              "message": "   "})
    assert empty.status_code == 400 and "The message is empty" in visible_text(empty)
    citizen = client.post("/trainer/try", data={"csrf_token": token, "message": "hej",
                                                "conversation": "web-" + "a" * 32})
    assert citizen.status_code == 400 and "Unknown test conversation" in visible_text(citizen)
    assert "web-" + "a" * 32 not in citizen.text
    long = client.post("/trainer/try", data={"csrf_token": token, "conversation": conversation,
                                             "message": "x" * 4001})
    assert long.status_code == 400 and "longer than 4000 characters" in visible_text(long)


def test_start_over_erases_through_the_store_and_never_a_citizens_conversation(
        signed_in: Any, rasa_down: str, app: FastAPI, accounts: Any) -> None:
    store = app.state.store
    mine, citizen = try_it.new_conversation_id(), "web-" + "b" * 32
    for conversation in (mine, citizen):
        store.save_conversation(conversation, consent=True, language="da")
    client = signed_in("trainer", username="ole")
    token = CSRF_FIELD.search(client.get("/trainer/try", follow_redirects=True).text).group(1)
    done = client.post("/trainer/try/start-over", data={
        "csrf_token": token, "conversation": mine, "language": "en"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/trainer/try?language=en"
    assert store.get_conversation(mine) is None
    refused = client.post("/trainer/try/start-over", data={
        "csrf_token": token, "conversation": citizen}, follow_redirects=False)
    assert refused.status_code == 303
    assert store.get_conversation(citizen)["consent"] is True  # untouched
    rows = accounts.list_audit(action="trainer.")
    assert [(r["action"], r["target"], r["username"]) for r in rows] == [
        ("trainer.try.start_over", mine, "ole")]


def test_staff_get_403_and_posts_need_the_csrf_token(signed_in: Any, rasa_down: str,
                                                     app: FastAPI) -> None:
    staff = signed_in("staff")
    assert staff.get("/trainer/try").status_code == 403
    token = CSRF_FIELD.search(staff.get("/staff/").text).group(1)
    for path in ("/trainer/try", "/trainer/try/start-over"):
        response = staff.post(path, data={"csrf_token": token, "message": "hej",
                                          "conversation": try_it.new_conversation_id()})
        assert response.status_code == 403, path
    trainer = signed_in("trainer")
    mine = try_it.new_conversation_id()
    app.state.store.save_conversation(mine, consent=True)
    forged = trainer.post("/trainer/try/start-over", data={"conversation": mine},
                          follow_redirects=False)
    assert forged.status_code == 403
    assert app.state.store.get_conversation(mine) is not None
