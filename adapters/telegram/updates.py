"""Telegram updates -> engine events; the engine's answers go back the way they came.

Commands become :class:`~bot.events.CommandIssued` (the engine's replies
quote the command), button presses become :class:`~bot.events.VoteCast` or
:class:`~bot.events.NextPressed` (the engine's reply is the toast).  No case
logic lives here: whether a vote counts is the engine's decision.
"""

from __future__ import annotations

from telegram import CallbackQuery, MaybeInaccessibleMessage, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from adapters.telegram.controllers import Controllers
from adapters.telegram.identity import chat_key, is_private, user_key
from adapters.telegram.transport import TelegramTransport
from bot.buttons import decode
from bot.commands import parse_command
from bot.effects import Reply
from bot.events import (
    CloseVoting, CommandIssued, NextPart, NextPressed, Schedule, Sender, SetLanguage, SetTimezone, StartRound,
    StopRound, Unschedule, VoteCast,
)
from bot.i18n import t
from bot.pseudonym import Pseudonymizer
from bot.richtext import to_plain
from bot.runner import Runner

PREFIX = "/"
# Only these ask Telegram who administers the group; everything else (votes included) needs no lookup.
NEEDS_CONTROL = (StartRound, CloseVoting, NextPart, StopRound, Schedule, Unschedule, SetLanguage, SetTimezone)


class UpdateFeed:
    """Feeds commands and button presses from Telegram to the runner."""

    def __init__(self, runner: Runner, transport: TelegramTransport, pseudonyms: Pseudonymizer,
                 controllers: Controllers):
        self.runner = runner
        self.transport = transport
        self.pseudonyms = pseudonyms
        self.controllers = controllers

    def handlers(self) -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
        return [
            # New messages starting with a command; edited messages and channel posts are not commands to us.
            MessageHandler(filters.UpdateType.MESSAGE & filters.COMMAND, self.on_command),
            CallbackQueryHandler(self.on_button),
        ]

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None or message.text is None or message.from_user is None:
            return
        command = parse_command(message.text, PREFIX, context.bot.username)
        if command is None:  # addressed to another bot
            return
        private = is_private(message.chat)
        controller = private or (isinstance(command, NEEDS_CONTROL)
                                 and await self.controllers.controls(context.bot, message))
        sender = Sender(user_key(self.pseudonyms, message.from_user), controller)
        event = CommandIssued(chat_key(self.pseudonyms, message.chat), sender, command, self.runner.clock(), private)
        await self.runner.handle(event, on_reply=lambda reply: self.transport.reply(reply, message.message_id))

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        message = query.message
        pressed = decode(query.data)
        if pressed is None or message is None:  # not data we made, or not on a message of ours
            await self._refuse_stale(query, message)
            return
        chat = chat_key(self.pseudonyms, message.chat)
        sender = Sender(user_key(self.pseudonyms, query.from_user), is_private(message.chat))
        now = self.runner.clock()
        event = (NextPressed(chat, sender, pressed.round_id, pressed.part, now) if pressed.option is None
                 else VoteCast(chat, sender, pressed.round_id, pressed.part, pressed.option, now))

        async def toast(reply: Reply) -> None:
            await self.transport.toast(query.id, to_plain(reply.text) or None)

        # A press the engine dropped (a flood) gets no reply, and so no answer at all.
        await self.runner.handle(event, on_reply=toast)

    async def _refuse_stale(self, query: CallbackQuery, message: MaybeInaccessibleMessage | None) -> None:
        engine = self.runner.engine
        lang = engine.lang(chat_key(self.pseudonyms, message.chat)) if message is not None else engine.default_lang
        await self.transport.toast(query.id, t(lang, "refuse.stale"))
