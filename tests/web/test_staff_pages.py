"""The follow-up pages with the real app, real sign-in and real databases (SQLite, PostgreSQL)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.store import OutcomeStore
from tests.web.conftest import visible_text

SCRIPT = "<script>alert('x')</script>"


def said(store: OutcomeStore, cid: str, kind: str, text: str, role: str = "citizen",
         language: str = "da", **details: Any) -> int:
    store.save_conversation(cid, consent=True, role=role, language=language, contact="anna@example.dk")
    return store.record_outcome(conversation_id=cid, kind=kind, text=text, details=details,
                                language=language, role=role, source_message_id=f"m-{kind}-{cid}")["id"]


@pytest.fixture
def seeded(app: FastAPI) -> dict[str, int]:
    store: OutcomeStore = app.state.store
    ids = {
        "handoff": said(store, "anna", "handoff", "Kan jeg tale med et menneske?"),
        "gift": said(store, "bo", "gift", "Jeg kan hjælpe med lektier om tirsdagen", role="employee",
                     skill_ids=["homework_help"], skills=["lektiehjælp"], profession_step=2,
                     availability={"text": "om tirsdagen", "days": ["tue"], "time_of_day": None}),
        "wish": said(store, "cia", "possibility", "Børn i opgangen mangler lektiehjælp om tirsdagen"),
        "evil": said(store, "eve", "possibility", SCRIPT),
        "formula": said(store, "fie", "commitment", "=HYPERLINK(\"http://x\") æøå; \"citat\"", due="2026-12-24"),
    }
    store.save_conversation("nope", consent=False)
    return ids


def csrf(page: Any) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def audit_actions(app: FastAPI) -> list[str]:
    with app.state.store._session() as session:
        return [row[0] for row in session.connection().exec_driver_sql(
            "SELECT action FROM audit_log ORDER BY id")]


def test_every_page_needs_sign_in(client: TestClient, seeded: dict) -> None:
    for path in ("/staff/inbox", f"/staff/outcomes/{seeded['gift']}", "/staff/conversations",
                 "/staff/conversations/anna", "/staff/reports", "/staff/flags", "/staff/matches",
                 "/staff/exports/outcomes.csv"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/staff/login"), path
    assert client.get("/staff/inbox.json", headers={"accept": "application/json"}).status_code == 401


def test_inbox_filters_counts_search_and_paging(signed_in, seeded: dict) -> None:
    client = signed_in("staff", username="lise")
    page = client.get("/staff/inbox")
    text = visible_text(page)
    assert text.index("Kan jeg tale med et menneske?") < text.index("lektier om tirsdagen")  # pinned
    assert "Gave (1)" in text and "Mulighed (2)" in text and "5 udfald" in text
    gifts = client.get("/staff/inbox?kind=gift")
    assert "lektier om tirsdagen" in gifts.text and "Kan jeg tale med" not in visible_text(gifts)
    assert "Mulighed (2)" in visible_text(gifts)  # counts of the other kinds stay visible
    found = client.get("/staff/inbox.json?q=lektiehjælp").json()
    assert [o["id"] for o in found["outcomes"]] == [seeded["wish"]]
    assert client.get("/staff/inbox.json?role=employee&step=2").json()["total"] == 1
    assert client.get("/staff/inbox.json?per_page=2&page=3").json()["outcomes"][0]["id"] == seeded["gift"]
    bad = client.get("/staff/inbox?kind=wish&since=igår")
    assert bad.status_code == 400 and "kind must be one of" in visible_text(bad)
    assert client.get("/staff/inbox.json?step=9").status_code == 400


def test_bulk_assign_and_status_are_audited(app: FastAPI, signed_in, seeded: dict) -> None:
    client = signed_in("staff", username="lise")
    page = client.get("/staff/inbox")
    form = {"csrf_token": csrf(page), "action": "assign_me", "ids": [seeded["gift"], seeded["wish"]],
            "next": "/staff/inbox?kind=gift"}
    response = client.post("/staff/inbox/bulk", data=form, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/staff/inbox?kind=gift")
    mine = client.get("/staff/inbox.json?assignee=mine").json()
    assert sorted(o["id"] for o in mine["outcomes"]) == sorted([seeded["gift"], seeded["wish"]])
    client.post("/staff/inbox/bulk", data={**form, "action": "status_done", "ids": [seeded["handoff"]]})
    assert client.get("/staff/inbox.json?status=done").json()["total"] == 1
    assert audit_actions(app).count("outcome.assign") == 2 and "outcome.status" in audit_actions(app)
    no_token = client.post("/staff/inbox/bulk", data={"action": "assign_me", "ids": [seeded["gift"]]})
    assert no_token.status_code == 403


def test_outcome_page_escapes_words_and_follows_up(app: FastAPI, signed_in, seeded: dict) -> None:
    client = signed_in("staff", username="lise")
    evil = client.get(f"/staff/outcomes/{seeded['evil']}")
    assert SCRIPT not in evil.text and "&lt;script&gt;" in evil.text
    page = client.get(f"/staff/outcomes/{seeded['formula']}")
    token = csrf(page)
    client.post(f"/staff/outcomes/{seeded['formula']}/assignee", data={"csrf_token": token, "assignee": "me"})
    client.post(f"/staff/outcomes/{seeded['formula']}/notes", data={"csrf_token": token, "text": "Ring <b>fredag</b>"})
    client.post(f"/staff/outcomes/{seeded['formula']}/due", data={"csrf_token": token, "due": "2027-01-02"})
    client.post(f"/staff/outcomes/{seeded['formula']}/kept", data={"csrf_token": token, "kept": "yes"})
    view = client.get(f"/staff/outcomes/{seeded['formula']}.json").json()
    assert view["outcome"]["assignee"] == "lise" and view["outcome"]["due"] == "2027-01-02"
    assert (view["outcome"]["kept"], view["outcome"]["status"]) == (True, "done")
    assert view["outcome"]["notes"][0]["text"] == "Ring <b>fredag</b>"
    assert "contact" not in view["conversation"]  # staff do not see contact details
    assert "Ring &lt;b&gt;fredag&lt;/b&gt;" in client.get(f"/staff/outcomes/{seeded['formula']}").text
    bad = client.post(f"/staff/outcomes/{seeded['formula']}/due", data={"csrf_token": token, "due": "snart"})
    assert bad.status_code == 400 and "due must be a date" in visible_text(bad)
    assert {"outcome.assign", "outcome.note", "outcome.due", "outcome.kept"} <= set(audit_actions(app))


def test_unknown_and_unconsented_ids_are_a_friendly_404(signed_in, seeded: dict) -> None:
    client = signed_in("staff")
    for path in ("/staff/outcomes/999999", "/staff/conversations/nope", "/staff/conversations/ghost"):
        response = client.get(path)
        assert response.status_code == 404 and "Siden findes ikke" in visible_text(response), path
    assert client.get("/staff/outcomes/abc").status_code in (400, 404, 422)


def test_suggested_match_is_marked_and_shows_on_both(app: FastAPI, signed_in, seeded: dict) -> None:
    client = signed_in("staff", username="lise")
    page = client.get(f"/staff/outcomes/{seeded['gift']}")
    assert "Fælles: lektiehjælp" in visible_text(page)
    client.post(f"/staff/outcomes/{seeded['gift']}/matches",
                data={"csrf_token": csrf(page), "other_id": seeded["wish"], "note": "Ring til begge"})
    other = client.get(f"/staff/outcomes/{seeded['wish']}.json").json()
    assert [m["other"]["id"] for m in other["matches"]] == [seeded["gift"]]
    assert "Ring til begge" in visible_text(client.get("/staff/matches"))
    assert "match.create" in audit_actions(app)


def test_csv_for_danish_excel(app: FastAPI, signed_in, seeded: dict) -> None:
    staff = signed_in("staff", username="lise")
    response = staff.get("/staff/exports/outcomes.csv?kind=commitment")
    body = response.content
    assert response.headers["content-type"].startswith("text/csv")
    assert body.startswith(b"\xef\xbb\xbf") and b";" in body.split(b"\r\n")[0]
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["id", "created_at", "kind"] and "contact" not in rows[0]
    assert len(rows) == 2
    text = rows[1][rows[0].index("text")]
    assert text == "'=HYPERLINK(\"http://x\") æøå; \"citat\""
    trainer = signed_in("trainer", username="tove")
    rows = list(csv.reader(io.StringIO(trainer.get("/staff/exports/outcomes.csv").content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][-1] == "contact" and rows[1][-1] == "anna@example.dk" and len(rows) == 6
    assert "export.csv" in audit_actions(app)


def test_reports_numbers_and_links(signed_in, seeded: dict) -> None:
    client = signed_in("staff")
    data = client.get("/staff/reports.json").json()
    funnel = {s["step"]: s["count"] for s in data["funnel"]}
    assert (funnel["started"], funnel["consented"], funnel["gift"], funnel["possibility"]) == (6, 5, 1, 2)
    page = client.get("/staff/reports?role=employee")
    assert page.status_code == 200 and "<svg" in page.text and "<script" not in page.text.split("</head>")[1]
    assert 'href="/staff/inbox?role=employee&amp;kind=gift&amp;step=2"' in page.text
    assert client.get("/staff/reports?role=admin").status_code == 400


def test_transcript_bubbles_buttons_and_flag(app: FastAPI, signed_in, seeded: dict, rasa_events) -> None:
    rasa_events.bot("anna", "Må jeg gemme dine svar?", 100.0,
                    buttons=[{"title": "Ja, det er i orden", "payload": "/affirm"}])
    rasa_events.user("anna", "/affirm", 101.0)
    rasa_events.bot("anna", "Hvad drømmer du om?", 102.0)
    rasa_events.user("anna", SCRIPT, 103.0)
    client = signed_in("staff", username="lise")
    page = client.get("/staff/conversations/anna")
    text = visible_text(page)
    assert "Trykkede: Ja, det er i orden" in text and SCRIPT not in page.text
    event_id = client.get("/staff/conversations/anna.json").json()["transcript"][2]["id"]
    client.post("/staff/conversations/anna/flags",
                data={"csrf_token": csrf(page), "event_id": event_id, "comment": "Spurgte for tidligt"})
    assert "Spurgte for tidligt" in visible_text(client.get("/staff/flags"))
    assert "Spurgte for tidligt" in visible_text(client.get("/staff/conversations/anna"))
    listed = visible_text(client.get("/staff/conversations"))
    assert "5 samtaler med samtykke" in listed
    assert {"transcript.view", "flag.create"} <= set(audit_actions(app))


def test_english_ui(signed_in, seeded: dict) -> None:
    client = signed_in("staff", username="emma", language="en")
    assert "Gift (1)" in visible_text(client.get("/staff/inbox"))
    assert "From conversation to outcome" in visible_text(client.get("/staff/reports"))


def test_escaped_text_everywhere_and_json_404s(signed_in, seeded: dict) -> None:
    client = signed_in("staff")
    for path in ("/staff/inbox", "/staff/inbox?kind=possibility", "/staff/conversations/eve",
                 f"/staff/outcomes/{seeded['wish']}"):
        page = client.get(path)
        assert page.status_code == 200 and SCRIPT not in page.text, path
    assert "&lt;script&gt;" in client.get("/staff/inbox").text
    missing = client.get("/staff/outcomes/999999.json")
    assert missing.status_code == 404 and "no outcome with id 999999" in missing.json()["detail"]
