"""Reading a lexicon file (lexicons/skills.yml, lexicons/themes.yml) into plain objects.

The files are edited by trainers, so every mistake is reported with the file and the entry.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("da", "en")
LEXICON_DIR = Path(__file__).resolve().parents[2] / "lexicons"


class LexiconError(ValueError):
    """A lexicon file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True, eq=True)
class Concept:
    """A skill or a theme: a canonical id (stored, filtered on) and a label per language."""

    id: str
    labels: dict[str, str] = field(compare=False)

    def label(self, language: str | None) -> str:
        return self.labels.get(language or "da") or self.labels["da"]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id))


class Skill(Concept):
    """Something a person can do ("carpentry"), offered in the gift conversation."""


class Theme(Concept):
    """What a dream or an offer is about ("green_spaces")."""


@dataclass(frozen=True)
class Term:
    """One way of saying a concept (or a profession that brings several)."""

    text: str
    language: str
    concept_ids: tuple[str, ...]
    as_written: bool  # True: only this exact form matches, not its other inflections


@dataclass
class LexiconData:
    concepts: dict[str, Concept]
    terms: list[Term]


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise LexiconError(f"{where}: expected a list of words, got {value!r}")
    return [v.strip() for v in value]


def _terms_of(entry: dict, ids: tuple[str, ...], where: str) -> list[Term]:
    terms = []
    for key, as_written in (("words", False), ("as_written", True)):
        by_language = entry.get(key) or {}
        if not isinstance(by_language, dict) or set(by_language) - set(LANGUAGES):
            raise LexiconError(f"{where}.{key}: expected 'da:' and/or 'en:' lists")
        for language, words in by_language.items():
            terms += [Term(w, language, ids, as_written)
                      for w in _strings(words, f"{where}.{key}.{language}")]
    return terms


def parse(document: Any, kind: str, source: str, concept_type: type[Concept]) -> LexiconData:
    """The concepts and terms of one lexicon document (`kind` is its top-level key)."""
    if not isinstance(document, dict) or not isinstance(document.get(kind), dict):
        raise LexiconError(f"{source}: expected a top-level '{kind}:' mapping")
    concepts: dict[str, Concept] = {}
    terms: list[Term] = []
    for concept_id, entry in document[kind].items():
        where = f"{source}: {kind}.{concept_id}"
        if not isinstance(entry, dict):
            raise LexiconError(f"{where}: expected a mapping with label and words")
        labels = entry.get("label")
        if not isinstance(labels, dict) or any(not labels.get(lang) for lang in LANGUAGES):
            raise LexiconError(f"{where}.label: needs a Danish (da) and an English (en) label")
        concepts[concept_id] = concept_type(str(concept_id), {k: str(labels[k]) for k in LANGUAGES})
        found = _terms_of(entry, (str(concept_id),), where)
        if not found:
            raise LexiconError(f"{where}: has no words")
        terms += found
    for index, entry in enumerate(document.get("professions") or []):
        where = f"{source}: professions[{index}]"
        if not isinstance(entry, dict):
            raise LexiconError(f"{where}: expected a mapping with skills, da and en")
        ids = tuple(_strings(entry.get("skills"), f"{where}.skills"))
        unknown = [i for i in ids if i not in concepts]
        if not ids or unknown:
            raise LexiconError(f"{where}.skills: unknown or missing ids {unknown or ids}")
        for language in LANGUAGES:
            terms += [Term(w, language, ids, False)
                      for w in _strings(entry.get(language), f"{where}.{language}")]
    return LexiconData(concepts, terms)


def load(path: Path, kind: str, concept_type: type[Concept]) -> LexiconData:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise LexiconError(f"{path}: cannot be read: {error}") from error
    return parse(document, kind, str(path), concept_type)
