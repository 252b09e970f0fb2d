"""Skills and themes in what people write, from lexicons kept as data (lexicons/*.yml).

Used by the action server (a gift's skills) and by the staff workspace (matching gifts with
possibilities). Pure apart from reading the two files once per process:

    >>> [s.id for s in extract_skills("Jeg er pensioneret tømrer", "da")]
    ['carpentry', 'repairs']
    >>> extract_skills("I keep the books", "en")[0].label("da")
    'regnskab og bogføring'
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .data import LEXICON_DIR, LANGUAGES, Concept, LexiconError, Skill, Theme, load
from .matching import Matcher

__all__ = ["Concept", "LexiconError", "Skill", "Theme", "extract_skills", "extract_themes",
           "all_skills", "all_themes", "skill", "theme"]

_FILES = {"skills": (LEXICON_DIR / "skills.yml", Skill),
          "themes": (LEXICON_DIR / "themes.yml", Theme)}


@lru_cache(maxsize=None)
def _data(kind: str):
    path, concept_type = _FILES[kind]
    return load(Path(path), kind, concept_type)


@lru_cache(maxsize=None)
def _matcher(kind: str, language: str) -> Matcher:
    return Matcher(_data(kind), language)


def _language(language: str | None) -> str:
    return language if language in LANGUAGES else "da"


def extract_skills(text: str, language: str | None) -> list[Skill]:
    """The skills a text mentions (by name, activity or profession), first mentioned first."""
    return _matcher("skills", _language(language)).find(text)  # type: ignore[return-value]


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
