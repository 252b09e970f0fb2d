"""The Rasa domain's part that follows from conversations.yml: domain/questions.yml.

    python -m actions.plan_domain           # write domain/questions.yml from conversations.yml
    python -m actions.plan_domain --check   # exit 1 if the committed file is not the derivation

Each question of the plan becomes a slot filled from the message text while the form asks it,
the form's list of slots is the opening, every question, then the closing, and the questions
with their own ask action (actions/questions.py) list it. The trainer studio writes this file
in the same commit as a change of conversations.yml (bot/trainer/studio.py).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from .plan_file import CLOSING, OPENING, Plan, PlanError, parse

DERIVED = "domain/questions.yml"
PLAN = "conversations.yml"
FORM = "samtale_form"
HEADER = """\
# Generated from conversations.yml by `python -m actions.plan_domain`; do not edit.
# The trainer studio writes it on every save of conversations.yml. Questions are changed there,
# what the bot says in domain/*.yml (utter_ask_<slot>, Danish and English).
"""


def ask_actions() -> set[str]:
    """The slots whose question an action asks (full or short, actions/questions.py)."""
    from . import questions

    return {cls.slot for cls in vars(questions).values()
            if isinstance(cls, type) and issubclass(cls, questions.AskQuestion)
            and isinstance(getattr(cls, "slot", None), str)}


def _slot(slot: str) -> dict[str, Any]:
    return {"type": "any", "influence_conversation": False, "mappings": [{
        "type": "from_text", "not_intent": ["restart"],
        "conditions": [{"active_loop": FORM, "requested_slot": slot}]}]}


def derive(plan: Plan) -> str:
    """The text of domain/questions.yml for this plan."""
    slots = list(dict.fromkeys(q.slot for _, q in plan.all_questions()))
    asked_by_action = ask_actions()
    domain = {
        "version": "3.1",
        "slots": {slot: _slot(slot) for slot in slots},
        "forms": {FORM: {"required_slots": [*OPENING, *slots, *CLOSING]}},
        "actions": [f"action_ask_{slot}" for slot in slots if slot in asked_by_action],
    }
    body = yaml.safe_dump(domain, sort_keys=False, allow_unicode=True, default_flow_style=False,
                          width=100)
    return HEADER + body


def responses_of(domain_texts: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for text in domain_texts.values():
        found.update((yaml.safe_load(text) or {}).get("responses") or {})
    return found


def problems_with_domain(plan: Plan, domain_texts: dict[str, str]) -> list[str]:
    """What the plan needs of the domain's responses: utter_ask_<slot> in Danish (the default)
    and English for each question (or its ask action), each acknowledgement, and the slots a
    summary names."""
    responses = responses_of(domain_texts)
    slots: set[str] = set()
    for text in domain_texts.values():
        slots |= set((yaml.safe_load(text) or {}).get("slots") or {})
    problems = []
    for conversation, question in plan.all_questions():
        where = f"{PLAN}: conversations.{conversation}, question {question.slot}"
        ask = f"utter_ask_{question.slot}"
        if question.slot in ask_actions():
            pass  # its action names the responses (a consistency test checks they exist)
        elif ask not in responses:
            problems.append(f"{where}: no response {ask} in domain/ (add it in Danish and "
                            "English)")
        elif not _in_both_languages(responses[ask]):
            problems.append(f"{where}: {ask} needs a Danish text and an English variation "
                            "(condition language = en)")
        if question.acknowledge:
            answers = ([str(n) for n in range(1, (question.steps or 0) + 1)]
                       if question.kind == "ladder_step" else list(question.options or {}))
            names = ([question.acknowledge.replace("{answer}", a) for a in answers]
                     if "{answer}" in question.acknowledge else [question.acknowledge])
            problems += [f"{where}: acknowledge names {name}, which is not in domain/"
                         for name in names if name not in responses]
    for name, conversation in plan.conversations.items():
        for slot in [*conversation.summary.answer, *conversation.summary.add]:
            if slot not in slots:
                problems.append(f"{PLAN}: conversations.{name}.summary: {slot!r} is not a slot "
                                "of the domain")
    return problems


def _in_both_languages(variations: list[dict[str, Any]]) -> bool:
    default = any(not v.get("condition") and v.get("text") for v in variations)
    english = any({"name": "language", "value": "en"} in [
        {"name": c.get("name"), "value": c.get("value")} for c in v.get("condition") or []]
        for v in variations)
    return default and english


def domain_texts(root: Path, changes: dict[str, str] | None = None) -> dict[str, str]:
    """domain/*.yml of root as text, with `changes` (path -> text) applied."""
    texts = {f"domain/{p.name}": p.read_text(encoding="utf-8")
             for p in sorted((root / "domain").glob("*.yml"))}
    texts.update({k: v for k, v in (changes or {}).items() if k.startswith("domain/")})
    return texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the content folder (conversations.yml, domain/)")
    parser.add_argument("--check", action="store_true",
                        help="only compare; exit 1 if the derived file is out of date")
    args = parser.parse_args(argv)
    try:
        plan = parse((args.root / PLAN).read_text(encoding="utf-8"))
    except PlanError as error:
        print("\n".join(error.problems), file=sys.stderr)
        return 2
    text, target = derive(plan), args.root / DERIVED
    if args.check:
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            print(f"{DERIVED} is not derived from {PLAN}: run python -m actions.plan_domain",
                  file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    problems = problems_with_domain(plan, domain_texts(args.root))
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
