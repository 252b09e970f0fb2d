"""Changing what the bot understands, and every refusal leaving the files and the history as
they were: a YAML error (line and column), Rasa's own refusal of an example moved to an intent
the domain does not have, paths outside the data folders, a file changed by someone else."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from bs4 import BeautifulSoup

from tests.web.conftest import CSRF_FIELD, SQLITE_ONLY, visible_text


def snapshot(repo: Path) -> tuple[dict[str, bytes], str]:
    files = {p.relative_to(repo).as_posix(): p.read_bytes() for p in sorted(repo.rglob("*"))
             if p.is_file() and ".git" not in p.parts}
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout
    return files, head


def forms(client: Any, path: str) -> list[dict[str, str]]:
    page = BeautifulSoup(client.get(path).text, "html.parser")
    found = []
    for form in page.find_all("form", method="post"):
        fields = {f["name"]: f.get("value", "") for f in form.find_all("input") if f.get("name")}
        fields.update({a["name"]: a.text for a in form.find_all("textarea")})
        fields["_action"] = form["action"]
        found.append(fields)
    return found


def intents(repo: Path, file: str) -> dict[str, list[str]]:
    data = yaml.safe_load((repo / file).read_text(encoding="utf-8"))
    return {item["intent"]: [line[2:] for line in item["examples"].splitlines()]
            for item in data["nlu"]}


@SQLITE_ONLY
def test_add_an_example_then_rasa_refuses_a_move_to_an_unknown_intent(
        signed_in: Any, studio: Any, accounts: Any) -> None:
    client = signed_in("trainer", username="ole", display_name="Ole")
    add = next(f for f in forms(client, "/trainer/understanding/da/greet")
               if f.get("action") == "add")
    assert add["file"] == "nlu/da/basics.yml" and add["message"]
    response = client.post("/trainer/understanding/example", data={
        **add, "text": "  goddaw   fra   Bispebjerg ", "message": "Ny hilsen"},
        follow_redirects=False)
    assert response.status_code == 303, visible_text(response)
    assert intents(studio.root, "nlu/da/basics.yml")["greet"][-1] == "goddaw fra Bispebjerg"
    page = client.get("/trainer/understanding/da/greet").text
    assert 'value="goddaw fra Bispebjerg"' in page

    before = snapshot(studio.root)
    move = next(f for f in forms(client, "/trainer/understanding/da/greet")
                if "target" in f and f["index"] == "0")
    refused = client.post("/trainer/understanding/example", data={
        **move, "action": "move", "target": "hilsen_findes_ikke"}, follow_redirects=False)
    assert refused.status_code == 400
    text = visible_text(refused)
    assert "rasa data validate" in text
    assert "'hilsen_findes_ikke'. This intent is not listed in your domain" in text
    assert snapshot(studio.root) == before  # nothing written, no commit
    actions = [r["action"] for r in accounts.list_audit(action="trainer.")]
    assert actions == ["trainer.example.refused", "trainer.example.add"]


def test_a_yaml_error_is_refused_with_line_and_column_and_nothing_written(
        signed_in: Any, studio: Any) -> None:
    client = signed_in("trainer")
    form = next(f for f in forms(client, "/trainer/files/lexicons/themes.yml")
                if f["_action"] == "/trainer/files/lexicons/themes.yml")
    broken = form["text"].replace("\n", "\n  bad: [unclosed\n", 3)
    before = snapshot(studio.root)
    response = client.post("/trainer/files/lexicons/themes.yml",
                           data={**form, "text": broken}, follow_redirects=False)
    assert response.status_code == 400
    text = visible_text(response)
    assert "YAML error at line" in text and "column" in text
    assert "bad: [unclosed" in BeautifulSoup(response.text, "html.parser").textarea.text
    assert snapshot(studio.root) == before


@pytest.mark.parametrize("path", [
    "/trainer/files/%2e%2e/%2e%2e/etc/passwd", "/trainer/files//etc/passwd",
    "/trainer/files/bot/settings.py", "/trainer/files/domain/..%2f..%2fbot%2fsettings.py",
    "/trainer/files/config.yml", "/trainer/files/domain/link.yml",
])
def test_paths_outside_the_data_folders_are_refused(signed_in: Any, studio: Any, path: str
                                                    ) -> None:
    (studio.root / "domain" / "link.yml").symlink_to(studio.root.parent)
    client = signed_in("trainer")
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert "root:" not in response.text and "class Settings" not in response.text
    token = CSRF_FIELD.search(client.get("/trainer/files").text).group(1)
    before = snapshot(studio.root)
    posted = client.post(path, data={"csrf_token": token, "text": "x: 1\n", "message": "m"})
    assert posted.status_code in (400, 404, 405)
    saved = client.post("/trainer/content/save", data={
        "csrf_token": token, "file": "../../etc/passwd", "name": "x", "message": "m"})
    assert saved.status_code == 400 and "may be changed" in visible_text(saved)
    assert snapshot(studio.root) == before


def test_a_file_changed_by_someone_else_is_not_overwritten(signed_in: Any, studio: Any) -> None:
    client = signed_in("trainer")
    form = next(f for f in forms(client, "/trainer/content?q=utter_consent_given")
                if f.get("name") == "utter_consent_given")
    target = studio.root / "domain" / "opening.yml"
    target.write_text(target.read_text(encoding="utf-8") + "# a colleague's line\n",
                      encoding="utf-8")
    before = snapshot(studio.root)
    response = client.post("/trainer/content/save", data={**form, "text_0": "Tak skal du have."})
    assert response.status_code == 400
    assert "changed by someone else" in visible_text(response)
    assert snapshot(studio.root) == before


def checkboxes(client: Any, path: str) -> tuple[dict[str, str], list[str]]:
    """The bulk form's fields and the values of the checkboxes that belong to it."""
    page = BeautifulSoup(client.get(path).text, "html.parser")
    form = page.find("form", id="bulk")
    fields = {f["name"]: f.get("value", "") for f in form.find_all("input") if f.get("name")}
    boxes = [box["value"] for box in page.find_all("input", type="checkbox", form="bulk")]
    return fields, boxes


def changed_files(repo: Path) -> list[str]:
    return subprocess.run(["git", "-C", str(repo), "show", "--name-only", "--format=", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.split()


@SQLITE_ONLY
def test_bulk_move_across_files_is_one_checked_commit(signed_in: Any, studio: Any,
                                                      accounts: Any) -> None:
    client = signed_in("trainer", username="ole", display_name="Ole")
    greet = intents(studio.root, "nlu/da/basics.yml")["greet"]
    fields, boxes = checkboxes(client, "/trainer/understanding/da/greet")
    assert boxes[:2] == ["nlu/da/basics.yml|greet|0", "nlu/da/basics.yml|greet|1"]
    assert fields["base:nlu/da/basics.yml"] and fields["page_intent"] == "greet"
    response = client.post("/trainer/understanding/bulk", data={
        **fields, "selected": [boxes[1], boxes[3]], "action": "move", "target": "help",
        "message": "Hilsner, der er hjælp"}, follow_redirects=False)
    assert response.status_code == 303, visible_text(response)
    assert response.headers["location"].startswith("/trainer/understanding/da/greet?saved=")
    after = intents(studio.root, "nlu/da/basics.yml")["greet"]
    assert after == [e for i, e in enumerate(greet) if i not in (1, 3)]
    assert intents(studio.root, "nlu/da/digressions.yml")["help"][-2:] == [greet[1], greet[3]]
    log = subprocess.run(["git", "-C", str(studio.root), "log", "--format=%an|%s"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert log == ["Ole|Hilsner, der er hjælp", "Samtale|The content as shipped"]
    assert sorted(changed_files(studio.root)) == ["nlu/da/basics.yml", "nlu/da/digressions.yml"]
    [row] = accounts.list_audit(action="trainer.")
    assert row["action"] == "trainer.example.bulk_move"
    assert row["detail"]["examples"] == 2 and row["detail"]["target"] == "help"
    assert row["detail"]["files"] == ["nlu/da/basics.yml", "nlu/da/digressions.yml"]


@SQLITE_ONLY
def test_bulk_delete_from_the_search_results(signed_in: Any, studio: Any) -> None:
    client = signed_in("trainer", language="en")
    page = client.get("/trainer/understanding", params={"language": "en", "q": "THANK"})
    assert "Matching examples" in visible_text(page)
    fields, boxes = checkboxes(client, "/trainer/understanding?language=en&q=thank")
    assert fields["q"] == "thank" and fields["language"] == "en" and not fields["page_intent"]
    chosen = [box for box in boxes if "|thank|" in box][:2]
    others = [box for box in boxes if "|thank|" not in box][:1]
    assert len(chosen) == 2 and len(others) == 1, boxes
    before = {box: intents(studio.root, box.split("|")[0]) for box in chosen + others}
    response = client.post("/trainer/understanding/bulk", data={
        **fields, "selected": chosen + others, "action": "delete"}, follow_redirects=False)
    assert response.status_code == 303, visible_text(response)
    assert response.headers["location"].startswith("/trainer/understanding?language=en&q=thank&")
    for box in chosen + others:
        file, intent, index = box.split("|")
        example = before[box][intent][int(index)]
        assert example not in intents(studio.root, file)[intent], box
    head = subprocess.run(["git", "-C", str(studio.root), "rev-list", "--count", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert head == "2"  # three examples, possibly two files: one commit


def test_bulk_refusals_name_the_problem_and_write_nothing(signed_in: Any, studio: Any,
                                                          accounts: Any) -> None:
    client = signed_in("trainer", language="en")
    fields, boxes = checkboxes(client, "/trainer/understanding/da/deny")
    before = snapshot(studio.root)
    cases = [
        ({"action": "delete"}, "choose one or more examples first"),
        ({"action": "move", "selected": boxes[:1], "target": ""}, "choose the intent to move"),
        ({"action": "move", "selected": boxes[:1], "target": "deny"}, "already in deny"),
        ({"action": "delete", "selected": boxes}, "deny would have no examples left"),
        ({"action": "delete", "selected": ["../../etc/passwd|x|0"]}, "is not an NLU file"),
        ({"action": "delete", "selected": ["nlu/da/basics.yml|deny|x"]}, "is not an example"),
        ({"action": "delete", "selected": ["nlu/da/basics.yml|deny|9999"]},
         "deny has no example number 10000"),
        ({"action": "rename", "selected": boxes[:1]}, "unknown bulk action 'rename'"),
    ]
    for extra, problem in cases:
        response = client.post("/trainer/understanding/bulk", data={**fields, **extra})
        assert response.status_code == 400, extra
        assert problem in visible_text(response), (extra, visible_text(response)[:400])
    assert snapshot(studio.root) == before
    assert len(accounts.list_audit(action="trainer.")) == len(cases)


def test_staff_get_403_on_bulk_and_it_needs_the_csrf_token(signed_in: Any, studio: Any) -> None:
    staff = signed_in("staff")
    token = CSRF_FIELD.search(staff.get("/staff/").text).group(1)
    body = {"csrf_token": token, "language": "da", "action": "delete", "message": "x",
            "selected": "nlu/da/basics.yml|greet|0"}
    assert staff.post("/trainer/understanding/bulk", data=body).status_code == 403
    trainer = signed_in("trainer")
    before = snapshot(studio.root)
    fields, boxes = checkboxes(trainer, "/trainer/understanding/da/greet")
    del fields["csrf_token"]
    forged = trainer.post("/trainer/understanding/bulk", data={
        **fields, "selected": boxes[:1], "action": "delete"})
    assert forged.status_code == 403 and snapshot(studio.root) == before
