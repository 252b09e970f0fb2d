"""Intent accuracy on held-out utterances nobody trained on, per language (tests/nlu/held_out_*.yml).

Runs Rasa's own evaluation in the engine environment against the trained model.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Below these the bot would misroute too many people outside a question. The held-out files hold
# only utterances that are not in nlu/ (tests/nlu/test_consistency.py); on them the trained model
# scores macro-F1 0.941 (da) and 0.961 (en), 176 utterances each (2026-12-01, after adding
# join_in and small_talk). The floors sit just under that: a point is about two messages.
MIN_MACRO_F1 = {"da": 0.93, "en": 0.95}


@pytest.mark.parametrize("language", ["da", "en"])
def test_intents_are_recognised_in_held_out_text(language, tmp_path):
    model = ROOT / "models" / "samtale.tar.gz"
    assert model.exists(), "no trained model: make train"
    subprocess.run([str(ROOT / ".venv-engine/bin/rasa"), "test", "nlu", "--model", str(model),
                    "--nlu", str(ROOT / f"tests/nlu/held_out_{language}.yml"),
                    "--out", str(tmp_path)], cwd=ROOT, check=True, capture_output=True)
    report = json.loads((tmp_path / "intent_report.json").read_text())
    weakest = sorted((v["f1-score"], k) for k, v in report.items()
                     if isinstance(v, dict) and "support" in v and "avg" not in k)[:3]
    assert report["macro avg"]["f1-score"] >= MIN_MACRO_F1[language], weakest
