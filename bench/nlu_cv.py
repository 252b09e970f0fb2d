"""5-fold cross-validation of an NLU pipeline, macro-F1 per language. Runs in .venv-engine.

    .venv-engine/bin/python bench/nlu_cv.py CONFIG [--folds 5] [--out result.json]

Folds are stratified by (language, intent) with a fixed seed, so two pipelines are compared on
exactly the same splits. A message classified as nlu_fallback counts as wrong.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import tempfile
import time
from collections import defaultdict
from pathlib import Path

# Every fold is trained from scratch: Rasa would otherwise reuse components it cached in an
# earlier run on the same data, and the training time would measure the cache.
os.environ["RASA_MAX_CACHE_SIZE"] = "0"

from rasa.core.agent import Agent  # noqa: E402
from rasa.model_training import train_nlu  # noqa: E402
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def examples_by_language() -> list[tuple[str, object]]:
    tagged = []
    for language in ("da", "en"):
        for message in load_data(str(ROOT / "nlu" / language)).intent_examples:
            tagged.append((language, message))
    return tagged


def assign_folds(tagged: list, folds: int, seed: int = 13) -> list[int]:
    groups = defaultdict(list)
    for index, (language, message) in enumerate(tagged):
        groups[(language, message.get("intent"))].append(index)
    fold_of = [0] * len(tagged)
    rng = random.Random(seed)
    for key in sorted(groups):
        members = groups[key]
        rng.shuffle(members)
        for position, index in enumerate(members):
            fold_of[index] = position % folds
    return fold_of


async def predict(model_path: str, texts: list[str]) -> list[str]:
    agent = Agent.load(model_path)
    predictions = []
    for text in texts:
        parsed = await agent.parse_message(text)
        predictions.append((parsed.get("intent") or {}).get("name") or "none")
    return predictions


def run(config: str, folds: int) -> dict:
    tagged = examples_by_language()
    fold_of = assign_folds(tagged, folds)
    gold, pred, langs, train_seconds = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for fold in range(folds):
            train = [m for (_, m), f in zip(tagged, fold_of) if f != fold]
            test = [(lang, m) for (lang, m), f in zip(tagged, fold_of) if f == fold]
            data_path = Path(tmp) / f"train_{fold}.yml"
            data_path.write_text(TrainingData(training_examples=train).nlu_as_yaml())
            started = time.perf_counter()
            model = train_nlu(config, str(data_path), tmp, fixed_model_name=f"fold{fold}")
            train_seconds.append(time.perf_counter() - started)
            pred += asyncio.run(predict(model, [m.get("text") for _, m in test]))
            gold += [m.get("intent") for _, m in test]
            langs += [lang for lang, _ in test]
            print(f"fold {fold + 1}/{folds} trained in {train_seconds[-1]:.0f} s", flush=True)
    result = {"config": config, "folds": folds, "examples": len(tagged),
              "measured_on": time.strftime("%Y-%m-%d"),
              "train_seconds_per_fold": sorted(train_seconds)[len(train_seconds) // 2]}
    for language in ("da", "en"):
        idx = [i for i, lang in enumerate(langs) if lang == language]
        result[f"macro_f1_{language}"] = f1_score([gold[i] for i in idx], [pred[i] for i in idx],
                                                  average="macro",
                                                  labels=sorted({gold[i] for i in idx}))
    return result


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    parser = argparse.ArgumentParser()
    parser.add_argument("config")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out")
    args = parser.parse_args()
    outcome = run(args.config, args.folds)
    print(json.dumps(outcome))
    if args.out:
        Path(args.out).write_text(json.dumps(outcome, indent=2))
