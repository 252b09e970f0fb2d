"""Skills and themes in what people write, from lexicons kept as data (lexicons/*.yml).

Used by the action server (a gift's skills) and by the staff workspace (matching gifts with
possibilities). Pure apart from reading the two files once per process:

    >>> [s.id for s in extract_skills("Jeg er pensioneret tømrer", "da")]
    ['carpentry', 'repairs']
    >>> extract_skills("I keep the books", "en")[0].label("da")
    'regnskab og bogføring'
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

from .data import LANGUAGES, LEXICON_DIR, Concept, LexiconError, Skill, Theme, load
from .matching import Matcher, build_pipeline

__all__ = ["Concept", "LexiconError", "Skill", "Theme", "all_skills", "all_themes",
           "extract_skills", "extract_themes", "skill", "theme", "warm_up"]

_FILES = {"skills": (LEXICON_DIR / "skills.yml", Skill),
          "themes": (LEXICON_DIR / "themes.yml", Theme)}


@cache
def _data(kind: str):
    path, concept_type = _FILES[kind]
    return load(Path(path), kind, concept_type)


@cache
def _pipeline(language: str):
    """One spaCy pipeline per language, shared by the skills and the themes."""
    return build_pipeline(language, [term.text for kind in _FILES for term in _data(kind).terms
                                     if term.language == language])


@cache
def _matcher(kind: str, language: str) -> Matcher:
    return Matcher(_data(kind), language, _pipeline(language))


def warm_up() -> None:
    """Build everything now (a server calls this at start, so no person waits for it)."""
    for language in LANGUAGES:
        for kind in _FILES:
            _matcher(kind, language)


def _language(language: str | None) -> str:
    return language if language in LANGUAGES else "da"


def extract_skills(text: str, language: str | None) -> list[Skill]:
    """The skills a text offers (by name, activity or profession), first mentioned first; a
    skill named as what the person cannot or will not do ("jeg kan ikke lave mad") is no offer."""
    return _matcher("skills", _language(language)).find(text, skip_negated=True)  # type: ignore[return-value]


def extract_themes(text: str, language: str | None) -> list[Theme]:
    """The themes a text is about ("green_spaces", "elderly"), first mentioned first."""
    return _matcher("themes", _language(language)).find(text)  # type: ignore[return-value]


def all_skills() -> list[Skill]:
    """Every skill in the lexicon, in file order (for filters and pickers)."""
    return list(_data("skills").concepts.values())  # type: ignore[arg-type]


def all_themes() -> list[Theme]:
    return list(_data("themes").concepts.values())  # type: ignore[arg-type]


def skill(skill_id: str) -> Skill | None:
    """The skill with this id (e.g. to show a stored `skill_ids` entry in another language)."""
    return _data("skills").concepts.get(skill_id)  # type: ignore[return-value]


def theme(theme_id: str) -> Theme | None:
    return _data("themes").concepts.get(theme_id)  # type: ignore[return-value]
