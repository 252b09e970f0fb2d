"""Schemathesis against the web service's own OpenAPI, in-process over ASGI: every operation,
with and without the staff token, its coverage cases (each parameter's boundaries, missing and
wrong-typed values, deterministic) and random cases generated from the schema (positive) and
against it (negative). No 500, no traceback to a client, and the service still answers after.

Bounded: MAX_EXAMPLES per operation and mode, Hypothesis' deadline off (a shared 2-core box).
"""

from __future__ import annotations

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode

from tests.conftest import STAFF_TOKEN

MAX_EXAMPLES = 8
TOKEN = {"Authorization": f"Bearer {STAFF_TOKEN}"}


def no_traceback(ctx, response, case) -> None:
    assert "Traceback" not in response.text and 'File "' not in response.text, "traceback"


def test_no_operation_gives_a_server_error(fuzz_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {
        "GET /api/outcomes", "PATCH /api/outcomes/{outcome_id}",
        "GET /api/conversations/{conversation_id}", "POST /chat/api/messages",
        "POST /chat/api/sessions"}
    tried = 0
    for operation in operations:
        coverage = schema.config.generation_for(operation=operation, phase="coverage")
        for case in schema.iter_coverage_cases(operation, generation_modes=list(GenerationMode),
                                               generation_config=coverage):
            response = case.call(headers=TOKEN)
            tried += 1
            case.validate_response(response, checks=[not_a_server_error, no_traceback])
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def fuzz(case) -> None:
                nonlocal tried
                for headers in (TOKEN, {}):
                    response = case.call(headers=headers)
                    tried += 1
                    case.validate_response(response, checks=[not_a_server_error, no_traceback])

            try:
                fuzz()
            except Unsatisfiable:
                # An operation with nothing to get wrong (GET /api/health) has no negative cases.
                if mode is GenerationMode.POSITIVE or operation.label != "GET /api/health":
                    raise
    assert tried > 300
    client = TestClient(fuzz_app)  # and it still answers
    assert client.get("/api/health").json() == {"status": "ok"}
    assert client.get("/api/outcomes", headers=TOKEN).status_code == 200
