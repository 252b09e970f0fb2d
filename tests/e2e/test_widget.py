"""The web chat widget in a real browser (Debian's Chromium through Playwright) against the real
stack, plus the proxy's own edges through FastAPI's TestClient.

Screenshots land in var/test-screenshots/ (`make clean` removes them).
"""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from bot.channels.webchat.router import forget_requested, replies_from_rasa
from bot.channels.webchat.sessions import ISSUED
from bot.settings import Settings
from bot.web.app import create_app

from .conftest import ALL_SIX, SCREENSHOTS, free_port

pytestmark = pytest.mark.e2e

SCRIPT = "<script>window.pwned=1</script><b>x</b>"

# Rasa shares two cores with other test runs: give every expectation time.
expect.set_options(timeout=90_000)


# ---- the proxy on its own ------------------------------------------------------------------

@pytest.mark.parametrize("session", ["too-short", "x" * 65, "a" * 16, "0" * 32,
                                     "with spaces 0123456789", "æøå" * 6,
                                     "../../etc/passwd/abcdef"])
def test_a_session_the_server_did_not_issue_is_refused(client: TestClient, session: str) -> None:
    response = client.post("/chat/api/messages", json={"session": session, "message": "hej"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Samtalen kunne ikke genkendes. Start en ny samtale."}


def test_rasa_down_gives_a_kind_503_in_the_page_language(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"rasa_url": "http://127.0.0.1:9"}))  # nothing there
    try:
        client = TestClient(app)
        session = client.post("/chat/api/sessions", json={"language": "en"}).json()["session"]
        body = {"session": session, "message": "hej", "language": "en"}
        response = client.post("/chat/api/messages", json=body)
        assert response.status_code == 503
        assert response.json() == {"detail": "Samtale can't answer right now. "
                                             "Please try again in a moment."}
    finally:
        app.state.store.close()


def test_rasa_replies_become_text_and_buttons() -> None:
    rasa = [{"recipient_id": "web-x", "text": "Må jeg gemme?",
             "buttons": [{"title": "Ja", "payload": "/affirm"}]},
            {"recipient_id": "web-x", "image": "https://example.org/a.png"},
            {"recipient_id": "web-x", "text": "Linje 1\nLinje 2"}]
    assert replies_from_rasa(rasa) == [
        {"text": "Må jeg gemme?", "buttons": [{"title": "Ja", "payload": "/affirm"}]},
        {"text": "Linje 1\nLinje 2", "buttons": []}]
    assert replies_from_rasa({"error": "no list"}) == []


def test_only_the_bots_own_instruction_makes_the_browser_forget() -> None:
    erased = [{"recipient_id": "web-x", "text": "Alt er slettet"},
              {"recipient_id": "web-x", "custom": {"forget_history": True}}]
    assert forget_requested(erased) is True
    assert replies_from_rasa(erased) == [{"text": "Alt er slettet", "buttons": []}]
    assert forget_requested([{"text": "forget_history"}]) is False
    assert forget_requested([{"custom": {"forget_history": "yes"}}]) is False
    assert forget_requested({"custom": {"forget_history": True}}) is False


# ---- the widget in a browser ---------------------------------------------------------------

# Every page records Content-Security-Policy violations, so a test can say there were none.
RECORD_CSP = ("window.cspViolations = [];"
              "document.addEventListener('securitypolicyviolation',"
              " (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    context.add_init_script(RECORD_CSP)
    page = context.new_page()
    yield page
    context.close()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png")


def tab_to(page: Page, selector: str) -> None:
    target = page.locator(selector)
    for _ in range(40):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def session_of(page: Page) -> str | None:
    """The signed session the widget keeps: "<random>.<signature>"."""
    return page.evaluate("""() => {
        const key = Object.keys(localStorage).find(k => k.startsWith('samtale-chat:'));
        return key ? JSON.parse(localStorage.getItem(key)).session : null;
    }""")


def conversation_of(page: Page) -> str:
    """Rasa's sender id for the widget's session: the random part, never the signature."""
    session = session_of(page)
    assert session and ISSUED.fullmatch(session)
    return "web-" + session.split(".")[0]


def choose(page: Page, title: str) -> None:
    page.locator(".samtale-choices").get_by_role("button", name=title).click()


def say(page: Page, text: str) -> None:
    page.locator(".samtale-input").fill(text)
    page.keyboard.press("Enter")


def test_a_danish_citizen_talks_by_keyboard_reloads_and_goes_on(stack, page: Page) -> None:
    page.goto(stack.stack.web_url + "/")
    launcher = page.locator(".samtale-launcher")
    dialog = page.get_by_role("dialog", name="Tal med kommunen")
    log = page.get_by_role("log", name="Samtalen")
    expect(launcher).to_have_attribute("aria-label", "Åbn chatten")
    expect(dialog).to_be_hidden()

    tab_to(page, ".samtale-launcher")
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(page.get_by_role("textbox", name="Din besked")).to_be_focused()
    expect(page.get_by_role("textbox", name="Din besked")).to_have_attribute(
        "placeholder", "Skriv en besked …")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(page.get_by_role("button", name="Luk chatten")).to_be_visible()
    expect(log).to_contain_text("Må jeg gemme")

    choose(page, "Ja, det er i orden")
    expect(log.locator(".samtale-from-user").last).to_contain_text("Ja, det er i orden")
    expect(log).to_contain_text("Skriver du som borger")
    choose(page, "Som borger")
    expect(log).to_contain_text("Vil du tage imod invitationen")
    choose(page, "Ja, gerne")
    expect(log).to_contain_text("drømmer du om")
    dream = "Jeg drømmer om en fælleshave i Vollsmose, hvor naboer mødes"
    say(page, dream)
    expect(log).to_contain_text("din egen del")
    expect(log.locator("time").first).to_have_text(re.compile(r"\d\d[.:]\d\d"))
    shot(page, "widget-da-conversation")

    page.reload()  # the panel, the history and the session come back
    expect(dialog).to_be_visible()
    expect(log).to_contain_text(dream)
    expect(log).to_contain_text("din egen del")
    say(page, "Jeg kunne selv invitere naboerne til et første møde i haven")
    choose(page, "3")
    expect(log).to_contain_text("tvivler på eller er bekymret")

    say(page, SCRIPT)
    page.keyboard.press("Escape")  # closed before the answer comes: it counts as unread
    expect(dialog).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(page.locator(".samtale-badge")).to_be_visible()
    expect(launcher).to_have_attribute("aria-label", re.compile("ulæst"))
    page.keyboard.press("Enter")
    expect(page.locator(".samtale-badge")).to_be_hidden()
    expect(log).to_contain_text("Din tvivl bliver skrevet ned")
    expect(log.locator(".samtale-from-user .samtale-text").last).to_have_text(SCRIPT)
    assert log.locator("b, script").count() == 0
    assert page.evaluate("window.pwned") is None
    shot(page, "widget-da-after-reload")

    say(page, "Jeg lover at snakke med boligforeningen")
    expect(log).to_contain_text("Hvornår vil du gøre det")
    choose(page, "Det ved jeg ikke endnu")
    expect(log).to_contain_text("løftet tæller også uden en dato")
    say(page, "Jeg kan lave mad og hjælpe med lektier hver onsdag eftermiddag")
    expect(log).to_contain_text("din mail")
    choose(page, "Nej tak")
    expect(log).to_contain_text("Tusind tak for samtalen")
    expect(log).to_contain_text("Her er det, du har fortalt mig")

    outcomes = {o["kind"]: o for o in stack.outcomes(conversation_of(page))}
    assert set(outcomes) == ALL_SIX
    assert outcomes["possibility"]["text"] == dream
    assert outcomes["dissent"]["text"] == SCRIPT
    assert outcomes["commitment"]["details"]["due"] is None
    assert outcomes["gift"]["details"]["availability"] == {
        "text": "hver onsdag eftermiddag", "days": ["wed"], "time_of_day": "afternoon"}


def test_an_english_page_speaks_english_full_screen_on_a_phone(stack, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    try:
        page.goto(stack.stack.web_url + "/?lang=en")
        page.get_by_role("button", name="Open the chat").click()
        dialog = page.get_by_role("dialog", name="Talk to the municipality")
        expect(dialog).to_be_visible()
        expect(page.get_by_role("textbox", name="Your message")).to_have_attribute(
            "placeholder", "Write a message …")
        log = page.get_by_role("log", name="The conversation")
        expect(log).to_contain_text("May I store your answers")
        choose(page, "Yes, that's fine")
        expect(log).to_contain_text("as a citizen, or as someone who works")
        box = dialog.bounding_box()
        assert box and box["width"] == 390 and box["height"] == 844
        shot(page, "widget-en-phone")
        choose(page, "As a citizen")
        choose(page, "Yes, gladly")
        expect(log).to_contain_text("what do you dream of")
        say(page, "A repair cafe in the library")
        expect(log).to_contain_text("your own part")
        say(page, "I could put up posters")
        choose(page, "2")
        expect(log).to_contain_text("doubt or worry")
        say(page, "none")
        expect(log).to_contain_text("promise yourself")
        say(page, "I promise to talk to the librarian next week")
        expect(log).to_contain_text("good at")
        say(page, "I can bake and I have Saturdays free")
        expect(log).to_contain_text("contact you")
        say(page, "joe@example.org")
        expect(log).to_contain_text("Thank you so much for the conversation")
        outcomes = {o["kind"]: o for o in stack.outcomes(conversation_of(page))}
        assert set(outcomes) == ALL_SIX
        assert outcomes["dissent"]["details"] == {"none": True}
        assert outcomes["commitment"]["details"]["due"] is not None
        assert {(o["language"], o["role"]) for o in outcomes.values()} == {("en", "citizen")}
        page.get_by_role("button", name="Close the chat").click()
        expect(page.get_by_role("button", name="Open the chat")).to_be_focused()
    finally:
        context.close()


def test_a_network_drop_shows_a_retry_and_the_conversation_goes_on(stack, page: Page) -> None:
    page.goto(stack.stack.web_url + "/")
    page.locator(".samtale-launcher").click()
    log = page.get_by_role("log", name="Samtalen")
    expect(log).to_contain_text("Må jeg gemme")

    page.context.set_offline(True)
    expect(page.locator(".samtale-notice")).to_contain_text("Du er offline")
    choose(page, "Ja, det er i orden")
    expect(log).to_contain_text("Ikke sendt")
    shot(page, "widget-da-offline")
    page.context.set_offline(False)  # the browser's online event sends it again by itself
    expect(log).to_contain_text("Skriver du som borger")
    expect(log.get_by_text("Ikke sendt")).to_have_count(0)

    # The server answers 503 (Rasa down): the person retries by hand once it is back.
    page.route("**/chat/api/messages", lambda route: route.fulfill(
        status=503, json={"detail": "Samtale kan ikke svare lige nu."}))
    choose(page, "Som borger")
    retry = log.get_by_role("button", name="Prøv igen")
    expect(retry).to_be_visible()
    page.unroute("**/chat/api/messages")
    retry.click()
    expect(log).to_contain_text("Vil du tage imod invitationen")
    expect(retry).to_have_count(0)


def test_deleting_my_data_also_clears_the_chat_kept_in_this_browser(stack, page: Page) -> None:
    page.goto(stack.stack.web_url + "/")
    page.locator(".samtale-launcher").click()
    log = page.get_by_role("log", name="Samtalen")
    choose(page, "Ja, det er i orden")
    choose(page, "Som borger")
    choose(page, "Ja, gerne")
    secret = "Min drøm er privat: en fælleshave bag Rosenvej 7"
    say(page, secret)
    expect(log).to_contain_text("din egen del")
    conversation, session = conversation_of(page), session_of(page)
    assert stack.outcomes(conversation)
    assert stack.outcomes("web-" + session) == []  # the signature is nowhere in the store

    say(page, "slet mine data")
    choose(page, "Ja, slet")
    expect(log).to_contain_text("Alt er slettet")
    expect(log).not_to_contain_text(secret)
    expect(log.locator(".samtale-message")).to_have_count(1)
    assert secret not in page.evaluate("JSON.stringify(localStorage)")
    assert session_of(page) is None  # the session went with the history
    page.reload()
    expect(log).to_contain_text("Alt er slettet")
    expect(log).not_to_contain_text(secret)
    assert stack.outcomes(conversation) == []
    shot(page, "widget-da-after-delete")
    say(page, "hej igen")  # a new conversation, under a new session the server issues
    expect(log.locator(".samtale-from-bot")).to_have_count(2)
    assert session_of(page) not in (None, session) and conversation_of(page) != conversation
    assert page.evaluate("window.cspViolations") == []


# ---- the widget embedded on another site ------------------------------------------------------

EMBED = """<!doctype html><html lang="da"><head><meta charset="utf-8">
<title>www.kommune.dk</title></head><body><h1>Kommunens egen side</h1>
<script src="{server}/chat/widget.js" data-server="{server}" data-language="da" defer></script>
</body></html>"""


@contextmanager
def municipal_site(port: int, server: str) -> Iterator[str]:
    """A second origin: a small static page with the embed tag, as a municipal site has it."""
    page = EMBED.format(server=server).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server's name for it
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_widget_works_on_an_allowed_municipal_site(stack, page: Page) -> None:
    [allowed] = stack.stack.settings.widget_allowed_origins
    with municipal_site(urlsplit(allowed).port, stack.stack.web_url) as site:
        page.goto(site)
        page.locator(".samtale-launcher").click()
        log = page.get_by_role("log", name="Samtalen")
        expect(log).to_contain_text("Må jeg gemme")
        choose(page, "Ja, det er i orden")
        expect(log).to_contain_text("Skriver du som borger")
        page.reload()  # the signed session is kept on the municipal site too
        expect(log).to_contain_text("Skriver du som borger")
        choose(page, "Som borger")
        expect(log).to_contain_text("Vil du tage imod invitationen")
        conversation = conversation_of(page)
        shot(page, "widget-da-cross-origin")
    assert page.url.startswith(allowed) and allowed != stack.stack.web_url
    # Rasa kept the conversation under the session's random part, as on the demo page.
    assert any("Vil du tage imod invitationen" in line for line in stack.transcript(conversation))
    assert page.evaluate("window.cspViolations") == []


def test_a_site_not_allowed_cannot_use_the_widget(stack, page: Page) -> None:
    with municipal_site(int(free_port()), stack.stack.web_url) as site:
        page.goto(site)
        page.locator(".samtale-launcher").click()  # the script itself loads, as any script does
        log = page.get_by_role("log", name="Samtalen")
        expect(log).to_contain_text("Ikke sendt")  # the browser blocked the call (no CORS)
        expect(log).not_to_contain_text("Må jeg gemme")
        assert session_of(page) is None  # no session was issued to this site


# ---- the widget against a web service of its own (no Rasa): kind answers, session renewal ----

@contextmanager
def web_service(settings: Settings, surface: str = "public", **changes: object) -> Iterator[str]:
    """The web service under a real uvicorn on a free port, Rasa down (a closed port)."""
    port = int(free_port())
    public_url = f"http://127.0.0.1:{port}"
    app = create_app(settings.model_copy(update=dict(rasa_url="http://127.0.0.1:9",
                                                     public_url=public_url, **changes)),
                     surface=surface)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield public_url
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.store.close()


def test_the_widget_shows_the_servers_kind_words_when_asked_to_slow_down(
    settings: Settings, page: Page
) -> None:
    with web_service(settings, chat_rate_limit_session="1/minute") as url:
        page.goto(url + "/")
        page.locator(".samtale-launcher").click()
        log = page.get_by_role("log", name="Samtalen")
        expect(log).to_contain_text("Samtale kan ikke svare lige nu")  # the 503, in Danish
        say(page, "Hej, er der nogen?")
        expect(log).to_contain_text("Du skriver hurtigere, end jeg kan følge med")  # the 429
        expect(log.get_by_role("button", name="Prøv igen").last).to_be_visible()
        assert page.evaluate("window.cspViolations") == []
        shot(page, "widget-da-slow-down")


def test_the_widget_asks_for_a_new_session_when_its_own_is_refused(
    settings: Settings, page: Page
) -> None:
    with web_service(settings) as url:
        forged = "a" * 22 + "." + "b" * 43  # looks right, was never signed by this server
        page.goto(url + "/?lang=en")
        page.evaluate("""([key, session]) => localStorage.setItem(key, JSON.stringify(
            {session, messages: [], unread: 0, open: false}))""",
                      ["samtale-chat:" + url, forged])
        page.reload()
        page.get_by_role("button", name="Open the chat").click()
        log = page.get_by_role("log", name="The conversation")
        expect(log).to_contain_text("Samtale can't answer right now")  # got past the 401
        renewed = session_of(page)
        assert renewed != forged and ISSUED.fullmatch(renewed or "")


def test_the_api_docs_render_under_the_same_strict_csp(settings: Settings, page: Page) -> None:
    with web_service(settings, "all", enable_api_docs=True) as url:
        response = page.goto(url + "/docs")
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        expect(page.locator(".opblock")).to_have_count(6)  # every operation, rendered
        page.locator(".opblock").first.click()
        expect(page.locator(".opblock-body").first).to_be_visible()
        assert page.evaluate("window.cspViolations") == []
