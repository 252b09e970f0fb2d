"""The staff JSON API, through FastAPI's TestClient, on a real database."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.settings import load_settings
from bot.store import OutcomeStore
from bot.web.app import create_app

NOW = 1_700_000_000.0
PROTECTED = [
    ("GET", "/api/outcomes", None),
    ("GET", "/api/conversations/c1", None),
    ("PATCH", "/api/outcomes/1", {"status": "done"}),
]


@pytest.fixture
def outcomes(store: OutcomeStore) -> dict[str, dict[str, Any]]:
    store.save_conversation(
        "c1", consent=True, role="citizen", language="da", contact="22 33 44 55"
    )
    store.save_conversation("c2", consent=True, role="employee", language="en")
    gift = store.record_outcome(
        conversation_id="c1", kind="gift", text="<script>alert(1)</script>", language="da"
    )
    dissent = store.record_outcome(
        conversation_id="c1", kind="dissent", text="'; DROP TABLE outcomes; --", language="da"
    )
    commitment = store.record_outcome(
        conversation_id="c2", kind="commitment", text="Every Tuesday 🌱", language="en"
    )
    store.update_outcome(dissent["id"], status="done")
    return {"gift": gift, "dissent": dissent, "commitment": commitment}


def ids(response: Any) -> list[int]:
    return [outcome["id"] for outcome in response.json()["outcomes"]]


def test_health_needs_no_token(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "Missing bearer token"),
        ({"Authorization": "Bearer wrong-token-wrong-token"}, "Invalid bearer token"),
        ({"Authorization": "Basic c3RhZmY6c3RhZmY="}, "Missing bearer token"),
    ],
)
def test_staff_endpoints_need_the_token(
    client: TestClient, method: str, path: str, body: Any, headers: dict, detail: str
) -> None:
    response = client.request(method, path, json=body, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_list_outcomes_newest_first_and_filtered(
    client: TestClient, staff_headers: dict, outcomes: dict
) -> None:
    gift, dissent, commitment = (outcomes[k]["id"] for k in ("gift", "dissent", "commitment"))
    everything = client.get("/api/outcomes", headers=staff_headers)
    assert everything.status_code == 200
    assert ids(everything) == [commitment, dissent, gift] and everything.json()["count"] == 3

    def listed(**params: Any) -> list[int]:
        response = client.get("/api/outcomes", params=params, headers=staff_headers)
        assert response.status_code == 200
        assert response.json()["count"] == len(response.json()["outcomes"])
        return ids(response)

    assert listed(kind="gift") == [gift]
    assert listed(status="done") == [dissent]
    assert listed(status="new", conversation_id="c1") == [gift]
    assert listed(conversation_id="nobody") == []
    assert listed(limit=1, offset=1) == [dissent]
    page = client.get("/api/outcomes", params={"limit": 1, "status": "new"},
                      headers=staff_headers).json()
    assert (page["count"], page["total"]) == (1, 2)


def test_text_comes_back_verbatim(client: TestClient, staff_headers: dict, outcomes: dict) -> None:
    response = client.get("/api/outcomes", params={"kind": "gift"}, headers=staff_headers)
    assert response.headers["content-type"] == "application/json"
    assert response.json()["outcomes"][0]["text"] == "<script>alert(1)</script>"
    assert "<script>alert(1)</script>" in response.text


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"kind": "wish"}, "kind", "Input should be 'invitation', 'possibility'"),
        ({"status": "closed"}, "status", "Input should be 'new', 'in_progress' or 'done'"),
        ({"limit": 0}, "limit", "greater than or equal to 1"),
        ({"limit": 1001}, "limit", "less than or equal to 1000"),
        ({"offset": -1}, "offset", "greater than or equal to 0"),
    ],
)
def test_list_outcomes_rejects_bad_filters(
    client: TestClient, staff_headers: dict, params: dict, field: str, message: str
) -> None:
    response = client.get("/api/outcomes", params=params, headers=staff_headers)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", field] and message in error["msg"]


def test_patch_outcome(client: TestClient, staff_headers: dict, outcomes: dict) -> None:
    url = f"/api/outcomes/{outcomes['gift']['id']}"
    response = client.patch(
        url, json={"status": "in_progress", "assignee": "karen"}, headers=staff_headers
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["assignee"], body["note"]) == ("in_progress", "karen", None)
    assert body["text"] == "<script>alert(1)</script>"

    noted = client.patch(url, json={"note": "Ringer fredag"}, headers=staff_headers).json()
    assert (noted["status"], noted["assignee"], noted["note"]) == (
        "in_progress",
        "karen",
        "Ringer fredag",
    )
    cleared = client.patch(url, json={"assignee": None}, headers=staff_headers).json()
    assert cleared["assignee"] is None and cleared["note"] == "Ringer fredag"


def test_patch_unknown_outcome(client: TestClient, staff_headers: dict) -> None:
    response = client.patch("/api/outcomes/999", json={"status": "done"}, headers=staff_headers)
    assert response.status_code == 404
    assert response.json() == {"detail": "no outcome with id 999"}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"status": "closed"}, "Input should be 'new', 'in_progress' or 'done'"),
        ({"status": None}, "status must be one of new, in_progress, done"),
        ({"priority": "high"}, "Extra inputs are not permitted"),
        ({"assignee": "a" * 256}, "at most 255 characters"),
    ],
)
def test_patch_rejects_bad_input(
    client: TestClient, staff_headers: dict, outcomes: dict, body: dict, fragment: str
) -> None:
    url = f"/api/outcomes/{outcomes['gift']['id']}"
    response = client.patch(url, json=body, headers=staff_headers)
    assert response.status_code == 422
    assert fragment in response.text
    assert "Traceback" not in response.text


def test_conversation_with_transcript_and_outcomes(
    client: TestClient, staff_headers: dict, outcomes: dict, rasa_events
) -> None:
    rasa_events.bot("c1", "Hej! Hvad er du god til?", NOW)
    rasa_events.user("c1", "Jeg bager <gerne>", NOW + 1)
    rasa_events.bot("c1", None, NOW + 2, buttons=[{"title": "Ja", "payload": "/affirm"}])

    response = client.get("/api/conversations/c1", headers=staff_headers)

    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("conversation_id", "consent", "role", "language", "contact")} == {
        "conversation_id": "c1",
        "consent": True,
        "role": "citizen",
        "language": "da",
        "contact": "22 33 44 55",
    }
    plain = {"pressed_button": False, "payload": None, "empty": False}
    assert body["transcript"] == [
        {"at": "2023-11-14T22:13:20+00:00", "speaker": "bot", "text": "Hej! Hvad er du god til?",
         **plain},
        {"at": "2023-11-14T22:13:21+00:00", "speaker": "user", "text": "Jeg bager <gerne>", **plain},
        {"at": "2023-11-14T22:13:22+00:00", "speaker": "bot", "text": "Ja", **plain},
    ]
    assert [o["id"] for o in body["outcomes"]] == [
        outcomes["gift"]["id"],
        outcomes["dissent"]["id"],
    ]


def test_conversation_before_rasa_created_its_table(
    client: TestClient, staff_headers: dict, outcomes: dict
) -> None:
    response = client.get("/api/conversations/c2", headers=staff_headers)
    assert response.status_code == 200 and response.json()["transcript"] == []


@pytest.mark.parametrize("consent", [False, None])
def test_unconsented_conversation_is_not_shown(
    client: TestClient, staff_headers: dict, store: OutcomeStore, rasa_events, consent: Any
) -> None:
    store.save_conversation("shy", consent=consent)
    rasa_events.user("shy", "Mit private svar", NOW)
    response = client.get("/api/conversations/shy", headers=staff_headers)
    assert response.status_code == 404
    assert response.json() == {"detail": "Conversation not found"}


def test_unknown_conversation(client: TestClient, staff_headers: dict) -> None:
    response = client.get("/api/conversations/nobody", headers=staff_headers)
    assert response.status_code == 404 and response.json() == {"detail": "Conversation not found"}


def test_generated_token_is_accepted(database_url: str, tmp_path: Path) -> None:
    settings = load_settings({"DATABASE_URL": database_url, "SAMTALE_VAR_DIR": str(tmp_path)})
    app = create_app(settings)
    token = (tmp_path / "staff_api_token").read_text().strip()
    response = TestClient(app).get("/api/outcomes", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json() == {"outcomes": [], "count": 0, "total": 0}
    app.state.store.close()


def test_lifespan_starts_and_stops_the_janitor(app) -> None:
    with TestClient(app) as client:
        assert client.get("/api/health").json() == {"status": "ok"}


def test_unexpected_errors_are_json_without_traceback(app) -> None:
    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    response = TestClient(app, raise_server_exceptions=False).get("/api/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error"}
    assert "secret internals" not in response.text


# ---- issue 10, 8: what a database cannot take is a 4xx, never a 500 (SQLite and PostgreSQL) ----

@pytest.mark.parametrize("field", ["note", "assignee"])
@pytest.mark.parametrize("text", ["\ud800", "Ringer \udfff fredag", "x\ud83d", "nul\x00byte"])
def test_patch_with_unstorable_text_is_a_422(
    client: TestClient, staff_headers: dict, outcomes: dict, field: str, text: str
) -> None:
    url = f"/api/outcomes/{outcomes['gift']['id']}"
    # json.dumps keeps a lone surrogate as the escape \ud800, as any JSON client may send it.
    response = client.patch(url, content=json.dumps({field: text}),
                            headers={**staff_headers, "Content-Type": "application/json"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", field] and re.search("surrogates|unicode", error["msg"])
    assert client.get("/api/outcomes", headers=staff_headers).json()["outcomes"][-1][field] is None


@pytest.mark.parametrize("outcome_id", [2**63, 2**64, 10**30, -(2**63) - 1, 0])
def test_ids_beyond_64_bits_are_a_422(
    client: TestClient, staff_headers: dict, outcomes: dict, outcome_id: int
) -> None:
    response = client.patch(f"/api/outcomes/{outcome_id}", json={"status": "done"},
                            headers=staff_headers)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == [
        "path", "outcome_id"]


@pytest.mark.parametrize("outcome_id", [2**31, 2**63 - 1])
def test_large_ids_within_64_bits_are_not_found(
    client: TestClient, staff_headers: dict, outcomes: dict, outcome_id: int
) -> None:
    response = client.patch(f"/api/outcomes/{outcome_id}", json={"status": "done"},
                            headers=staff_headers)
    assert response.status_code == 404


def test_offsets_beyond_64_bits(client: TestClient, staff_headers: dict, outcomes: dict) -> None:
    far = client.get("/api/outcomes", params={"offset": 2**63 - 1}, headers=staff_headers)
    assert far.status_code == 200 and far.json()["outcomes"] == [] and far.json()["total"] == 3
    for offset in (2**63, 2**64, 10**40):
        response = client.get("/api/outcomes", params={"offset": offset}, headers=staff_headers)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == [
            "query", "offset"]


@pytest.mark.parametrize("conversation_id", ["c1%00", "%00", "x" * 256])
def test_unstorable_conversation_ids_are_a_422(
    client: TestClient, staff_headers: dict, outcomes: dict, conversation_id: str
) -> None:
    by_path = client.get(f"/api/conversations/{conversation_id}", headers=staff_headers)
    by_query = client.get(f"/api/outcomes?conversation_id={conversation_id}",
                          headers=staff_headers)
    assert by_path.status_code == by_query.status_code == 422
