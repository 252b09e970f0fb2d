"""Matching gifts to possibilities: suggestions ranked and explained, and the matches staff make.

What an outcome is about comes from the skills/themes lexicon (bot/lexicon, data in
lexicons/*.yml): a gift's stored `skill_ids` (the action server extracted them when it was
said) plus what the lexicon finds in its words; a possibility's skills and themes from its
words; the days from a gift's stored availability or from the words. A suggestion shares at
least one skill or theme; days only add to the score. Nothing here is sent to the citizens.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from .. import validation as check
from ..errors import InvalidValue
from ..followup_models import Match
from ..models import Outcome
from .common import consented, iso, outcome_dict, outcome_row

try:  # the shared lexicon (parsing helper); the old keyword list until it is merged
    from bot.lexicon import extract_skills, extract_themes
    from bot.lexicon import skill as lexicon_skill
    from bot.lexicon import theme as lexicon_theme
except ImportError:  # pragma: no cover - only before bot/lexicon exists
    extract_skills = extract_themes = lexicon_skill = lexicon_theme = None  # type: ignore[assignment]

WEIGHTS = {"skill": 3, "theme": 2, "day": 1}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Weekday names (a closed class, not a lexicon): Danish with -e/-en/-ene endings, English -s.
_DAY_NAMES = {
    "mon": ("mandag", "monday"), "tue": ("tirsdag", "tuesday"), "wed": ("onsdag", "wednesday"),
    "thu": ("torsdag", "thursday"), "fri": ("fredag", "friday"), "sat": ("lørdag", "saturday"),
    "sun": ("søndag", "sunday"),
}  # fmt: skip
_DAY_LABELS = {
    "da": dict(zip(DAYS, ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"), strict=True)),
    "en": dict(zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)),
}
_DAY_PATTERN = {
    day: re.compile(rf"\b(?:{'|'.join(names)})(?:e|en|ene|s)?\b", re.IGNORECASE)
    for day, names in _DAY_NAMES.items()
}
MAX_CANDIDATES = 2000  # the most recent open possibilities (or gifts) considered
MAX_NOTE_LENGTH = 2000


@dataclass(frozen=True)
class Terms:
    skills: frozenset[str]
    themes: frozenset[str]
    days: frozenset[str]


def days_in(text: str) -> list[str]:
    return [day for day in DAYS if _DAY_PATTERN[day].search(text or "")]


@functools.lru_cache(maxsize=50_000)
def _text_terms(text: str, language: str) -> tuple[frozenset[str], frozenset[str]]:
    if extract_skills is None:
        from actions.parsing import extract_skills as keyword_skills

        return frozenset(keyword_skills(text, language)), frozenset()
    return (frozenset(s.id for s in extract_skills(text, language)),
            frozenset(t.id for t in extract_themes(text, language)))


def terms_of(outcome: dict[str, Any]) -> Terms:
    details = outcome.get("details") or {}
    skills, themes = _text_terms(outcome["text"], outcome["language"])
    stored = details.get("skill_ids") or ([] if extract_skills else details.get("skills")) or []
    availability = details.get("availability")
    if isinstance(availability, dict):
        days = set(availability.get("days") or []) or set(days_in(availability.get("text") or ""))
    else:
        days = set(days_in(availability if isinstance(availability, str) else ""))
    days |= set(days_in(outcome["text"]))
    return Terms(skills | {str(s) for s in stored}, themes, frozenset(d for d in days if d in DAYS))


def label(kind: str, key: str, language: str) -> str:
    if kind == "day":
        return _DAY_LABELS.get(language, _DAY_LABELS["da"]).get(key, key)
    concept = None
    if kind == "skill" and lexicon_skill is not None:
        concept = lexicon_skill(key)
    elif kind == "theme" and lexicon_theme is not None:
        concept = lexicon_theme(key)
    return concept.label(language) if concept is not None else key.replace("_", " ")


def explain(a: Terms, b: Terms, language: str) -> tuple[int, list[dict[str, str]]]:
    """The score of a pair and what they share, skills first, then themes, then days."""
    shared = [("skill", k) for k in sorted(a.skills & b.skills)]
    shared += [("theme", k) for k in sorted(a.themes & b.themes)]
    if not shared:
        return 0, []
    shared += [("day", k) for k in DAYS if k in a.days & b.days]
    score = sum(WEIGHTS[kind] for kind, _ in shared)
    return score, [{"kind": kind, "id": key, "label": label(kind, key, language)} for kind, key in shared]


class Matching:
    _session: Any

    def suggestions(self, outcome_id: int, *, language: str = "da", limit: int = 10) -> list[dict[str, Any]]:
        """For a gift the possibilities that fit it, for a possibility the gifts; best first.

        Each: {"outcome": ..., "score": int, "shares": [{"kind", "id", "label"}], "matched": bool}.
        """
        check.page(limit, 0)
        with self._session() as session:
            row = outcome_row(session, outcome_id)
            if row.kind not in ("gift", "possibility"):
                return []
            other = "possibility" if row.kind == "gift" else "gift"
            own = outcome_dict(row)
            candidates = session.scalars(
                consented(select(Outcome))
                .where(Outcome.kind == other, Outcome.status != "done",
                       Outcome.conversation_id != row.conversation_id)
                .order_by(Outcome.created_at.desc(), Outcome.id.desc())
                .limit(MAX_CANDIDATES)
            ).all()
            matched = _matched_ids(session, row.id)
            candidates = [outcome_dict(c) for c in candidates]
        mine = terms_of(own)
        ranked = []
        for candidate in candidates:
            score, shares = explain(mine, terms_of(candidate), language)
            if score:
                ranked.append({"outcome": candidate, "score": score, "shares": shares,
                               "matched": candidate["id"] in matched})
        ranked.sort(key=lambda s: s["outcome"]["created_at"], reverse=True)
        ranked.sort(key=lambda s: -s["score"])  # stable: newest first within a score
        return ranked[:limit]

    def mark_match(self, gift_id: int, possibility_id: int, *, author: str,
                   note: str | None = None) -> dict[str, Any]:
        """Staff decide a gift and a possibility belong together (once per pair)."""
        check.identifier("author", author)
        check.text("note", note, nullable=True, max_length=MAX_NOTE_LENGTH)
        try:
            with self._session(write=True) as session:
                gift, possibility = outcome_row(session, gift_id), outcome_row(session, possibility_id)
                if (gift.kind, possibility.kind) != ("gift", "possibility"):
                    raise InvalidValue("a match joins a gift and a possibility")
                match = Match(gift_id=gift.id, possibility_id=possibility.id, author=author,
                              note=note or None)
                session.add(match)
                session.flush()
                return _match_dict(match)
        except IntegrityError:
            raise InvalidValue(f"gift {gift_id} and possibility {possibility_id} are already a match") from None

    def matches_for(self, outcome_id: int) -> list[dict[str, Any]]:
        """The matches an outcome is part of, each with the other outcome."""
        with self._session() as session:
            row = outcome_row(session, outcome_id)
            rows = session.scalars(
                select(Match).where(or_(Match.gift_id == row.id, Match.possibility_id == row.id))
                .order_by(Match.created_at, Match.id)
            ).all()
            result = []
            for match in rows:
                other_id = match.possibility_id if match.gift_id == row.id else match.gift_id
                other = session.get(Outcome, other_id)
                result.append(_match_dict(match) | {"other": outcome_dict(other) if other else None})
            return result

    def matches(self, *, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Every match, newest first, with both outcomes."""
        check.page(limit, offset)
        with self._session() as session:
            rows = session.scalars(
                select(Match).order_by(Match.created_at.desc(), Match.id.desc()).limit(limit).offset(offset)
            ).all()
            out = []
            for match in rows:
                gift, possibility = session.get(Outcome, match.gift_id), session.get(Outcome, match.possibility_id)
                out.append(_match_dict(match) | {"gift": outcome_dict(gift), "possibility": outcome_dict(possibility)})
            return out


def _matched_ids(session: Any, outcome_id: int) -> set[int]:
    rows = session.execute(
        select(Match.gift_id, Match.possibility_id)
        .where(or_(Match.gift_id == outcome_id, Match.possibility_id == outcome_id))
    ).all()
    return {g if p == outcome_id else p for g, p in rows}


def _match_dict(match: Match) -> dict[str, Any]:
    return {"id": match.id, "gift_id": match.gift_id, "possibility_id": match.possibility_id,
            "author": match.author, "note": match.note, "created_at": iso(match.created_at)}
