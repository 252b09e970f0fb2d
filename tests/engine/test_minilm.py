"""engine/minilm.py gives the vectors sentence-transformers gives, without PyTorch.

minilm_reference.json was made once with sentence-transformers (its "made_with" says how): the
same texts must tokenise to the same ids and embed to the same unit vectors here.
"""
from __future__ import annotations

import json
from pathlib import Path

from engine_python import run_in_engine

REFERENCE = json.loads((Path(__file__).parent / "minilm_reference.json").read_text())

EMBED = r"""
import json, sys
from engine.minilm import load
texts = json.loads(sys.argv[1])
model = load()
one_by_one = [model.embed([text])[0] for text in texts]
batched = model.embed(texts, batch_size=3)  # padding inside a batch must not change a vector
print(json.dumps({"token_ids": [model.tokenize(text) for text in texts],
                  "single": [[float(x) for x in v] for v in one_by_one],
                  "batched": [[float(x) for x in v] for v in batched],
                  "long": len(model.tokenize("ord " * 1000))}))
"""


def test_tokens_and_vectors_match_sentence_transformers():
    ours = run_in_engine(EMBED, json.dumps(REFERENCE["texts"]))
    assert ours["token_ids"] == REFERENCE["token_ids"]
    for key in ("single", "batched"):
        for text, mine, theirs in zip(REFERENCE["texts"], ours[key], REFERENCE["vectors"]):
            assert len(mine) == 384
            assert max(abs(a - b) for a, b in zip(mine, theirs)) < 1e-4, (key, text)
    assert ours["long"] == 128  # cut to the model's window, [SEP] kept


def test_meaning_is_closer_than_wording():
    texts = REFERENCE["texts"]
    vectors = dict(zip(texts, REFERENCE["vectors"]))
    similar = run_in_engine(r"""
import json
from engine.minilm import load
a, b, c = load().embed(["will it rain tomorrow", "what is the weather forecast",
                        "will it help me tomorrow"])
print(json.dumps([float(a @ b), float(a @ c)]))
""")
    weather, same_words = similar
    assert weather > same_words
    assert abs(sum(x * x for x in vectors["will it rain tomorrow"]) - 1) < 1e-4
