"""Full-text search: the same query gives the same hits on SQLite (FTS5 + Snowball) and
PostgreSQL (`danish` configuration)."""

from __future__ import annotations

import pytest

from bot.store import OutcomeStore, migrate
from bot.store.followup import FollowUp, InboxFilters
from bot.store.search import lexemes, query_terms
from tests.conftest import _postgres_database

CORPUS = [
    "Jeg drømmer om en fælleshave i Vollsmose, hvor naboerne mødes",
    "Jeg kan hjælpe børn med lektier om tirsdagen",
    "Vi mangler en legeplads, og de unge keder sig om aftenen",
    "Jeg er pensioneret tømrer og kan reparere cykler",
    "Naboen hjælper mig altid med haven",
    "Jeg tvivler på, at kommunen lytter til os",
    "Jeg lover at ringe til boligforeningen på tirsdag",
    "Jeg drømte engang om at åbne en café for ældre",
    "De ældre i opgangen er ensomme; de savner nogen at spise med",
    "I can help with homework on Tuesdays",
    "Fælles-haven skal have flere bænke",
    "Vi har brug for cykelstier og bedre busforbindelser",
    "Mine børn elsker at bage kager med bedstemor",
    "Jeg vil gerne lave mad til fællesspisning hver onsdag",
]
# query -> indexes into CORPUS that must be found (the same on both backends)
EXPECTED = {
    "drømmer": [0],  # drømte stems to drømt, not drøm
    "naboer": [0, 4],  # naboerne / Naboen
    "lektie": [1],
    "tirsdag": [1, 6],  # tirsdagen / tirsdag
    "ældre": [7, 8],
    "børn lektier": [1],
    "cykel": [],  # cykler stems to cykl, cykelstier to cykelsti
    "cykler": [3],
    "haven": [4, 10],  # also the part of the compound "Fælles-haven"
    "fælles-haven": [10],
    "kommune": [5],
    "og": [],  # only a stop word: nothing, as PostgreSQL says
    "HOMEWORK": [9],
    "spise ensom": [8],
    "bage": [12],
}


def seed(store: OutcomeStore) -> list[int]:
    store.save_conversation("c-search", consent=True, language="da", role="citizen")
    return [
        store.record_outcome(conversation_id="c-search", kind="possibility", text=text,
                             language="da")["id"]
        for text in CORPUS
    ]


def hits(followup: FollowUp, query: str) -> list[int]:
    page = followup.inbox(InboxFilters(q=query, per_page=200))
    return sorted(o["id"] for o in page["outcomes"])


@pytest.mark.parametrize("query", EXPECTED)
def test_search_finds_the_same_words_on_each_backend(store: OutcomeStore, query: str) -> None:
    ids = seed(store)
    assert hits(FollowUp(store), query) == sorted(ids[i] for i in EXPECTED[query])


def test_both_backends_give_identical_ids_for_every_query(tmp_path) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'a.db'}"
    migrate(sqlite_url)
    with _postgres_database() as postgres_url:
        migrate(postgres_url)
        stores = [OutcomeStore(sqlite_url), OutcomeStore(postgres_url)]
        try:
            results = []
            for store in stores:
                ids = seed(store)
                followup = FollowUp(store)
                results.append({q: [ids.index(i) for i in hits(followup, q)]
                                for q in [*EXPECTED, *CORPUS[:5], "jeg kan", "kan hjælpe"]})
            assert results[0] == results[1]
            assert len([q for q, found in results[0].items() if found]) >= 10
        finally:
            for store in stores:
                store.close()


def test_a_new_outcome_is_found_at_once_and_an_erased_one_is_gone(store: OutcomeStore) -> None:
    followup = FollowUp(store)
    seed(store)
    assert hits(followup, "tømrer")
    store.save_conversation("c-new", consent=True, language="da")
    new = store.record_outcome(conversation_id="c-new", kind="gift", text="Jeg er maler",
                               language="da")
    assert hits(followup, "maler") == [new["id"]]
    store.erase_conversation("c-new")
    assert hits(followup, "maler") == []
    if store.database_url.startswith("sqlite"):
        with store._session() as session:
            assert session.connection().exec_driver_sql(
                "SELECT count(*) FROM outcomes_fts WHERE outcomes_fts MATCH 'maler'"
            ).scalar() == 0


def test_lexemes_follow_postgresql_danish() -> None:
    assert lexemes("Jeg DRØMMER om Fælles-haven") == ["drøm", "fælles-hav", "fæl", "hav"]
    assert query_terms("og i jeg") == []
