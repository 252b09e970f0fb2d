"""conversations.yml: its schema's precise refusals, the file followed as it changes, and the
domain derived from it (committed, complete, in both languages)."""
from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import yaml

from actions import plan, plan_domain, plan_file
from actions.conversation import summary_lines
from actions.form import ValidateSamtaleForm
from tests.dialogue.conftest import make_tracker, responses, run, slot_events

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "conversations.yml").read_text(encoding="utf-8")
DATA = yaml.safe_load(TEXT)


def refused(data: dict) -> list[str]:
    with pytest.raises(plan_file.PlanError) as error:
        plan_file.parse(yaml.safe_dump(data, sort_keys=False))
    return error.value.problems


def edited(change) -> dict:
    data = copy.deepcopy(DATA)
    change(data)
    return data


def test_the_projects_plan_is_valid_and_keeps_blocks_order():
    found = plan_file.parse(TEXT)
    assert found.order == ["invitation", "possibility", "ownership", "dissent", "commitment",
                           "gift"]
    assert [q.slot for q in found.questions("gift", "employee")] == [
        "profession_gift", "profession_step", "gift_time"]
    assert found.after_decline.conversation == "dissent"


def test_an_unknown_kind_is_refused_with_its_place():
    problems = refused(edited(lambda d: d["conversations"]["possibility"]["questions"]["both"][0]
                              .update(kind="essay")))
    assert len(problems) == 1
    assert problems[0].startswith("conversations.yml: conversations.possibility.questions.both[0]"
                                  ".kind: ")
    assert "'free_text'" in problems[0]


def test_a_choice_without_options_is_refused():
    problems = refused(edited(lambda d: d["conversations"]["invitation"]["questions"]["both"][0]
                              .pop("options")))
    assert problems == ["conversations.yml: conversations.invitation.questions.both[0]: a choice "
                        "question needs options (value: {da: ..., en: ...})"]


def test_a_ladder_without_steps_and_a_detail_without_name_are_refused():
    def change(d):
        ownership = d["conversations"]["ownership"]["questions"]["both"]
        ownership[1].pop("steps")
        d["conversations"]["commitment"]["questions"]["both"][1].pop("detail")
    problems = refused(edited(change))
    assert any("ownership.questions.both[1]: a ladder_step question needs steps" in p
               for p in problems)
    assert any("commitment.questions.both[1]: stores: detail needs detail:" in p
               for p in problems)


def test_a_duplicate_slot_is_refused_where_it_is_asked_again():
    problems = refused(edited(lambda d: d["conversations"]["dissent"]["questions"]["both"]
                              .append({"slot": "possibility", "kind": "free_text"})))
    assert ("conversations.yml: conversations.dissent.questions.both[1].slot: 'possibility' is "
            "already a question of possibility") in problems


def test_order_must_name_defined_conversations_and_hold_all():
    problems = refused(edited(lambda d: d.update(order=["invitation", "possibility", "ownership",
                                                        "dissent", "gift", "wishes"])))
    assert "conversations.yml: order[5]: 'wishes' is not defined under conversations" in problems
    assert ("conversations.yml: conversations.commitment: not listed in order (it would never be "
            "held)") in problems


def test_an_unknown_field_and_broken_yaml_are_refused():
    problems = refused(edited(lambda d: d["conversations"]["gift"].update(colour="blue")))
    assert problems == ["conversations.yml: conversations.gift.colour: Extra inputs are not "
                        "permitted"]
    with pytest.raises(plan_file.PlanError) as error:
        plan_file.parse("order: [a\nconversations: {}")
    assert "line" in error.value.problems[0] and "column" in error.value.problems[0]


def test_reserved_slots_and_the_decline_target_are_checked():
    def change(d):
        d["conversations"]["dissent"]["questions"]["both"][0]["slot"] = "contact"
        d["after_decline"]["conversation"] = "nowhere"
    problems = refused(edited(change))
    assert any(".dissent.questions.both[0].slot: 'contact' is reserved" in p for p in problems)
    assert "conversations.yml: after_decline.conversation: 'nowhere' is not defined under " \
        "conversations" in problems


def test_the_file_is_followed_when_it_changes(tmp_path):
    path = tmp_path / "conversations.yml"
    path.write_text(TEXT)
    assert plan_file.load(path).order[0] == "invitation"
    reordered = edited(lambda d: d.update(order=[*d["order"][1:], "invitation"]))
    path.write_text(plan_file.render(reordered, plan_file.header_of(TEXT)))
    os.utime(path, ns=(1, 1))  # a different mtime even within the clock's resolution
    assert plan_file.load(path).order[-1] == "invitation"
    path.write_text("order: [")  # a broken hand edit: the last good plan stays in use
    assert plan_file.load(path).order[-1] == "invitation"


def test_render_keeps_the_header_and_the_files_layout():
    assert plan_file.render(DATA, plan_file.header_of(TEXT)) == TEXT
    assert plan_file.header_of(TEXT).startswith("# The conversation plan")


def test_the_committed_domain_file_is_the_derivation():
    assert (ROOT / plan_domain.DERIVED).read_text() == plan_domain.derive(plan_file.parse(TEXT))
    assert plan_domain.main(["--root", str(ROOT), "--check"]) == 0


def test_the_plan_finds_everything_it_needs_in_the_domain():
    assert plan_domain.problems_with_domain(plan_file.parse(TEXT),
                                            plan_domain.domain_texts(ROOT)) == []


def test_every_question_is_asked_in_danish_and_english(domain):
    for _, question in plan_file.parse(TEXT).all_questions():
        asks = [name for name in domain["responses"]
                if name.startswith(f"utter_ask_{question.slot}")]
        assert asks, question.slot
        for name in asks:
            languages = {c.get("value") for v in domain["responses"][name]
                         for c in v.get("condition") or [] if c.get("name") == "language"}
            assert "en" in languages, name


def test_every_slot_the_plan_uses_is_in_the_domain(domain):
    found = plan_file.parse(TEXT)
    used = {q.slot for _, q in found.all_questions()}
    used |= {s for c in found.conversations.values() for s in [*c.summary.answer, *c.summary.add]}
    used |= {f"{name}_outcome_id" for name, c in found.conversations.items()
             if any(q.stores == "detail" for q in c.questions.all()) or name != "invitation"}
    assert used - set(domain["slots"]) == set()


def test_a_missing_response_is_named():
    data = edited(lambda d: d["conversations"]["gift"]["questions"]["citizen"].insert(
        1, {"slot": "gift_place", "kind": "free_text", "stores": "detail", "detail": "place"}))
    found = plan_file.parse(yaml.safe_dump(data, sort_keys=False))
    problems = plan_domain.problems_with_domain(found, plan_domain.domain_texts(ROOT))
    assert problems == ["conversations.yml: conversations.gift, question gift_place: no response "
                        "utter_ask_gift_place in domain/ (add it in Danish and English)"]


# --- a question added in a copy of the file, no Python: asked, validated, stored, summarised --

@pytest.fixture
def plan_with_a_new_question(tmp_path, monkeypatch):
    def change(d):
        d["conversations"]["gift"]["questions"]["citizen"].insert(1, {
            "slot": "gift_place", "kind": "free_text", "stores": "detail", "detail": "place"})
        d["conversations"]["gift"]["summary"]["add"] = ["gift_place"]
        d["conversations"]["dissent"]["questions"]["both"].append({
            "slot": "dissent_size", "kind": "choice", "stores": "detail", "detail": "size",
            "options": {"small": {"da": "Lille", "en": "Small"},
                        "big": {"da": "Stor", "en": "Big"}}})
    path = tmp_path / "conversations.yml"
    path.write_text(plan_file.render(edited(change), plan_file.header_of(TEXT)))
    monkeypatch.setattr(plan, "plan_path", lambda: path)
    return path


def test_a_new_free_text_question_is_asked_after_the_gift(plan_with_a_new_question):
    slots = {"agenda": ["gift"], "consent": True, "role": "citizen", "gift": "bager"}
    assert plan.required_slots(slots)[0] == "gift_place"
    assert "gift_place" in plan.FREE_TEXT_SLOTS


def test_a_question_the_running_model_does_not_know_is_skipped(plan_with_a_new_question):
    # Rasa sends all of the model's slots, session_started_metadata among them.
    slots = {"agenda": ["gift"], "consent": True, "role": "citizen", "gift": "bager",
             "gift_time": None, plan.MODEL_SLOT: None}
    assert plan.required_slots(slots)[0] == "gift_time"
    assert plan.is_held("gift", {**slots, "gift_time": "fredag"})


def test_a_new_question_is_validated_stored_and_summarised(plan_with_a_new_question,
                                                            action_store, domain):
    action_store.save_conversation("anna", consent=True, language="da")
    outcome = action_store.record_outcome(conversation_id="anna", kind="gift", text="bager",
                                          details={}, language="da", role="citizen")
    slots = {"consent": True, "role": "citizen", "agenda": ["gift"], "gift": "bager",
             "gift_outcome_id": outcome["id"]}
    events, messages = run(ValidateSamtaleForm(),
                           make_tracker(slots, text="I kirkens køkken", intent="inform",
                                        requested="gift_place"), domain)
    assert slot_events(events)["gift_place"] == "I kirkens køkken"
    assert action_store.outcomes_for("anna")[0]["details"]["place"] == \
        "I kirkens køkken"
    assert responses(messages) == []  # no acknowledgement asked for
    assert summary_lines({**slots, "gift_place": "I kirkens køkken", "language": "da"}) == [
        "• Det, du kan give: “bager” (I kirkens køkken)"]


def test_a_new_choice_question_takes_only_its_options(plan_with_a_new_question, action_store,
                                                       domain):
    slots = {"consent": True, "role": "citizen", "agenda": ["dissent"], "dissent": "x"}
    events, messages = run(ValidateSamtaleForm(),
                           make_tracker(slots, text="enorm", intent="inform",
                                        requested="dissent_size"), domain)
    assert slot_events(events)["dissent_size"] is None
    assert responses(messages) == ["utter_choose_from_buttons"]
    events, _ = run(ValidateSamtaleForm(),
                    make_tracker(slots, text="stor", intent="inform", requested="dissent_size"),
                    domain)
    assert slot_events(events)["dissent_size"] == "big"


def test_a_conversation_removed_from_the_plan_leaves_the_agenda(tmp_path, monkeypatch):
    data = edited(lambda d: (d["order"].remove("commitment"), d["conversations"].pop("commitment")))
    path = tmp_path / "conversations.yml"
    path.write_text(plan_file.render(data))
    monkeypatch.setattr(plan, "plan_path", lambda: path)
    slots = {"agenda": ["commitment", "gift"], "consent": True, "role": "citizen"}
    assert plan.required_slots(slots) == ["gift", "gift_time"]
    assert plan.agenda_for_entry("gift", slots) == ["commitment", "gift"]
    assert "commitment" not in plan.not_yet_held(slots)
