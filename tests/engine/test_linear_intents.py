"""engine/linear_intents.py inside a real Rasa NLU pipeline: trained, saved, loaded, asked."""
from __future__ import annotations

import textwrap

from engine_python import run_in_engine

DATA = textwrap.dedent("""\
    version: "3.1"
    nlu:
    - intent: ask_weather
      examples: |
        - what is the weather like
        - will it be sunny tomorrow
        - is it going to snow
        - how warm is it outside
        - do I need an umbrella today
    - intent: offer_help
      examples: |
        - I can help with homework
        - I could drive people to the doctor
        - I am good at fixing bikes
        - I have time to cook for the neighbours
        - I can teach someone to knit
    - intent: greet
      examples: |
        - hello
        - hi there
        - good morning
        - hey
        - hej
    """)

PIPELINE = """
import asyncio, json, sys, tempfile, logging
logging.disable(logging.WARNING)
from pathlib import Path
from rasa.core.agent import Agent
from rasa.model_training import train_nlu
config, data, *texts = sys.argv[1:]
with tempfile.TemporaryDirectory() as tmp:
    Path(tmp, "config.yml").write_text(config)
    Path(tmp, "nlu.yml").write_text(data)
    model = train_nlu(str(Path(tmp, "config.yml")), str(Path(tmp, "nlu.yml")), tmp,
                      fixed_model_name="tiny")
    agent = Agent.load(model)  # from the saved archive: the SVM went through joblib and back
    parsed = [asyncio.run(agent.parse_message(text)) for text in texts]
print(json.dumps([{"intent": p["intent"], "ranking": p.get("intent_ranking", [])}
                  for p in parsed]))
"""

CONFIG = """
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 2
    max_ngram: 4
  %s
  - name: engine.linear_intents.LinearIntentClassifier
    ranking_length: 2
"""


def classify(texts: list[str], with_minilm: bool = True) -> list[dict]:
    featurizer = "- name: engine.minilm.MiniLMFeaturizer" if with_minilm else ""
    return run_in_engine(PIPELINE, CONFIG % featurizer, DATA, *texts)


def test_trained_classifier_survives_saving_and_names_the_intent():
    hello, bike, rain = classify(["hello there", "I am good at fixing cars", "will it rain"])
    assert hello["intent"]["name"] == "greet"
    assert bike["intent"]["name"] == "offer_help"
    # No word of "will it rain" is about weather in the data but "will": the sentence vector
    # is what says it is weather, not help or greeting.
    assert rain["intent"]["name"] == "ask_weather"
    for parsed in (hello, bike, rain):
        confidences = [entry["confidence"] for entry in parsed["ranking"]]
        assert len(confidences) == 2  # ranking_length
        assert confidences == sorted(confidences, reverse=True)
        assert 0 < confidences[-1] <= confidences[0] <= 1
        assert parsed["intent"]["confidence"] == confidences[0]


def test_works_on_n_grams_alone_when_the_pipeline_has_no_sentence_vectors():
    (bike,) = classify(["I am good at fixing bikes and cars"], with_minilm=False)
    assert bike["intent"]["name"] == "offer_help"
