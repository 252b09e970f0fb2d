"""The Telegram bridge's pure parts: language, pseudonyms, splitting, buttons and commands."""
from bot.channels.telegram import messages


def test_language_follows_the_telegram_client():
    assert messages.language_for("da", "en") == "da"
    assert messages.language_for("da-DK", "en") == "da"
    assert messages.language_for("en-GB", "da") == "en"
    assert messages.language_for("de", "en") == "en"
    assert messages.language_for(None, "da") == "da"


def test_sender_ids_are_keyed_pseudonyms_not_telegram_ids():
    one = messages.pseudonym("key-a", 123456789)
    assert one.startswith("tg-") and "123456789" not in one
    assert one == messages.pseudonym("key-a", 123456789)
    assert one != messages.pseudonym("key-b", 123456789)
    assert one != messages.pseudonym("key-a", 123456780)


def test_long_replies_are_split_within_telegrams_limit_at_line_breaks():
    text = "\n".join(f"Linje {i}: " + "ø" * 60 for i in range(200))
    parts = messages.split_text(text)
    assert len(parts) > 1
    assert all(len(p.encode("utf-16-le")) // 2 <= messages.MESSAGE_LIMIT for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")
    assert all(p.startswith("Linje") for p in parts)


def test_buttons_become_an_inline_keyboard_carrying_the_payload():
    markup = messages.keyboard([{"title": "Ja, gerne", "payload": '/choose{"value":"accepted"}'}])
    [[button]] = markup.inline_keyboard
    assert button.text == "Ja, gerne" and button.callback_data == '/choose{"value":"accepted"}'
    assert messages.keyboard([]) is None


def test_commands_exist_in_both_languages():
    danish = {c.command for c in messages.bot_commands("da")}
    english = {c.command for c in messages.bot_commands("en")}
    assert {"start", "help", "pause", "restart", "slet", "mine", "sprog"} <= danish
    assert {"start", "help", "pause", "restart", "delete", "mydata", "language"} <= english


def _callback(data: str, markup) -> "object":
    """A real CallbackQuery from Telegram's JSON, as python-telegram-bot builds it."""
    from telegram import Bot, Update

    message = {"message_id": 7, "date": 0, "chat": {"id": 1, "type": "private"},
               "text": "Må jeg gemme dine svar?"}
    if markup is not None:
        message["reply_markup"] = markup.to_dict()
    update = Update.de_json({"update_id": 1, "callback_query": {
        "id": "q1", "chat_instance": "c", "data": data, "message": message,
        "from": {"id": 5, "is_bot": False, "first_name": "Anna"}}}, Bot("1:x"))
    return update.callback_query


def test_a_pressed_buttons_title_is_read_off_its_own_keyboard():
    markup = messages.keyboard([{"title": "Ja, det er i orden", "payload": "/affirm"},
                                {"title": "Som borger", "payload": '/choose{"value":"citizen"}'}])
    assert messages.button_title(_callback("/affirm", markup)) == "Ja, det er i orden"
    assert messages.button_title(_callback('/choose{"value":"citizen"}', markup)) == "Som borger"
    assert messages.button_title(_callback("/deny", markup)) is None  # not on this keyboard
    assert messages.button_title(_callback("/affirm", None)) is None  # keyboard gone
