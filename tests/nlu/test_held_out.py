"""Intent accuracy on held-out utterances nobody trained on, per language (tests/nlu/held_out_*.yml).

Runs Rasa's own evaluation in the engine environment against the trained model.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Below these the bot would misroute too many people outside a question. The trained model
# scores 0.93 (da) and 0.94 (en) here (DIET, before it: 0.95 and 0.91; 160 utterances each,
# so a point is about two messages: 5-fold cross-validation in `make bench` is the measure).
MIN_MACRO_F1 = {"da": 0.88, "en": 0.88}


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
