"""Timeline events -> engine events: commands, reactions, poll answers and the removal of reactions.

- ``!start jubileum`` (an ``m.text`` starting with ``!``) -> :class:`~bot.events.CommandIssued`;
  ``private`` in a private chat (see :meth:`Rooms.private`).  Answers are ``m.notice`` replies to
  the command.  ``!close@otherbot`` is for another bot and ignored.
- a reaction that presses a button (see :mod:`adapters.matrix.reactions`), or an answer to one of
  the bot's polls -> :class:`~bot.events.VoteCast` or :class:`~bot.events.NextPressed`.  Both are the
  same vote: the latest one a user gave, by either means, is the one that counts.
- the redaction of a vote reaction, by the user who reacted -> :class:`~bot.events.VoteWithdrawn`
- an event the bot cannot decrypt -> logged once (ids only), and its sender is told in the room
- after a gap too long to read back, the latest answers to open polls are read from ``/relations``

Matrix has no toasts, and the reaction itself shows the vote was taken, so
what the engine answers a reaction is dropped, except a refusal (voting on a
closed part, too fast ...), which is posted at most once per user and part so
toggling reactions cannot make the bot spam the room.
"""

from __future__ import annotations

import logging
from typing import Awaitable, Callable

from nio import (
    AsyncClient, EncryptionError, Event, MegolmEvent, ReactionEvent, RedactionEvent, RoomMessageText, UnknownEvent,
)

from adapters.matrix import content
from adapters.matrix.reactions import ReactionBook, ReactionButton, VoteReaction
from adapters.matrix.rooms import PLATFORM, Rooms
from adapters.matrix.transport import MatrixTransport
from bot.effects import Effect, Reply, TallyChanged, UserForgotten, VoteRecorded
from bot.events import CommandIssued, NextPressed, Sender, VoteCast, VoteWithdrawn
from bot.i18n import t
from bot.pseudonym import Pseudonymizer
from bot.richtext import plain
from bot.runner import Runner

log = logging.getLogger(__name__)

PREFIX = "!"
MAX_REMEMBERED = 10_000
UNREADABLE_TEXT = "matrix.undecryptable"

ReplyHandler = Callable[[Reply], Awaitable[None]]


def localpart(user_id: str) -> str:
    """``dilemmabot`` of ``@dilemmabot:example.org``: the name ``!close@dilemmabot`` addresses."""
    return user_id.lstrip("@").split(":", 1)[0]


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
        self._unreadable: set[tuple[str, str]] = set()  # (sender, megolm session) already told

    def private(self, room_id: str) -> bool:
        return self.rooms.private(self.client.rooms.get(room_id))

    def chat(self, room_id: str) -> str:
        return self.pseudonyms.chat(PLATFORM, room_id, private=self.private(room_id))

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
        if isinstance(event, UnknownEvent):
            return await self._poll_response(room_id, event)
        if isinstance(event, RedactionEvent):
            return await self._redaction(room_id, event)
        if isinstance(event, MegolmEvent):
            return await self._undecryptable(room_id, event)
        return False

    # ---- commands ---------------------------------------------------------

    async def _message(self, room_id: str, event: RoomMessageText) -> bool:
        if event.source.get("content", {}).get("m.relates_to", {}).get("rel_type") == "m.replace":
            return False  # an edit of an earlier line is not a new command
        command = self.runner.engine.commands.parse(event.body, PREFIX, bot_name=localpart(self.client.user_id))
        if command is None:
            return False
        private = self.private(room_id)
        controller = self.rooms.controls(self.client.rooms.get(room_id), event.sender)
        user = self._user(event.sender)
        if private:
            await self.rooms.keep_direct(room_id)
        sender = Sender(user, controller)
        issued = CommandIssued(self.chat(room_id), sender, command, self.runner.clock(), private=private)
        effects = await self.runner.handle(issued, on_reply=self._answer(room_id, event.event_id))
        if any(isinstance(e, UserForgotten) for e in effects):
            self.book.forget(user)
            self.rooms.forgotten(user)
        return True

    def _answer(self, room_id: str, event_id: str) -> ReplyHandler:
        async def answer(reply: Reply) -> None:
            text = reply.text
            if reply.private and room_id not in self.rooms.direct:  # never into the room: point to a direct chat
                lang = self.runner.engine.lang(self.chat(room_id))
                text = plain(t(lang, "reply.open_private", link=f"https://matrix.to/#/{self.client.user_id}"))
            await self.transport.notice(room_id, text, reply_to=event_id)

        return answer

    # ---- votes --------------------------------------------------------------

    async def _reaction(self, room_id: str, event: ReactionEvent) -> bool:
        button = await self.book.button(event.reacts_to, event.key)
        if button is None:
            return False
        effects = await self._press(room_id, event.sender, button, event.reacts_to)
        user = self._user(event.sender)
        if any(isinstance(e, VoteRecorded) and e.user == user and e.option is not None for e in effects):
            assert button.option is not None
            await self.book.remember_vote(event.event_id,
                                          VoteReaction(button.round_id, button.part, button.option, user))
        return True

    async def _poll_response(self, room_id: str, event: UnknownEvent) -> bool:
        button = await self._poll_button(event)
        if button is None:
            return False
        await self._press(room_id, event.sender, button, None)
        return True

    async def _poll_button(self, event: UnknownEvent) -> ReactionButton | None:
        """The vote an answer to one of the bot's polls gives; None for anything else, or a spoiled answer
        (no option, several, or an unknown one), which counts as nothing."""
        answer = content.poll_response(event.type, event.source.get("content", {}))
        if answer is None or len(answer[1]) != 1:
            return None
        return await self.book.poll_button(answer[0], answer[1][0])

    async def _press(self, room_id: str, user_id: str, button: ReactionButton, reply_to: str | None) -> list[Effect]:
        """Hand a button press (reaction or poll answer) to the engine; return what it decided."""
        chat, user = self.chat(room_id), self._user(user_id)
        now = self.runner.clock()
        if button.option is None:
            pressed: NextPressed | VoteCast = NextPressed(chat, Sender(user), button.round_id, button.part, now)
        else:
            pressed = VoteCast(chat, Sender(user), button.round_id, button.part, button.option, now)
        key = (user, button.round_id, button.part)
        return await self.runner.handle(pressed, on_reply=self._refusal_once(room_id, reply_to, user_id, key))

    async def _redaction(self, room_id: str, event: RedactionEvent) -> bool:
        vote = await self.book.vote(event.redacts)
        if vote is None or vote.user != self._user(event.sender):
            return False  # not a vote reaction, or a moderator removing someone else's: the vote stays
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
            if len(self._refused) >= MAX_REMEMBERED:
                self._refused.clear()
            self._refused.add(key)
            await self.transport.notice(room_id, reply.text, reply_to, (user_id, self._name(room_id, user_id)))

        return answer

    def _name(self, room_id: str, user_id: str) -> str:
        room = self.client.rooms.get(room_id)
        return (room.user_name(user_id) if room else None) or user_id

    async def missed_poll_answers(self, room_id: str, known: list[Event]) -> list[Event]:
        """After a gap too long to read back: each user's latest answer to the room's open polls, from ``/relations``.

        Users who voted in the part of the gap that was read keep that newer vote.  Oldest answer first.
        """
        chat = self.chat(room_id)
        seen = {event.event_id for event in known}
        voted_since = {event.sender for event in known if await self._is_vote(event)}
        latest: dict[str, Event] = {}
        open_parts = [m.key for m in self.runner.engine.refresh() if isinstance(m, TallyChanged) and m.chat == chat]
        for key in open_parts:
            message_id = await self.runner.store.message_id(chat, key)
            poll_id = await self.book.poll_of(message_id) if message_id else None
            if poll_id is None:
                continue
            async for event in self.client.room_get_event_relations(room_id, poll_id):
                if isinstance(event, MegolmEvent):
                    try:
                        event = self.client.decrypt_event(event)
                    except EncryptionError:
                        continue
                newest = latest.get(event.sender)
                if (await self._is_vote(event) and event.event_id not in seen and event.sender not in voted_since
                        and (newest is None or event.server_timestamp >= newest.server_timestamp)):
                    latest[event.sender] = event
        log.info("read %d missed poll answers in %s from /relations", len(latest), room_id)
        return sorted(latest.values(), key=lambda event: event.server_timestamp)

    async def _is_vote(self, event: Event) -> bool:
        """An answer to one of the bot's polls, or a reaction pressing one of its vote buttons."""
        if isinstance(event, ReactionEvent):
            button = await self.book.button(event.reacts_to, event.key)
            return button is not None and button.option is not None
        return isinstance(event, UnknownEvent) and await self._poll_button(event) is not None

    # ---- encryption ---------------------------------------------------------

    async def _undecryptable(self, room_id: str, event: MegolmEvent) -> bool:
        """Log once per sender and session (ids only, never content); tell the sender the bot could not read it."""
        key = (event.sender, event.session_id)
        if key in self._unreadable:
            return False
        if len(self._unreadable) >= MAX_REMEMBERED:
            self._unreadable.clear()
        self._unreadable.add(key)
        log.warning("could not decrypt event %s in %s (device %s, session %s)", event.event_id, room_id,
                    event.device_id, event.session_id)
        text = t(self.runner.engine.lang(self.chat(room_id)), UNREADABLE_TEXT, p=PREFIX)
        await self.transport.notice(room_id, plain(text), event.event_id, (event.sender, self._name(room_id, event.sender)))
        return True
