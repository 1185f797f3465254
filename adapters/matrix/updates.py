"""Timeline events -> engine events: commands, reactions and their removal.

- ``!start jubileum`` (an ``m.text`` starting with ``!``) -> :class:`~bot.events.CommandIssued`;
  ``private`` in a direct chat.  Answers are ``m.notice`` replies to the command.
- a reaction that presses a button (see :mod:`adapters.matrix.reactions`) ->
  :class:`~bot.events.VoteCast` or :class:`~bot.events.NextPressed`
- the redaction of a vote reaction -> :class:`~bot.events.VoteWithdrawn`

Matrix has no toasts, and the reaction itself shows the vote was taken, so
what the engine answers a reaction is dropped, except a refusal (voting on a
closed part, too fast ...), which is posted at most once per user and part so
toggling reactions cannot make the bot spam the room.

``!leave`` is the adapter's own command: a controller makes the bot leave the room.
"""

from __future__ import annotations

import logging
from typing import Awaitable, Callable

from nio import AsyncClient, Event, ReactionEvent, RedactionEvent, RoomMessageText

from adapters.matrix.reactions import ReactionBook, VoteReaction
from adapters.matrix.rooms import PLATFORM, Rooms
from adapters.matrix.transport import MatrixTransport
from bot.effects import Reply
from bot.events import CommandIssued, NextPressed, Sender, Unknown, VoteCast, VoteWithdrawn
from bot.i18n import t
from bot.pseudonym import Pseudonymizer
from bot.richtext import plain
from bot.runner import Runner

log = logging.getLogger(__name__)

PREFIX = "!"
LEAVE = "leave"
MAX_REFUSALS_REMEMBERED = 10_000

ReplyHandler = Callable[[Reply], Awaitable[None]]


class Updates:
    def __init__(self, client: AsyncClient, runner: Runner, transport: MatrixTransport, rooms: Rooms,
                 book: ReactionBook, pseudonyms: Pseudonymizer):
        self.client = client
        self.runner = runner
        self.transport = transport
        self.rooms = rooms
        self.book = book
        self.pseudonyms = pseudonyms
        self._refused: set[tuple[str, int, int]] = set()

    def chat(self, room_id: str) -> str:
        return self.pseudonyms.chat(PLATFORM, room_id, private=room_id in self.rooms.direct)

    def _user(self, user_id: str) -> str:
        return self.pseudonyms.user(PLATFORM, user_id)

    async def handle(self, room_id: str, event: Event) -> bool:
        """Act on one timeline event; True if it changed anything (so it must not be acted on twice)."""
        if event.sender == self.client.user_id:
            return False
        if isinstance(event, RoomMessageText):
            return await self._message(room_id, event)
        if isinstance(event, ReactionEvent):
            return await self._reaction(room_id, event)
        if isinstance(event, RedactionEvent):
            return await self._redaction(room_id, event)
        return False

    # ---- commands ---------------------------------------------------------

    async def _message(self, room_id: str, event: RoomMessageText) -> bool:
        if event.source.get("content", {}).get("m.relates_to", {}).get("rel_type") == "m.replace":
            return False  # an edit of an earlier line is not a new command
        command = self.runner.engine.commands.parse(event.body, PREFIX)
        if command is None:
            return False
        private = room_id in self.rooms.direct
        controller = self.rooms.controls(self.client.rooms.get(room_id), event.sender)
        if isinstance(command, Unknown) and command.name == LEAVE:
            await self._leave(room_id, event, controller or private)
            return True
        sender = Sender(self._user(event.sender), controller)
        issued = CommandIssued(self.chat(room_id), sender, command, self.runner.clock(), private=private)
        await self.runner.handle(issued, on_reply=self._answer(room_id, event.event_id))
        return True

    def _answer(self, room_id: str, event_id: str) -> ReplyHandler:
        async def answer(reply: Reply) -> None:
            text = reply.text
            if reply.private and room_id not in self.rooms.direct:  # never into the room: point to a direct chat
                lang = self.runner.engine.lang(self.chat(room_id))
                text = plain(t(lang, "reply.open_private", link=f"https://matrix.to/#/{self.client.user_id}"))
            await self.transport.notice(room_id, text, reply_to=event_id)

        return answer

    async def _leave(self, room_id: str, event: RoomMessageText, allowed: bool) -> None:
        if not allowed:
            text = t(self.runner.engine.lang(self.chat(room_id)), "refuse.not_controller", p=PREFIX)
            await self.transport.notice(room_id, plain(text), reply_to=event.event_id)
            return
        log.info("leaving %s on request", room_id)
        await self.client.room_leave(room_id)
        await self.rooms.set_direct(room_id, False)

    # ---- reactions --------------------------------------------------------

    async def _reaction(self, room_id: str, event: ReactionEvent) -> bool:
        button = await self.book.button(event.reacts_to, event.key)
        if button is None:
            return False
        chat, user = self.chat(room_id), self._user(event.sender)
        now = self.runner.clock()
        if button.option is None:
            pressed: NextPressed | VoteCast = NextPressed(chat, Sender(user), button.round_id, button.part, now)
        else:
            await self.book.remember_vote(event.event_id, VoteReaction(button.round_id, button.part, button.option, user))
            pressed = VoteCast(chat, Sender(user), button.round_id, button.part, button.option, now)
        key = (user, button.round_id, button.part)
        await self.runner.handle(pressed, on_reply=self._refusal_once(room_id, event.reacts_to, event.sender, key))
        return True

    async def _redaction(self, room_id: str, event: RedactionEvent) -> bool:
        vote = await self.book.vote(event.redacts)
        if vote is None:
            return False
        withdrawn = VoteWithdrawn(self.chat(room_id), Sender(vote.user), vote.round_id, vote.part, vote.option,
                                  self.runner.clock())
        key = (vote.user, vote.round_id, vote.part)
        await self.runner.handle(withdrawn, on_reply=self._refusal_once(room_id, None, event.sender, key))
        return True

    def _refusal_once(self, room_id: str, reply_to: str | None, user_id: str, key: tuple[str, int, int]) -> ReplyHandler:
        """Post a refusal as a notice to the user, once per user and part; drop every other answer."""

        async def answer(reply: Reply) -> None:
            if not reply.refused or key in self._refused:
                return
            if len(self._refused) >= MAX_REFUSALS_REMEMBERED:
                self._refused.clear()
            self._refused.add(key)
            room = self.client.rooms.get(room_id)
            name = (room.user_name(user_id) if room else None) or user_id
            await self.transport.notice(room_id, reply.text, reply_to, (user_id, name))

        return answer
