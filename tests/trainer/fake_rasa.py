#!/usr/bin/env python3
"""Stands in for the engine's `rasa` in the job runner's tests: a real process that prints what
Rasa prints while training and writes the files Rasa writes, in Rasa's format but tiny. It runs
as FAKE_RASA_MODE says:

    ok       train: four components, then a model file; test: all stories and intents right
    fail     train: Rasa's way of failing on bad data (an ERROR line, a traceback), exit 1
    wait     train: print, then wait until the file FAKE_RASA_GO exists (for one-at-a-time)
    badstory test: one story fails, with an intent name that needs escaping

Every call is appended to FAKE_RASA_CALLS (one JSON line) so tests can see the arguments.
"""

import json
import os
import sys
import time
from pathlib import Path

arguments = sys.argv[1:]
mode = os.environ.get("FAKE_RASA_MODE", "ok")
if os.environ.get("FAKE_RASA_CALLS"):
    with open(os.environ["FAKE_RASA_CALLS"], "a") as calls:
        calls.write(json.dumps({"args": arguments, "cwd": os.getcwd(),
                                "pythonpath": os.environ.get("PYTHONPATH"),
                                "telemetry": os.environ.get("RASA_TELEMETRY_ENABLED")}) + "\n")


def option(name: str) -> str:
    return arguments[arguments.index(name) + 1]


if arguments[0] == "train":
    print("2026-12-01 11:00:00 INFO     rasa.engine.training.hooks  - Starting to train component 'SpacyNLP'.", flush=True)
    print("2026-12-01 11:00:01 INFO     rasa.engine.training.hooks  - Finished training component 'SpacyNLP'.", flush=True)
    if mode == "wait":
        while not Path(os.environ["FAKE_RASA_GO"]).exists():
            time.sleep(0.05)
    if mode == "fail":
        print("Traceback (most recent call last):")
        print('  File "rasa/shared/core/domain.py", line 1, in load')
        print("rasa.shared.exceptions.InvalidDomain: The domain <b>opening.yml</b> is broken: "
              "duplicate response 'utter_greet'", flush=True)
        sys.exit(1)
    for name in ("CountVectorsFeaturizer", "LinearIntentClassifier", "RulePolicy"):
        print(f"INFO rasa.engine.training.hooks  - Starting to train component '{name}'.", flush=True)
        print(f"INFO rasa.engine.training.hooks  - Finished training component '{name}'.", flush=True)
    out = Path(option("--out"))
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{option('--fixed-model-name')}.tar.gz").write_bytes(os.urandom(64))
    print(f"Your Rasa model is trained and saved at '{out}'.")
    sys.exit(0)

out = Path(option("--out"))
out.mkdir(parents=True, exist_ok=True)
if arguments[:2] == ["test", "core"]:
    failed = mode == "badstory"
    (out / "story_report.json").write_text(json.dumps({"conversation_accuracy": {
        "accuracy": 0.5 if failed else 1.0, "correct": 1 if failed else 2, "with_warnings": 0,
        "total": 2}}))
    (out / "failed_test_stories.yml").write_text(
        "version: \"3.1\"\nstories:\n- story: gift <script>alert(1)</script> (/tmp/x/t.yml)\n"
        "  steps:\n"
        "  - intent: greet\n  - action: utter_greet  # predicted: action_listen\n"
        if failed else "# None of the test stories failed - all good!")
    sys.exit(1 if failed and "--fail-on-prediction-errors" in arguments else 0)
if arguments[:2] == ["test", "nlu"]:
    rows = {"greet": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 2,
                      "confused_with": {}},
            "goodbye": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 1,
                        "confused_with": {}},
            "accuracy": 1.0,
            "macro avg": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 3},
            "weighted avg": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 3}}
    (out / "intent_report.json").write_text(json.dumps(rows))
    successes = [{"text": t, "intent": i, "intent_prediction": {"name": i, "confidence": 0.9}}
                 for t, i in (("hej", "greet"), ("goddag", "greet"), ("farvel", "goodbye"))]
    (out / "intent_successes.json").write_text(json.dumps(successes))
    (out / "intent_errors.json").write_text("[]")
    sys.exit(0)
sys.exit(f"fake rasa: unknown command {arguments}")
