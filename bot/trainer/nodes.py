"""Surgical edits of YAML text: a scalar is replaced where it stands (its span from PyYAML's
marks), so every other byte of the file — comments, anchors, quoting, order — stays as it was."""

from __future__ import annotations

import json
import re

import yaml

ANCHOR = re.compile(r"&[^\s]+\s+")


def compose(text: str) -> yaml.Node | None:
    return yaml.compose(text, Loader=yaml.SafeLoader)


def mapping(node: yaml.Node | None) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {key.value: value for key, value in node.value if isinstance(key, yaml.ScalarNode)}


def quoted(value: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's), on one line."""
    return json.dumps(value, ensure_ascii=False)


def scalar_replacement(text: str, node: yaml.ScalarNode, value: str) -> tuple[int, int, str]:
    """(start, end, new text) that sets this scalar to `value`, keeping an anchor on it."""
    start, end = node.start_mark.index, node.end_mark.index
    original = text[start:end]
    anchor = ANCHOR.match(original)
    return start, end, (anchor.group(0) if anchor else "") + quoted(value)


def apply(text: str, replacements: list[tuple[int, int, str]]) -> str:
    """Apply non-overlapping (start, end, new) replacements, back to front."""
    seen: set[int] = set()
    for start, end, new in sorted(replacements, reverse=True):
        if start in seen:  # an alias points at the same node: replace once
            continue
        seen.add(start)
        text = text[:start] + new + text[end:]
    return text
