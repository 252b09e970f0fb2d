"""Matching gifts and possibilities in both languages, and the report numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.store import InvalidValue, OutcomeStore
from bot.store.followup import FollowUp
from tests.store.test_followup import person, said


@pytest.fixture
def followup(store: OutcomeStore) -> FollowUp:
    return FollowUp(store)


def test_a_gift_is_offered_the_possibilities_that_fit_explained(followup: FollowUp, store: OutcomeStore) -> None:
    person(store, "giver")
    gift = said(store, "giver", "gift", "Jeg kan hjælpe med lektier om tirsdagen",
                skill_ids=["homework_help"], availability={"text": "om tirsdagen", "days": ["tue"], "time_of_day": None})
    person(store, "dreamer")
    homework = said(store, "dreamer", "possibility", "Børn i opgangen mangler lektiehjælp om tirsdagen")
    garden = said(store, "dreamer", "possibility", "En fælleshave hvor naboer mødes")
    person(store, "english", language="en")
    english = said(store, "english", "possibility", "The kids need help with their homework")
    found = followup.suggestions(gift, language="da")
    assert [s["outcome"]["id"] for s in found] == [homework, english]
    assert [x["label"] for x in found[0]["shares"]] == ["lektiehjælp", "børn og unge", "tirsdag"]
    assert found[0]["score"] > found[1]["score"]
    assert garden not in [s["outcome"]["id"] for s in found]
    back = followup.suggestions(english, language="en")
    assert [s["outcome"]["id"] for s in back] == [gift]
    assert [x["label"] for x in back[0]["shares"]] == ["homework help", "children and young people"]
    match = followup.mark_match(gift, homework, author="lise", note="Ring til begge")
    assert followup.suggestions(gift)[0]["matched"] is True
    assert [m["other"]["id"] for m in followup.matches_for(homework)] == [gift]
    assert [m["other"]["id"] for m in followup.matches_for(gift)] == [homework]
    assert followup.matches()[0]["id"] == match["id"]
    with pytest.raises(InvalidValue, match="already a match"):
        followup.mark_match(gift, homework, author="lise")
    with pytest.raises(InvalidValue, match="joins a gift and a possibility"):
        followup.mark_match(homework, gift, author="lise")


def test_an_english_gift_meets_a_danish_carpentry_wish(followup: FollowUp, store: OutcomeStore) -> None:
    person(store, "en", language="en")
    gift = said(store, "en", "gift", "I am a retired carpenter and can fix things on Saturdays")
    person(store, "da")
    bench = said(store, "da", "possibility", "Vi mangler en tømrer til at bygge bænke lørdag")
    found = followup.suggestions(gift, language="da")
    assert [s["outcome"]["id"] for s in found] == [bench]
    assert "lørdag" in [x["label"] for x in found[0]["shares"]]


def test_report_numbers(followup: FollowUp, store: OutcomeStore) -> None:
    today = dt.date(2026, 12, 2)  # a Wednesday
    person(store, "a")
    person(store, "b", role="employee")
    store.save_conversation("no", consent=False)
    said(store, "a", "ownership", "lidt", ladder_step=1)
    said(store, "a", "ownership", "mere", ladder_step=3)
    for kind in ("invitation", "possibility", "dissent", "gift"):
        said(store, "a", kind, f"{kind} a")
    kept = said(store, "a", "commitment", "c1", due="2026-11-01")
    said(store, "a", "commitment", "c2", due="2026-12-04")
    said(store, "a", "commitment", "c3", due="2026-11-20")
    followup.set_kept(kept, True)
    gift = said(store, "b", "gift", "lektier", skill_ids=["homework_help"], profession_step=2,
                availability={"text": "", "days": ["tue", "thu"], "time_of_day": None})
    handoff = said(store, "b", "handoff", "menneske")
    said(store, "b", "handoff", "menneske igen")
    followup.add_note(handoff, author="lise", text="ringet op")
    person(store, "c")
    wish = said(store, "c", "possibility", "lektiehjælp til børn")
    followup.mark_match(gift, wish, author="lise")
    report = followup.report(today=today)
    funnel = {s["step"]: s["count"] for s in report["funnel"]}
    assert funnel == {"started": 4, "consented": 3, "invitation": 1, "possibility": 2, "ownership": 1,
                      "dissent": 1, "commitment": 1, "gift": 2, "completed": 1}
    assert [s["count"] for s in report["ladder"]["citizens"]] == [1, 0, 1, 0]
    assert [s["count"] for s in report["ladder"]["employees"]] == [0, 1, 0]
    assert report["ladder"]["came_back"] == [{"move": "up", "count": 1}, {"move": "same", "count": 0},
                                             {"move": "down", "count": 0}]
    assert {c["key"]: c["count"] for c in report["commitments"]} == {
        "this_week": 1, "overdue": 1, "kept": 1, "not_kept": 0}
    assert (report["handoffs"]["total"], report["handoffs"]["answered"], report["handoffs"]["waiting"]) == (2, 1, 1)
    assert report["gifts"]["skills"][0] == {"id": "homework_help", "label": "lektiehjælp", "count": 1,
                                            "filter": {"kind": "gift", "skill": "homework_help"}}
    assert {d["id"]: d["count"] for d in report["gifts"]["days"]}["thu"] == 1
    assert report["matches"]["count"] == 1
    assert sum(w["total"] for w in report["weekly"]) == 13
    assert report["weekly"][0]["kinds"]["commitment"] == 3
    employees = followup.report(role="employee", today=today)
    assert {s["step"]: s["count"] for s in employees["funnel"]}["gift"] == 1
    assert employees["handoffs"]["total"] == 2
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    assert followup.report(since=tomorrow, today=today)["weekly"] == []
