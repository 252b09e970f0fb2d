"""The Conversations page: the plan shown as its structure; a question added (with its Danish
and English text), checked by the plan's schema and the real `rasa data validate`, committed
with the derived domain/questions.yml; precise refusals with nothing written; 403 for staff,
CSRF on every form."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from bs4 import BeautifulSoup

from actions import plan_domain, plan_file
from bot.store import migrate
from bot.trainer.files import DataError, resolve
from tests.web.conftest import visible_text

POSTS = ["/trainer/conversations/question", "/trainer/conversations/remove",
         "/trainer/conversations/move", "/trainer/conversations/yaml"]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the page uses the database for accounts and audit rows alone."""
    url = f"sqlite:///{tmp_path / 'samtale.db'}"
    migrate(url)
    return url


def head(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()


def changed_files(repo: Path) -> list[str]:
    return subprocess.run(["git", "-C", str(repo), "show", "--name-only", "--format=", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.split()


def form_fields(client: Any, form_id: str | None = None, action: str | None = None
                ) -> dict[str, str]:
    page = BeautifulSoup(client.get("/trainer/conversations").text, "html.parser")
    form = page.find("form", action=action)
    return {field["name"]: field.get("value", "") for field in form.find_all("input")}


def test_the_plan_is_shown_as_its_structure(signed_in: Any, studio: Any) -> None:
    client = signed_in("trainer")
    response = client.get("/trainer/conversations")
    assert response.status_code == 200
    page = visible_text(response)
    order = [page.index(f"{n}. ") for n in range(1, 7)]
    assert order == sorted(order)
    assert page.index("invitation") < page.index("possibility") < page.index("gift")
    soup = BeautifulSoup(response.text, "html.parser")
    gift = soup.find(id="conversation-gift")
    assert [c.text for c in gift.find_all("caption")] == ["Borgere", "Medarbejdere"]
    row = soup.find(id="question-ownership-both-ladder_step")
    assert "ladder_step (4)" in row.text and "detail: ladder_step" in row.text
    assert "share_possibility" in page
    assert "order" in soup.find(class_="plan-reference").text
    assert soup.find("textarea", id="plan-yaml").text.startswith("# The conversation plan")


def test_a_free_text_question_is_added_with_its_texts_and_the_derived_domain(
        signed_in: Any, studio: Any, accounts: Any) -> None:
    client = signed_in("trainer", username="lise", display_name="Lise Træner")
    fields = form_fields(client, action="/trainer/conversations/question")
    fields.update(conversation="gift", role="citizen", slot="gift_place", kind="free_text",
                  stores="detail", detail="place", ask_da="Hvor vil du helst <gøre> det?",
                  ask_en="Where would you like to do it?", message="Spørg om stedet")
    response = client.post("/trainer/conversations/question", data=fields,
                           follow_redirects=False)
    assert response.status_code == 303, visible_text(response)

    root = studio.root
    found = plan_file.parse((root / "conversations.yml").read_text())
    assert [q.slot for q in found.questions("gift", "citizen")] == ["gift", "gift_time",
                                                                    "gift_place"]
    assert [q.slot for q in found.questions("gift", "employee")][-1] == "gift_time"
    assert (root / "domain/questions.yml").read_text() == plan_domain.derive(found)
    ask = yaml.safe_load((root / "domain/conversations.yml").read_text())["responses"][
        "utter_ask_gift_place"]
    assert ask[0]["text"] == "Hvor vil du helst <gøre> det?"
    assert ask[1] == {"condition": [{"type": "slot", "name": "language", "value": "en"}],
                      "text": "Where would you like to do it?"}
    assert sorted(changed_files(root)) == ["conversations.yml", "domain/conversations.yml",
                                           "domain/questions.yml"]
    assert (root / "conversations.yml").read_text().startswith("# The conversation plan")
    [row] = accounts.list_audit(action="trainer.conversations.question")
    assert row["target"] == "gift: gift_place"
    page = client.get("/trainer/conversations")
    assert "question-gift-citizen-gift_place" in page.text

    # Moved up before gift_time, through the same checks.
    fields = form_fields(client, action="/trainer/conversations/move")
    fields.update(conversation="gift", role="citizen", slot="gift_place", direction="up",
                  message="Stedet før tiden")
    response = client.post("/trainer/conversations/move", data=fields, follow_redirects=False)
    assert response.status_code == 303, visible_text(response)
    found = plan_file.parse((root / "conversations.yml").read_text())
    assert [q.slot for q in found.questions("gift", "citizen")] == ["gift", "gift_place",
                                                                    "gift_time"]

    # The history shows the plan's change, and Revert undoes it with its derived domain.
    moved = head(root)
    diff = client.get(f"/trainer/history/{moved}")
    assert "conversations.yml" in diff.text and "gift_place" in diff.text
    token = diff.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(f"/trainer/history/{moved}/revert", data={"csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303, visible_text(response)
    found = plan_file.parse((root / "conversations.yml").read_text())
    assert [q.slot for q in found.questions("gift", "citizen")] == ["gift", "gift_time",
                                                                    "gift_place"]
    assert (root / "domain/questions.yml").read_text() == plan_domain.derive(found)


def test_refusals_are_precise_and_write_nothing(signed_in: Any, studio: Any) -> None:
    client = signed_in("trainer")
    shipped, before = head(studio.root), (studio.root / "conversations.yml").read_bytes()
    fields = form_fields(client, action="/trainer/conversations/yaml")
    broken = before.decode().replace("kind: free_text, acknowledge: utter_ack_possibility",
                                     "kind: essay, acknowledge: utter_ack_possibility")
    response = client.post("/trainer/conversations/yaml",
                           data={**fields, "text": broken, "message": "x"})
    assert response.status_code == 400
    problems = BeautifulSoup(response.text, "html.parser").find(id="problems").text
    assert "conversations.possibility.questions.both[0].kind" in problems
    assert "kind: essay" in BeautifulSoup(response.text, "html.parser").find(
        "textarea", id="plan-yaml").text  # the draft is kept for fixing

    # The only question of a conversation cannot go: a conversation asks at least one.
    fields = form_fields(client, action="/trainer/conversations/remove")
    response = client.post("/trainer/conversations/remove",
                           data={**fields, "conversation": "possibility", "slot": "possibility",
                                 "message": "x"})
    assert response.status_code == 400
    assert "a conversation asks at least one question" in visible_text(response)

    # A question whose slot exists already, and a choice without options.
    fields = form_fields(client, action="/trainer/conversations/question")
    response = client.post("/trainer/conversations/question", data={
        **fields, "conversation": "dissent", "slot": "possibility", "kind": "free_text",
        "ask_da": "a", "ask_en": "b", "message": "x"})
    assert response.status_code == 400
    assert "utter_ask_possibility exists already; choose another slot name" in \
        visible_text(response)
    response = client.post("/trainer/conversations/question", data={
        **fields, "conversation": "dissent", "slot": "size", "kind": "choice", "options": "big",
        "ask_da": "a", "ask_en": "b", "message": "x"})
    assert "options, line 1: write value | Danish label | English label" in visible_text(response)
    # Someone else saved meanwhile: the stale form is refused.
    response = client.post("/trainer/conversations/move", data={
        **fields, "base": "0" * 16, "conversation": "gift", "direction": "up", "message": "x"})
    assert "changed by someone else" in visible_text(response)
    # The derived file is never edited by hand.
    files = client.post("/trainer/files/domain/questions.yml", data={
        **fields, "text": "version: '3.1'\n", "message": "x", "base": ""})
    assert files.status_code == 400 and "is generated from conversations.yml" in \
        visible_text(files)
    assert head(studio.root) == shipped
    assert (studio.root / "conversations.yml").read_bytes() == before


def test_staff_get_403_and_every_form_needs_csrf(signed_in: Any, studio: Any) -> None:
    shipped = head(studio.root)
    staff = signed_in("staff")
    assert staff.get("/trainer/conversations").status_code == 403
    token = staff.get("/staff/").text.split('name="csrf_token" value="')[1].split('"')[0]
    for path in POSTS:
        assert staff.post(path, data={"csrf_token": token}, follow_redirects=False
                          ).status_code == 403, path
    trainer = signed_in("trainer")
    for path in POSTS:
        for token in (None, "forged"):
            data = {"conversation": "gift", "direction": "up", "message": "x"}
            if token:
                data["csrf_token"] = token
            assert trainer.post(path, data=data, follow_redirects=False).status_code == 403
    assert head(studio.root) == shipped


def test_the_plan_is_a_data_file_trainers_may_touch(tmp_path: Path) -> None:
    (tmp_path / "conversations.yml").write_text("order: []\n")
    assert resolve(tmp_path, "conversations.yml") == tmp_path.resolve() / "conversations.yml"
    for refused in ("other.yml", "config.yml", "domain", "../conversations.yml"):
        with pytest.raises(DataError):
            resolve(tmp_path, refused)
