"""Telegram updates -> engine events; the engine's answers go back the way they came.

Commands become :class:`~bot.events.CommandIssued` (the engine's replies
quote the command), button presses become :class:`~bot.events.VoteCast` or
:class:`~bot.events.NextPressed` (the engine's reply is the toast).  No case
logic lives here: whether a vote counts is the engine's decision.
"""

from __future__ import annotations

from telegram import CallbackQuery, MaybeInaccessibleMessage, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from adapters.telegram.controllers import Controllers
from adapters.telegram.identity import PLATFORM, chat_key, is_private, sender_key, user_key
from adapters.telegram.transport import TelegramTransport
from bot.buttons import decode
from bot.effects import Reply
from bot.events import ChatMoved, CommandIssued, NextPressed, Sender, VoteCast
from bot.i18n import t
from bot.pseudonym import Pseudonymizer
from bot.richtext import plain, to_plain
from bot.runner import Runner

PREFIX = "/"


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
            # A group upgraded to a supergroup: the old chat's last message names the new id.
            MessageHandler(filters.StatusUpdate.MIGRATE, self.on_migrate),
            CallbackQueryHandler(self.on_button),
        ]

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None or message.text is None:
            return
        user = sender_key(self.pseudonyms, message)
        command = self.runner.engine.commands.parse(message.text, PREFIX, context.bot.username)
        if command is None or user is None:  # addressed to another bot, or nobody to answer
            return
        private = is_private(message.chat)
        # Only commands that need control ask Telegram who administers the group; votes and the rest need no look-up.
        controller = private or (self.runner.engine.commands.needs_control(command)
                                 and await self.controllers.controls(context.bot, message))
        event = CommandIssued(chat_key(self.pseudonyms, message.chat), Sender(user, controller), command,
                              self.runner.clock(), private)

        async def answer(reply: Reply) -> None:
            if reply.private and not private:
                await self._answer_privately(context.bot.username, message, reply)
            else:
                await self.transport.reply(reply, message.message_id)

        await self.runner.handle(event, on_reply=answer)

    async def _answer_privately(self, bot_name: str, message: Message, reply: Reply) -> None:
        """To the sender's private chat with the bot; where the bot may not write first, a pointer in the group."""
        if message.from_user is not None and message.sender_chat is None:
            if await self.transport.to_private_chat(message.from_user.id, reply):
                return
        lang = self.runner.engine.lang(chat_key(self.pseudonyms, message.chat))
        pointer = Reply(reply.chat, reply.user, plain(t(lang, "reply.open_private", link=f"https://t.me/{bot_name}")))
        await self.transport.reply(pointer, message.message_id)

    async def on_migrate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None or message.migrate_to_chat_id is None:
            return  # the new supergroup's own "migrated from" message: the old one carries the move
        old = chat_key(self.pseudonyms, message.chat)
        await self.runner.handle(ChatMoved(old, self.pseudonyms.chat(PLATFORM, message.migrate_to_chat_id)))

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
