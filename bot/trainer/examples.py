"""Intents and their examples in an NLU file (`- intent: x` / `examples: |` blocks): read them,
and add, edit, delete or move one example by rewriting only that intent's block."""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from bot.trainer import nodes
from bot.trainer.responses import EditError


@dataclass
class Intent:
    name: str
    examples: list[str]


def _blocks(text: str) -> list[tuple[str, yaml.ScalarNode]]:
    root = nodes.compose(text)
    items = nodes.mapping(root).get("nlu")
    found = []
    for item in items.value if isinstance(items, yaml.SequenceNode) else []:
        fields = nodes.mapping(item)
        name, examples = fields.get("intent"), fields.get("examples")
        if isinstance(name, yaml.ScalarNode) and isinstance(examples, yaml.ScalarNode):
            found.append((name.value, examples))
    return found


def _parse(value: str) -> list[str]:
    return [line.strip()[2:] for line in value.splitlines() if line.strip().startswith("- ")]


def read_intents(text: str) -> list[Intent]:
    return [Intent(name, _parse(node.value)) for name, node in _blocks(text)]


def _render(text: str, node: yaml.ScalarNode, examples: list[str]) -> tuple[int, int, str]:
    """The block scalar with these examples, keeping its header, indentation and the blank
    lines that followed it."""
    start, end = node.start_mark.index, node.end_mark.index
    original = text[start:end]
    header, _, body = original.partition("\n")
    if not header.lstrip().startswith("|"):
        raise EditError("the examples are not a `|` block; edit this file by hand")
    first = next((line for line in body.splitlines() if line.strip()), "    - x")
    indent = first[: len(first) - len(first.lstrip())]
    trailing = original[len(original.rstrip("\n")):]
    lines = "\n".join(f"{indent}- {example}" for example in examples)
    return start, end, f"{header}\n{lines}{trailing if trailing else chr(10)}"


def _clean(example: str) -> str:
    example = " ".join(example.split())
    if not example:
        raise EditError("an example cannot be empty")
    return example


INTENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,80}")


def has_intent(text: str, intent: str) -> bool:
    return intent in dict(_blocks(text))


def add_intent(text: str, intent: str, example: str) -> str:
    """The file with a new intent block at its end (Rasa refuses it unless the domain lists it)."""
    if not INTENT_NAME.fullmatch(intent):
        raise EditError(f"{intent!r} is not an intent name (letters, digits and _)")
    if has_intent(text, intent):
        raise EditError(f"{intent} is already in this file")
    end = "" if text.endswith("\n") else "\n"
    return f"{text}{end}\n- intent: {intent}\n  examples: |\n    - {_clean(example)}\n"


def change(text: str, intent: str, *, remove: int | None = None, add: str | None = None,
           replace: tuple[int, str] | None = None) -> str:
    """The file with one intent's examples changed: remove the n-th, add one, or replace one."""
    blocks = dict(_blocks(text))
    if intent not in blocks:
        raise EditError(f"no intent {intent!r} in this file")
    node = blocks[intent]
    examples = _parse(node.value)
    if remove is not None or replace is not None:
        index = remove if remove is not None else replace[0]  # type: ignore[index]
        if not 0 <= index < len(examples):
            raise EditError(f"{intent} has no example number {index + 1}")
        if replace is not None:
            examples[index] = _clean(replace[1])
        else:
            del examples[index]
    if add is not None:
        example = _clean(add)
        if example in examples:
            raise EditError(f"{intent} already has the example {example!r}")
        examples.append(example)
    if not examples:
        raise EditError(f"{intent} would have no examples left; add another one first")
    return nodes.apply(text, [_render(text, node, examples)])


def change_many(text: str, intent: str, *, remove: set[int] | None = None,
                add: list[str] | None = None) -> tuple[str, list[str]]:
    """The file with several examples of one intent removed and/or added at once (one rewrite
    of its block), and the removed examples in their order. An added example the intent already
    has is not added twice."""
    blocks = dict(_blocks(text))
    if intent not in blocks:
        raise EditError(f"no intent {intent!r} in this file")
    node = blocks[intent]
    examples = _parse(node.value)
    remove = remove or set()
    missing = sorted(index + 1 for index in remove if not 0 <= index < len(examples))
    if missing:
        raise EditError(f"{intent} has no example number {', '.join(map(str, missing))}")
    removed = [example for index, example in enumerate(examples) if index in remove]
    kept = [example for index, example in enumerate(examples) if index not in remove]
    for example in add or []:
        example = _clean(example)
        if example not in kept:
            kept.append(example)
    if not kept:
        raise EditError(f"{intent} would have no examples left; keep one or add another first")
    return nodes.apply(text, [_render(text, node, kept)]), removed
