"""A staff member follows up, in Debian's Chromium, what a person just told the real bot.

The conversation goes through the real stack (Rasa, action server, web service); the staff
member signs in, finds the handoff and the gift in the inbox, reads the transcript, assigns the
gift to herself, writes a note, marks a suggested match, exports the CSV, opens the reports and
follows a chart bar to the filtered inbox. Screenshots land in var/test-screenshots/staff-*.png.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.store import get_store
from bot.store.accounts import AccountStore
from bot.web.staff.passwords import hash_password

from .conftest import SCREENSHOTS, button, texts

pytestmark = pytest.mark.e2e

PASSWORD = "lange-kaffepauser-i-vollsmose"

expect.set_options(timeout=90_000)


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"staff-{name}.png", full_page=True)


def hold_conversations(stack) -> tuple[str, str]:
    """A citizen with a wish who asks for a person; another who offers homework help."""
    dreamer, giver = f"e2e-dreamer-{uuid.uuid4().hex[:6]}", f"e2e-giver-{uuid.uuid4().hex[:6]}"
    replies = stack.say(dreamer, "hej", "da")
    for title in ("Ja", "Som borger", "Ja, gerne"):
        replies = stack.say(dreamer, button(replies, title))
    assert "drømmer du om" in texts(replies)
    stack.say(dreamer, "Børn i vores opgang mangler lektiehjælp om tirsdagen")
    replies = stack.say(dreamer, "kan jeg tale med et menneske?")
    assert "medarbejder" in texts(replies)
    replies = stack.say(giver, "Jeg kan hjælpe med lektier om tirsdagen", "da")
    for title in ("Ja", "Som borger"):
        replies = stack.say(giver, button(replies, title))
    if not stack.outcomes(giver):  # the offer opened the gift conversation; its question now
        replies = stack.say(giver, "Jeg kan hjælpe med lektier om tirsdagen")
    stack.say(giver, "om tirsdagen efter skole")  # how much time
    kinds = {o["kind"] for o in stack.outcomes(dreamer)}
    assert {"possibility", "handoff"} <= kinds, kinds
    assert "gift" in {o["kind"] for o in stack.outcomes(giver)}
    return dreamer, giver


def test_a_staff_member_follows_up_in_the_browser(stack, browser: Browser) -> None:
    hold_conversations(stack)
    accounts = AccountStore(get_store(stack.stack.settings))
    username = f"lise-{uuid.uuid4().hex[:4]}"
    accounts.create_user(username=username, display_name="Lise Fællesskabsagent",
                         password_hash=hash_password(PASSWORD), role="staff", language="da")
    base = stack.stack.web_url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(base + "/staff/inbox")
        expect(page).to_have_url(f"{base}/staff/login?next=/staff/inbox")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.press("#password", "Enter")
        expect(page.locator("h1")).to_have_text("Indbakke")
        handoff = page.locator("tr.pinned").first
        expect(handoff).to_contain_text("kan jeg tale med et menneske?")
        gift_row = page.locator("tr.kind-gift", has_text="Jeg kan hjælpe med lektier om tirsdagen")
        expect(gift_row).to_be_visible()
        shot(page, "inbox")

        page.click("a:has-text('Jeg kan hjælpe med lektier om tirsdagen')")
        expect(page.locator("h1")).to_contain_text("Gave")
        page.click("button:has-text('Tildel mig')")
        expect(page.locator("#follow-up").locator("..")).to_contain_text(f"Tildelt: {username}")
        page.fill("#note-text", "Ringer til familien om lektiecaféen på torsdag")
        page.click("button:has-text('Tilføj note')")
        expect(page.locator(".notes")).to_contain_text("Ringer til familien om lektiecaféen")
        suggestion = page.locator(".suggestions li", has_text="lektiehjælp om tirsdagen")
        expect(suggestion).to_contain_text("Fælles: lektiehjælp")
        suggestion.locator("input[name=note]").fill("Mød hinanden på biblioteket")
        suggestion.locator("button:has-text('Markér som match')").click()
        expect(page.locator("#matches-section")).to_contain_text("matchet af " + username)
        shot(page, "outcome")

        page.click("a:has-text('Hele samtalen')")
        expect(page.locator("h1")).to_have_text("Samtale")
        expect(page.locator(".bubble.user").first).to_contain_text("Jeg kan hjælpe med lektier")
        expect(page.locator(".bubble .pressed").first).to_be_visible()
        shot(page, "transcript")

        page.goto(base + "/staff/inbox?kind=gift")
        with page.expect_download() as download_info:
            page.click("a:has-text('Hent som CSV')")
        body = Path(download_info.value.path()).read_bytes()
        assert body.startswith(b"\xef\xbb\xbf") and b"lektier om tirsdagen" in body
        assert b";" in body.split(b"\r\n")[0]

        page.click("nav a:has-text('Rapporter')")
        expect(page.locator("h1")).to_have_text("Rapporter")
        expect(page.locator("#chart-funnel svg")).to_be_visible()
        shot(page, "reports")
        page.locator("#chart-funnel svg a[href*='kind=gift']").click()
        expect(page).to_have_url(f"{base}/staff/inbox?kind=gift")
        expect(page.locator("tr.kind-gift", has_text="lektier om tirsdagen")).to_be_visible()
        assert errors == []
    finally:
        context.close()
