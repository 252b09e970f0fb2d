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

from tests.web.conftest import CSRF_FIELD, visible_text


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
