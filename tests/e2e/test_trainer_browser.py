"""A trainer, in Debian's Chromium, changes what the real bot asks, says and understands, and
every Rasa worker follows: the issue's "done means" end to end.

The stack runs two Rasa workers pulling models from the web service (MODEL_PULL_SECONDS=2) and
a temporary copy of the content in its own git repository (TRAINER_CONTENT_DIR), so nothing is
committed to the project. Three answers the bot refused are on record; the trainer signs in,
adds a question to the gift conversation, rewrites the invitation in Danish and English, adds
the three refused messages as examples from the review inbox in one go, trains (the test job
follows by itself: test stories, held-out NLU), opens the report with its confusion matrix and
deploys. Every worker (told apart by X-Samtale-Worker) then asks with the new invitation, and
the new question is asked and its answer stored. Roll back brings the old invitation back on
every worker, and the new question is no longer asked (the model does not know its slot).
Screenshots land in var/test-screenshots/trainer-*.png.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from bot.store import get_store
from bot.store.accounts import AccountStore
from bot.web.staff.passwords import hash_password
from tests.web.conftest import content_copy

from .conftest import SCREENSHOTS, Client, button, running_stack, texts

pytestmark = pytest.mark.e2e

PASSWORD = "studie-kreds-om-torsdagen"
WORKERS = 2
OLD_START = "Kommunen vil gerne skabe mere sammen med dem"
NEW_INVITATION = ("Vi vil gerne lære dig at kende og bygge noget sammen med dig. Har du ti "
                  "minutter til en snak om dine drømme, din tvivl og det, du kan give?")
NEW_INVITATION_EN = ("We would like to get to know you and build something together with you. "
                     "Have you got ten minutes to talk about your dreams, doubts and gifts?")
# No step of the ladder: each time the bot asks for a button, and the answer is on record.
REFUSED = ("tja, lidt af hvert vel", "hmm, det svinger lidt fra gang til gang",
           "et sted midt imellem, tror jeg nok")
NEW_QUESTION = "Hvor kunne du tænke dig at gøre det?"
GIFT = "Jeg kan hjælpe med lektier om tirsdagen"  # an offer the bot knows, its time in it
JOB_MINUTES = 20  # training plus the test job, on two shared cores

expect.set_options(timeout=120_000)


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"trainer-{name}.png", full_page=True)


@pytest.fixture(scope="module")
def content(tmp_path_factory) -> Path:
    return content_copy(tmp_path_factory.mktemp("studio-content"))


@pytest.fixture(scope="module")
def studio_stack(tmp_path_factory, content: Path) -> Iterator[Client]:
    yield from running_stack("postgresql", tmp_path_factory, workers=str(WORKERS),
                             name="studio", extra_env={"MODEL_PULL_SECONDS": "2",
                                                       "TRAINER_CONTENT_DIR": str(content)})


def every_worker_says(stack: Client, wanted: str, *, minutes: float = 3) -> dict[str, str]:
    """Poll until every worker's invitation contains `wanted`; the texts seen per worker."""
    deadline = time.monotonic() + minutes * 60
    seen: dict[str, str] = {}
    while time.monotonic() < deadline:
        seen.update(dict([invitation_on_a_worker(stack)]))
        if len(seen) == WORKERS and all(wanted in text for text in seen.values()):
            return seen
        time.sleep(1)
    raise AssertionError(f"not every worker says {wanted!r}: {seen}")


def invitation_on_a_worker(stack: Client, language: str = "da") -> tuple[str, str]:
    """One new conversation up to the invitation; (the worker that asked it, its text)."""
    sender = f"studio-{uuid.uuid4().hex[:8]}"
    url = f"{stack.stack.rasa_url}/webhooks/rest/webhook"
    payloads = ["hej", "/affirm", '/choose{"value":"citizen"}']
    response = None
    for message in payloads:
        response = httpx.post(url, timeout=60, json={"sender": sender, "message": message,
                                                     "metadata": {"language": language}})
        assert response.status_code == 200, response.text
    assert response is not None
    return response.headers["x-samtale-worker"], texts(response.json())


def refused_answers(stack: Client) -> str:
    """A consenting citizen who answers the ladder, three times, in words the bot cannot place."""
    sender = f"studio-citizen-{uuid.uuid4().hex[:6]}"
    replies = stack.say(sender, "hej", "da")
    for title in ("Ja", "Som borger", "Ja, gerne"):
        replies = stack.say(sender, button(replies, title))
    stack.say(sender, "Jeg drømmer om en legeplads i gården")
    replies = stack.say(sender, "Jeg kunne godt hjælpe med at male den")
    assert replies[-1].get("buttons"), texts(replies)  # the ladder
    for words in REFUSED:
        replies = stack.say(sender, words)
        assert replies[-1].get("buttons"), texts(replies)  # asked again, with its buttons
    return sender


def offers_a_gift(stack: Client) -> tuple[str, str]:
    """A citizen who opens with a gift (its time included); (sender, what the bot asked next)."""
    sender = f"studio-giver-{uuid.uuid4().hex[:6]}"
    replies = stack.say(sender, GIFT, "da")
    for title in ("Ja", "Som borger"):
        replies = stack.say(sender, button(replies, title))
    return sender, texts(replies)


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/trainer/content")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    expect(page.locator("h1")).to_be_visible()


def wait_for_a_passed_model(page: Page, base: str) -> None:
    deadline = time.monotonic() + JOB_MINUTES * 60
    while time.monotonic() < deadline:
        page.goto(base + "/trainer/models")
        if page.locator("tr.model.status-passed").count():
            return
        failed = page.locator("tr.model.status-failed, .job-failed")
        if failed.count():
            raise AssertionError("the model did not pass: " + failed.first.inner_text())
        time.sleep(10)
    raise AssertionError("no model passed within the time: " + page.inner_text("main"))


def test_a_trainer_changes_the_bot_and_every_worker_follows(studio_stack: Client, content: Path,
                                                             browser: Browser) -> None:
    before = every_worker_says(studio_stack, OLD_START)
    assert len(before) == WORKERS
    refused_answers(studio_stack)
    accounts = AccountStore(get_store(studio_stack.stack.settings))
    username = f"trine-{uuid.uuid4().hex[:4]}"
    accounts.create_user(username=username, display_name="Trine Træner",
                         password_hash=hash_password(PASSWORD), role="trainer", language="da")
    base = studio_stack.stack.web_url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    # A save runs `rasa data validate` before it answers: 15-40 s, longer on a busy machine.
    context.set_default_timeout(240_000)
    context.set_default_navigation_timeout(240_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if "Content Security Policy" in message.text else None)
    try:
        sign_in(page, base, username)

        # 1. A question added to the gift conversation, with its Danish and English text.
        page.goto(base + "/trainer/conversations")
        add = page.locator("form[action='/trainer/conversations/question']")
        add.locator("select[name=conversation]").select_option("gift")
        add.locator("input[name=slot]").fill("gift_place")
        add.locator("select[name=kind]").select_option("free_text")
        add.locator("select[name=stores]").select_option("detail")
        add.locator("input[name=detail]").fill("place")
        add.locator("textarea[name=ask_da]").fill(NEW_QUESTION)
        add.locator("textarea[name=ask_en]").fill("Where would you like to do it?")
        add.locator("input[name=message]").fill("Gaven: hvor vil man helst give den?")
        add.locator("button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"saved=[0-9a-f]{7,}"))
        expect(page.locator("main")).to_contain_text("gift_place")
        plan = (content / "conversations.yml").read_text()
        assert "gift_place" in plan and "gift_place" in (content / "domain" / "questions.yml"
                                                         ).read_text()

        # 2. The invitation, rewritten in Danish and English (checked, committed).
        page.goto(base + "/trainer/content?q=utter_ask_invitation_answer")
        form = page.locator("form#utter_ask_invitation_answer")
        danish, english = form.locator("textarea[name=text_0]"), form.locator(
            "textarea[name=text_1]")
        expect(danish).to_contain_text(OLD_START)
        expect(english).to_contain_text("The municipality wants to create more")
        danish.fill(NEW_INVITATION + "\n\nVil du tage imod invitationen?")
        english.fill(NEW_INVITATION_EN + "\n\nWill you accept the invitation?")
        shot(page, "content")
        form.locator("button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"saved=[0-9a-f]{7,}"))
        domain = "\n".join(p.read_text() for p in (content / "domain").glob("*.yml"))
        assert NEW_INVITATION in domain and NEW_INVITATION_EN in domain

        # 3. The three refused answers, from the review inbox, as examples in one commit.
        page.goto(base + "/trainer/review")
        for words in REFUSED:
            row = page.locator("tr.review-item", has_text=words)
            expect(row).to_be_visible()
            assert row.locator("select").input_value() not in ("", "nlu_fallback")
            row.locator("input[name=event]").check()
        shot(page, "review")
        page.locator("button[name=action][value=example]").click()
        expect(page.locator("p.notice")).to_be_visible()
        for words in REFUSED:
            expect(page.locator("tr.review-item", has_text=words)).to_have_count(0)
        nlu = "\n".join(p.read_text() for p in (content / "nlu" / "da").glob("*.yml"))
        assert all(words in nlu for words in REFUSED)

        # 4. Train; the test job follows; the report shows the criteria and the matrix.
        page.goto(base + "/trainer/models")
        page.locator("form[action='/trainer/models/train'] button").click()
        expect(page.locator("#jobs .job")).to_be_visible()
        wait_for_a_passed_model(page, base)
        shot(page, "models")
        passed = page.locator("tr.model.status-passed").first
        passed.locator("a[href$='/report']").click()
        expect(page.locator("svg.confusion").first).to_be_visible()
        shot(page, "report")

        # 5. Deploy: every worker asks with the new invitation, and the new question is asked.
        page.goto(base + "/trainer/models")
        page.locator("tr.model.status-passed").first.locator(
            "form[action$='/deploy'] button").click()
        after = every_worker_says(studio_stack, NEW_INVITATION[:40])
        assert len(after) == WORKERS
        assert NEW_INVITATION_EN in invitation_on_a_worker(studio_stack, "en")[1]
        giver, asked = offers_a_gift(studio_stack)
        assert NEW_QUESTION in asked, asked
        studio_stack.say(giver, "i kirkens køkken")
        [gift] = studio_stack.outcomes(giver)
        assert gift["kind"] == "gift" and gift["details"]["place"] == "i kirkens køkken"
        page.goto(base + "/trainer/deployments")
        expect(page.locator("main")).to_contain_text(username)
        shot(page, "deployments")

        # 6. Roll back: every worker asks with the old invitation again, and the new question
        # waits for a model that knows its slot.
        page.goto(base + "/trainer/models")
        page.locator("form.rollback-form button").click()
        every_worker_says(studio_stack, OLD_START)
        _, asked = offers_a_gift(studio_stack)
        assert NEW_QUESTION not in asked, asked
    finally:
        context.close()
    assert errors == []
