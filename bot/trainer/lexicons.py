"""The lexicons (lexicons/skills.yml, lexicons/themes.yml) as trainers edit them: read the
concepts with their labels and word lists, and change one label, one word list, or add or delete
a concept, rewriting only that part of the file (comments, order and the rest stay byte for byte).

    text = set_words(text, "skills", "teaching", "words", "da", ["undervise", "holde kursus"])

Whether the result is still a lexicon is checked by the loader's own parser
(bot.lexicon.data.parse) in `problem`, and again by the Studio before anything is written.
Professions (skills.yml's list at the end) are edited on the Files page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from bot.lexicon.data import LANGUAGES, LexiconError, Skill, Theme, parse
from bot.trainer import nodes
from bot.trainer.responses import EditError

FILES = {"skills": "lexicons/skills.yml", "themes": "lexicons/themes.yml"}
TYPES = {"skills": Skill, "themes": Theme}
LISTS = ("words", "as_written")  # words: any inflection; as_written: exactly these forms
CONCEPT_ID = re.compile(r"[a-z][a-z0-9_]{0,60}")
WIDTH = 100  # a rewritten word list wraps before this column, as the files do
PLAIN = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^,\[\]{}#:]*")


@dataclass
class Concept:
    id: str
    labels: dict[str, str]
    lists: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (list, lang): words

    def words(self, kind: str, language: str) -> list[str]:
        return self.lists.get((kind, language), [])

    def matches(self, query: str) -> bool:
        haystack = [self.id, *self.labels.values(), *(w for ws in self.lists.values() for w in ws)]
        return not query or any(query in part.lower() for part in haystack)


def _concept_nodes(text: str, kind: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """{concept id: (key node, value node)} of the top-level `kind:` mapping."""
    found = nodes.mapping(nodes.compose(text)).get(kind)
    if not isinstance(found, yaml.MappingNode):
        raise EditError(f"{FILES[kind]} has no top-level '{kind}:' mapping; fix it on the Files "
                        "page")
    return {key.value: (key, value) for key, value in found.value
            if isinstance(key, yaml.ScalarNode)}


def read_concepts(text: str, kind: str) -> list[Concept]:
    data = yaml.safe_load(text) or {}
    concepts = []
    for concept_id, entry in ((data.get(kind) or {}) if isinstance(data, dict) else {}).items():
        if not isinstance(entry, dict):
            continue
        labels = entry.get("label") if isinstance(entry.get("label"), dict) else {}
        concept = Concept(str(concept_id), {lang: str(labels.get(lang) or "") for lang in LANGUAGES})
        for name in LISTS:
            for language, words in (entry.get(name) or {}).items():
                if isinstance(words, list):
                    concept.lists[(name, str(language))] = [str(w) for w in words]
        concepts.append(concept)
    return concepts


def problem(text: str, kind: str) -> str | None:
    """None if the lexicon loader reads the text, else its message (file and entry named)."""
    try:
        parse(yaml.safe_load(text), kind, FILES[kind], TYPES[kind])
    except LexiconError as error:
        return str(error)
    except yaml.YAMLError as error:
        return f"{FILES[kind]}: {error}"
    return None


def clean_word(word: str) -> str:
    word = " ".join(word.split())
    if not word:
        raise EditError("a word cannot be empty")
    if len(word) > 100:
        raise EditError(f"{word[:20]!r}…: a word or phrase has at most 100 characters")
    return word


def _item(word: str) -> str:
    """A flow-sequence item: plain where YAML reads it back as the same string, else quoted."""
    if PLAIN.fullmatch(word) and word == word.strip():
        try:
            if yaml.safe_load(f"[{word}]") == [word]:
                return word
        except yaml.YAMLError:
            pass
    return nodes.quoted(word)


def _flow(words: list[str], column: int) -> str:
    """[a, b, c] starting at `column`, wrapped like the files are (continuation under the 1st)."""
    lines: list[str] = []
    line, offset = "[", column  # offset: where the current line starts in the file
    for number, word in enumerate(words):
        piece = _item(word) + ("," if number < len(words) - 1 else "")
        fresh = line.strip() == "[" or not line.strip()
        if not fresh and offset + len(line) + 1 + len(piece) + 1 > WIDTH:
            lines.append(line)
            line, offset = " " * (column + 1) + piece, 0
        else:
            line += ("" if fresh else " ") + piece
    return "\n".join([*lines, line + "]"])


def _concept(text: str, kind: str, concept_id: str) -> tuple[yaml.Node, yaml.Node]:
    found = _concept_nodes(text, kind)
    if concept_id not in found:
        raise EditError(f"no {kind[:-1]} {concept_id!r} in {FILES[kind]}")
    return found[concept_id]


def set_label(text: str, kind: str, concept_id: str, language: str, label: str) -> str:
    _, value = _concept(text, kind, concept_id)
    node = nodes.mapping(nodes.mapping(value).get("label")).get(language)
    if not isinstance(node, yaml.ScalarNode):
        raise EditError(f"{concept_id} has no {language} label to change; fix it on the Files page")
    label = " ".join(label.split())
    if not label:
        raise EditError(f"{concept_id}: the {language} label cannot be empty")
    return nodes.apply(text, [nodes.scalar_replacement(text, node, label)])


def set_words(text: str, kind: str, concept_id: str, list_name: str, language: str,
              words: list[str]) -> str:
    """The file with one word list of a concept replaced (created if it was not there)."""
    if list_name not in LISTS or language not in LANGUAGES:
        raise EditError(f"{list_name}.{language}: a word list is one of "
                        f"{', '.join(LISTS)} in {' or '.join(LANGUAGES)}")
    words = list(dict.fromkeys(clean_word(w) for w in words))  # once each, in order
    _, value = _concept(text, kind, concept_id)
    block = nodes.mapping(value).get(list_name)
    node = nodes.mapping(block).get(language)
    if isinstance(node, yaml.SequenceNode):
        if not node.flow_style:
            raise EditError(f"{concept_id}.{list_name}.{language} is not a [..] list; edit it on "
                            "the Files page")
        start, end = node.start_mark.index, node.end_mark.index
        return text[:start] + _flow(words, node.start_mark.column) + text[end:]
    if node is not None:
        raise EditError(f"{concept_id}.{list_name}.{language} is not a list of words")
    if not words:
        return text  # an absent list is already empty
    if isinstance(block, yaml.MappingNode) and not block.flow_style and block.value:
        indent = block.value[0][0].start_mark.column
        at = block.value[-1][1].end_mark.index
        lead = f"\n{' ' * indent}{language}: "
        return text[:at] + lead + _flow(words, indent + len(language) + 2) + text[at:]
    if block is not None:
        raise EditError(f"{concept_id}.{list_name} is not a da:/en: mapping; edit it on the Files "
                        "page")
    indent, at = _entry_end(value)
    lead = f"\n{' ' * indent}{list_name}:\n{' ' * (indent + 2)}{language}: "
    return text[:at] + lead + _flow(words, indent + 2 + len(language) + 2) + text[at:]


def _entry_end(value: yaml.Node) -> tuple[int, int]:
    """(indent of the concept's keys, index right after its last value) for inserting a key."""
    if not isinstance(value, yaml.MappingNode) or value.flow_style or not value.value:
        raise EditError("this entry is not a block mapping; edit it on the Files page")
    last = value.value[-1][1]
    while isinstance(last, yaml.MappingNode) and not last.flow_style and last.value:
        last = last.value[-1][1]  # the end of a nested block mapping is its last value's end
    return value.value[0][0].start_mark.column, last.end_mark.index


def add_concept(text: str, kind: str, concept_id: str, labels: dict[str, str],
                words: dict[str, list[str]]) -> str:
    """The file with a new concept after the last one (label and words in both languages)."""
    if not CONCEPT_ID.fullmatch(concept_id):
        raise EditError(f"{concept_id!r} is not an id: lower-case letters, digits and _, "
                        "starting with a letter")
    found = _concept_nodes(text, kind)
    if concept_id in found:
        raise EditError(f"{concept_id} is already in {FILES[kind]}")
    if not found:
        raise EditError(f"{FILES[kind]} has no {kind} yet; add the first one on the Files page")
    shown = {lang: " ".join((labels.get(lang) or "").split()) for lang in LANGUAGES}
    missing = [lang for lang in LANGUAGES if not shown[lang]]
    if missing:
        raise EditError(f"{concept_id}: a label in {' and '.join(missing)} is needed")
    key, value = list(found.values())[-1]
    indent, at = key.start_mark.column, _entry_end(value)[1]
    inner = " " * (indent + 2)
    label = ", ".join(f"{lang}: {_item(shown[lang])}" for lang in LANGUAGES)
    lines = [f"\n\n{' ' * indent}{concept_id}:", f"{inner}label: {{{label}}}", f"{inner}words:"]
    for lang in LANGUAGES:
        cleaned = list(dict.fromkeys(clean_word(w) for w in words.get(lang) or [] if w.strip()))
        if cleaned:
            lines.append(f"{inner}  {lang}: " + _flow(cleaned, len(inner) + 2 + len(lang) + 2))
    if lines[-1].endswith("words:"):
        raise EditError(f"{concept_id}: give at least one word")
    return text[:at] + "\n".join(lines) + text[at:]


def delete_concept(text: str, kind: str, concept_id: str) -> str:
    """The file without this concept: its lines from the key to its last value, and one blank
    line after them (comments above the next concept stay)."""
    key, value = _concept(text, kind, concept_id)
    end = _entry_end(value)[1]
    start = text.rfind("\n", 0, key.start_mark.index) + 1
    end = text.find("\n", end)
    end = len(text) if end < 0 else end + 1
    if text[end:end + 1] == "\n":
        end += 1  # the blank line that separated it from the next one
    return text[:start] + text[end:]


def change(text: str, kind: str, concept_id: str, list_name: str, language: str, *,
           add: str | None = None, remove: int | None = None,
           replace: tuple[int, str] | None = None) -> str:
    """One word of one list: add one, remove the n-th, or replace the n-th."""
    concept = next((c for c in read_concepts(text, kind) if c.id == concept_id), None)
    if concept is None:
        raise EditError(f"no {kind[:-1]} {concept_id!r} in {FILES[kind]}")
    words = list(concept.words(list_name, language))
    for index in (remove, replace[0] if replace else None):
        if index is not None and not 0 <= index < len(words):
            raise EditError(f"{concept_id}.{list_name}.{language} has no word number {index + 1}")
    if replace is not None:
        words[replace[0]] = clean_word(replace[1])
    if remove is not None:
        del words[remove]
    if add is not None:
        word = clean_word(add)
        if word in words:
            raise EditError(f"{concept_id}.{list_name}.{language} already has {word!r}")
        words.append(word)
    return set_words(text, kind, concept_id, list_name, language, words)
