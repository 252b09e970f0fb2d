"""Full-text search over the person's words, the same hits on SQLite and PostgreSQL.

PostgreSQL searches `to_tsvector('danish', text)` (GIN index, migration 0004). SQLite has no
Danish stemmer, so the store keeps a stemmed copy of each outcome's text in the FTS5 table
`outcomes_fts`, made the way PostgreSQL's `danish` configuration makes its lexemes: words split
on anything that is not a letter or digit (hyphenated words also kept whole), lower-cased,
Snowball's Danish stop words dropped (the list PostgreSQL ships, `danish_stopwords.txt`), the
rest stemmed with the same Snowball Danish stemmer. A query is every remaining term, ANDed, as
`plainto_tsquery` does. tests/store/test_search.py checks both backends return the same ids.

The copy is personal data: a trigger deletes a row's copy with the outcome (erasure, retention).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import snowballstemmer
from sqlalchemy import ColumnElement, func, literal_column, select, text
from sqlalchemy.orm import Session

from .models import Outcome

FTS_TABLE = "outcomes_fts"
# A word, or a hyphenated compound kept whole as PostgreSQL's parser does ("fælles-have").
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_SYNC_BATCH = 2000


@functools.cache
def _stopwords() -> frozenset[str]:
    path = Path(__file__).with_name("danish_stopwords.txt")
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


@functools.cache
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("danish")


def lexemes(value: str) -> list[str]:
    """The stemmed terms of a text, in order (duplicates kept)."""
    stop = _stopwords()
    stem = _stemmer().stemWord
    terms: list[str] = []
    for match in _WORD.finditer(value.lower()):
        word = match.group()
        parts = [word, *word.split("-")] if "-" in word else [word]
        terms.extend(stem(part) for part in parts if part not in stop)
    return terms


def query_terms(query: str) -> list[str]:
    """The distinct terms a search must all find; [] when only stop words were given."""
    return list(dict.fromkeys(lexemes(query)))


def matches(session: Session, query: str) -> ColumnElement[bool]:
    """A WHERE clause: the outcome's text contains every term of the query."""
    if session.get_bind().dialect.name == "postgresql":
        # The literal config (not a bound parameter) lets the planner use the GIN index.
        danish = literal_column("'danish'::regconfig")
        return func.to_tsvector(danish, Outcome.text).op("@@")(func.plainto_tsquery(danish, query))
    terms = query_terms(query)
    if not terms:
        return Outcome.id.is_(None)  # PostgreSQL too finds nothing for stop words alone
    expression = " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)
    hits = select(literal_column("rowid")).select_from(text(FTS_TABLE)).where(
        text(f"{FTS_TABLE} MATCH :fts_query").bindparams(fts_query=expression)
    )
    return Outcome.id.in_(hits)


def needs_sync(session: Session) -> bool:
    """True when outcomes were added since the SQLite copy was last brought up to date."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    newest = session.scalar(select(func.max(Outcome.id))) or 0
    indexed = session.scalar(text(f"SELECT max(rowid) FROM {FTS_TABLE}")) or 0
    return newest > indexed


def sync(session: Session) -> int:
    """Add the stemmed copy of every outcome newer than the newest copied (in a write session).

    Outcome texts never change once stored, so new ids are all there is to copy; deletions are
    mirrored at once by the trigger of migration 0004.
    """
    indexed = session.scalar(text(f"SELECT max(rowid) FROM {FTS_TABLE}")) or 0
    added = 0
    while True:
        rows = session.execute(
            select(Outcome.id, Outcome.text)
            .where(Outcome.id > indexed)
            .order_by(Outcome.id)
            .limit(_SYNC_BATCH)
        ).all()
        if not rows:
            return added
        session.execute(
            text(f"INSERT INTO {FTS_TABLE} (rowid, terms) VALUES (:id, :terms)"),
            [{"id": row.id, "terms": " ".join(lexemes(row.text))} for row in rows],
        )
        indexed = rows[-1].id
        added += len(rows)
