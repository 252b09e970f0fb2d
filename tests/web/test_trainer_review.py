"""The review inbox's pages: the grouped list (text escaped, intent prefilled), ignore, three
messages added as examples in one checked commit in the right NLU file, a conversation turned
into a test story that Rasa's own story reader reads, precise refusals, CSRF and 403 for staff,
every decision audited. Events are written as Rasa 3.6 writes them (tests/store/review_events)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from bs4 import BeautifulSoup

from bot.settings import ROOT
from tests.store.review_events import a_conversation
from tests.web.conftest import visible_text

FALLBACK = [("nlu_fallback", 0.4), ("greet", 0.35), ("affirm", 0.1)]
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def git_log(repo: Path) -> list[str]:
    return subprocess.run(["git", "-C", str(repo), "log", "--format=%H %s"], capture_output=True,
                          text=True, check=True).stdout.splitlines()


def token(client: Any) -> str:
    page = BeautifulSoup(client.get("/trainer/review").text, "html.parser")
    return page.find("input", attrs={"name": "csrf_token"})["value"]


def page_items(client: Any, path: str = "/trainer/review") -> dict[int, dict[str, Any]]:
    """Each row of the page: its text, the intent its select has chosen, its group's title."""
    page = BeautifulSoup(client.get(path).text, "html.parser")
    rows = {}
    for group in page.select("section.review-group"):
        for row in group.select("tr.review-item"):
            event_id = int(row.find("input", attrs={"name": "event"})["value"])
            chosen = row.find("select").find("option", selected=True)
            rows[event_id] = {"text": row.select_one("q.review-text").get_text(),
                              "intent": chosen["value"] if chosen else None,
                              "group": " ".join(group.find("h2").get_text().split())}
    return rows


@pytest.fixture
def inbox(app: Any, rasa_events: Any) -> dict[str, int]:
    """A Danish conversation with four misunderstood messages (one with markup in it) and an
    understood one; an English one with a low-confidence message."""
    store = app.state.store
    da = a_conversation(store, rasa_events, "web-review-da")
    da.user("hej", "greet", 0.98)
    da.action("action_start_conversation")
    da.ask("consent", "utter_ask_consent", "Må jeg gemme dine svar?")
    ids = {"goddaw": da.user("goddaw du", "nlu_fallback", 0.4, FALLBACK)}
    da.action("samtale_form")
    da.bot("utter_choose_from_buttons", "Vælg en af knapperne.")
    da.action("action_listen")
    ids["goddaw2"] = da.user("Goddaw du!", "nlu_fallback", 0.4, FALLBACK)
    da.action("samtale_form")
    da.bot("utter_choose_from_buttons", "Vælg en af knapperne.")
    da.action("action_listen")
    ids["script"] = da.user("<script>alert(1)</script> ja tak da", "affirm", 0.41,
                            [("affirm", 0.41), ("deny", 0.3)])
    da.action("samtale_form")
    da.ask("possibility", "utter_ask_possibility", "Hvad drømmer du om?")
    ids["dream"] = da.user("blomsterkasser på altanerne", "nlu_fallback", 0.3,
                           [("nlu_fallback", 0.3), ("share_possibility", 0.29)])
    da.action("samtale_form")
    en = a_conversation(store, rasa_events, "web-review-en", language="en")
    en.slot("language", "en")
    ids["english"] = en.user("maybe later", "deny", 0.5, [("deny", 0.5), ("pause", 0.4)])
    en.action("action_pause")
    return ids


def test_the_list_groups_escapes_and_prefills(signed_in: Any, studio: Any,
                                              inbox: dict[str, int]) -> None:
    client = signed_in("trainer")
    response = client.get("/trainer/review")
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; ja tak da" in response.text
    rows = page_items(client)
    assert set(rows) == set(inbox.values())
    assert rows[inbox["goddaw"]]["group"] == rows[inbox["goddaw2"]]["group"]
    assert rows[inbox["goddaw"]]["group"].startswith("2 ×")
    assert rows[inbox["goddaw"]]["intent"] == "greet"  # the fallback's best real intent
    assert rows[inbox["dream"]]["intent"] == "share_possibility"
    assert rows[inbox["script"]]["intent"] == "affirm"
    text = visible_text(response)
    assert "5 beskeder i 4 grupper" in text
    assert "afvist med utter_choose_from_buttons" in text
    assert "consent" in text  # the question pending when it was said
    english = page_items(client, "/trainer/review?language=en")
    assert list(english) == [inbox["english"]] and english[inbox["english"]]["intent"] == "deny"
    assert set(page_items(client, "/trainer/review?source=refused")) == {
        inbox["goddaw"], inbox["goddaw2"]}
    assert set(page_items(client, "/trainer/review?intent=affirm")) == {inbox["script"]}
    assert client.get("/trainer/review?page=x&count=y").status_code == 200
    data = client.get("/trainer/review.json", params={"source": "refused"}).json()
    assert (data["total_items"], data["groups"][0]["count"]) == (2, 2)
    assert data["groups"][0]["items"][0]["refused_by"] == "utter_choose_from_buttons"
    assert signed_in("staff", username="bo").get("/trainer/review.json").status_code == 403


def test_ignore_a_row_then_several_and_each_is_audited(signed_in: Any, studio: Any,
                                                       inbox: dict[str, int],
                                                       accounts: Any) -> None:
    client = signed_in("trainer", username="lise")
    shipped = git_log(studio.root)
    response = client.post("/trainer/review", data={
        "csrf_token": token(client), "row": f"ignore:{inbox['english']}",
        "event": [str(inbox["goddaw"])]}, follow_redirects=False)  # the row's button wins
    assert response.status_code == 303
    assert "1 beskeder er ignoreret" in visible_text(client.get(response.headers["location"]))
    assert set(page_items(client)) == set(inbox.values()) - {inbox["english"]}
    response = client.post("/trainer/review", data={
        "csrf_token": token(client), "action": "ignore",
        "event": [str(inbox["goddaw"]), str(inbox["goddaw2"])]}, follow_redirects=False)
    assert response.status_code == 303
    assert set(page_items(client)) == {inbox["script"], inbox["dream"]}
    assert git_log(studio.root) == shipped  # ignoring changes no file
    audits = accounts.list_audit(action="trainer.review.")
    assert [(a["action"], a["username"], a["detail"]["events"]) for a in audits] == [
        ("trainer.review.ignore", "lise", [inbox["goddaw"], inbox["goddaw2"]]),
        ("trainer.review.ignore", "lise", [inbox["english"]])]
    assert "goddaw" not in json.dumps(audits, default=str)  # ids, never the person's words
    # Ignoring it again: it is no longer in the inbox, and the page says so.
    again = client.post("/trainer/review", data={
        "csrf_token": token(client), "row": f"ignore:{inbox['english']}"})
    assert again.status_code == 400
    assert f"not in the review inbox (handled already, or gone): [{inbox['english']}]" in (
        visible_text(again))


def test_nothing_chosen_or_an_unknown_action_is_a_precise_400(signed_in: Any, studio: Any,
                                                              inbox: dict[str, int]) -> None:
    client = signed_in("trainer")
    nothing = client.post("/trainer/review", data={"csrf_token": token(client),
                                                   "action": "ignore"})
    assert nothing.status_code == 400 and "Vælg mindst én besked." in visible_text(nothing)
    odd = client.post("/trainer/review", data={"csrf_token": token(client), "action": "delete",
                                               "event": [str(inbox["dream"])]})
    assert odd.status_code == 400
    assert "unknown action 'delete'; one of example, ignore, story" in visible_text(odd)
    assert len(page_items(client)) == 5


def test_staff_get_403_and_a_post_without_csrf_is_refused(signed_in: Any, studio: Any,
                                                         inbox: dict[str, int]) -> None:
    staff = signed_in("staff")
    assert staff.get("/trainer/review").status_code == 403
    staff_token = staff.get("/staff/").text.split('name="csrf_token" value="')[1].split('"')[0]
    refused = staff.post("/trainer/review", data={"csrf_token": staff_token, "action": "ignore",
                                                  "event": [str(inbox["dream"])]})
    assert refused.status_code == 403
    trainer = signed_in("trainer")
    for data in ({}, {"csrf_token": "forged"}):
        response = trainer.post("/trainer/review", data={
            **data, "action": "ignore", "event": [str(inbox["dream"])]}, follow_redirects=False)
        assert response.status_code == 403
    assert inbox["dream"] in page_items(trainer)
    assert "/trainer/review" in trainer.get("/trainer/content").text  # in the trainers' nav


@SQLITE_ONLY
def test_three_messages_become_examples_in_one_commit(signed_in: Any, studio: Any,
                                                      inbox: dict[str, int],
                                                      accounts: Any) -> None:
    client = signed_in("trainer", username="ole", display_name="Ole")
    before = git_log(studio.root)
    chosen = [inbox["goddaw"], inbox["script"], inbox["dream"]]
    rows = page_items(client)
    response = client.post("/trainer/review", data={
        "csrf_token": token(client), "action": "example", "event": [str(i) for i in chosen],
        "message": "Tre eksempler fra gennemsynet",
        **{f"intent_{i}": rows[i]["intent"] for i in rows}}, follow_redirects=False)
    assert response.status_code == 303, visible_text(response)
    after = git_log(studio.root)
    assert len(after) == len(before) + 1 and after[0].endswith(" Tre eksempler fra gennemsynet")
    changed = subprocess.run(["git", "-C", str(studio.root), "show", "--name-only", "--format=",
                              "HEAD"], capture_output=True, text=True, check=True).stdout.split()
    assert changed == ["nlu/da/basics.yml", "nlu/da/conversations.yml"]
    basics = intents(studio.root / "nlu/da/basics.yml")
    assert basics["greet"][-1] == "goddaw du"
    assert basics["affirm"][-1] == "<script>alert(1)</script> ja tak da"
    conversations = intents(studio.root / "nlu/da/conversations.yml")
    assert conversations["share_possibility"][-1] == "blomsterkasser på altanerne"
    assert set(page_items(client)) == {inbox["goddaw2"], inbox["english"]}
    page = visible_text(client.get(response.headers["location"]))
    assert f"3 nye eksempler fra 3 beskeder (version {after[0][:10]})" in page
    audit = accounts.list_audit(action="trainer.review.example")[0]
    assert audit["target"] == after[0].split()[0]
    assert audit["detail"]["files"] == ["nlu/da/basics.yml", "nlu/da/conversations.yml"]
    assert audit["detail"]["intents"] == ["affirm", "greet", "share_possibility"]

    # The same words again (the group's other message) are an example already: no new commit.
    again = client.post("/trainer/review", data={
        "csrf_token": token(client), "row": f"example:{inbox['goddaw2']}",
        f"intent_{inbox['goddaw2']}": "greet"}, follow_redirects=False)
    assert again.status_code == 303 and len(git_log(studio.root)) == len(after)
    assert "1 beskeder var allerede eksempler" in visible_text(
        client.get(again.headers["location"]))
    assert set(page_items(client)) == {inbox["english"]}


def test_an_intent_not_in_the_languages_files_is_refused(signed_in: Any, studio: Any,
                                                          inbox: dict[str, int]) -> None:
    client = signed_in("trainer")
    before = git_log(studio.root)
    for intent, problem in (("", "choose an intent for 'maybe later'"),
                            ("no_such_intent", ("'no_such_intent' is not an intent of the en "
                                                "NLU files (for 'maybe later')")),
                            ("nlu_fallback", "'nlu_fallback' is not an intent")):
        response = client.post("/trainer/review", data={
            "csrf_token": token(client), "row": f"example:{inbox['english']}",
            f"intent_{inbox['english']}": intent})
        assert response.status_code == 400
        assert problem in visible_text(response)
    assert git_log(studio.root) == before and inbox["english"] in page_items(client)


READ_STORY = r"""
import json, sys
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, UserUttered
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
domain = Domain.load(sys.argv[1])
steps = YAMLStoryReader(domain).read_from_file(sys.argv[2])
out = []
for step in steps:
    for e in step.events:
        if isinstance(e, UserUttered):
            out.append(["user", e.text, e.intent_name])
        elif isinstance(e, ActionExecuted):
            out.append(["action", e.action_name])
        elif isinstance(e, ActiveLoop):
            out.append(["loop", e.name])
print(json.dumps({"test": YAMLStoryReader.is_test_stories_file(sys.argv[2]), "events": out}))
"""


@SQLITE_ONLY
def test_a_conversation_becomes_a_test_story_rasa_reads(signed_in: Any, studio: Any,
                                                       inbox: dict[str, int],
                                                       accounts: Any) -> None:
    client = signed_in("trainer", username="ole", display_name="Ole")
    rows = page_items(client)
    response = client.post("/trainer/review", data={
        "csrf_token": token(client), "row": f"story:{inbox['dream']}",
        **{f"intent_{i}": rows[i]["intent"] for i in rows},  # as the page's form sends them
        f"intent_{inbox['dream']}": "take_ownership"}, follow_redirects=False)
    assert response.status_code == 303, visible_text(response)
    stories = sorted((studio.root / "tests" / "stories").glob("test_review_*.yml"))
    assert len(stories) == 1
    relative = stories[0].relative_to(studio.root).as_posix()
    assert git_log(studio.root)[0].endswith("Testhistorie fra gennemsynet")
    done = client.get(response.headers["location"])
    assert f"Testhistorien {relative} er skrevet" in visible_text(done)
    assert f'href="/trainer/files/{relative}"' in done.text

    engine_python = ROOT / ".venv-engine" / "bin" / "python"
    read = subprocess.run([str(engine_python), "-c", READ_STORY, str(studio.root / "domain"),
                           str(stories[0])], capture_output=True, text=True, check=True,
                          timeout=300)
    story = json.loads(read.stdout.strip().splitlines()[-1])
    assert story["test"] is True  # `rasa test` picks it up
    assert story["events"] == [
        ["user", "hej", "greet"], ["action", "action_start_conversation"],
        ["action", "samtale_form"], ["loop", "samtale_form"],
        ["user", "goddaw du", "greet"], ["action", "samtale_form"],  # the rows' intents
        ["user", "Goddaw du!", "greet"], ["action", "samtale_form"],
        ["user", "<script>alert(1)</script> ja tak da", "affirm"], ["action", "samtale_form"],
        ["action", "samtale_form"], ["loop", "samtale_form"],
        ["user", "blomsterkasser på altanerne", "take_ownership"],  # the trainer's choice
        ["action", "samtale_form"]]
    assert "web-review-da" not in stories[0].read_text()  # no sender id in the content
    # The Files editor lists and opens it (tests/stories/ is a trainers' folder now).
    assert relative in client.get("/trainer/files").text
    editor = client.get(f"/trainer/files/{relative}")
    assert editor.status_code == 200 and "blomsterkasser på altanerne" in editor.text
    assert inbox["dream"] not in page_items(client)
    audit = accounts.list_audit(action="trainer.review.story")[0]
    assert audit["detail"]["file"] == relative and audit["detail"]["events"] == [inbox["dream"]]

    # Refined in the Files editor: Rasa's story reader checks each save of a test story.
    fields = {f["name"]: f.get("value", "") for f in BeautifulSoup(
        editor.text, "html.parser").find_all("input") if f.get("name")}
    written = stories[0].read_text()
    broken = client.post(f"/trainer/files/{relative}", data={
        **fields, "text": written.replace("action_start_conversation", "action_no_such"),
        "message": "Forkert handling"})
    assert broken.status_code == 400
    assert "action 'action_no_such' is not in the domain" in visible_text(broken)
    assert stories[0].read_text() == written
    fixed = client.post(f"/trainer/files/{relative}", data={
        **fields, "text": written.replace("intent: take_ownership", "intent: share_possibility"),
        "message": "Drømmen er en mulighed"}, follow_redirects=False)
    assert fixed.status_code == 303, visible_text(fixed)
    assert "intent: share_possibility" in stories[0].read_text()
    assert git_log(studio.root)[0].endswith("Drømmen er en mulighed")


def intents(path: Path) -> dict[str, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {item["intent"]: [line[2:] for line in item["examples"].splitlines()]
            for item in data["nlu"]}


def test_a_story_rasa_would_not_read_is_refused_and_nothing_written(
        signed_in: Any, studio: Any, inbox: dict[str, int]) -> None:
    client = signed_in("trainer")
    before = git_log(studio.root)
    response = client.post("/trainer/review", data={
        "csrf_token": token(client), "row": f"story:{inbox['english']}",
        f"intent_{inbox['english']}": "no_such_intent"})
    assert response.status_code == 400
    text = visible_text(response)
    assert "Rasas læser af testhistorier afviste historien:" in text
    assert "intent 'no_such_intent' is not in the domain" in text
    assert git_log(studio.root) == before
    assert not (studio.root / "tests" / "stories").exists()
    assert inbox["english"] in page_items(client)


def test_tests_stories_is_a_trainers_folder_and_nothing_beside_it(tmp_path: Path) -> None:
    from bot.trainer.files import DataError, resolve

    assert resolve(tmp_path, "tests/stories/test_review_1a2b3c4d.yml") == (
        tmp_path.resolve() / "tests/stories/test_review_1a2b3c4d.yml")
    for bad in ("tests/e2e/conftest.yml", "tests/stories.yml", "tests/stories",
                "tests/stories/../../bot/x.yml", "tests/x.yml"):
        with pytest.raises(DataError):
            resolve(tmp_path, bad)


def test_story_steps_follow_rasas_test_story_format() -> None:
    from bot.trainer.review_stories import featurized_slots, story_steps

    events = [
        {"id": 1, "event": "action", "name": "action_session_start"},
        {"id": 2, "event": "session_started"},
        {"id": 3, "event": "action", "name": "action_listen"},
        {"id": 4, "event": "user", "text": '/choose{"value":"2"}', "parse_data": {
            "intent": {"name": "choose"}, "entities": [{"entity": "value", "value": "2"}]}},
        {"id": 5, "event": "action", "name": "samtale_form"},
        {"id": 6, "event": "slot", "name": "mood", "value": "glad"},
        {"id": 7, "event": "slot", "name": "requested_slot", "value": "contact"},
        {"id": 8, "event": "active_loop", "name": None},
        {"id": 9, "event": "bot", "text": "Tak"},
        {"id": 10, "event": "user", "text": "  to   linjer\nher ", "parse_data": {
            "intent": {"name": "nlu_fallback"}}},
        {"id": 11, "event": "action", "name": "utter_default"},
        {"id": 12, "event": "user", "text": "genstart", "parse_data": {
            "intent": {"name": "restart"}}},
        {"id": 13, "event": "action", "name": "action_restart"},
        {"id": 14, "event": "user", "text": "efter genstart", "parse_data": {
            "intent": {"name": "greet"}}},
    ]
    domain = ("slots:\n  mood: {type: text}\n  other: {type: any}\n"
              "  quiet: {type: bool, influence_conversation: false}\n")
    keep = featurized_slots([domain])
    assert keep == {"mood"}
    assert story_steps(events, corrected={10: "deny"}, keep_slots=keep) == [
        {"intent": "choose", "entities": [{"value": "2"}]},  # a pressed button: no words
        {"action": "samtale_form"},
        {"slot_was_set": [{"mood": "glad"}]},
        {"active_loop": None},
        {"user": "to linjer her", "intent": "deny"},
        {"action": "utter_default"},
        # the restart ends it; the unanswered "genstart" before it is dropped too
    ]
