"""Hypothesis-generated bodies against the chat proxy: oversized, malformed JSON, wrong types,
non-UTF-8, control characters and surrogates, huge session ids, issued sessions with any text.
Every answer is a 4xx or Rasa's 503 (Rasa is down here), with a JSON detail and no traceback;
and the proxy still relays a good message after.

Bounded: MAX_EXAMPLES per strategy, deadline off.
"""

from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MAX_EXAMPLES = 60
ANSWERS = {400, 401, 403, 413, 422, 429, 503}
FUZZ = settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)
# Any code point, the surrogates and C0/C1 controls included (json.dumps escapes them).
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=6000)


def check(response) -> None:
    assert response.status_code in ANSWERS, (response.status_code, response.text[:200])
    assert "Traceback" not in response.text and 'File "' not in response.text
    assert isinstance(response.json()["detail"], (str, list))


def post(client: TestClient, raw: bytes):
    return client.post("/chat/api/messages", content=raw,
                       headers={"Content-Type": "application/json"})


def test_the_chat_proxy_survives_any_body(fuzz_app: FastAPI) -> None:
    client = TestClient(fuzz_app)
    sessions = [client.post("/chat/api/sessions", json={}).json()["session"] for _ in range(3)]
    seen: set[int] = set()

    def send(raw: bytes) -> None:
        response = post(client, raw)
        check(response)
        seen.add(response.status_code)

    @given(st.binary(max_size=512))
    @FUZZ
    def raw_bytes(raw: bytes) -> None:  # non-UTF-8, truncated, anything
        send(raw)

    @given(json_values)
    @FUZZ
    def wrong_shapes(value: object) -> None:
        send(json.dumps(value).encode())

    @given(session=st.sampled_from(sessions) | st.text(max_size=300)
           | st.text(alphabet="ab", min_size=10_000, max_size=60_000),
           message=any_text | json_values, language=st.sampled_from(["da", "en"]) | any_text)
    @FUZZ
    def chat_bodies(session: str, message: object, language: object) -> None:
        send(json.dumps({"session": session, "message": message, "language": language}).encode())

    @given(st.integers(64 * 1024 + 1, 3 * 1024 * 1024), st.sampled_from(sessions))
    @settings(FUZZ, max_examples=15)
    def oversized(size: int, session: str) -> None:
        send(json.dumps({"session": session, "message": "ø" * size}).encode())

    for fuzz in (raw_bytes, wrong_shapes, chat_bodies, oversized):
        fuzz()
    assert {413, 422, 503} <= seen  # the generators reached the size limit, validation, Rasa
    # Still answering: a good message is relayed (to a Rasa that is down here), health is fine.
    good = client.post("/chat/api/messages", json={"session": sessions[0], "message": "hej"})
    assert good.status_code == 503 and "kan ikke svare" in good.json()["detail"]
    assert client.get("/api/health").json() == {"status": "ok"}
