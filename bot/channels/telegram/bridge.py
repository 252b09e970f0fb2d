"""The Telegram side of the bridge: handlers that relay to Rasa and send every reply back.

    text message ─────────────┐
    /command ──▶ "/intent" ───┼──▶ Rasa ──▶ replies, in order, buttons as an inline keyboard
    button press ──▶ payload ─┘     └─(down, slow, 5xx)──▶ a kind "try again in a moment"
    photo, sticker, voice… ──▶ "I can only read text"

Updates from different chats are handled concurrently (one slow answer must not hold up every
citizen); a per-chat lock keeps each person's own messages in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from telegram import Bot, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.telegram.messages import (
    COMMAND_PAYLOADS,
    TEXT_ONLY,
    UNAVAILABLE,
    bot_commands,
    button_title,
    keyboard,
    language_for,
    pseudonym,
    split_text,
)
from bot.channels.telegram.rasa import RasaClient, RasaUnavailable, Reply

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
SEND_ATTEMPTS = 3
NETWORK_PAUSE_SECONDS = 1.0
TYPING_REFRESH_SECONDS = 4.0  # Telegram shows "typing…" for about 5 s per chat action
CONCURRENT_UPDATES = 16


class TelegramLimiter(AIORateLimiter):
    """python-telegram-bot's own rate limiter for every Bot API call: it keeps under Telegram's
    flood limits and waits out a 429's retry_after (holding back the other sends meanwhile),
    up to SEND_ATTEMPTS tries. On top, Telegram's own brief trouble (5xx, network errors) is
    tried again after a pause, which PTB leaves to the application.

    A timed-out send may in fact have arrived, so a retry can duplicate a message; for a
    citizen a repeated line is better than a missing one.
    """

    def __init__(self, attempts: int = SEND_ATTEMPTS) -> None:
        super().__init__(max_retries=attempts - 1)
        self._attempts = attempts

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        for attempt in range(1, self._attempts + 1):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data,
                                                     rate_limit_args)
            except BadRequest:
                raise  # our request is wrong (BadRequest is a NetworkError): trying cannot help
            except NetworkError:  # includes TimedOut and Telegram's 5xx answers
                if attempt == self._attempts:
                    raise
                await asyncio.sleep(attempt * NETWORK_PAUSE_SECONDS)
        raise AssertionError("unreachable")


class ChatLocks:
    """One lock per chat while it has work in flight; forgotten again when idle."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._holders: dict[int, int] = {}

    @contextlib.asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._holders[chat_id] = self._holders.get(chat_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._holders[chat_id] -= 1
            if not self._holders[chat_id]:
                del self._holders[chat_id], self._locks[chat_id]


@contextlib.asynccontextmanager
async def typing(bot: Bot, chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" for as long as the block runs (Rasa may think for several seconds)."""

    async def keep_typing() -> None:
        while True:
            try:
                await bot.send_chat_action(chat_id, ChatAction.TYPING)
            except TelegramError as error:  # only cosmetic: never let it stop a reply
                log.debug("typing indicator failed: %r", error)
            await asyncio.sleep(TYPING_REFRESH_SECONDS)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class TelegramBridge:
    def __init__(self, rasa: RasaClient, pseudonym_key: str, default_language: str) -> None:
        self.rasa = rasa
        self._key = pseudonym_key
        self._default_language = default_language
        self._locks = ChatLocks()

    def install(self, application: Application) -> None:
        private = filters.ChatType.PRIVATE  # a consent conversation is one person's, not a group's
        application.add_handler(CommandHandler(list(COMMAND_PAYLOADS), self.on_command, private))
        application.add_handler(MessageHandler(private & filters.COMMAND, self.on_command))
        application.add_handler(MessageHandler(private & filters.TEXT, self.on_text))
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(MessageHandler(private, self.on_other))
        application.add_error_handler(self.on_error)

    async def register_commands(self, application: Application) -> None:
        """The command menu in Danish by default and for Danish apps, in English for English."""
        for language_code, menu in ((None, "da"), ("da", "da"), ("en", "en")):
            try:
                await application.bot.set_my_commands(bot_commands(menu),
                                                      language_code=language_code)
            except TelegramError as error:  # the menu is a convenience; the bot works without
                log.warning("could not register the %s command menu: %r", menu, error)

    async def close(self, application: Application) -> None:
        await self.rasa.close()

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        text = update.effective_message.text or ""
        command = text.split(maxsplit=1)[0][1:].split("@", 1)[0].lower()
        # Unknown commands get the help text rather than reaching Rasa as a made-up intent.
        # The transcript shows the command as typed ("/slet"), not the payload it stands for.
        await self.relay(update, context, COMMAND_PAYLOADS.get(command, "/help"), text.strip())

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.relay(update, context, update.effective_message.text or "")

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer()  # stops the button's spinner in the person's app
        with contextlib.suppress(TelegramError):  # too old or already gone: keep the old buttons
            # The question has been answered; its buttons would only confuse later.
            await query.edit_message_reply_markup(reply_markup=None)
        await self.relay(update, context, query.data or "", button_title(query))

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, language = update.effective_chat, self._language(update)
        await context.bot.send_message(chat.id, TEXT_ONLY[language])

    async def relay(self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: str,
                    title: str | None = None) -> None:
        """Send one message to Rasa as the person's pseudonym and every reply back, in order."""
        chat, user = update.effective_chat, update.effective_user
        language = self._language(update)
        async with self._locks.hold(chat.id):
            try:
                async with typing(context.bot, chat.id):
                    replies = await self.rasa.send(pseudonym(self._key, user.id), message, language,
                                                    title)
            except RasaUnavailable:
                replies = [Reply(UNAVAILABLE[language], [])]
            for reply in replies:
                await self.send_reply(context.bot, chat.id, reply)

    async def send_reply(self, bot: Bot, chat_id: int, reply: Reply) -> None:
        # Plain text, no parse_mode: whatever a person or Rasa writes is shown as written.
        parts = split_text(reply.text or "…")
        for index, part in enumerate(parts):
            markup = keyboard(reply.buttons) if index == len(parts) - 1 else None
            await bot.send_message(chat_id, part, reply_markup=markup)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The one place unexpected failures end up: logged, and the person is told if we can."""
        log.error("could not handle a Telegram update", exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        if isinstance(context.error, (Forbidden, RetryAfter, NetworkError)):
            return  # telling them would fail the same way
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(update.effective_chat.id,
                                           UNAVAILABLE[self._language(update)])

    def _language(self, update: Update) -> str:
        user = update.effective_user
        return language_for(user.language_code if user else None, self._default_language)


def build_application(*, token: str, rasa_url: str, pseudonym_key: str, default_language: str,
                      api_url: str | None = None) -> Application:
    bridge = TelegramBridge(RasaClient(rasa_url), pseudonym_key, default_language)
    builder = (Application.builder().token(token)
               .concurrent_updates(CONCURRENT_UPDATES)
               .rate_limiter(TelegramLimiter())
               .post_init(bridge.register_commands)
               .post_shutdown(bridge.close))
    if api_url:  # a stand-in for Telegram's Bot API (the tests' fake, or a local Bot API server)
        builder = builder.base_url(f"{api_url}/bot").base_file_url(f"{api_url}/file/bot")
    application = builder.build()
    bridge.install(application)
    return application
