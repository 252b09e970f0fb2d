"""The Telegram bridge as it runs: `python -m bot.channels.telegram` as a subprocess, talking to
the real Rasa stack on one side and a fake Bot API server (fake_telegram.py) on the other."""
from __future__ import annotations

import hashlib
import hmac
import os
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import ALL_SIX, free_port
from .fake_telegram import Call, FakeTelegram, TelegramUser, buttons, texts

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TOKEN, DOWN_TOKEN = "123:TEST", "456:DOWN"
SCRIPT = "<script>alert('x')</script> & <b>fed</b> *stjerne* _streg_ `kode`"


@dataclass
class Bridge:
    process: subprocess.Popen
    fake: FakeTelegram
    token: str
    var_dir: Path

    def user(self, user_id: int, language_code: str | None) -> TelegramUser:
        return TelegramUser(self.fake, self.token, user_id, language_code)

    def sender_for(self, user_id: int) -> str:
        """Worked out here independently of the bridge: tg- + HMAC-SHA256 with the kept key."""
        key = (self.var_dir / "pseudonym_key").read_text().strip()
        return "tg-" + hmac.new(key.encode(), str(user_id).encode(),
                                hashlib.sha256).hexdigest()[:24]

    def log(self) -> str:
        return (self.var_dir / "telegram.out").read_text()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_bridge(fake: FakeTelegram, token: str, rasa_url: str, var_dir: Path,
                 webhook: dict[str, str] | None = None) -> Bridge:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": fake.url,
           "RASA_URL": rasa_url, "SAMTALE_VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1"}
    for name in ("SAMTALE_PSEUDONYM_KEY", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_DEFAULT_LANGUAGE"):
        env.pop(name, None)
    env.update(webhook or {})
    ready = "setWebhook" if webhook else "deleteWebhook"
    var_dir.mkdir(parents=True, exist_ok=True)
    with open(var_dir / "telegram.out", "w") as log:
        process = subprocess.Popen([str(ROOT / ".venv" / "bin" / "python"), "-m",
                                    "bot.channels.telegram"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    bridge = Bridge(process, fake, token, var_dir)
    try:  # polling starts right after the command menus are registered and the webhook removed
        fake.wait_for(token, lambda calls: process.poll() is not None or any(
            c.method == ready for c in calls), timeout=120)
        assert process.poll() is None, f"the bridge exited:\n{bridge.log()}"
    except AssertionError:
        bridge.stop()
        raise
    return bridge


@pytest.fixture(scope="module")
def fake_telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def bridge(stack, fake_telegram, tmp_path_factory) -> Iterator[Bridge]:
    running = start_bridge(fake_telegram, TOKEN, stack.stack.rasa_url,
                           tmp_path_factory.mktemp("telegram"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def bridge_without_rasa(stack, fake_telegram, tmp_path_factory) -> Iterator[Bridge]:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there any more
    running = start_bridge(fake_telegram, DOWN_TOKEN, closed,
                           tmp_path_factory.mktemp("telegram-down"))
    yield running
    running.stop()


def payloads(replies: list[Call]) -> dict[str, str]:
    return {b["text"]: b["callback_data"] for b in buttons(replies)}


def test_the_command_menu_is_registered_in_danish_and_english(bridge):
    menus = {c.params.get("language_code"): {cmd["command"]: cmd["description"]
                                             for cmd in c.params["commands"]}
             for c in bridge.fake.calls(TOKEN, "setMyCommands")}
    assert set(menus) == {None, "da", "en"}
    assert menus[None] == menus["da"]  # Danish for every app language without its own menu
    assert {"start", "help", "pause", "restart", "slet", "mine", "sprog"} <= set(menus["da"])
    assert {"start", "help", "pause", "restart", "delete", "mydata", "language"} <= set(
        menus["en"])
    assert menus["da"]["slet"] == "Slet dine data" and menus["en"]["delete"] == "Delete your data"


def test_a_danish_citizen_talks_by_buttons_and_text(bridge, stack):
    anna = bridge.user(700000001, "da")
    replies = anna.say("/start", until="Må jeg gemme")
    assert "samtalemakker" in texts(replies)
    assert payloads(replies) == {"Ja, det er i orden": "/affirm", "Nej, gem ikke noget": "/deny"}
    consent_message = replies[-1].result["message_id"]
    assert any(c.params == {"chat_id": anna.id, "action": "typing"}
               for c in bridge.fake.calls(TOKEN, "sendChatAction"))

    mark, query_id = anna.press(replies, "Ja")
    replies = anna.replies(mark, until="borger")
    assert "Tak for din tillid" in texts(replies)
    assert [c.params["callback_query_id"] for c in bridge.fake.calls(TOKEN, "answerCallbackQuery")
            if c.params["callback_query_id"] == query_id] == [query_id]
    removed = [c.params for c in bridge.fake.calls(TOKEN, "editMessageReplyMarkup")]
    assert {"chat_id": anna.id, "message_id": consent_message} in [
        {k: p[k] for k in ("chat_id", "message_id")} for p in removed]
    assert payloads(replies)["Som borger"] == '/choose{"value":"citizen"}'

    replies = anna.tap(replies, "Som borger", until="inviterer")
    replies = anna.tap(replies, "Ja, gerne", until="drømmer du om")
    replies = anna.say("Jeg drømmer om en fælleshave i Vollsmose, hvor naboer mødes",
                       until="din egen del")
    replies = anna.say("Jeg kunne selv invitere naboerne til et første møde i haven",
                       until="Hvor ser du dig selv")
    replies = anna.tap(replies, "3", until="tvivler")
    replies = anna.say("Jeg er bange for at kommunen bare vil spare penge",
                       until="vil love dig selv")
    assert "Din tvivl bliver skrevet ned" in texts(replies)
    replies = anna.say("Jeg lover at snakke med boligforeningen", until="Hvornår vil du")
    replies = anna.say("næste uge", until="god til")
    assert "Fint, jeg noterer" in texts(replies)
    replies = anna.say("Jeg kan lave mad og hjælpe med lektier hver onsdag eftermiddag",
                       until="din mail")
    replies = anna.say("anna@example.dk", until="Tusind tak for samtalen")
    assert "Her er det, du har fortalt mig" in texts(replies)
    assert "fælleshave i Vollsmose" in texts(replies)

    sender = bridge.sender_for(anna.id)
    assert sender.startswith("tg-") and str(anna.id) not in sender
    outcomes = {o["kind"]: o for o in stack.outcomes(sender)}
    assert set(outcomes) == ALL_SIX
    assert outcomes["possibility"]["text"] == ("Jeg drømmer om en fælleshave i Vollsmose, "
                                               "hvor naboer mødes")
    assert outcomes["ownership"]["details"]["ladder_step"] == 3
    assert outcomes["commitment"]["details"]["due"] is not None
    # Skills in the conversation's language (lexicons/skills.yml), with their ids for matching.
    assert outcomes["gift"]["details"]["skills"] == ["madlavning", "lektiehjælp"]
    assert outcomes["gift"]["details"]["skill_ids"] == ["cooking", "homework_help"]
    assert all(o["language"] == "da" and o["role"] == "citizen" for o in outcomes.values())
    transcript = stack.staff.get(f"/api/conversations/{sender}").json()["transcript"]
    spoken = [(t["speaker"], t["text"]) for t in transcript]
    assert ("user", "Jeg er bange for at kommunen bare vil spare penge") in spoken
    everything = stack.staff.get("/api/outcomes", params={"limit": 1000}).json()["outcomes"]
    assert all(str(anna.id) not in o["conversation_id"] for o in everything)
    assert all("Anna" not in o["conversation_id"] for o in everything)
    key_file = bridge.var_dir / "pseudonym_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_an_english_employee_enters_gift_directly(bridge, stack):
    sam = bridge.user(700000002, "en-GB")
    replies = sam.say("I'm a teacher and I could help kids with their homework",
                      until="May I store your answers")
    assert payloads(replies) == {"Yes, that's fine": "/affirm", "No, don't store anything": "/deny"}
    replies = sam.tap(replies, "Yes", until="As an employee")
    # The first message was the offer: taken as the answer after consent and role.
    replies = sam.tap(replies, "As an employee", until="How could you")
    assert "You said you can" in texts(replies)
    replies = sam.tap(replies, "3", until="how much time")
    replies = sam.say("two hours a week", until="Finish for now")
    offered = [b["text"] for b in buttons(replies)]
    assert "My dreams and ideas" in offered and "What I can give" not in offered
    replies = sam.tap(replies, "My doubts", until="doubt")
    replies = sam.say("none", until="Finish for now")
    replies = sam.tap(replies, "Finish for now", until="No thanks")
    replies = sam.tap(replies, "No thanks", until="Here is what you've told me")

    outcomes = {o["kind"]: o for o in stack.outcomes(bridge.sender_for(sam.id))}
    assert set(outcomes) == {"gift", "dissent"}
    assert outcomes["gift"]["details"]["profession_step"] == 3
    assert outcomes["gift"]["details"]["availability"]["text"] == "two hours a week"
    assert outcomes["gift"]["details"]["availability"]["hours_per_week"] == 2
    assert {(o["language"], o["role"]) for o in outcomes.values()} == {("en", "employee")}


def test_an_english_citizen_holds_all_six_conversations(bridge, stack):
    joe = bridge.user(700000008, "en-US")
    replies = joe.say("hello", until="May I store your answers")
    replies = joe.tap(replies, "Yes", until="as a citizen")
    replies = joe.tap(replies, "As a citizen", until="invitation")
    replies = joe.tap(replies, "Yes, gladly", until="what do you dream of")
    replies = joe.say("A repair cafe in the library where neighbours fix things together",
                      until="your own part")
    replies = joe.say("I could put up posters and ask the librarian", until="Where do you see")
    replies = joe.tap(replies, "4", until="doubt or worry")
    replies = joe.say("I worry that nobody will show up", until="promise yourself")
    replies = joe.say("I promise to talk to the librarian", until="When will you do it")
    replies = joe.say("by Christmas", until="good at")
    assert "Great, I'll note" in texts(replies)
    replies = joe.say("I can repair bikes and I'm handy with tools on Saturdays",
                      until="contact you")
    replies = joe.tap(replies, "No thanks", until="Thank you so much for the conversation")
    assert "Here is what you've told me" in texts(replies) and "repair cafe" in texts(replies)

    outcomes = {o["kind"]: o for o in stack.outcomes(bridge.sender_for(joe.id))}
    assert set(outcomes) == ALL_SIX
    assert outcomes["invitation"]["details"] == {"answer": "accepted"}
    assert outcomes["ownership"]["details"]["ladder_step"] == 4
    assert outcomes["commitment"]["details"]["due"].endswith("-12-24")
    assert outcomes["dissent"]["text"] == "I worry that nobody will show up"
    assert {(o["language"], o["role"]) for o in outcomes.values()} == {("en", "citizen")}


def test_a_flood_limit_is_waited_out_and_the_reply_still_arrives(bridge):
    ida = bridge.user(700000003, "da")
    bridge.fake.fail_next(TOKEN, "sendMessage")  # the next sendMessage gets a 429, retry after 1
    mark = ida.send("/start")
    replies = ida.replies(mark, until="Må jeg gemme")
    attempts = [c for c in bridge.fake.calls(TOKEN)[mark:]
                if c.method == "sendMessage" and c.params["chat_id"] == ida.id]
    assert attempts[0].status == 429 and attempts[1].status == 200
    assert attempts[0].params["text"] == attempts[1].params["text"]
    assert attempts[1].at - attempts[0].at >= 0.95  # it waited retry_after before trying again
    assert "Må jeg gemme" in texts(replies) and len(buttons(replies)) == 2


def test_a_telegram_server_error_is_retried_and_the_reply_still_arrives(bridge):
    kai = bridge.user(700000009, "da")
    bridge.fake.fail_next(TOKEN, "sendMessage", status=502,
                          body={"ok": False, "error_code": 502, "description": "Bad Gateway"})
    mark = kai.send("/help")

    def sends_to_kai(calls: list[Call]) -> list[Call]:
        return [c for c in calls[mark:]
                if c.method == "sendMessage" and c.params["chat_id"] == kai.id]

    bridge.fake.wait_for(TOKEN, lambda calls: any(c.status == 200 for c in sends_to_kai(calls)))
    attempts = sends_to_kai(bridge.fake.calls(TOKEN))
    assert [a.status for a in attempts[:2]] == [502, 200]
    assert "Du kan altid skrive" in attempts[1].params["text"]
    assert attempts[0].params["text"] == attempts[1].params["text"]
    assert bridge.process.poll() is None


def test_user_text_and_long_replies_are_sent_verbatim_and_split(bridge, stack):
    bo = bridge.user(700000004, "da")
    replies = bo.say("/start", until="Må jeg gemme")
    replies = bo.tap(replies, "Ja", until="borger")
    replies = bo.tap(replies, "Som borger", until="inviterer")
    replies = bo.tap(replies, "Ja, gerne", until="drømmer du om")
    dream = "Jeg drømmer om en fælleshave i Vollsmose, hvor naboer mødes. "
    possibility = SCRIPT + " " + (dream * 25).strip()  # ~1,600 characters
    replies = bo.say(possibility, until="din egen del")
    ownership = "Jeg vil gerne hjælpe. " * 175 + "Det var det hele."  # ~3,900 characters
    replies = bo.say(ownership, until="Hvor ser du dig selv")
    replies = bo.say("/mine", until="Det var det hele")

    assert SCRIPT in texts(replies)  # exactly as typed: no tags, no Markdown eaten
    everything_sent = bridge.fake.calls(TOKEN, "sendMessage")
    assert not any("parse_mode" in c.params or "entities" in c.params for c in everything_sent)
    assert all(len(c.params["text"].encode("utf-16-le")) // 2 <= 4096 for c in everything_sent)
    # The two long answers' lines of 'show my data' (it also lists consent, role, the invitation).
    stored = [c.params["text"] for c in replies
              if c.params["text"].startswith(("• Din drøm", "• Din egen rolle"))]
    assert len(stored) >= 2, "Rasa's one long reply should arrive as several messages"
    assert sum(len(part) for part in stored) > 4096
    assert possibility in stored[0] and ownership not in stored[0]
    assert ownership in stored[1]  # cut at the line break, not inside the answer
    outcomes = {o["kind"]: o for o in stack.outcomes(bridge.sender_for(bo.id))}
    assert outcomes["possibility"]["text"] == possibility  # and stored as typed


def test_anything_but_text_gets_a_kind_note(bridge):
    eva = bridge.user(700000005, "da")
    mark = eva.send(None, sticker={"file_id": "s1", "file_unique_id": "u1", "type": "regular",
                                   "width": 512, "height": 512, "is_animated": False,
                                   "is_video": False})
    assert texts(eva.replies(mark, until="tekst")) == (
        "Jeg kan kun læse tekst. Skriv gerne dit svar med ord.")


def test_when_rasa_is_down_people_are_told_and_the_bridge_keeps_running(bridge_without_rasa):
    ole = bridge_without_rasa.user(700000006, "da")
    assert texts(ole.say("hej", until="prøv igen")) == (
        "Jeg kan ikke svare lige nu – prøv igen om lidt.")
    tom = bridge_without_rasa.user(700000007, "en-US")
    assert texts(tom.say("/start", until="try again")) == (
        "I can't answer right now – please try again in a moment.")
    assert bridge_without_rasa.process.poll() is None
    replies = ole.replies(ole.press([ole_question(bridge_without_rasa, ole)], "Ja")[0],
                          until="prøv igen")
    assert texts(replies) == "Jeg kan ikke svare lige nu – prøv igen om lidt."
    assert texts(ole.say("er du der?", until="prøv igen")).startswith("Jeg kan ikke svare")
    assert bridge_without_rasa.process.poll() is None
    assert "Rasa did not answer" in bridge_without_rasa.log()
    assert "Traceback" not in bridge_without_rasa.log()


def ole_question(bridge: Bridge, user: TelegramUser) -> Call:
    """A button message as if sent earlier, to press while Rasa is down."""
    return Call("sendMessage", {"chat_id": user.id, "text": "Må jeg gemme dine svar?",
                                "reply_markup": {"inline_keyboard": [[{
                                    "text": "Ja, det er i orden", "callback_data": "/affirm"}]]}},
                200, {"message_id": 9999, "date": 0, "text": "Må jeg gemme dine svar?",
                      "chat": {"id": user.id, "type": "private"}})


def test_webhook_mode_registers_the_url_and_accepts_only_telegrams_secret(stack, fake_telegram,
                                                                         tmp_path):
    import httpx

    token, port, secret = "789:HOOK", free_port(), "hook-secret-0123456789"
    url = f"http://127.0.0.1:{port}/telegram"
    bridge = start_bridge(fake_telegram, token, stack.stack.rasa_url, tmp_path / "hook",
                          webhook={"TELEGRAM_WEBHOOK_URL": url, "TELEGRAM_WEBHOOK_PORT": port,
                                   "TELEGRAM_WEBHOOK_SECRET": secret})
    try:
        [registered] = fake_telegram.calls(token, "setWebhook")
        assert registered.params["url"] == url and registered.params["secret_token"] == secret
        user = bridge.user(700000042, "da")
        update = {"update_id": 1, "message": {
            "message_id": 1, "date": 0, "chat": {"id": user.id, "type": "private"},
            "from": user.user, "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}
        forged = httpx.post(url, json=update, headers={
            "X-Telegram-Bot-Api-Secret-Token": "wrong-secret-0123456789"}, timeout=10)
        assert forged.status_code == 403
        mark = len(fake_telegram.calls(token))
        real = httpx.post(url, json=update,
                          headers={"X-Telegram-Bot-Api-Secret-Token": secret}, timeout=10)
        assert real.status_code == 200
        replies = user.replies(mark, until="Må jeg gemme")
        assert "samtalemakker" in texts(replies)
    finally:
        bridge.stop()
