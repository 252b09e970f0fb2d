"""Finding a lexicon's terms in text with spaCy lemmas and phrase matching.

Pipelines are spaCy's blank Danish and English tokenizers with the lookup lemmatizer and its
table from spacy-lookups-data (as in engine/prepare_spacy.py): nothing is downloaded, and each
is built once per process, on first use. A text is matched twice, token by token: its lemmas
against the terms' lemmas ("bagte" finds "bage", "kept the books" finds "keep the books"), and
its word forms against the terms' forms (as written, and what the lookup table does not know,
e.g. "toemrer" for tømrer). Both sides are lower-cased and folded (æ→ae, ø→oe, å→aa).

The Danish lookup table has 553,000 word forms (about 180 MB as a spaCy table). Only the entries
that can matter are kept: forms whose lemma is a lemma of some term, and the terms' own words.
Every other form lemmatises to itself, which matches no term either way, so matching is the
same as with the whole table, for a few hundred kilobytes.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from .data import Concept, LexiconData, Term

if TYPE_CHECKING:  # spaCy is imported when a pipeline is built, not when this module is
    from spacy.language import Language

_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e"})
_LOCK = threading.Lock()
MAX_CHARS = 5000  # a gift answer is a few sentences; a pasted essay is matched on its start


def fold(text: str) -> str:
    return text.lower().translate(_FOLD)


def build_pipeline(language: str, terms: Iterable[str]) -> Language:
    """spaCy's blank tokenizer plus lookup lemmas, its table cut down to what `terms` need."""
    import spacy
    from spacy.lookups import Lookups, load_language_data
    from spacy.util import registry

    with _LOCK:
        nlp = spacy.blank(language)
        table: dict[str, str] = load_language_data(registry.lookups.get(language)["lemma_lookup"])
        words = {token.text for term in terms for token in nlp.make_doc(term.lower())}
        lemmas = {table.get(word, word) for word in words}
        # Copies, so that no string of the big table outlives it (they would pin its memory).
        kept = {_copy(form): _copy(lemma) for form, lemma in table.items()
                if lemma in lemmas or form in words}
        del table
        lookups = Lookups()
        lookups.add_table("lemma_lookup", kept)
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"}).initialize(lookups=lookups)
    return nlp


def _copy(text: str) -> str:
    return text.encode().decode()


@cache
def stop_words(language: str) -> frozenset[str]:
    import spacy

    return frozenset(fold(w) for w in spacy.blank(language).Defaults.stop_words)


def _lemmas_and_forms(nlp: Language, text: str) -> tuple[list[str], list[str]]:
    lemmas, forms, _ = _tokens(nlp, text)
    return lemmas, forms


def _tokens(nlp: Language, text: str) -> tuple[list[str], list[str], list[int]]:
    """Lemmas and forms of the words, and each word's clause (a number that grows at every
    punctuation mark and at 'men' / 'but': a negation reaches no further)."""
    doc = nlp(text[:MAX_CHARS].lower())  # the table's forms are lower-case ("Tømrer er jeg")
    lemmas, forms, clauses, clause = [], [], [], 0
    for token in doc:
        if token.is_space:
            continue
        if token.is_punct or fold(token.text) in CLAUSE_BREAKS:
            clause += 1
            if token.is_punct:
                continue
        lemmas.append(fold(token.lemma_ or token.text))
        forms.append(fold(token.text))
        clauses.append(clause)
    return lemmas, forms, clauses


# "Jeg kan ikke lave mad", "I can't drive", "aldrig været god til at bage": the skill is what
# the person cannot give. The cue must come shortly before the term, in the same clause; "ikke
# noget imod" / "don't mind" and "ikke kun" / "not only" are no negation.
NEGATIONS = frozenset({"ikke", "aldrig", "ingen", "intet", "ej", "not", "n't", "never", "no",
                       "cannot", "cant", "neither", "nor"})
NOT_NEGATING_AFTER_CUE = frozenset({"imod", "mod", "mind", "kun", "bare", "only", "just",
                                    "blot", "alene"})
CLAUSE_BREAKS = frozenset({"men", "but", "however", "although", "though", "dog", "derimod"})
NEGATION_REACH = 5  # words before the term


def is_negated(forms: list[str], clauses: list[int], start: int) -> bool:
    """Is the term starting at word `start` negated by a cue shortly before it?"""
    for index in range(max(0, start - NEGATION_REACH), start):
        if forms[index] in NEGATIONS and clauses[index] == clauses[start]:
            between = forms[index + 1:start + 1]
            if not NOT_NEGATING_AFTER_CUE.intersection(between):
                return True
    return False


def matches_only_as_written(term: Term, lemmas: list[str], language: str) -> bool:
    """Terms whose dictionary form is a common function word ('haven' -> 'have', 'bage' ->
    'bag') would find that word everywhere if matched by lemma, so they match as written."""
    return term.as_written or all(lemma in stop_words(language) for lemma in lemmas)


class Matcher:
    """All terms of one lexicon in one language."""

    def __init__(self, data: LexiconData, language: str, nlp: Language | None = None) -> None:
        from spacy.matcher import PhraseMatcher
        from spacy.tokens import Doc

        self._doc = Doc
        self.language = language
        self.nlp = nlp or build_pipeline(
            language, [t.text for t in data.terms if t.language == language])
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

    def find(self, text: str, *, skip_negated: bool = False) -> list[Concept]:
        """The concepts mentioned, in the order first mentioned, each once; with
        `skip_negated`, not those only mentioned as what the person does not do."""
        if not text or not text.strip():
            return []
        lemmas, forms, clauses = _tokens(self.nlp, text)
        if not forms:
            return []
        hits: list[tuple[int, int, str]] = []
        for matcher, words in ((self._by_lemma, lemmas), (self._by_form, forms)):
            doc = self._doc(self.nlp.vocab, words=words)
            hits += [(start, -end, self.nlp.vocab.strings[key])
                     for key, start, end in matcher(doc)]
        found: list[Concept] = []
        for start, _, key in sorted(hits):
            if skip_negated and is_negated(forms, clauses, start):
                continue
            for concept_id in self._ids[key]:
                concept = self.concepts[concept_id]
                if concept not in found:
                    found.append(concept)
        return found
