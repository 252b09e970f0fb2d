"""Finding a lexicon's terms in text with spaCy lemmas and phrase matching.

Pipelines are spaCy's blank Danish and English tokenizers with the lookup lemmatizer from
spacy-lookups-data (as in engine/prepare_spacy.py): nothing is downloaded, and they are built once
per process, on first use. A text is matched twice, token by token: its lemmas against the terms'
lemmas ("bagte" finds "bage", "kept the books" finds "keep the books"), and its word forms against
the terms' forms (as written, and what the lookup table does not know, e.g. "toemrer" for tømrer).
Both sides are lower-cased and folded (æ→ae, ø→oe, å→aa).
"""
from __future__ import annotations

import threading
from functools import lru_cache

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from .data import Concept, LexiconData, Term

_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e"})
_LOCK = threading.Lock()
MAX_CHARS = 5000  # a gift answer is a few sentences; a pasted essay is matched on its start


def fold(text: str) -> str:
    return text.lower().translate(_FOLD)


@lru_cache(maxsize=None)
def pipeline(language: str) -> Language:
    """spaCy's blank tokenizer for the language plus lookup lemmas; built once per process."""
    import spacy  # imported here: the action server pays for spaCy only when a gift is parsed

    with _LOCK:
        nlp = spacy.blank(language)
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
    return nlp


@lru_cache(maxsize=None)
def stop_words(language: str) -> frozenset[str]:
    return frozenset(fold(w) for w in pipeline(language).Defaults.stop_words)


def _lemmas_and_forms(nlp: Language, text: str) -> tuple[list[str], list[str]]:
    doc = nlp(text[:MAX_CHARS])
    tokens = [t for t in doc if not (t.is_punct or t.is_space)]
    return [fold(t.lemma_ or t.text) for t in tokens], [fold(t.text) for t in tokens]


def matches_only_as_written(term: Term, lemmas: list[str], language: str) -> bool:
    """Terms whose dictionary form is a common function word ('haven' -> 'have', 'bage' ->
    'bag') would find that word everywhere if matched by lemma, so they match as written."""
    return term.as_written or all(lemma in stop_words(language) for lemma in lemmas)


class Matcher:
    """All terms of one lexicon in one language."""

    def __init__(self, data: LexiconData, language: str) -> None:
        self.language = language
        self.nlp = pipeline(language)
        self.concepts = data.concepts
        self._by_lemma = PhraseMatcher(self.nlp.vocab)
        self._by_form = PhraseMatcher(self.nlp.vocab)
        self._ids: dict[str, tuple[str, ...]] = {}
        for index, term in enumerate(t for t in data.terms if t.language == language):
            key = f"t{index}"
            self._ids[key] = term.concept_ids
            lemmas, forms = _lemmas_and_forms(self.nlp, term.text)
            if not forms:
                continue
            self._by_form.add(key, [Doc(self.nlp.vocab, words=forms)])
            if not matches_only_as_written(term, lemmas, language):
                self._by_lemma.add(key, [Doc(self.nlp.vocab, words=lemmas)])

    def find(self, text: str) -> list[Concept]:
        """The concepts mentioned, in the order first mentioned, each once."""
        if not text or not text.strip():
            return []
        lemmas, forms = _lemmas_and_forms(self.nlp, text)
        if not forms:
            return []
        hits: list[tuple[int, int, str]] = []
        for matcher, words in ((self._by_lemma, lemmas), (self._by_form, forms)):
            doc = Doc(self.nlp.vocab, words=words)
            hits += [(start, -end, self.nlp.vocab.strings[key])
                     for key, start, end in matcher(doc)]
        found: list[Concept] = []
        for _, _, key in sorted(hits):
            for concept_id in self._ids[key]:
                concept = self.concepts[concept_id]
                if concept not in found:
                    found.append(concept)
        return found
