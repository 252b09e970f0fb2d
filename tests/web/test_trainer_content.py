"""Saving what the bot says: both languages in one form, written in place (the rest of the
file byte for byte), checked by the real `rasa data validate`, committed with the trainer as
author, shown in the history with its diff (escaped), and undone by Revert as a new commit."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from bs4 import BeautifulSoup

from bot.store import migrate
from tests.web.conftest import CSRF_FIELD, visible_text

SCRIPT = "Velkommen <script>alert('x')</script> til"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the pages use the database for accounts and audit rows alone."""
    url = f"sqlite:///{tmp_path / 'samtale.db'}"
    migrate(url)
    return url


def git_log(repo: Path) -> list[str]:
    out = subprocess.run(["git", "-C", str(repo), "log", "--format=%H|%an|%ae|%s"],
                         capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def form_of(client: Any, response_name: str, query: str) -> dict[str, str]:
    """The hidden and current fields of one response's form, as the browser would send them."""
    page = BeautifulSoup(client.get("/trainer/content", params={"q": query}).text, "html.parser")
    form = page.find("form", id=response_name)
    fields = {field["name"]: field.get("value", "") for field in form.find_all("input")}
    fields.update({area["name"]: area.text for area in form.find_all("textarea")})
    return fields


def test_save_both_languages_history_and_revert(signed_in: Any, studio: Any, accounts: Any
                                                 ) -> None:
    client = signed_in("trainer", username="lise", display_name="Lise Træner")
    path = studio.root / "domain" / "opening.yml"
    before = path.read_text(encoding="utf-8")
    fields = form_of(client, "utter_ask_role", "utter_ask_role")
    assert fields["file"] == "domain/opening.yml" and fields["message"]
    fields.update(text_0=SCRIPT, text_1="Are you a citizen or staff?", title_1_0="Citizen",
                  message="Kortere rollespørgsmål")
    response = client.post("/trainer/content/save", data=fields, follow_redirects=False)
    assert response.status_code == 303, visible_text(response)

    after = path.read_text(encoding="utf-8")
    role = yaml.safe_load(after)["responses"]["utter_ask_role"]
    assert role[0]["text"] == SCRIPT and role[1]["text"] == "Are you a citizen or staff?"
    assert role[1]["buttons"][0] == {"title": "Citizen", "payload": '/choose{{"value":"citizen"}}'}
    assert role[0]["buttons"][0]["title"] == "Som borger"  # untouched
    # Everything outside the three edited scalars is byte-identical.
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True)
               if a != b]
    assert len(changed) == 3 and all("utter_" not in a for a, _ in changed)
    head = git_log(studio.root)
    assert len(head) == 2
    sha, author, email, subject = head[0].split("|")
    assert (author, email, subject) == ("Lise Træner", "lise@trainers.samtale.invalid",
                                        "Kortere rollespørgsmål")
    status = subprocess.run(["git", "-C", str(studio.root), "status", "--porcelain"],
                            capture_output=True, text=True, check=True).stdout
    assert status == ""  # nothing half-written or left over beside the file

    # The content page shows the new text escaped, never as a script.
    page = client.get("/trainer/content", params={"q": "utter_ask_role"}).text
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page

    listing = client.get("/trainer/history")
    assert "Kortere rollespørgsmål" in visible_text(listing) and "Lise Træner" in listing.text
    diff = client.get(f"/trainer/history/{sha}")
    assert diff.status_code == 200
    assert "<script>alert" not in diff.text and "&lt;script&gt;" in diff.text
    text = visible_text(diff)
    assert '+ - text: "Velkommen <script>' in text.replace("+    ", "+ ")
    assert "- - text: \"Skriver du som borger" in text.replace("-    ", "- ")

    token = CSRF_FIELD.search(diff.text).group(1)
    reverted = client.post(f"/trainer/history/{sha}/revert", data={"csrf_token": token},
                           follow_redirects=False)
    assert reverted.status_code == 303, visible_text(reverted)
    assert path.read_text(encoding="utf-8") == before
    log = git_log(studio.root)
    assert len(log) == 3 and log[1].startswith(sha)  # a new commit, history kept
    assert log[0].split("|")[1:3] == ["Lise Træner", "lise@trainers.samtale.invalid"]
    assert log[0].split("|")[3].startswith('Revert "Kortere rollespørgsmål"')

    rows = accounts.list_audit(action="trainer.")
    assert [(r["action"], r["username"]) for r in rows] == [
        ("trainer.revert", "lise"), ("trainer.content.save", "lise")]
    assert rows[1]["target"] == "domain/opening.yml#utter_ask_role"
    assert rows[1]["detail"] == {"commit": sha}
