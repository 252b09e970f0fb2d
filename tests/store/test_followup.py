"""The follow-up store (bot/store/followup) against real SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.store import InvalidValue, OutcomeStore, UnknownOutcome
from bot.store.followup import FollowUp, InboxFilters, UnknownConversation


def person(store: OutcomeStore, cid: str, *, consent: bool = True, role: str = "citizen",
           language: str = "da") -> None:
    store.save_conversation(cid, consent=consent, role=role, language=language)


def said(store: OutcomeStore, cid: str, kind: str, text: str, **details: Any) -> int:
    conversation = store.get_conversation(cid)
    return store.record_outcome(conversation_id=cid, kind=kind, text=text, details=details,
                                language=conversation["language"], role=conversation["role"])["id"]


@pytest.fixture
def followup(store: OutcomeStore) -> FollowUp:
    return FollowUp(store)


@pytest.fixture
def seeded(store: OutcomeStore) -> dict[str, int]:
    person(store, "anna")
    person(store, "bo", role="employee", language="en")
    ids = {
        "dream": said(store, "anna", "possibility", "En fælleshave med lektiehjælp om tirsdagen"),
        "own": said(store, "anna", "ownership", "Jeg kan selv invitere", ladder_step=3),
        "promise": said(store, "anna", "commitment", "Jeg ringer", due="2026-12-10"),
        "later": said(store, "anna", "commitment", "Jeg skriver", due="2026-12-03"),
        "never": said(store, "anna", "commitment", "Jeg prøver"),
        "handoff": said(store, "anna", "handoff", "Kan jeg tale med et menneske"),
        "gift": said(store, "bo", "gift", "I can help with homework on Tuesdays",
                     skill_ids=["homework_help"], profession_step=2,
                     availability={"text": "Tuesdays", "days": ["tue"], "time_of_day": None}),
    }
    # Refused storage: present in the database (the bot asks first), never shown.
    person(store, "nej", consent=True)
    said(store, "nej", "gift", "Jeg kan bage")
    store.save_conversation("nej", consent=False)
    return ids


def page(followup: FollowUp, **params: str) -> dict[str, Any]:
    return followup.inbox(InboxFilters.parse(params, me="lise"))


def ids(result: dict[str, Any]) -> list[int]:
    return [o["id"] for o in result["outcomes"]]


def test_open_handoffs_come_first_then_newest(followup: FollowUp, seeded: dict) -> None:
    result = page(followup)
    assert ids(result)[0] == seeded["handoff"]
    assert ids(result)[1:] == sorted(set(seeded.values()) - {seeded["handoff"]}, reverse=True)
    assert result["total"] == 7  # the refused conversation's gift is not counted
    followup.set_status([seeded["handoff"]], "done")
    assert ids(page(followup))[0] == seeded["gift"]


def test_commitments_are_ordered_by_due_date(followup: FollowUp, seeded: dict) -> None:
    assert ids(page(followup, kind="commitment")) == [seeded["later"], seeded["promise"], seeded["never"]]
    assert ids(page(followup, kind="commitment", sort="newest"))[0] == seeded["never"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "gift"}, ["gift"]),
        ({"language": "en"}, ["gift"]),
        ({"role": "employee"}, ["gift"]),
        ({"step": "3"}, ["own"]),
        ({"step": "2"}, ["gift"]),
        ({"status": "in_progress"}, ["dream"]),
        ({"assignee": "mine"}, ["dream"]),
        ({"assignee": "bente"}, ["own"]),
        ({"kind": "possibility", "assignee": "unassigned"}, []),
        ({"kind": "commitment", "kept": "yes"}, ["never"]),
        ({"skill": "homework_help"}, ["gift"]),
        ({"day": "tue"}, ["gift"]),
        ({"q": "lektiehjælp"}, ["dream"]),
        ({"q": "ringer", "kind": "commitment"}, ["promise"]),
    ],
)
def test_each_filter(followup: FollowUp, seeded: dict, params: dict, expected: list) -> None:
    followup.set_status([seeded["dream"]], "in_progress")
    followup.assign([seeded["dream"]], "lise")
    followup.assign([seeded["own"]], "bente")
    followup.set_kept(seeded["never"], True)
    assert sorted(ids(page(followup, **params))) == sorted(seeded[name] for name in expected)


def test_date_range_and_due_windows(followup: FollowUp, seeded: dict) -> None:
    today = dt.datetime.now(dt.UTC).date()
    assert page(followup, since=today.isoformat(), until=today.isoformat())["total"] == 7
    assert page(followup, until=(today - dt.timedelta(days=1)).isoformat())["total"] == 0
    assert page(followup, since=(today + dt.timedelta(days=1)).isoformat())["total"] == 0


def test_facet_counts_leave_out_their_own_filter(followup: FollowUp, seeded: dict) -> None:
    facets = page(followup, kind="commitment")["facets"]
    assert facets["kind"] == {"commitment": 3, "gift": 1, "handoff": 1, "ownership": 1, "possibility": 1}
    assert facets["language"] == {"da": 3}
    assert facets["step"] == {None: 3}
    assert sum(page(followup)["facets"]["role"].values()) == 7  # never the refused one


def test_paging(followup: FollowUp, seeded: dict) -> None:
    first, second = page(followup, per_page="3"), page(followup, per_page="3", page="3")
    assert (first["pages"], len(first["outcomes"]), len(second["outcomes"])) == (3, 3, 1)
    assert not set(ids(first)) & set(ids(second))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"kind": "wish"}, "kind must be one of"),
        ({"step": "7"}, "step must be one of 1, 2, 3, 4"),
        ({"since": "igår"}, "since must be a date as YYYY-MM-DD"),
        ({"since": "2026-02-02", "until": "2026-01-01"}, "must not be after"),
        ({"page": "0"}, "page must be at least 1"),
        ({"per_page": "5000"}, "per_page must be from 1 to 200"),
        ({"kept": "maybe"}, "kept must be one of yes, no"),
        ({"q": "x" * 201}, "at most 200"),
    ],
)
def test_bad_filters_say_what_is_wrong(params: dict, message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        InboxFilters.parse(params)


def test_filters_go_back_into_the_url() -> None:
    filters = InboxFilters.parse({"kind": "gift", "assignee": "mine", "kept": "no", "page": "2"}, me="lise")
    assert filters.to_query(me="lise") == {"kind": "gift", "assignee": "mine", "kept": "no", "page": "2"}
    assert filters.but(status="new").to_query(me="lise")["status"] == "new"
    assert "page" not in filters.but(status="new").to_query()


def test_notes_status_assignee_and_answer_time(followup: FollowUp, seeded: dict) -> None:
    handoff = seeded["handoff"]
    assert followup.outcome(handoff)["answered_at"] is None
    note = followup.add_note(handoff, author="lise", text="Ringer <i>fredag</i>")
    assert (note["author"], note["text"]) == ("lise", "Ringer <i>fredag</i>")
    shown = followup.outcome(handoff)
    assert [n["text"] for n in shown["notes"]] == ["Ringer <i>fredag</i>"]
    assert shown["answered_at"] is not None
    changes = followup.set_status([seeded["dream"], seeded["gift"], seeded["dream"]], "in_progress")
    assert changes == [{"id": seeded["dream"], "before": "new", "after": "in_progress"},
                       {"id": seeded["gift"], "before": "new", "after": "in_progress"}]
    assert followup.set_status([seeded["dream"]], "in_progress") == []  # nothing changed
    assert followup.assign([seeded["gift"]], "lise")[0]["after"] == "lise"
    with pytest.raises(InvalidValue, match="must not be empty"):
        followup.add_note(handoff, author="lise", text="   ")
    with pytest.raises(InvalidValue, match="status must be one of"):
        followup.set_status([handoff], "closed")


def test_due_date_and_kept_only_for_commitments(followup: FollowUp, seeded: dict) -> None:
    change = followup.set_due(seeded["promise"], dt.date(2027, 1, 5))
    assert change == {"id": seeded["promise"], "before": "2026-12-10", "after": "2027-01-05"}
    assert followup.outcome(seeded["promise"])["due"] == "2027-01-05"
    kept = followup.set_kept(seeded["promise"], False)
    assert (kept["after"], kept["status"]) == (False, "done")
    with pytest.raises(InvalidValue, match="is a gift, not a commitment"):
        followup.set_due(seeded["gift"], dt.date(2027, 1, 1))


def test_unknown_and_refused_outcomes_are_unknown(followup: FollowUp, store: OutcomeStore, seeded: dict) -> None:
    refused = store.list_outcomes(conversation_id="nej")[0]["id"]
    for outcome_id in (refused, 999_999):
        with pytest.raises(UnknownOutcome):
            followup.outcome(outcome_id)
        with pytest.raises(UnknownOutcome):
            followup.set_status([outcome_id], "done")


def test_conversations_transcript_buttons_and_flags(followup: FollowUp, store: OutcomeStore,
                                                    seeded: dict, rasa_events) -> None:
    rasa_events.bot("anna", "Må jeg gemme dine svar?", 100.0,
                    buttons=[{"title": "Ja", "payload": "/affirm"}, {"title": "Nej", "payload": "/deny"}])
    rasa_events.user("anna", "/affirm", 101.0)
    rasa_events.bot("anna", "Hvad drømmer du om?", 102.0)
    rasa_events.user("anna", "<script>alert(1)</script>", 103.0)
    rasa_events.bot("nej", "Hej", 100.0)
    listed = followup.conversations()
    assert [c["conversation_id"] for c in listed["conversations"]] == ["bo", "anna"]
    assert listed["total"] == 2
    view = followup.conversation("anna")
    lines = view["transcript"]
    assert [line["speaker"] for line in lines] == ["bot", "user", "bot", "user"]
    assert lines[0]["buttons"] == [{"title": "Ja", "payload": "/affirm", "pressed": True},
                                   {"title": "Nej", "payload": "/deny", "pressed": False}]
    assert lines[1]["pressed"] == "Ja"
    assert len(view["outcomes"]) == 6
    flag = followup.flag_message("anna", lines[2]["id"], author="lise", comment="Forstod ikke drømmen")
    assert (flag["bot_text"], flag["user_text"]) == ("Hvad drømmer du om?", "/affirm")
    assert followup.conversation("anna")["transcript"][2]["flags"][0]["comment"] == "Forstod ikke drømmen"
    assert followup.flags()["total"] == 1
    with pytest.raises(InvalidValue, match="not a bot message"):
        followup.flag_message("anna", lines[1]["id"], author="lise", comment="x")
    with pytest.raises(UnknownConversation):
        followup.conversation("nej")
    with pytest.raises(UnknownConversation):
        followup.flag_message("nej", 1, author="lise", comment="x")


def test_erasing_a_person_takes_notes_flags_and_matches_along(followup: FollowUp, store: OutcomeStore,
                                                               seeded: dict, rasa_events) -> None:
    rasa_events.bot("anna", "Hej", 100.0)
    followup.add_note(seeded["dream"], author="lise", text="Ring til Anna")
    followup.mark_match(seeded["gift"], seeded["dream"], author="lise")
    followup.flag_message("anna", followup.conversation("anna")["transcript"][0]["id"],
                          author="lise", comment="forkert")
    store.erase_conversation("anna")
    with store._session() as session:
        for table in ("notes", "flags", "matches"):
            assert session.connection().exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() == 0
    assert followup.matches_for(seeded["gift"]) == []


def test_a_trainers_try_it_conversation_is_never_shown_to_staff(
        followup: FollowUp, store: OutcomeStore, seeded: dict, rasa_events) -> None:
    """Try it (bot/trainer/try_it.py) talks to the real bot as `try-<hex>`; a trainer who says
    yes there has tested storage, and no citizen said anything: none of it reaches staff."""
    before = followup.report(language="da")
    trial = "try-" + "c" * 32
    person(store, trial)
    said(store, trial, "gift", "Jeg kan bage boller til hele byen")
    said(store, trial, "handoff", "Test: kan jeg tale med et menneske")
    rasa_events.bot(trial, "Hvad kan du give?", 100.0)
    assert "bage boller" not in str(page(followup))
    assert page(followup)["total"] == 7  # the seeded ones only
    assert trial not in [c["conversation_id"] for c in followup.conversations()["conversations"]]
    with pytest.raises(UnknownConversation):
        followup.conversation(trial)
    with pytest.raises(UnknownConversation):
        followup.flag_message(trial, 1, author="lise", comment="x")
    assert followup.report(language="da")["funnel"] == before["funnel"]
