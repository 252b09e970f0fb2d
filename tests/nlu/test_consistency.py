"""The held-out utterances are truly unseen: none of them is in the training data (nlu/)."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def normalised(example: str) -> str:
    """Lower-case, entity annotations ("[Odense](city)", "[x]{...}") reduced to their words."""
    example = re.sub(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})", r"\1", example)
    return " ".join(example.lower().split())


def examples(path: Path) -> dict[str, str]:
    found = {}
    for block in yaml.safe_load(path.read_text()).get("nlu") or []:
        for line in (block.get("examples") or "").splitlines():
            if line.strip().startswith("- "):
                found[normalised(line.strip()[2:])] = block["intent"]
    return found


def test_normalising_strips_annotations_and_case():
    assert normalised("Jeg bor i [Odense](city)  nu") == "jeg bor i odense nu"
    assert normalised('I live in [Aarhus]{"entity": "city"}') == "i live in aarhus"


def test_held_out_utterances_never_appear_in_the_training_data():
    training: dict[str, str] = {}
    for path in sorted((ROOT / "nlu").rglob("*.yml")):  # both languages: people mix them
        training.update(examples(path))
    for language in ("da", "en"):
        held_out = examples(ROOT / "tests" / "nlu" / f"held_out_{language}.yml")
        assert len(held_out) >= 150, language
        overlap = sorted(text for text in held_out if text in training)
        assert overlap == [], (language, overlap)


def test_every_intent_is_measured_in_both_languages():
    domain_intents = set(yaml.safe_load((ROOT / "domain" / "core.yml").read_text())["intents"])
    for language in ("da", "en"):
        held_out = set(examples(ROOT / "tests" / "nlu" / f"held_out_{language}.yml").values())
        assert domain_intents - {"choose"} == held_out, language
