"""Engine messages -> Bot API calls (the runner's :class:`~bot.runner.Transport` for Telegram).

Texts go out as HTML made by :func:`bot.richtext.to_html`, which escapes
every span, so case texts and echoed user input can never inject markup.
Rate limits and ``RetryAfter`` are handled below this layer, by the
Application's ``AIORateLimiter``.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from typing import Iterator

from telegram import Bot, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import CallbackQueryLimit, MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError

from adapters.telegram.keyboard import keyboard
from bot.chart import ChartData, render_chart
from bot.effects import Edit, Post, Reply
from bot.pseudonym import Pseudonymizer
from bot.richtext import to_html
from bot.runner import MessageGone, PlatformDown

log = logging.getLogger(__name__)

TOAST_LIMIT = CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH  # 200 characters
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH  # 1024 characters
# Many presses are handled at once (so their votes share a commit), but only this many answers are on the
# wire at a time: more open connections only make the HTTP client slower for every request.
TOASTS_IN_FLIGHT = 3  # measured best of 1, 2, 3, 4, 8 in bench/telegram.py


def telegram_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units); counted on the HTML, so tags make it an upper bound."""
    return len(text.encode("utf-16-le")) // 2


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def short_caption(chart: ChartData) -> str:
    """The chart's own title and subtitle: a text version of the picture when the full text is too long."""
    return f"<b>{html.escape(chart.title, quote=False)}</b>\n{html.escape(chart.subtitle, quote=False)}"


@contextlib.contextmanager
def reachable() -> Iterator[None]:
    """A Bot API that cannot be reached (no connection, a timeout) is :class:`PlatformDown`, so the runner keeps the
    message and sends it when Telegram is back; an answer Telegram gave (400, 403, ...) stays what it is."""
    try:
        yield
    except BadRequest:
        raise
    except NetworkError as exc:  # TimedOut is one; BadRequest is one too, but an answer, handled above
        raise PlatformDown(f"Telegram: {exc.message}") from exc


class TelegramTransport:
    """Sends, edits and answers through one ``telegram.Bot``."""

    def __init__(self, bot: Bot, pseudonyms: Pseudonymizer):
        self.bot = bot
        self.pseudonyms = pseudonyms
        self._toasts = asyncio.Semaphore(TOASTS_IN_FLIGHT)

    def _chat_id(self, chat: str) -> str:
        address = self.pseudonyms.address(chat)
        if address is None:  # a private chat whose person has not written since the bot started
            raise LookupError(f"no Telegram chat known for {chat}")
        return address

    async def post(self, message: Post) -> str:
        """The id returned is that of the message carrying the text and buttons (the one edits go to)."""
        with reachable():
            return await self._post(message)

    async def _post(self, message: Post) -> str:
        chat_id = self._chat_id(message.chat)
        text = to_html(message.text)
        markup = keyboard(message.buttons)
        if message.chart is not None:
            # A message the engine will edit (it has a key) must be a text message: captions are edited differently.
            whole = message.key is None and telegram_length(text) <= CAPTION_LIMIT
            photo = await self._photo(message.chat, chat_id, message.chart,
                                      text if whole else short_caption(message.chart), markup if whole else None)
            if whole and photo is not None:
                return str(photo.message_id)
        sent = await self.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)
        return str(sent.message_id)

    async def _photo(self, chat: str, chat_id: str, chart: ChartData, caption: str,
                     markup: InlineKeyboardMarkup | None) -> Message | None:
        """Send the chart; None if that failed (e.g. the group forbids media), so the text still goes out."""
        try:
            png = await asyncio.to_thread(render_chart, chart)  # Pillow work off the event loop
            return await self.bot.send_photo(chat_id, png, caption=caption, parse_mode=ParseMode.HTML,
                                             reply_markup=markup)
        except Exception as exc:  # the chart only illustrates the text; losing it must not lose the text
            log.warning("could not send the chart to %s (%s); sending the text alone", chat, exc)
            return None

    async def edit(self, message: Edit, platform_id: str) -> None:
        chat_id = self.pseudonyms.address(message.chat)
        if chat_id is None:
            # After a restart the runner refreshes every open part, unfinished self-tests too; their private chats
            # are unknown until their person writes again, and there is nothing new to show them anyway.
            log.info("not editing %s in %s: a private chat not seen since start", message.key, message.chat)
            return
        try:
            with reachable():
                await self.bot.edit_message_text(to_html(message.text), chat_id=chat_id, message_id=int(platform_id),
                                                 parse_mode=ParseMode.HTML, reply_markup=keyboard(message.buttons))
        except BadRequest as exc:
            reason = exc.message.lower()
            if "message to edit not found" in reason:
                raise MessageGone(reason) from None
            if "message is not modified" not in reason:
                raise

    async def reply(self, message: Reply, reply_to: int | None = None) -> None:
        """A message in the chat; quoting the command it answers when ``reply_to`` is given."""
        quote = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to is not None else None
        with reachable():
            await self.bot.send_message(self._chat_id(message.chat), to_html(message.text), parse_mode=ParseMode.HTML,
                                        reply_parameters=quote)

    async def leave(self, chat: str) -> None:
        with reachable():
            await self.bot.leave_chat(self._chat_id(chat))

    async def to_private_chat(self, user_id: int, message: Reply) -> bool:
        """Send ``message`` to the person's private chat with the bot; False if the bot may not write there first."""
        try:
            with reachable():
                await self.bot.send_message(user_id, to_html(message.text), parse_mode=ParseMode.HTML)
        except (Forbidden, BadRequest) as exc:
            log.info("could not open a private chat with a user: %s", exc.message)
            return False
        return True

    async def toast(self, callback_query_id: str, text: str | None) -> None:
        """Answer a button press: the short notice the user sees, or none (it still ends the button's progress bar)."""
        async with self._toasts:
            with reachable():
                await self.bot.answer_callback_query(callback_query_id, shorten(text, TOAST_LIMIT) if text else None)
