"""The review inbox in Debian's Chromium: a trainer ticks three misunderstood messages and adds
them as examples with one click; the page keeps to the strict CSP (no violation reported).

The web app runs under a real uvicorn in this process, with the temporary content repository
(its saves run the real `rasa data validate`); Rasa's events are written as Rasa writes them.
Screenshots land in var/test-screenshots/review-*.png.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import expect, sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS
from tests.web.conftest import PASSWORD
from tests.web.test_trainer_review import inbox, intents  # noqa: F401  (the inbox fixture)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the store's both backends are tested in tests/store/test_review.py."""
    from bot.store import migrate

    url = f"sqlite:///{tmp_path / 'samtale.db'}"
    migrate(url)
    return url


@pytest.fixture
def served(app: Any, studio: Any) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_a_trainer_adds_three_messages_as_examples_in_the_browser(
        served: str, studio: Any, make_user: Any, inbox: dict[str, int]) -> None:  # noqa: F811
    make_user("ole", "trainer", display_name="Ole Træner")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(240_000)  # a save runs `rasa data validate` (30-90 s here)
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda message: problems.append(message.text)
                if "Content Security Policy" in message.text else None)
        try:
            page.goto(served + "/trainer/review")
            page.fill("#username", "ole")
            page.fill("#password", PASSWORD)
            page.press("#password", "Enter")
            expect(page.locator("h1")).to_have_text("Gennemsyn")
            expect(page.locator("q.review-text", has_text="<script>alert(1)</script>")
                   ).to_be_visible()
            page.screenshot(path=SCREENSHOTS / "review-inbox.png", full_page=True)
            # The group's own checkbox ticks (and clears) all its messages.
            group = page.locator("section.review-group", has=page.locator(
                f'input[name="event"][value="{inbox["goddaw"]}"]'))
            group.locator("input.review-group-toggle").check()
            expect(group.locator('input[name="event"]:checked')).to_have_count(2)
            group.locator("input.review-group-toggle").uncheck()
            expect(group.locator('input[name="event"]:checked')).to_have_count(0)
            for label in ("goddaw", "script", "dream"):
                page.check(f'input[name="event"][value="{inbox[label]}"]')
            page.fill('input[name="message"]', "Tre eksempler fra gennemsynet")
            page.click('button[name="action"][value="example"]')
            expect(page.locator("p.notice")).to_contain_text(
                "3 nye eksempler fra 3 beskeder")
            page.screenshot(path=SCREENSHOTS / "review-added.png", full_page=True)
            remaining = page.locator('input[name="event"]')
            expect(remaining).to_have_count(2)
        finally:
            browser.close()
    assert problems == []
    log = subprocess.run(["git", "-C", str(studio.root), "log", "--format=%s"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert log[0] == "Tre eksempler fra gennemsynet" and len(log) == 2
    assert intents(studio.root / "nlu/da/basics.yml")["greet"][-1] == "goddaw du"
    assert intents(studio.root / "nlu/da/conversations.yml")["share_possibility"][-1] == (
        "blomsterkasser på altanerne")
