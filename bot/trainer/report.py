"""The test report of a model, read from Rasa's own result files, and its comparison with the
deployed model.

A test job leaves one folder per run of Rasa:

    stories/      `rasa test core`: story_report.json, failed_test_stories.yml
    nlu-<lang>/   `rasa test nlu --successes` on tests/nlu/held_out_<lang>.yml:
                  intent_report.json (per intent precision/recall/F1/support, macro avg),
                  intent_errors.json + intent_successes.json (every prediction: the confusion
                  matrix is counted from them; intent_report's `confused_with` keeps only the
                  top three)
    cv/           optional `rasa test nlu --cross-validation`: intent_report.json

The model passes when no test story failed and each language's held-out macro-F1 reaches its
floor (the same figures tests/nlu/test_held_out.py holds the shipped model to).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

# Below these the bot would misroute too many people outside a question. The held-out files hold
# only utterances that are not in nlu/ (tests/nlu/test_consistency.py); on them the trained model
# scores macro-F1 0.941 (da) and 0.961 (en), 176 utterances each (2026-12-01, after adding
# join_in and small_talk). The floors sit just under that: a point is about two messages.
MIN_MACRO_F1 = {"da": 0.93, "en": 0.95}
WORSE_TOLERANCE = 0.02  # an intent whose F1 fell by more than this is flagged
STORY_START = re.compile(r"^\s*- story:(.*)$")
STORY_FILE = re.compile(r"(.*) \((/[^()]*\.ya?ml)\)")
SUMMARY_ROWS = ("accuracy", "macro avg", "weighted avg", "micro avg")


class ReportError(Exception):
    """A result file is missing or not what Rasa writes."""


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ReportError(f"{path.name}: {error}") from None


def failed_stories(text: str) -> list[dict[str, str]]:
    """Each failed story of failed_test_stories.yml: its name and its YAML, Rasa's comments
    (`# predicted: ...`) included, as Rasa wrote it."""
    stories: list[dict[str, str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if found := STORY_START.match(line):
            current = [line]
            # Rasa appends the story's file: "name (/tmp/.../tests/stories/x.yml)"
            name, file = found.group(1).strip(), ""
            if located := STORY_FILE.fullmatch(name):
                name, file = located.group(1), Path(located.group(2)).name
                current = [line.replace(located.group(2), file)]  # not the job's scratch path
            stories.append({"name": name, "file": file, "text": ""})
        elif current is not None:
            current.append(line)
        if current is not None:
            stories[-1]["text"] = "\n".join(current).rstrip()
    return stories


def read_stories(folder: Path) -> dict[str, Any]:
    failed_file = folder / "failed_test_stories.yml"
    failed = failed_stories(failed_file.read_text(encoding="utf-8")) if failed_file.exists() else []
    conversations = {}
    if (folder / "story_report.json").exists():
        conversations = _json(folder / "story_report.json").get("conversation_accuracy") or {}
    total = conversations.get("total")
    return {"failed": failed, "total": total,
            "correct": conversations.get("correct", (total or 0) - len(failed))}


def intents_table(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    """{intent: {precision, recall, f1, support}} from an intent_report.json."""
    return {name: {"precision": round(row["precision"], 4), "recall": round(row["recall"], 4),
                   "f1": round(row["f1-score"], 4), "support": int(row["support"])}
            for name, row in sorted(report.items())
            if name not in SUMMARY_ROWS and isinstance(row, dict) and "support" in row}


def confusion(predictions: list[dict[str, Any]]) -> dict[str, Any]:
    """{labels, matrix}: matrix[i][j] = how many messages of intent labels[i] were predicted as
    labels[j] (a prediction of no intent counts as "None", as Rasa names it)."""
    pairs = [(item["intent"], (item.get("intent_prediction") or {}).get("name") or "None")
             for item in predictions]
    labels = sorted({label for pair in pairs for label in pair})
    index = {label: number for number, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for expected, predicted in pairs:
        matrix[index[expected]][index[predicted]] += 1
    return {"labels": labels, "matrix": matrix}


def read_nlu(folder: Path) -> dict[str, Any]:
    report = _json(folder / "intent_report.json")
    predictions = []
    for name in ("intent_successes.json", "intent_errors.json"):
        if (folder / name).exists():
            predictions += _json(folder / name)
    macro = report.get("macro avg", {}).get("f1-score")
    if macro is None:
        raise ReportError("intent_report.json has no macro avg")
    return {"intents": intents_table(report), "macro_f1": round(macro, 4),
            "accuracy": round(report.get("accuracy", 0.0), 4),
            "messages": len(predictions), "confusion": confusion(predictions)}


def build(outputs: Path, *, languages: list[str], cross_validation: bool = False
          ) -> dict[str, Any]:
    """The report dict the registry keeps for a model (JSON-serialisable)."""
    stories = read_stories(outputs / "stories")
    nlu = {language: read_nlu(outputs / f"nlu-{language}") for language in languages}
    criteria = [{"name": "stories", "passed": not stories["failed"],
                 "text": f"no failed test story ({len(stories['failed'])} failed)"}]
    for language, found in nlu.items():
        floor = MIN_MACRO_F1.get(language, 0.0)
        found["floor"] = floor
        criteria.append({"name": f"nlu-{language}", "passed": found["macro_f1"] >= floor,
                         "text": f"held-out macro-F1 ({language}) {found['macro_f1']:.3f}"
                                 f" (at least {floor:.2f})"})
    result: dict[str, Any] = {"stories": stories, "nlu": nlu, "criteria": criteria,
                              "passed": all(item["passed"] for item in criteria),
                              "cross_validation": None}
    if cross_validation and (outputs / "cv" / "intent_report.json").exists():
        cv = _json(outputs / "cv" / "intent_report.json")
        result["cross_validation"] = {
            "folds": 3, "macro_f1": round(cv.get("macro avg", {}).get("f1-score", 0.0), 4),
            "intents": intents_table(cv)}
    result["summary"] = summary(result)
    return result


def summary(report: dict[str, Any]) -> str:
    stories = report["stories"]
    parts = [f"stories: {len(stories['failed'])} failed"
             + (f" of {stories['total']}" if stories.get("total") else "")]
    parts += [f"{language} macro-F1 {found['macro_f1']:.3f}"
              for language, found in report["nlu"].items()]
    if report.get("cross_validation"):
        parts.append(f"cross-validation {report['cross_validation']['macro_f1']:.3f}")
    return " · ".join(parts)


def compare(report: dict[str, Any], baseline: dict[str, Any] | None,
            tolerance: float = WORSE_TOLERANCE) -> dict[str, Any]:
    """Per language and intent: this model's F1, the baseline's, the difference, and whether it
    got worse by more than the tolerance. `worse` lists those (language, intent, delta)."""
    rows: dict[str, list[dict[str, Any]]] = {}
    worse: list[dict[str, Any]] = []
    for language, found in report.get("nlu", {}).items():
        before = ((baseline or {}).get("nlu") or {}).get(language, {}).get("intents", {})
        rows[language] = []
        for intent, row in found["intents"].items():
            old = before.get(intent, {}).get("f1")
            delta = None if old is None else round(row["f1"] - old, 4)
            is_worse = delta is not None and delta < -tolerance
            rows[language].append({"intent": intent, **row, "baseline_f1": old,
                                   "delta": delta, "worse": is_worse})
            if is_worse:
                worse.append({"language": language, "intent": intent, "f1": row["f1"],
                              "baseline_f1": old, "delta": delta})
    return {"rows": rows, "worse": worse, "tolerance": tolerance,
            "has_baseline": baseline is not None}
