"""The lexicons as trainers edit them: a word added, edited or deleted per language, a label
changed, an entry added or deleted — each the one change in the file (the rest byte for byte),
committed and audited — and every result the lexicon loader (bot/lexicon/data.py) would refuse
refused with its message, nothing written. Lexicons are not Rasa data: no `rasa data validate`."""

from __future__ import annotations

import difflib
import itertools
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from bs4 import BeautifulSoup

from bot.lexicon.data import Skill, parse
from bot.trainer import lexicons
from bot.trainer.responses import EditError
from tests.web.conftest import CSRF_FIELD, visible_text

SKILLS = Path(__file__).resolve().parents[2] / "lexicons" / "skills.yml"


def commits(repo: Path) -> list[str]:
    return subprocess.run(["git", "-C", str(repo), "log", "--format=%an|%s"], capture_output=True,
                          text=True, check=True).stdout.splitlines()


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    """(removed, added) lines, paired in order; every other line of the file is the same."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    removed = [line[2:] for line in diff if line.startswith("- ")]
    added = [line[2:] for line in diff if line.startswith("+ ")]
    return list(itertools.zip_longest(removed, added, fillvalue=""))


def page_forms(client: Any, path: str) -> list[dict[str, str]]:
    page = BeautifulSoup(client.get(path).text, "html.parser")
    found = []
    for form in page.find_all("form", method="post"):
        fields = {f["name"]: f.get("value", "") for f in form.find_all("input") if f.get("name")}
        fields["_buttons"] = ",".join(b.get("value", "") for b in form.find_all("button"))
        found.append(fields)
    return found


def test_words_labels_and_entries_change_only_their_part_of_the_file() -> None:
    text = SKILLS.read_text(encoding="utf-8")
    added = lexicons.change(text, "skills", "bookkeeping", "words", "da", add="føre regnskab")
    assert changed_lines(text, added) == [
        ("           selvangivelse, årsregnskab, budget]",
         "           selvangivelse, årsregnskab, budget, føre regnskab]")]
    edited = lexicons.change(text, "skills", "teaching", "words", "en", replace=(0, "to teach"))
    assert changed_lines(text, edited) == [
        ("      en: [teach, teaching, teacher, give a course, run a course, lecture, workshop]",
         "      en: [to teach, teaching, teacher, give a course, run a course, lecture, workshop]")]
    quoted = lexicons.change(text, "skills", "teaching", "words", "da", add="kursus: 2 dage")
    assert '"kursus: 2 dage"]' in quoted  # a colon would make it a mapping: quoted
    assert yaml.safe_load(quoted)["skills"]["teaching"]["words"]["da"][-1] == "kursus: 2 dage"
    created = lexicons.set_words(text, "skills", "homework_help", "as_written", "en", ["HW"])
    entry = yaml.safe_load(created)["skills"]["homework_help"]
    assert entry["as_written"] == {"en": ["HW"]} and entry["words"]["da"][0] == "lektiehjælp"
    label = lexicons.set_label(text, "skills", "teaching", "en", "teaching & talks")
    assert changed_lines(text, label) == [("    label: {da: undervisning, en: teaching}",
                                           '    label: {da: undervisning, en: "teaching & talks"}')]
    new = lexicons.add_concept(text, "skills", "knitting", {"da": "strikning", "en": "knitting"},
                               {"da": ["strikke", " hækle "], "en": ["knit"]})
    data = parse(yaml.safe_load(new), "skills", "skills.yml", Skill)
    assert data.concepts["knitting"].labels == {"da": "strikning", "en": "knitting"}
    assert new.count("professions:") == 1 and new.index("knitting:") < new.index("professions:")
    assert yaml.safe_load(new)["skills"]["knitting"]["words"] == {"da": ["strikke", "hækle"],
                                                                   "en": ["knit"]}
    for lines in (added, edited, quoted, created, label, new):
        assert lexicons.problem(lines, "skills") is None


def test_what_the_loader_would_refuse_is_named() -> None:
    text = SKILLS.read_text(encoding="utf-8")
    without = lexicons.delete_concept(text, "skills", "carpentry")
    assert "carpentry:" not in without and "tømrerarbejde" not in without
    assert lexicons.problem(without, "skills") == (
        "lexicons/skills.yml: professions[0].skills: unknown or missing ids ['carpentry']")
    with pytest.raises(EditError, match="'Knitting' is not an id"):
        lexicons.add_concept(text, "skills", "Knitting", {"da": "a", "en": "b"}, {"da": ["x"]})
    with pytest.raises(EditError, match="teaching is already in lexicons/skills.yml"):
        lexicons.add_concept(text, "skills", "teaching", {"da": "a", "en": "b"}, {"da": ["x"]})
    with pytest.raises(EditError, match="a label in en is needed"):
        lexicons.add_concept(text, "skills", "knitting", {"da": "a", "en": " "}, {"da": ["x"]})
    with pytest.raises(EditError, match="teaching.words.da already has 'undervise'"):
        lexicons.change(text, "skills", "teaching", "words", "da", add="  undervise ")
    with pytest.raises(EditError, match="no skill 'nope' in lexicons/skills.yml"):
        lexicons.change(text, "skills", "nope", "words", "da", add="x")
    with pytest.raises(EditError, match="words.de: a word list is one of"):
        lexicons.set_words(text, "skills", "teaching", "words", "de", ["x"])


def test_a_trainer_adds_a_word_on_the_page_and_it_is_committed_and_audited(
        signed_in: Any, studio: Any, accounts: Any) -> None:
    client = signed_in("trainer", username="ida", display_name="Ida")
    path = studio.root / "lexicons" / "skills.yml"
    before = path.read_text(encoding="utf-8")
    add = next(f for f in page_forms(client, "/trainer/lexicons/skills/teaching")
               if f.get("list") == "words" and f.get("language") == "da" and "index" not in f)
    response = client.post("/trainer/lexicons/save", data={
        **add, "action": "add_word", "word": "  <b>holde  workshop</b> "}, follow_redirects=False)
    assert response.status_code == 303, visible_text(response)
    assert response.headers["location"].startswith("/trainer/lexicons/skills/teaching?saved=")
    after = path.read_text(encoding="utf-8")
    assert changed_lines(before, after) == [(
        "      da: [undervise, undervisning, lære fra sig, holde kursus, holde kurser, holde foredrag]",
        "      da: [undervise, undervisning, lære fra sig, holde kursus, holde kurser, holde foredrag,"),
        ("", "           <b>holde workshop</b>]")]  # wrapped under the first word, as the file is
    assert yaml.safe_load(after)["skills"]["teaching"]["words"]["da"][-1] == "<b>holde workshop</b>"
    assert commits(studio.root)[0] == "Ida|Ord for teaching"
    page = client.get(response.headers["location"]).text
    assert "<b>holde" not in page and 'value="&lt;b&gt;holde workshop&lt;/b&gt;"' in page
    [row] = accounts.list_audit(action="trainer.")
    assert (row["action"], row["target"], row["username"]) == (
        "trainer.lexicon.add_word", "lexicons/skills.yml#teaching", "ida")
    listing = visible_text(client.get("/trainer/lexicons", params={"q": "holde workshop"}))
    assert "teaching" in listing and "carpentry" not in listing


def test_a_new_theme_and_a_deleted_word(signed_in: Any, studio: Any) -> None:
    client = signed_in("trainer")
    new = next(f for f in page_forms(client, "/trainer/lexicons") if f.get("kind") == "themes")
    response = client.post("/trainer/lexicons/save", data={
        **new, "concept": "music", "label_da": "musik", "label_en": "music",
        "words_da": "musik, kor, sang", "words_en": "music, choir"}, follow_redirects=False)
    assert response.status_code == 303, visible_text(response)
    themes = yaml.safe_load((studio.root / "lexicons" / "themes.yml").read_text("utf-8"))
    assert themes["themes"]["music"] == {"label": {"da": "musik", "en": "music"}, "words": {
        "da": ["musik", "kor", "sang"], "en": ["music", "choir"]}}
    delete = next(f for f in page_forms(client, "/trainer/lexicons/themes/music")
                  if f.get("list") == "words" and f.get("language") == "da" and f.get("index") == "1")
    response = client.post("/trainer/lexicons/save", data={**delete, "action": "delete_word"},
                           follow_redirects=False)
    assert response.status_code == 303, visible_text(response)
    themes = yaml.safe_load((studio.root / "lexicons" / "themes.yml").read_text("utf-8"))
    assert themes["themes"]["music"]["words"]["da"] == ["musik", "sang"]
    assert len(commits(studio.root)) == 3


def test_a_change_the_loader_refuses_is_refused_with_its_message_and_nothing_written(
        signed_in: Any, studio: Any, accounts: Any) -> None:
    client = signed_in("trainer")
    before = (studio.root / "lexicons" / "skills.yml").read_bytes()
    delete = next(f for f in page_forms(client, "/trainer/lexicons/skills/carpentry")
                  if "delete_concept" in f["_buttons"])
    response = client.post("/trainer/lexicons/save", data={**delete, "action": "delete_concept"})
    assert response.status_code == 400
    assert ("the lexicon loader would refuse this: lexicons/skills.yml: professions[0].skills: "
            "unknown or missing ids ['carpentry']") in visible_text(response)
    # The last word of an entry with a single list: "has no words".
    only = next(f for f in page_forms(client, "/trainer/lexicons/skills/carpentry")
                if f.get("list") == "words" and f.get("language") == "da" and f.get("index"))
    text = (studio.root / "lexicons" / "skills.yml").read_text("utf-8")
    for language in ("da", "en"):
        text = lexicons.set_words(text, "skills", "teaching", "words", language, [])
    assert lexicons.problem(text, "skills") == "lexicons/skills.yml: skills.teaching: has no words"
    bad_id = next(f for f in page_forms(client, "/trainer/lexicons") if f.get("kind") == "skills")
    response = client.post("/trainer/lexicons/save", data={
        **bad_id, "concept": "Strik!", "label_da": "a", "label_en": "b", "words_da": "x"})
    assert response.status_code == 400 and "'Strik!' is not an id" in visible_text(response)
    assert 'value="Strik!"' in response.text  # the form keeps what was typed
    stale = client.post("/trainer/lexicons/save", data={**only, "base": "0" * 16,
                                                        "action": "edit_word", "word": "tømrer2"})
    assert stale.status_code == 400 and "changed by someone else" in visible_text(stale)
    assert (studio.root / "lexicons" / "skills.yml").read_bytes() == before
    assert len(commits(studio.root)) == 1
    assert [r["action"] for r in accounts.list_audit(action="trainer.")] == [
        "trainer.lexicon.refused"] * 3


def test_staff_get_403_and_a_save_needs_the_csrf_token(signed_in: Any, studio: Any) -> None:
    staff = signed_in("staff")
    for path in ("/trainer/lexicons", "/trainer/lexicons/skills/teaching"):
        assert staff.get(path).status_code == 403, path
    token = CSRF_FIELD.search(staff.get("/staff/").text).group(1)
    assert staff.post("/trainer/lexicons/save", data={
        "csrf_token": token, "kind": "skills", "concept": "teaching", "action": "delete_concept",
        "message": "x"}).status_code == 403
    trainer = signed_in("trainer")
    form = next(f for f in page_forms(trainer, "/trainer/lexicons/skills/teaching")
                if "delete_concept" in f["_buttons"])
    del form["csrf_token"]
    assert trainer.post("/trainer/lexicons/save", data={**form, "action": "delete_concept"}
                        ).status_code == 403
    assert "teaching:" in (studio.root / "lexicons" / "skills.yml").read_text("utf-8")
