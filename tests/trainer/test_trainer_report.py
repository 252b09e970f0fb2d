"""The test report read from Rasa's own result files: produced here, once per session, by the
engine's Rasa with the project's trained model (models/samtale.tar.gz, `make train`) on the
held-out Danish messages and on the test stories plus one story that must fail. Also the SVG
confusion matrix and the comparison with the deployed model."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from bot.settings import ROOT
from bot.trainer import report as reports
from bot.trainer.svg import confusion_matrix

MODEL = ROOT / "models" / "samtale.tar.gz"
WRONG_STORY = """version: "3.1"
stories:
  - story: greeting answered with <goodbye>
    steps:
      - user: |
          hej
        intent: greet
      - action: utter_goodbye
"""


def rasa(*arguments: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    done = subprocess.run([str(ROOT / ".venv-engine" / "bin" / "rasa"), *arguments], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.fixture(scope="session")
def rasa_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Rasa's result folders, as a test job leaves them: stories/ and nlu-da/."""
    assert MODEL.exists(), "no trained model: make train"
    out = tmp_path_factory.mktemp("rasa-results")
    stories = out / "test-stories"
    stories.mkdir()
    (stories / "conversations.yml").write_text(
        (ROOT / "tests" / "stories" / "test_conversations.yml").read_text(encoding="utf-8"))
    (stories / "wrong.yml").write_text(WRONG_STORY)
    rasa("test", "core", "--stories", str(stories), "--model", str(MODEL), "--out",
         str(out / "stories"), "--no-plot")
    rasa("test", "nlu", "--nlu", str(ROOT / "tests" / "nlu" / "held_out_da.yml"), "--model",
         str(MODEL), "--out", str(out / "nlu-da"), "--successes", "--no-plot")
    return out


def test_the_report_reads_rasas_nlu_evaluation(rasa_results: Path) -> None:
    found = reports.build(rasa_results, languages=["da"])
    da = found["nlu"]["da"]
    held_out = yaml.safe_load((ROOT / "tests/nlu/held_out_da.yml").read_text(encoding="utf-8"))
    counts = {item["intent"]: len([line for line in item["examples"].splitlines() if line.strip()])
              for item in held_out["nlu"]}
    assert {name: row["support"] for name, row in da["intents"].items()
            if row["support"]} == counts
    assert da["messages"] == sum(counts.values())
    # the macro-F1 is Rasa's own figure, the one tests/nlu/test_held_out.py holds to the floor
    import json

    rasa_report = json.loads((rasa_results / "nlu-da" / "intent_report.json").read_text())
    assert da["macro_f1"] == round(rasa_report["macro avg"]["f1-score"], 4)
    assert da["floor"] == reports.MIN_MACRO_F1["da"] == 0.93
    assert found["criteria"][1] == {
        "name": "nlu-da", "passed": da["macro_f1"] >= 0.93,
        "text": f"held-out macro-F1 (da) {da['macro_f1']:.3f} (at least 0.93)"}
    # the confusion matrix: each row sums to the intent's messages, the diagonal to those right
    labels, matrix = da["confusion"]["labels"], da["confusion"]["matrix"]
    for intent, row in da["intents"].items():
        line = matrix[labels.index(intent)]
        assert sum(line) == row["support"], intent
        assert line[labels.index(intent)] == round(row["recall"] * row["support"]), intent
    errors = json.loads((rasa_results / "nlu-da" / "intent_errors.json").read_text())
    assert sum(map(sum, matrix)) - sum(matrix[i][i] for i in range(len(labels))) == len(errors)


def test_the_report_lists_the_failed_story_with_rasas_comments(rasa_results: Path) -> None:
    found = reports.build(rasa_results, languages=["da"])
    stories = found["stories"]
    [failed] = stories["failed"]
    assert failed["name"] == "greeting answered with <goodbye>" and failed["file"] == "wrong.yml"
    assert "utter_goodbye" in failed["text"] and "# predicted:" in failed["text"]
    shipped = yaml.safe_load((ROOT / "tests/stories/test_conversations.yml").read_text())
    assert stories["total"] == len(shipped["stories"]) + 1
    assert stories["correct"] == len(shipped["stories"])
    assert found["passed"] is False and found["criteria"][0]["passed"] is False
    assert found["summary"].startswith(f"stories: 1 failed of {stories['total']} · da macro-F1 ")


def test_the_confusion_matrix_svg_shows_counts_and_escapes_labels() -> None:
    svg = confusion_matrix(["greet", "<script>alert(1)</script>"], [[3, 1], [0, 2]],
                           title='Confusion "da"')
    assert "<script>" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    soup = BeautifulSoup(svg, "html.parser")
    cells = soup.find_all("rect")
    assert [int(cell["data-count"]) for cell in cells] == [3, 1, 0, 2]
    assert [cell["class"] for cell in cells] == [["cell", "hit"], ["cell", "miss"],
                                                 ["cell", "empty"], ["cell", "hit"]]
    assert [text.get_text() for text in soup.find_all("text", class_="count")] == ["3", "1", "2"]
    assert [text.get_text() for text in soup.find_all("text", class_="row-label")] == [
        "greet", "<script>alert(1)</script>"]
    assert cells[1].find("title").get_text() == "greet → <script>alert(1)</script>: 1"
    assert soup.find("svg").find("title").get_text() == 'Confusion "da"'
    # the shade is the share of the row
    assert float(cells[0]["fill-opacity"]) > float(cells[2]["fill-opacity"])
    assert float(cells[3]["fill-opacity"]) == 1.0  # 2 of 2 right


def _report(f1: dict[str, float]) -> dict:
    return {"nlu": {"da": {"intents": {name: {"precision": 1.0, "recall": 1.0, "f1": value,
                                              "support": 8} for name, value in f1.items()}}}}


def test_the_comparison_flags_each_intent_worse_beyond_the_tolerance() -> None:
    new = _report({"greet": 0.80, "goodbye": 0.99, "thank": 1.0, "join_in": 0.5})
    old = _report({"greet": 0.90, "goodbye": 1.0, "thank": 0.9})
    found = reports.compare(new, old)
    assert found["worse"] == [{"language": "da", "intent": "greet", "f1": 0.8,
                               "baseline_f1": 0.9, "delta": -0.1}]
    rows = {row["intent"]: row for row in found["rows"]["da"]}
    assert rows["goodbye"]["delta"] == -0.01 and not rows["goodbye"]["worse"]  # within 0.02
    assert rows["thank"]["delta"] == 0.1 and not rows["thank"]["worse"]
    assert rows["join_in"]["baseline_f1"] is None and not rows["join_in"]["worse"]  # new intent
    nothing = reports.compare(new, None)
    assert nothing["worse"] == [] and nothing["has_baseline"] is False
