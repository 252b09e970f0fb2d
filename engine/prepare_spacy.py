"""Builds the Danish spaCy pipeline Rasa's SpacyNLP loads: a blank `da` tokenizer plus lemma lookups.

Runs in the engine environment (.venv-engine). Nothing is downloaded: the tokenizer rules ship with
spaCy and the lemma table with the `spacy-lookups-data` package from PyPI.
Usage: python engine/prepare_spacy.py var/spacy/da_samtale
"""
from __future__ import annotations

import sys
from pathlib import Path

import spacy


def build(target: Path) -> Path:
    nlp = spacy.blank("da")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # loads the lookup table from spacy-lookups-data
    nlp.meta["name"] = "samtale"
    nlp.meta["description"] = "Blank Danish tokenizer with lookup lemmas, for Samtale's NLU"
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    return target


if __name__ == "__main__":
    out = build(Path(sys.argv[1]))
    doc = spacy.load(out)("Vi drømmer om fællesskaber og haver")
    print(out, [t.lemma_ for t in doc])
