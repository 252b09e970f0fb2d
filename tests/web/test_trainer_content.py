"""Saving what the bot says: both languages in one form, written in place (the rest of the
file byte for byte), checked by the real `rasa data validate`, committed with the trainer as
author, shown in the history with its diff (escaped), and undone by Revert as a new commit."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml
from bs4 import BeautifulSoup

from tests.web.conftest import CSRF_FIELD, SQLITE_ONLY, visible_text

SCRIPT = "Velkommen <script>alert('x')</script> til"


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


@SQLITE_ONLY
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


def sections(response: Any) -> dict[str, list[str]]:
    """{group section id: [response names in it]} of the content page, in page order."""
    page = BeautifulSoup(response.text, "html.parser")
    return {section["id"]: [form["id"] for form in section.find_all("form", class_="response")]
            for section in page.find_all("section", class_="content-group")}


def test_grouped_by_conversation_in_the_order_a_conversation_meets_them(signed_in: Any,
                                                                         studio: Any) -> None:
    client = signed_in("trainer", language="en")
    found = sections(client.get("/trainer/content"))
    assert list(found) == [f"group-{key}" for key in (
        "opening", "invitation", "possibility", "ownership", "dissent", "commitment", "gift",
        "closing", "digressions", "flow")]
    assert "utter_ask_consent" in found["group-opening"]
    assert "utter_ask_invitation_answer" in found["group-invitation"]
    assert "utter_ask_ladder_step" in found["group-ownership"]  # the ladder belongs to ownership
    assert "utter_ack_date" in found["group-commitment"]
    assert {"utter_ask_gift", "utter_why_gift", "utter_reask_gift"} <= set(found["group-gift"])
    assert "utter_goodbye" in found["group-closing"] and "utter_help" in found["group-digressions"]
    assert "utter_greet_back" in found["group-flow"]
    assert sum(map(len, found.values())) == 107  # every response, each once
    page = visible_text(client.get("/trainer/content"))
    assert "Grouped by conversation: a message belongs to the conversation its name mentions" in page

    only = sections(client.get("/trainer/content", params={"group": "gift"}))
    assert list(only) == ["group-gift"] and len(only["group-gift"]) == 12
    unknown = sections(client.get("/trainer/content", params={"group": "../etc"}))
    assert len(unknown) == 10  # an unknown group is no filter


def test_search_matches_name_danish_and_english_text_and_stays_in_the_url(signed_in: Any,
                                                                          studio: Any) -> None:
    client = signed_in("trainer")
    danish = client.get("/trainer/content", params={"q": "Som borger"})
    english = client.get("/trainer/content", params={"q": "AS A CITIZEN"})
    by_name = client.get("/trainer/content", params={"q": "utter_ask_role"})
    for response in (danish, english, by_name):
        assert [name for names in sections(response).values() for name in names] == [
            "utter_ask_role"]
    page = BeautifulSoup(english.text, "html.parser")
    assert page.find("input", attrs={"name": "q", "type": "search"})["value"] == "as a citizen"
    form = page.find("form", id="utter_ask_role")
    assert form.find("input", attrs={"name": "q"})["value"] == "as a citizen"  # kept after saving
    nothing = client.get("/trainer/content", params={"q": "<script>zzz"})
    assert sections(nothing) == {} and "Intet fundet." in visible_text(nothing)
    assert "<script>zzz" not in nothing.text and "&lt;script&gt;zzz" in nothing.text


def test_payloads_are_shown_read_only_and_the_preview_uses_the_widget_classes(
        signed_in: Any, studio: Any) -> None:
    client = signed_in("trainer")
    response = client.get("/trainer/content", params={"q": "utter_ask_consent"})
    page = BeautifulSoup(response.text, "html.parser")
    form = page.find("form", id="utter_ask_consent")
    assert [i["name"] for i in form.find_all("input") if i["name"].startswith("title_")] == [
        "title_0_0", "title_0_1", "title_1_0", "title_1_1"]
    assert [c.text for c in form.find_all("code", class_="payload")] == ["/affirm", "/deny"] * 2
    assert not any("payload" in (i.get("name") or "") for i in form.find_all("input"))
    previews = form.find_all("details", class_="widget-preview")
    assert len(previews) == 2
    english = previews[1].find("div", class_="samtale-root")
    assert english["lang"] == "en"
    bubble = english.select_one(".samtale-messages .samtale-message.samtale-from-bot p.samtale-text")
    assert bubble.text.startswith("Hello and welcome! I'm Samtale")
    assert [c.text for c in english.select(".samtale-choices .samtale-choice")] == [
        "Yes, that's fine", "No, don't store anything"]
    assert page.find("link", href="/trainer/content/widget.css")
    assert "style=" not in response.text  # the CSP allows no inline style
    css = client.get("/trainer/content/widget.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ".samtale-from-bot .samtale-text" in css.text


@SQLITE_ONLY
def test_a_button_title_is_edited_in_place_and_committed(signed_in: Any, studio: Any,
                                                          accounts: Any) -> None:
    client = signed_in("trainer", username="mette", display_name="Mette")
    path = studio.root / "domain" / "opening.yml"
    before = path.read_text(encoding="utf-8")
    fields = form_of(client, "utter_ask_consent", "utter_ask_consent")
    fields.update(title_1_0="Yes <b>please</b>", message="Venligere ja-knap")
    response = client.post("/trainer/content/save", data=fields, follow_redirects=False)
    assert response.status_code == 303, visible_text(response)
    assert response.headers["location"].startswith("/trainer/content?q=utter_ask_consent&")

    after = path.read_text(encoding="utf-8")
    consent = yaml.safe_load(after)["responses"]["utter_ask_consent"]
    assert consent[1]["buttons"][0] == {"title": "Yes <b>please</b>", "payload": "/affirm"}
    assert consent[0]["buttons"][0]["title"] == "Ja, det er i orden"
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True)
               if a != b]
    assert changed == [('        - title: "Yes, that\'s fine"', '        - title: "Yes <b>please</b>"')]
    assert git_log(studio.root)[0].split("|")[1:] == [
        "Mette", "mette@trainers.samtale.invalid", "Venligere ja-knap"]
    page = client.get(response.headers["location"]).text
    assert "<b>please</b>" not in page and "Yes &lt;b&gt;please&lt;/b&gt;" in page
    preview = BeautifulSoup(page, "html.parser").find("form", id="utter_ask_consent").find_all(
        "details", class_="widget-preview")[1]
    assert preview.select(".samtale-choice")[0].text == "Yes <b>please</b>"
    [row] = accounts.list_audit(action="trainer.")
    assert (row["action"], row["target"]) == ("trainer.content.save",
                                              "domain/opening.yml#utter_ask_consent")


def test_an_empty_button_title_is_refused_and_nothing_written(signed_in: Any, studio: Any
                                                               ) -> None:
    client = signed_in("trainer")
    path = studio.root / "domain" / "opening.yml"
    before = path.read_bytes()
    fields = form_of(client, "utter_ask_consent", "utter_ask_consent")
    response = client.post("/trainer/content/save", data={**fields, "title_0_1": "  "})
    assert response.status_code == 400
    assert "utter_ask_consent: the title of button 2 is empty" in visible_text(response)
    assert path.read_bytes() == before and len(git_log(studio.root)) == 1


def test_staff_get_403_on_content_and_a_save_needs_the_csrf_token(signed_in: Any, studio: Any
                                                                   ) -> None:
    staff = signed_in("staff")
    for path in ("/trainer/content?group=gift", "/trainer/content/widget.css"):
        assert staff.get(path).status_code == 403, path
    trainer = signed_in("trainer")
    fields = form_of(trainer, "utter_ask_consent", "utter_ask_consent")
    del fields["csrf_token"]
    forged = trainer.post("/trainer/content/save", data={**fields, "title_1_0": "Hacked"})
    assert forged.status_code == 403
    assert "Hacked" not in (studio.root / "domain" / "opening.yml").read_text(encoding="utf-8")
