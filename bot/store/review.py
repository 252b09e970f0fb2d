"""The trainers' review inbox: the messages the bot did not understand well, grouped by text.

    review = Review(store, confidence_below=0.6)
    review.inbox(source="refused", language="da", limit=25)   # groups of similar messages
    review.decide([event_id], decision="ignored", author="lise")  # it leaves the inbox

An item is one user message (one of Rasa's `user` events) of a conversation staff may see
(consented, not a trainer's Try-it conversation, as bot/store/followup decides; an erased
conversation has no row and no events left). It is in the inbox for one
or more reasons, its `sources`:

- `fallback`: Rasa classified it as `nlu_fallback`;
- `low_confidence`: the top intent's confidence is under `confidence_below`;
- `refused`: a validation refused it, i.e. the bot's next message is one of REFUSALS (Rasa 3.6
  keeps the response's name in the bot event's `metadata.utter_action`);
- `flagged`: staff flagged the bot's answer to it in a transcript (the `flags` table).

Rasa's events are read through the lightweight table clause of bot/store/rasa_events.py and
walked in order per conversation, because the pending question (`requested_slot`) and the
refusal both come from the events around a message. Text is shown as stored (masked).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from . import validation as check
from .errors import InvalidValue, StoreError
from .followup.common import SEEN_BY_STAFF, TRIAL_PREFIX
from .followup_models import Flag
from .models import Conversation
from .outcome_store import OutcomeStore
from .rasa_events import EVENTS, _load, events_table_exists
from .review_models import DECISIONS, ReviewDecision

SOURCES = ("fallback", "low_confidence", "refused", "flagged")
FALLBACK_INTENT = "nlu_fallback"
# The responses with which a validation in actions/form.py refuses an answer and asks again:
# the message before them is one the bot could not use. One place, so the inbox and its tests
# agree; a new validation's refusal response is added here.
REFUSALS = (
    "utter_choose_from_buttons",  # consent, role, invitation answer, ladder steps, next step
    "utter_not_a_date",  # the commitment's due date
    "utter_contact_invalid",  # neither an e-mail address nor a phone number
    "utter_no_words",  # a free-text answer without words (only signs or digits)
)
# Messages that near-match the group's first text by this share of their words join it.
NEAR_JACCARD = 0.8
RANKING_SHOWN = 5
# The events the walk reads: messages, slots (the pending question, the language) and the ends
# of a session (the pending question is gone then).
_WALKED = ("user", "bot", "slot", "session_started", "restart")
_NOT_LETTERS = re.compile(r"[\W\d_]+")


class UnknownReviewItem(StoreError):
    """No message of a conversation staff may see has this event id."""


def normal_form(text: str) -> str:
    """What similar messages share: casefolded, only letters, single spaces ("Ved ikke!!" and
    "ved  ikke 2" are both "ved ikke")."""
    return " ".join(_NOT_LETTERS.sub(" ", text.casefold()).split())


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def group_items(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Groups of similar messages, largest first (then the newest). Equal normal forms form a
    group; a normal form whose word set shares at least NEAR_JACCARD of its words with a
    larger group's first form joins that group (so "jeg ved det ikke" joins "ved det ikke jeg"
    but "ja" never joins "ja tak")."""
    by_form: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_form.setdefault(item["normal"], []).append(item)
    forms = sorted(by_form, key=lambda form: (-len(by_form[form]), form))
    groups: list[tuple[frozenset[str], list[str]]] = []
    # Only groups sharing a word of the form's "prefix" can be near (prefix filtering: sets
    # with Jaccard >= t share one of their |x| - ceil(t|x|) + 1 rarest words), so thousands of
    # different messages are not each compared with every group.
    frequency = Counter(word for form in forms for word in set(form.split()))
    holding: dict[str, list[int]] = {}
    for form in forms:
        words = frozenset(form.split())
        prefix = _prefix(words, frequency)
        candidates = sorted({index for word in prefix for index in holding.get(word, ())})
        home = next((index for index in candidates
                     if jaccard(words, groups[index][0]) >= NEAR_JACCARD), None)
        if home is None:
            for word in prefix:
                holding.setdefault(word, []).append(len(groups))
            groups.append((words, [form]))
        else:
            groups[home][1].append(form)
    result = []
    for _, members in groups:
        rows = sorted((item for form in members for item in by_form[form]),
                      key=lambda item: item["event_id"], reverse=True)
        texts = Counter(item["text"] for item in rows)
        intents = Counter(item["suggested_intent"] for item in rows if item["suggested_intent"])
        result.append({
            "key": members[0],
            "text": texts.most_common(1)[0][0],
            "count": len(rows),
            "forms": members,
            "sources": [s for s in SOURCES if any(s in item["sources"] for item in rows)],
            "languages": sorted({item["language"] for item in rows}),
            "suggested_intent": intents.most_common(1)[0][0] if intents else None,
            "newest": rows[0]["at"],
            "items": rows,
        })
    result.sort(key=lambda group: (-group["count"], -group["items"][0]["event_id"]))
    return result


def _prefix(words: frozenset[str], frequency: Counter[str]) -> list[str]:
    rarest = sorted(words, key=lambda word: (frequency[word], word))
    return rarest[: len(words) - math.ceil(NEAR_JACCARD * len(words) - 1e-9) + 1]


def suggested_intent(intent: str | None, ranking: list[dict[str, Any]]) -> str | None:
    """The predicted intent, or for a fallback the best-ranked real intent."""
    if intent and intent != FALLBACK_INTENT:
        return intent
    return next((r["name"] for r in ranking if r["name"] and r["name"] != FALLBACK_INTENT), None)


class Review:
    def __init__(self, store: OutcomeStore, *, confidence_below: float = 0.6) -> None:
        self.store = store
        self._session = store._session  # the one place sessions are opened
        self.confidence_below = confidence_below

    def inbox(
        self,
        *,
        source: str | None = None,
        language: str | None = None,
        intent: str | None = None,
        limit: int = 25,
        offset: int = 0,
    ) -> dict[str, Any]:
        """Undecided items, grouped by similar text, a page of groups; filters narrow the items
        first. `counts` tells how many items each source has under the other filters."""
        check.page(limit, offset)
        if source is not None:
            check.choice("source", source, SOURCES)
        if language is not None:
            check.choice("language", language, check.LANGUAGES)
        if intent is not None:
            check.text("intent", intent, max_length=100)
        with self._session() as session:
            items = self._items(session)
        kept = [item for item in items
                if (language is None or item["language"] == language)
                and (intent is None or item["intent"] == intent)]
        counts = {name: sum(name in item["sources"] for item in kept) for name in SOURCES}
        if source is not None:
            kept = [item for item in kept if source in item["sources"]]
        groups = group_items(kept)
        return {
            "groups": groups[offset : offset + limit],
            "total_groups": len(groups),
            "total_items": len(kept),
            "counts": counts,
            "intents": sorted({item["intent"] for item in items if item["intent"]}),
        }

    def items(self, event_ids: Iterable[int]) -> list[dict[str, Any]]:
        """The undecided items with these event ids, in that order; UnknownReviewItem if one is
        not (or no longer) in the inbox."""
        wanted = _event_ids(event_ids)
        with self._session() as session:
            found = {item["event_id"]: item for item in self._items(session)}
        missing = [event_id for event_id in wanted if event_id not in found]
        if missing:
            raise UnknownReviewItem(
                f"not in the review inbox (handled already, or gone): {missing}")
        return [found[event_id] for event_id in wanted]

    def decide(
        self,
        event_ids: Iterable[int],
        *,
        decision: str,
        author: str,
        intents: dict[int, str] | None = None,
        reference: str | None = None,
    ) -> int:
        """Record one decision for each message (a message decided before keeps its first
        decision); the number of rows added. The messages must be user events of conversations
        staff may see."""
        wanted = _event_ids(event_ids)
        check.choice("decision", decision, DECISIONS)
        check.identifier("author", author)
        check.text("reference", reference, nullable=True, max_length=255)
        intents = intents or {}
        with self._session(write=True) as session:
            if not events_table_exists(session.connection()):
                raise UnknownReviewItem(f"no such messages: {wanted}")
            rows = dict(session.execute(
                select(EVENTS.c.id, EVENTS.c.sender_id)
                .join(Conversation, Conversation.conversation_id == EVENTS.c.sender_id)
                .where(EVENTS.c.id.in_(wanted), EVENTS.c.type_name == "user",
                       SEEN_BY_STAFF)
            ).all())
            missing = [event_id for event_id in wanted if event_id not in rows]
            if missing:
                raise UnknownReviewItem(f"not messages staff may see: {missing}")
            done = set(session.scalars(
                select(ReviewDecision.event_id).where(ReviewDecision.event_id.in_(wanted))))
            added = 0
            for event_id in wanted:
                if event_id in done:
                    continue
                intent = intents.get(event_id) if decision == "example" else None
                check.text("intent", intent, nullable=True, max_length=100)
                session.add(ReviewDecision(
                    conversation_id=rows[event_id], event_id=event_id, decision=decision,
                    intent=intent, reference=reference, author=author))
                added += 1
            return added

    def decisions(self, *, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """The latest decisions, newest first (no text: the decision rows hold none)."""
        check.page(limit, offset)
        with self._session() as session:
            rows = session.scalars(
                select(ReviewDecision)
                .order_by(ReviewDecision.created_at.desc(), ReviewDecision.id.desc())
                .limit(limit).offset(offset)
            ).all()
            return [{"event_id": r.event_id, "conversation_id": r.conversation_id,
                     "decision": r.decision, "intent": r.intent, "reference": r.reference,
                     "author": r.author, "created_at": r.created_at.isoformat()} for r in rows]

    def conversation_events(self, conversation_id: str) -> list[dict[str, Any]]:
        """Every event of one conversation staff may see, oldest first, as Rasa stored it (the
        parsed JSON, with `id`): what a test story is built from."""
        check.identifier("conversation_id", conversation_id)
        with self._session() as session:
            row = session.get(Conversation, conversation_id)
            if row is None or row.consent is not True or conversation_id.startswith(
                    TRIAL_PREFIX):
                raise UnknownReviewItem(f"no conversation with id {conversation_id!r}")
            if not events_table_exists(session.connection()):
                return []
            query = (select(EVENTS.c.id, EVENTS.c.type_name, EVENTS.c.data)
                     .where(EVENTS.c.sender_id == conversation_id).order_by(EVENTS.c.id))
            return [{**_load(data), "id": event_id, "event": type_name}
                    for event_id, type_name, data in session.execute(query)]

    def _items(self, session: Any) -> list[dict[str, Any]]:
        """Every undecided item, oldest first."""
        if not events_table_exists(session.connection()):
            return []
        consented = SEEN_BY_STAFF
        decided = set(session.scalars(select(ReviewDecision.event_id)))
        flags: dict[int, list[str]] = {}
        for event_id, comment in session.execute(
            select(Flag.event_id, Flag.comment)
            .join(Conversation, Conversation.conversation_id == Flag.conversation_id)
            .where(consented)
        ):
            flags.setdefault(event_id, []).append(comment)
        query = (
            select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp,
                   EVENTS.c.data, Conversation.language)
            .join(Conversation, Conversation.conversation_id == EVENTS.c.sender_id)
            .where(consented, EVENTS.c.type_name.in_(_WALKED))
            .order_by(EVENTS.c.sender_id, EVENTS.c.id)
        )
        items: list[dict[str, Any]] = []
        walk = _Walk(None, None)
        for event_id, sender, type_name, timestamp, data, conversation_language in (
            session.execute(query)
        ):
            if walk.sender != sender:
                walk = _Walk(sender, conversation_language)
            item = walk.step(event_id, type_name, timestamp, _load(data), flags,
                             self.confidence_below)
            if item is not None:
                items.append(item)
        return [item for item in items if item["sources"] and item["event_id"] not in decided]


class _Walk:
    """One conversation's events in order: the pending question, the language, the last
    message (which a refusal or a flagged answer that follows it points back to)."""

    def __init__(self, sender: str | None, language: str | None) -> None:
        self.sender = sender
        self.language = language if language in check.LANGUAGES else "da"
        self.requested: str | None = None
        self.last: dict[str, Any] | None = None

    def step(self, event_id: int, type_name: str, timestamp: float | None,
             event: dict[str, Any], flags: dict[int, list[str]], below: float
             ) -> dict[str, Any] | None:
        if type_name == "slot":
            name, value = event.get("name"), event.get("value")
            if name == "requested_slot":
                self.requested = value if isinstance(value, str) else None
            elif name == "language" and value in check.LANGUAGES:
                self.language = value
        elif type_name in ("session_started", "restart"):
            self.requested, self.last = None, None
        elif type_name == "bot":
            metadata = event.get("metadata")
            response = metadata.get("utter_action") if isinstance(metadata, dict) else None
            if self.last is not None and response in REFUSALS:
                _add_source(self.last, "refused")
                self.last["refused_by"] = response
            if self.last is not None and event_id in flags:
                _add_source(self.last, "flagged")
                self.last["flag_comments"] += flags[event_id]
        elif type_name == "user":
            self.last = self._message(event_id, timestamp, event, below)
            return self.last
        return None

    def _message(self, event_id: int, timestamp: float | None, event: dict[str, Any],
                 below: float) -> dict[str, Any] | None:
        text = event.get("text")
        # A pressed button (a "/payload") was understood by definition; an empty message has
        # nothing to learn from.
        if not isinstance(text, str) or not text.strip() or text.startswith("/"):
            return None
        parse = event.get("parse_data") if isinstance(event.get("parse_data"), dict) else {}
        top = parse.get("intent") if isinstance(parse.get("intent"), dict) else {}
        intent = top.get("name") if isinstance(top.get("name"), str) else None
        confidence = _number(top.get("confidence"))
        ranking = [{"name": r.get("name"), "confidence": _number(r.get("confidence"))}
                   for r in parse.get("intent_ranking") or [] if isinstance(r, dict)
                   ][:RANKING_SHOWN]
        sources = []
        if intent == FALLBACK_INTENT:
            sources.append("fallback")
        elif confidence is not None and confidence < below:
            sources.append("low_confidence")
        at = dt.datetime.fromtimestamp(timestamp, dt.UTC) if timestamp is not None else None
        return {
            "event_id": event_id,
            "conversation_id": self.sender,
            "text": text,
            "normal": normal_form(text),
            "language": self.language,
            "intent": intent,
            "confidence": confidence,
            "ranking": ranking,
            "suggested_intent": suggested_intent(intent, ranking),
            "requested_slot": self.requested,
            "sources": sources,
            "refused_by": None,
            "flag_comments": [],
            "at": at,
        }


def _add_source(item: dict[str, Any], source: str) -> None:
    if source not in item["sources"]:
        item["sources"].append(source)
        item["sources"].sort(key=SOURCES.index)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _event_ids(event_ids: Iterable[Any]) -> list[int]:
    wanted = []
    for event_id in event_ids:
        if isinstance(event_id, bool) or not isinstance(event_id, int):
            raise InvalidValue(f"an event id must be an integer; got {event_id!r}")
        if event_id not in wanted:
            wanted.append(event_id)
    if not wanted:
        raise InvalidValue("choose at least one message")
    if len(wanted) > check.MAX_LIMIT:
        raise InvalidValue(f"at most {check.MAX_LIMIT} messages at a time")
    return wanted
