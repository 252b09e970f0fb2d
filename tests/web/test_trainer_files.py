"""The studio's file rules and in-place edits, without the web: path traversal refused, every
real data file rewritten byte for byte when nothing changes, edits touching only their scalar."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from bot.settings import ROOT
from bot.trainer import examples, responses
from bot.trainer.files import DataError, read_text, resolve, yaml_problem


@pytest.mark.parametrize("path", [
    "../etc/passwd", "domain/../../etc/passwd", "/etc/passwd", str(ROOT / "domain/core.yml"),
    "bot/settings.py", "config.yml", "domain/core.py", "nlu/../bot/x.yml", "", "domain\\x.yml",
    "domain/\x00.yml", "var/samtale.yml",
])
def test_paths_outside_the_data_folders_are_refused(path: str) -> None:
    with pytest.raises(DataError):
        resolve(ROOT, path)


def test_symlinks_are_refused(tmp_path: Path) -> None:
    (tmp_path / "domain").mkdir()
    secret = tmp_path / "secret.yml"
    secret.write_text("token: x\n")
    os.symlink(secret, tmp_path / "domain" / "link.yml")
    os.symlink(tmp_path, tmp_path / "nlu")
    with pytest.raises(DataError, match="symbolic link"):
        read_text(tmp_path, "domain/link.yml")
    with pytest.raises(DataError, match="symbolic link"):
        read_text(tmp_path, "nlu/secret.yml")


def test_non_utf8_and_malformed_files_are_refused_with_the_parsers_message(tmp_path: Path
                                                                          ) -> None:
    (tmp_path / "domain").mkdir()
    (tmp_path / "domain" / "latin1.yml").write_bytes("text: \"bl\xe5b\xe6r\"\n".encode("latin-1"))
    (tmp_path / "domain" / "broken.yml").write_text("responses:\n  utter_x:\n  - text: \"open\n")
    with pytest.raises(DataError, match="not UTF-8"):
        read_text(tmp_path, "domain/latin1.yml")
    with pytest.raises(DataError, match=r"line \d+, column \d+"):
        read_text(tmp_path, "domain/broken.yml")


def test_yaml_problem_names_line_and_column() -> None:
    assert yaml_problem("a: 1\nb: [1, 2\nc: 3\n").startswith("YAML error at line 3, column 2")
    assert yaml_problem("a: 1\n") is None


def test_an_unchanged_rewrite_of_every_nlu_file_is_byte_identical() -> None:
    for path in sorted((ROOT / "nlu").rglob("*.yml")):
        text = path.read_text(encoding="utf-8")
        for intent in examples.read_intents(text):
            assert examples.change(text, intent.name, replace=(0, intent.examples[0])) == text


def test_a_response_edit_touches_only_its_text(tmp_path: Path) -> None:
    text = (ROOT / "domain" / "closing.yml").read_text(encoding="utf-8")
    found = {r.name: r for r in responses.read_responses(text)}
    ack = found["utter_ack_contact"]
    assert ack.variations[2].shared_with == 1  # `*ack_contact_en` is shown as shared
    assert ack.variations[1].condition_label == "consent = false"
    new = responses.set_texts(text, "utter_ack_contact", {1: 'Thanks, "friend"\n<b>'}, {})
    before, after = text.splitlines(), new.splitlines()
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert len(changed) == 1 and "&ack_contact_en" in after[changed[0]]
    data = yaml.safe_load(new)["responses"]["utter_ack_contact"]
    assert data[1]["text"] == data[2]["text"] == 'Thanks, "friend"\n<b>'  # the alias follows


NLU = """version: "3.1"
nlu:
# greetings first
- intent: greet
  examples: |
    - hej
    - goddag

- intent: bye
  examples: |
    - farvel
"""


def test_example_edits_rewrite_only_their_intent_block() -> None:
    edited = examples.change(NLU, "greet", replace=(1, "  god   dag "))
    assert edited == NLU.replace("    - goddag", "    - god dag")
    removed = examples.change(NLU, "greet", remove=0)
    assert removed == NLU.replace("    - hej\n", "")
    added = examples.change(NLU, "bye", add="vi ses")
    assert added == NLU + "    - vi ses\n"
    assert examples.read_intents(examples.add_intent(NLU, "thanks", "tak"))[-1] == \
        examples.Intent("thanks", ["tak"])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"intent": "nope", "add": "x"}, "no intent"),
    ({"intent": "greet", "add": "hej"}, "already has"),
    ({"intent": "greet", "add": "   "}, "cannot be empty"),
    ({"intent": "greet", "remove": 5}, "no example number 6"),
    ({"intent": "bye", "remove": 0}, "no examples left"),
])
def test_bad_example_edits_say_why(kwargs: dict, message: str) -> None:
    intent = kwargs.pop("intent")
    with pytest.raises(responses.EditError, match=message):
        examples.change(NLU, intent, **kwargs)


@pytest.mark.parametrize("name", ["", "has space", "../x", "æble", "x" * 100, "1abc"])
def test_new_intent_names_are_checked(name: str) -> None:
    with pytest.raises(responses.EditError):
        examples.add_intent(NLU, name, "x")


def test_a_revert_that_no_longer_applies_is_refused_before_any_check(content_repo: Path) -> None:
    """The reverse patch of an old commit conflicts with a later change of the same line: the
    studio refuses with git's words, writes nothing and never starts Rasa (a wrong path)."""
    from bot.trainer import history
    from bot.trainer.studio import SaveRefused, Studio

    studio = Studio(content_repo, Path("/nonexistent/rasa"), ROOT)
    target = content_repo / "domain" / "opening.yml"
    original = target.read_text(encoding="utf-8")
    shas, previous = [], "Hej"
    for word in ("Hejsa", "Davs"):  # the same line, changed twice
        text = target.read_text(encoding="utf-8")
        target.write_text(text.replace(f'"{previous} og velkommen', f'"{word} og velkommen', 1),
                          encoding="utf-8")
        shas.append(history.commit(content_repo, ["domain/opening.yml"], word, "T", "t@x.invalid"))
        previous = word
    before = target.read_bytes()
    with pytest.raises(SaveRefused, match="cannot be undone"):
        studio.revert(shas[0], author="Lise", username="lise")
    assert target.read_bytes() == before and original != before.decode()
    with pytest.raises(SaveRefused, match="not a commit id"):
        studio.revert("HEAD~1; rm -rf /", author="Lise", username="lise")


def test_lexicons_are_checked_by_their_own_schema_and_saved_without_rasa(content_repo: Path
                                                                         ) -> None:
    """Rasa does not read lexicons/: a lexicon save needs no Rasa (this studio has none), and the
    lexicon's own loader refuses a theme without an English label, naming it."""
    from bot.trainer import history
    from bot.trainer.studio import SaveRefused, Studio

    studio = Studio(content_repo, Path("/nonexistent/rasa"), ROOT)
    target = content_repo / "lexicons" / "themes.yml"
    text = target.read_text(encoding="utf-8")
    no_label = text.replace("label: {da: grønne områder, en: green spaces}",
                            "label: {da: grønne områder}", 1)
    with pytest.raises(SaveRefused, match=r"themes\.green_spaces\.label: needs a Danish"):
        studio.save({"lexicons/themes.yml": no_label}, author="Lise", username="lise",
                    message="Uden engelsk")
    assert target.read_text(encoding="utf-8") == text
    more = text.replace("plantekasse]", "plantekasse, højbed]", 1)
    sha = studio.save({"lexicons/themes.yml": more}, author="Lise", username="lise",
                      message="Højbed er et grønt område")
    assert target.read_text(encoding="utf-8") == more
    assert history.commits(content_repo)[0].sha == sha
    with pytest.raises(SaveRefused, match="commit message is required"):
        studio.save({"lexicons/themes.yml": text}, author="Lise", username="lise", message=" ")


def test_a_content_folder_that_is_no_git_repository_is_refused(tmp_path: Path) -> None:
    from bot.trainer.studio import SaveRefused, Studio

    (tmp_path / "lexicons").mkdir()
    (tmp_path / "lexicons" / "themes.yml").write_text("themes: {}\n", encoding="utf-8")
    studio = Studio(tmp_path, Path("/nonexistent/rasa"), ROOT)
    with pytest.raises(SaveRefused, match="not a git repository"):
        studio.save({"lexicons/themes.yml": "themes: {}\n"}, author="L", username="l",
                    message="m")
