"""Try it against the real stack: a trainer in Chromium says "hej" to the running bot through
/trainer/try (htmx appends each turn), sees the intent, its confidence and the slot the consent
button filled, and Start over erases the test conversation through the store's erasure.

One stack on SQLite (the erasure's SQL is the store's, tested on both databases elsewhere): a
stack start is the slow part of this test on two shared cores."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, expect

from bot.store import get_store
from bot.store.accounts import AccountStore
from bot.web.staff.passwords import hash_password
from tests.e2e.conftest import SCREENSHOTS, Client, running_stack

PASSWORD = "kaffe-og-kage-hver-dag"


@pytest.fixture(scope="module")
def try_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    yield from running_stack("sqlite", tmp_path_factory, workers="1", name="try")


def test_a_trainer_tries_the_bot_and_sees_intent_confidence_and_slot(
        try_stack: Client, browser: Browser) -> None:
    settings = try_stack.stack.settings
    store = get_store(settings)
    username = f"ole-{uuid.uuid4().hex[:4]}"
    AccountStore(store).create_user(username=username, display_name="Ole Træner",
                                    password_hash=hash_password(PASSWORD), role="trainer",
                                    language="da")
    base = try_stack.stack.web_url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    missing: list[str] = []  # every file the pages ask for is served (the browser's favicon aside)
    page.on("response", lambda r: missing.append(r.url) if r.status == 404
            and not r.url.endswith("/favicon.ico") else None)
    try:
        page.goto(base + "/trainer/try")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.press("#password", "Enter")
        expect(page.locator("h1")).to_have_text("Prøv det")
        conversation = parse_qs(urlparse(page.url).query)["c"][0]
        assert re.fullmatch(r"try-[0-9a-f]{32}", conversation)

        page.fill("input[name=message]", "hej")
        page.click("#try-form button[type=submit]")
        first = page.locator("#turn-1")
        expect(first.locator(".try-intent")).to_have_text("greet", timeout=90_000)
        assert re.fullmatch(r"0\.\d{3}|1\.000", first.locator(".try-confidence").inner_text())
        assert float(first.locator(".try-confidence").inner_text()) > 0.5
        expect(first.locator(".samtale-from-bot").first).to_contain_text("Må jeg gemme")
        assert page.input_value("#try-form input[name=message]") == ""  # try_it.js emptied the box

        first.locator("button.samtale-choice", has_text="Ja, det er i orden").click()
        second = page.locator("#turn-2")
        expect(second.locator(".try-intent")).to_have_text("affirm", timeout=90_000)
        expect(second.locator(".try-confidence")).to_have_text("1.000")  # a button's payload
        expect(second.locator(".samtale-from-user")).to_contain_text("Ja, det er i orden/affirm")
        # The form first takes the payload as said, then its validation sets the value stored:
        # the pane shows both, in order, as Rasa's tracker has them.
        consent = second.locator(".try-slot", has_text="consent")
        expect(consent).to_have_text(['consent = "/affirm"', "consent = true"])
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "trainer-try-it.png"), full_page=True)

        # Reloaded without htmx, the page reads the same turns back from Rasa's tracker.
        page.reload()
        expect(page.locator(".try-turn")).to_have_count(2)
        assert store.get_conversation(conversation)["consent"] is True

        page.click(".try-start-over button")
        expect(page.locator(".try-turn")).to_have_count(0)
        assert parse_qs(urlparse(page.url).query)["c"][0] != conversation
        assert store.get_conversation(conversation) is None
        assert try_stack.transcript(conversation) == []
        assert errors == [] and missing == []
    finally:
        context.close()
