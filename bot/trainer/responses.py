"""The bot's responses in a domain file: read them with their variations (language and consent
conditions), and set their texts and button titles in place."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from bot.trainer import nodes

CONVERSATIONS = ("invitation", "possibility", "ownership", "dissent", "commitment", "gift")
# Words in a response's name that belong to one conversation without naming it: the ladder is
# asked in ownership, the profession in gift, the due date in commitment.
CONVERSATION_WORDS = {"ladder": "ownership", "profession": "gift", "date": "commitment"}
# The groups of the Content page, in the order a conversation meets them. A response belongs
# to the conversation its name mentions (or one of CONVERSATION_WORDS); any other goes to the
# group of its domain file (opening.yml -> opening, ...), and a file without a group to "other".
GROUPS = ("opening", *CONVERSATIONS, "closing", "digressions", "flow", "other")


class EditError(Exception):
    """An edit that does not fit the file (unknown response, variation, button)."""


@dataclass
class Variation:
    index: int
    condition: list[dict[str, object]]
    text: str | None
    buttons: list[str] = field(default_factory=list)
    shared_with: int | None = None  # an alias (*name): the text is the one of variation n
    payloads: list[str] = field(default_factory=list)  # the buttons' payloads, in order (read-only)

    @property
    def button_pairs(self) -> list[tuple[str, str]]:
        return list(zip(self.buttons, self.payloads, strict=False))

    @property
    def language(self) -> str:
        for part in self.condition:
            if part.get("name") == "language":
                return str(part.get("value"))
        return "da"  # the unconditioned variation is Danish, the project's first language

    @property
    def condition_label(self) -> str:
        parts = [f"{part.get('name')} = {_show(part.get('value'))}" for part in self.condition
                 if part.get("name") != "language"]
        return ", ".join(parts)


@dataclass
class Response:
    name: str
    comment: str
    variations: list[Variation]

    @property
    def conversation(self) -> str | None:
        """Which of the six conversations the response belongs to, by its name."""
        words = self.name.split("_")
        named = next((name for name in CONVERSATIONS if name in words), None)
        return named or next((CONVERSATION_WORDS[w] for w in words if w in CONVERSATION_WORDS),
                             None)

    def group(self, file: str) -> str:
        """The Content page's group: the conversation, else the domain file's own group."""
        stem = file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        return self.conversation or (stem if stem in GROUPS else "other")

    def matches(self, query: str) -> bool:
        """Does a (lower-case) search hit its name, comment, Danish or English text or a title?"""
        haystack = [self.name, self.comment]
        for variation in self.variations:
            haystack += [variation.text or "", *variation.buttons]
        return not query or any(query in part.lower() for part in haystack)


def _show(value: object) -> str:
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _variation_nodes(text: str) -> tuple[dict[str, list[yaml.Node]], dict]:
    root = nodes.compose(text)
    data = yaml.safe_load(text) or {}
    responses = nodes.mapping(root).get("responses")
    found = {}
    for key, value in (responses.value if isinstance(responses, yaml.MappingNode) else []):
        if isinstance(value, yaml.SequenceNode):
            found[key.value] = value.value
    return found, (data.get("responses") or {}) if isinstance(data, dict) else {}


def read_responses(text: str) -> list[Response]:
    found, data = _variation_nodes(text)
    lines = text.splitlines()
    result = []
    for name, items in found.items():
        variations = []
        starts: dict[int, int] = {}
        for index, (node, value) in enumerate(zip(items, data.get(name) or [], strict=False)):
            fields = nodes.mapping(node)
            text_node = fields.get("text")
            shared = None
            if isinstance(text_node, yaml.ScalarNode):
                start = text_node.start_mark.index
                shared = starts.get(start)
                starts.setdefault(start, index)
            buttons = [b for b in (value.get("buttons") or []) if isinstance(b, dict)]
            variations.append(Variation(index, list(value.get("condition") or []),
                                        value.get("text"),
                                        [str(b.get("title", "")) for b in buttons], shared,
                                        [str(b.get("payload", "")) for b in buttons]))
        line = items[0].start_mark.line if items else 0
        above = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        comment = above if above.startswith("#") else ""
        result.append(Response(name, comment.lstrip("# "), variations))
    return result


def set_texts(text: str, name: str, texts: dict[int, str],
              titles: dict[tuple[int, int], str]) -> str:
    """The file with response `name`'s variation texts and button titles replaced in place.
    texts: {variation index: text}; titles: {(variation index, button index): title}."""
    found, _ = _variation_nodes(text)
    if name not in found:
        raise EditError(f"no response {name!r} in this file")
    items = found[name]
    replacements = []
    for index, value in texts.items():
        node = nodes.mapping(items[index]).get("text") if 0 <= index < len(items) else None
        if not isinstance(node, yaml.ScalarNode):
            raise EditError(f"{name}: no text in variation {index + 1}")
        if not value.strip():
            raise EditError(f"{name}: the text of variation {index + 1} is empty")
        replacements.append(nodes.scalar_replacement(text, node, value))
    for (index, button), value in titles.items():
        buttons = nodes.mapping(items[index]).get("buttons") if 0 <= index < len(items) else None
        if not isinstance(buttons, yaml.SequenceNode) or not 0 <= button < len(buttons.value):
            raise EditError(f"{name}: no button {button + 1} in variation {index + 1}")
        node = nodes.mapping(buttons.value[button]).get("title")
        if not isinstance(node, yaml.ScalarNode):
            raise EditError(f"{name}: button {button + 1} has no title")
        if not value.strip():
            raise EditError(f"{name}: the title of button {button + 1} is empty")
        replacements.append(nodes.scalar_replacement(text, node, value))
    return nodes.apply(text, replacements)
