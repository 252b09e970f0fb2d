"""What staff read is what the person saw (issue 13.9), through the real stack: pressed buttons
appear with their titles, an empty message is in the transcript, a handoff asked by button is
stored with the button's words. Read back through the staff API, /api/conversations/<id>."""
from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import button, buttons, texts
from .test_widget import choose, conversation_of, page, say  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e


def send(stack, sender: str, message: str, metadata: dict | None = None) -> list[dict]:
    """What a channel sends: the web widget and the Telegram bridge add the pressed button's
    title as metadata; a channel that does not sends the payload alone."""
    body = {"sender": sender, "message": message, "metadata": {"language": "da", **(metadata or {})}}
    response = httpx.post(f"{stack.stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def press(stack, sender: str, replies: list[dict], title_start: str, *, with_title: bool = True):
    title = next(b["title"] for b in buttons(replies) if b["title"].startswith(title_start))
    return send(stack, sender, button(replies, title_start),
                {"button_title": title} if with_title else None)


def test_staff_read_titles_empty_messages_and_the_handoff_as_pressed(stack):
    ida = f"ida-{uuid.uuid4().hex[:8]}"
    replies = send(stack, ida, "hej")
    replies = press(stack, ida, replies, "Ja, det er i orden")
    # Without the channel's title the store finds it in the bot message the button came with.
    replies = press(stack, ida, replies, "Som borger", with_title=False)
    replies = press(stack, ida, replies, "Ja, gerne")
    assert "drømmer du om" in texts(replies)
    replies = send(stack, ida, "")
    assert "Jeg fik vist ikke noget med" in texts(replies)
    replies = send(stack, ida, "hjælp")
    assert "Du kan altid skrive" in texts(replies)
    replies = press(stack, ida, replies, "Tal med et menneske")
    assert "ønske om at tale med en medarbejder" in texts(replies)
    assert "kontakter dig" not in texts(replies)

    response = stack.staff.get(f"/api/conversations/{ida}")
    assert response.status_code == 200, response.text
    said = [line for line in response.json()["transcript"] if line["speaker"] == "user"]
    assert [(line["text"], line["pressed_button"], line["payload"], line["empty"])
            for line in said] == [
        ("hej", False, None, False),
        ("Ja, det er i orden", True, "/affirm", False),
        ("Som borger", True, '/choose{"value":"citizen"}', False),
        ("Ja, gerne", True, '/choose{"value":"accepted"}', False),
        ("", False, None, True),
        ("hjælp", False, None, False),
        ("Tal med et menneske", True, "/request_human", False),
    ]
    # The bot's answer to the empty message follows it, as it did on the person's screen.
    transcript = response.json()["transcript"]
    empty_at = next(i for i, line in enumerate(transcript) if line["empty"])
    assert "Jeg fik vist ikke noget med" in transcript[empty_at + 1]["text"]

    outcomes = {o["kind"]: o for o in stack.outcomes(ida)}
    assert outcomes["handoff"]["text"] == "Tal med et menneske"
    assert outcomes["invitation"]["text"] == "Ja, gerne"


def test_a_handoff_from_a_channel_without_titles_gets_a_clear_label(stack):
    bo = f"bo-{uuid.uuid4().hex[:8]}"
    replies = send(stack, bo, "hej")
    for title in ("Ja, det er i orden", "Som borger", "Ja, gerne"):
        replies = press(stack, bo, replies, title, with_title=False)
    send(stack, bo, "/request_human")
    outcomes = {o["kind"]: o for o in stack.outcomes(bo)}
    assert outcomes["handoff"]["text"] == "Bad om at tale med en medarbejder (knap)"
    said = [line["text"] for line in stack.staff.get(f"/api/conversations/{bo}").json()[
        "transcript"] if line["speaker"] == "user"]
    assert said == ["hej", "Ja, det er i orden", "Som borger", "Ja, gerne",
                    "Bad om at tale med en medarbejder (knap)"]


def test_the_widget_sends_the_title_of_the_pressed_button(stack, page):  # noqa: F811
    """The real widget in Chromium: what the person tapped is what staff read."""
    page.goto(stack.stack.web_url + "/")
    page.locator(".samtale-launcher").click()
    log = page.get_by_role("log", name="Samtalen")
    expect(log).to_contain_text("Må jeg gemme")
    choose(page, "Ja, det er i orden")
    expect(log).to_contain_text("Skriver du som borger")
    choose(page, "Som medarbejder")
    expect(log).to_contain_text("Vil du tage imod invitationen")
    choose(page, "Ved ikke endnu")
    expect(log).to_contain_text("drømmer du om")
    say(page, "hjælp")
    expect(log).to_contain_text("Du kan altid skrive")

    sender = conversation_of(page)
    transcript = stack.staff.get(f"/api/conversations/{sender}").json()["transcript"]
    said = [(line["text"], line["payload"]) for line in transcript if line["speaker"] == "user"]
    assert said == [("(åbnede chatten)", "/greet"),
                    ("Ja, det er i orden", "/affirm"),
                    ("Som medarbejder", '/choose{"value":"employee"}'),
                    ("Ved ikke endnu", '/choose{"value":"undecided"}'),
                    ("hjælp", None)]
    assert all(line["pressed_button"] == (line["payload"] is not None)
               for line in transcript if line["speaker"] == "user")
    outcomes = {o["kind"]: o for o in stack.outcomes(sender)}
    assert outcomes["invitation"]["text"] == "Ved ikke endnu"


def test_a_person_without_consent_hears_no_promise_of_keeping(stack):
    """Rasa picks the consent=false variations in the real stack: nothing said to this person
    speaks of storing, noting or reading their answers."""
    from tests.dialogue.test_consistency import PROMISES

    eva = f"eva-{uuid.uuid4().hex[:8]}"
    heard = [send(stack, eva, "hej")]
    heard.append(press(stack, eva, heard[-1], "Nej, gem ikke noget"))
    assert "gemmer bare ikke" in texts(heard[-1])
    heard.append(press(stack, eva, heard[-1], "Som borger"))
    heard.append(press(stack, eva, heard[-1], "Ja, gerne"))
    heard.append(send(stack, eva, "hjælp"))
    assert "Du kan altid skrive" in texts(heard[-1])
    heard.append(send(stack, eva, "Jeg drømmer om et bofællesskab med plads til børn og ældre"))
    heard.append(send(stack, eva, "Jeg kunne starte med at spørge mine naboer, om de er med"))
    heard.append(press(stack, eva, heard[-1], "2"))
    heard.append(send(stack, eva, "Jeg er bange for, at kommunen bare vil spare penge"))
    assert "Din tvivl er velkommen" in texts(heard[-1])
    heard.append(send(stack, eva, "er du en robot?"))
    assert "chatbot" in texts(heard[-1])
    said = "\n".join(texts(replies) for replies in heard)
    assert [p.pattern for p in PROMISES if p.search(said)] == []
    assert stack.outcomes(eva) == []
