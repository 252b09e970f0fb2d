"""The review inbox's store on SQLite and PostgreSQL: which messages it finds (fallback, low
confidence, refused by a validation, flagged by staff), only of conversations staff may see,
grouped by similar text, filtered, paged; decisions take them out; erasure takes the
decisions."""

from __future__ import annotations

import time

import pytest

from bot.store import InvalidValue, OutcomeStore
from bot.store.followup import FollowUp
from bot.store.review import (
    REFUSALS,
    Review,
    UnknownReviewItem,
    group_items,
    normal_form,
    suggested_intent,
)
from tests.store.review_events import a_conversation
from tests.store.test_erasure import traces

FALLBACK = [("nlu_fallback", 0.4), ("share_possibility", 0.31), ("affirm", 0.2)]


def test_normal_form_keeps_only_letters_casefolded() -> None:
    assert normal_form("  Ved IKKE!!  2 gange…") == "ved ikke gange"
    assert normal_form("Jeg   bor på Nørrebro, 2200") == "jeg bor på nørrebro"
    assert normal_form("123 ?!") == ""


def item(event_id: int, text: str, intent: str | None = "affirm") -> dict:
    return {"event_id": event_id, "text": text, "normal": normal_form(text),
            "suggested_intent": intent, "sources": ["low_confidence"], "language": "da",
            "at": None}


def test_groups_equal_and_near_forms_and_keeps_different_ones_apart() -> None:
    groups = group_items([
        item(1, "ved ikke"), item(2, "Ved ikke!"), item(3, "ved ikke..."),
        item(4, "jeg ved det ikke helt"), item(5, "ved det ikke jeg helt"),  # same word set
        item(6, "ja"), item(7, "ja tak"),  # 1/2 of the words: not near
    ])
    summary = [(g["key"], g["count"], [i["event_id"] for i in g["items"]]) for g in groups]
    assert summary == [("ved ikke", 3, [3, 2, 1]),
                       ("jeg ved det ikke helt", 2, [5, 4]),
                       ("ja tak", 1, [7]), ("ja", 1, [6])]
    assert groups[0]["text"] in {"ved ikke", "Ved ikke!", "ved ikke..."}


def test_the_word_index_groups_exactly_as_comparing_with_every_group() -> None:
    """group_items looks only at groups sharing a rare word (prefix filtering); the result must
    be what comparing each form with every earlier group in order gives."""
    import random

    from bot.store.review import NEAR_JACCARD, jaccard

    def every_group(items: list[dict]) -> list[list[str]]:
        counts: dict[str, int] = {}
        for one in items:
            counts[one["normal"]] = counts.get(one["normal"], 0) + 1
        groups: list[tuple[frozenset, list[str]]] = []
        for form in sorted(counts, key=lambda f: (-counts[f], f)):
            words = frozenset(form.split())
            home = next((g for g in groups if jaccard(words, g[0]) >= NEAR_JACCARD), None)
            groups.append((words, [form])) if home is None else home[1].append(form)
        return sorted(sorted(g[1]) for g in groups)

    chance = random.Random(12)
    for _ in range(20):
        vocabulary = ["".join(chance.choices("abc", k=2)) for _ in range(10)]
        items = [item(i, " ".join(chance.choices(vocabulary, k=chance.randint(1, 9))))
                 for i in range(200)]
        assert sorted(sorted(g["forms"]) for g in group_items(items)) == every_group(items)


def test_suggestion_skips_the_fallback() -> None:
    ranking = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "deny", "confidence": 0.3}]
    assert suggested_intent("nlu_fallback", ranking) == "deny"
    assert suggested_intent("affirm", ranking) == "affirm"
    assert suggested_intent("nlu_fallback", ranking[:1]) is None


def test_every_source_is_found_with_its_context(store: OutcomeStore, rasa_events) -> None:
    c = a_conversation(store, rasa_events, "web-anna")
    c.ask("consent", "utter_ask_consent", "Må jeg gemme dine svar?",
          [{"title": "Ja", "payload": "/affirm"}])
    understood = c.user("ja gerne", "affirm", 0.97)
    c.ask("role", "utter_ask_role", "Er du borger eller medarbejder?")
    refused = c.user("måske lidt af begge", "inform", 0.88)
    c.action("samtale_form")
    c.bot("utter_choose_from_buttons", "Vælg en af knapperne.")
    c.slot("role", "citizen")
    c.ask("possibility", "utter_ask_possibility", "Hvad drømmer du om?")
    fallback = c.user("blomsterkasser overalt", "nlu_fallback", 0.4, FALLBACK)
    c.ask("ownership", "utter_ask_ownership", "Hvad kan du selv gøre?")
    low = c.user("hmm det ved jeg ikke", "deny", 0.45, [("deny", 0.45), ("affirm", 0.3)])
    c.action("samtale_form")
    answer = c.bot("utter_ack_ownership", "Tak.")
    c.user("/affirm", "affirm", 1.0)  # a pressed button is never in the inbox
    c.ask("contact", "utter_ask_contact", "Hvordan kan vi kontakte dig?")
    flagged_and_refused = c.user("ring til [telefonnummer] efter kl 16", "inform", 0.9)
    c.action("samtale_form")
    refusal = c.bot("utter_contact_invalid", "Det ligner ikke en adresse.")
    FollowUp(store).flag_message("web-anna", refusal, author="lise",
                                 comment="Telefonnummeret blev ikke forstået")
    FollowUp(store).flag_message("web-anna", answer, author="lise", comment="forkert svar")

    items = {i["event_id"]: i for g in Review(store).inbox()["groups"] for i in g["items"]}
    assert understood not in items
    assert set(items) == {refused, fallback, low, flagged_and_refused}
    assert items[refused]["sources"] == ["refused"]
    assert items[refused]["refused_by"] == "utter_choose_from_buttons"
    assert items[refused]["requested_slot"] == "role"
    assert items[fallback]["sources"] == ["fallback"]
    assert items[fallback]["suggested_intent"] == "share_possibility"
    assert [r["name"] for r in items[fallback]["ranking"]] == [
        "nlu_fallback", "share_possibility", "affirm"]
    assert items[low]["sources"] == ["low_confidence", "flagged"]
    assert (items[low]["intent"], items[low]["confidence"]) == ("deny", 0.45)
    assert items[low]["flag_comments"] == ["forkert svar"]
    assert items[flagged_and_refused]["sources"] == ["refused", "flagged"]
    assert items[flagged_and_refused]["text"] == "ring til [telefonnummer] efter kl 16"
    assert items[flagged_and_refused]["requested_slot"] == "contact"
    assert {i["conversation_id"] for i in items.values()} == {"web-anna"}
    assert {i["language"] for i in items.values()} == {"da"}
    assert items[low]["at"].year == 2025
    # A higher threshold makes the well-understood message a low-confidence one too.
    assert understood in {i["event_id"] for g in Review(store, confidence_below=0.99).inbox()[
        "groups"] for i in g["items"]}


def test_refusal_names_are_the_ones_the_validations_send() -> None:
    from pathlib import Path

    form = (Path(__file__).resolve().parents[2] / "actions" / "form.py").read_text()
    for name in REFUSALS:
        assert f'"{name}"' in form, name


def test_only_conversations_staff_may_see(store: OutcomeStore, rasa_events) -> None:
    for sender, consent in (("web-yes", True), ("web-no", False), ("web-unknown", None),
                            ("try-0a1b2c3d", True)):  # a trainer's Try-it conversation
        c = a_conversation(store, rasa_events, sender, consent=consent)
        c.user(f"noget uklart fra {sender}", "nlu_fallback", 0.3, FALLBACK)
    rasa_events.add("web-no-row", "user", 1.0, {"text": "uden samtale", "parse_data": {
        "intent": {"name": "nlu_fallback", "confidence": 0.1}}})
    texts = [g["text"] for g in Review(store).inbox()["groups"]]
    assert texts == ["noget uklart fra web-yes"]
    with pytest.raises(UnknownReviewItem):
        Review(store).conversation_events("try-0a1b2c3d")


def test_filters_counts_and_paging(store: OutcomeStore, rasa_events) -> None:
    da = a_conversation(store, rasa_events, "web-da")
    en = a_conversation(store, rasa_events, "web-en", language="en")
    da.user("ved ikke", "nlu_fallback", 0.3, FALLBACK)
    da.user("Ved ikke!", "deny", 0.5)
    da.user("kan ikke sige", "deny", 0.5)
    en.slot("language", "en")
    en.user("no idea", "deny", 0.2)
    review = Review(store)
    everything = review.inbox()
    assert (everything["total_groups"], everything["total_items"]) == (3, 4)
    assert everything["counts"] == {"fallback": 1, "low_confidence": 3, "refused": 0,
                                    "flagged": 0}
    assert (everything["groups"][0]["key"], everything["groups"][0]["count"]) == ("ved ikke", 2)
    assert [g["key"] for g in review.inbox(language="en")["groups"]] == ["no idea"]
    assert [g["key"] for g in review.inbox(source="fallback")["groups"]] == ["ved ikke"]
    assert review.inbox(source="fallback")["groups"][0]["count"] == 1
    assert sorted(g["key"] for g in review.inbox(intent="deny")["groups"]) == [
        "kan ikke sige", "no idea", "ved ikke"]
    assert everything["intents"] == ["deny", "nlu_fallback"]
    first, second = review.inbox(limit=2), review.inbox(limit=2, offset=2)
    keys = [g["key"] for g in first["groups"] + second["groups"]]
    assert sorted(keys) == ["kan ikke sige", "no idea", "ved ikke"]
    assert first["total_groups"] == 3 and len(second["groups"]) == 1
    with pytest.raises(InvalidValue, match="source must be one of"):
        review.inbox(source="everything")
    with pytest.raises(InvalidValue, match="limit"):
        review.inbox(limit=0)


def test_decisions_take_messages_out_of_the_inbox(store: OutcomeStore, rasa_events) -> None:
    c = a_conversation(store, rasa_events, "web-decide")
    one = c.user("ved ikke", "nlu_fallback", 0.3, FALLBACK)
    two = c.user("hvad mener du", "nlu_fallback", 0.3, FALLBACK)
    three = c.user("øh", "nlu_fallback", 0.3, FALLBACK)
    review = Review(store)
    assert review.decide([one], decision="ignored", author="lise") == 1
    assert review.decide([two, one], decision="example", author="bo",
                         intents={two: "ask_question"}, reference="abc123") == 1
    assert [g["items"][0]["event_id"] for g in review.inbox()["groups"]] == [three]
    decided = {d["event_id"]: d for d in review.decisions()}
    assert decided[one]["decision"] == "ignored" and decided[one]["author"] == "lise"
    assert decided[two] | {"created_at": None} == {
        "event_id": two, "conversation_id": "web-decide", "decision": "example",
        "intent": "ask_question", "reference": "abc123", "author": "bo", "created_at": None}
    with pytest.raises(UnknownReviewItem, match="not in the review inbox"):
        review.items([one])
    assert [i["text"] for i in review.items([three])] == ["øh"]
    with pytest.raises(InvalidValue, match="decision must be one of"):
        review.decide([three], decision="forgotten", author="lise")
    with pytest.raises(UnknownReviewItem):
        review.decide([999_999], decision="ignored", author="lise")
    with pytest.raises(InvalidValue, match="integer"):
        review.decide(["1"], decision="ignored", author="lise")  # type: ignore[list-item]


def test_a_decision_on_a_conversation_without_consent_is_refused(store: OutcomeStore,
                                                               rasa_events) -> None:
    c = a_conversation(store, rasa_events, "web-private", consent=False)
    hidden = c.user("ved ikke", "nlu_fallback", 0.3, FALLBACK)
    with pytest.raises(UnknownReviewItem, match="not messages staff may see"):
        Review(store).decide([hidden], decision="ignored", author="lise")
    with pytest.raises(UnknownReviewItem):
        Review(store).conversation_events("web-private")


def test_erasure_removes_the_decisions(store: OutcomeStore, rasa_events) -> None:
    c = a_conversation(store, rasa_events, "web-erase-9f3")
    keep = a_conversation(store, rasa_events, "web-keep-9f3")
    gone = c.user("ved ikke", "nlu_fallback", 0.3, FALLBACK)
    kept = keep.user("ved ikke", "nlu_fallback", 0.3, FALLBACK)
    review = Review(store)
    review.decide([gone, kept], decision="story", author="lise",
                  reference="tests/stories/test_review_1a2b.yml")
    assert ("review_decisions", "conversation_id", "web-erase-9f3") in traces(
        store.database_url, ["web-erase-9f3"])
    store.erase_conversation("web-erase-9f3")
    assert traces(store.database_url, ["web-erase-9f3"]) == []
    assert [d["event_id"] for d in review.decisions()] == [kept]


def test_conversation_events_are_rasas_in_order(store: OutcomeStore, rasa_events) -> None:
    c = a_conversation(store, rasa_events, "web-story")
    c.ask("possibility", "utter_ask_possibility", "Hvad drømmer du om?")
    said = c.user("en have", "share_possibility", 0.9)
    events = Review(store).conversation_events("web-story")
    assert [e["event"] for e in events][-6:] == ["action", "active_loop", "slot", "bot",
                                                 "action", "user"]
    assert events[-1]["id"] == said and events[-1]["parse_data"]["intent"]["name"] == (
        "share_possibility")


def test_retention_takes_the_decisions_with_the_conversation(store: OutcomeStore,
                                                            rasa_events) -> None:
    c = a_conversation(store, rasa_events, "web-old-7c1")
    old = c.user("ved ikke", "nlu_fallback", 0.3, FALLBACK)
    Review(store).decide([old], decision="ignored", author="lise")
    # Two days from now everything of it is older than a day (its events are from 2025).
    counts = store.apply_retention(days=1, keep_open=True, now=time.time() + 2 * 86400)
    assert counts["conversations"] == 1
    assert traces(store.database_url, ["web-old-7c1"]) == []
    assert Review(store).decisions() == []
