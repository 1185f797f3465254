"""Engine messages -> Matrix events (the runner's :class:`~bot.runner.Transport` for Matrix).

- :class:`~bot.effects.Post` -> ``m.text``; its buttons become the bot's own
  reactions under it (see :mod:`adapters.matrix.reactions`), and vote buttons
  also a native poll (MSC3381, undisclosed) right after it; a chart follows
  as an uploaded ``m.image`` (the text stays its fallback).
- :class:`~bot.effects.Edit` -> an ``m.replace`` edit of the posted message.
  The final edit (voting closed) ends the part's poll, with the result text
  of the message that follows it.
- :class:`~bot.effects.Reply` -> an ``m.notice``.

In an encrypted room matrix-nio encrypts every event but reactions (as
Element does) and the chart is uploaded encrypted.  Trust policy: the bot
sends to every device of the room's members, verified or not, and never
refuses to send because of an unknown device (``ignore_unverified_devices``);
see the README.

``M_LIMIT_EXCEEDED`` is handled below this layer: matrix-nio waits the
``retry_after_ms`` the server names and sends again (same transaction id),
as often as it takes, and retries lost connections with backoff; see
:data:`CLIENT_CONFIG` in :mod:`adapters.matrix.application`.
"""

from __future__ import annotations

import asyncio
import io
import logging

import aiohttp
from nio import AsyncClient, RoomLeaveError, RoomSendResponse, UploadResponse

from adapters.matrix import content
from adapters.matrix.reactions import ReactionBook, ReactionButton, reaction_buttons
from bot.chart import HEIGHT, WIDTH, ChartData, render_chart
from bot.effects import Edit, NextButton, Post, Reply, VoteButton
from bot.pseudonym import Pseudonymizer
from bot.richtext import Rich, RichBuilder, to_plain
from bot.runner import PlatformDown

log = logging.getLogger(__name__)


#: What nio raises when the homeserver cannot be reached, once its own retries are spent.
UNREACHABLE = (aiohttp.ClientConnectionError, asyncio.TimeoutError)


class SendFailed(RuntimeError):
    """The homeserver refused an event (not a rate limit: those are retried)."""


def poll_question(text: Rich) -> str:
    """The part's heading (its lines before the first blank one, e.g. the case and "Del 1 av 3: …") as a question."""
    return " – ".join(to_plain(text).split("\n\n", 1)[0].splitlines())


class MatrixTransport:
    def __init__(self, client: AsyncClient, pseudonyms: Pseudonymizer, book: ReactionBook):
        self.client = client
        self.pseudonyms = pseudonyms
        self.book = book
        self.sent = 0  # events sent, for tests and benchmarks
        self.edits = 0
        self._ending: dict[str, str] = {}  # room -> poll to end with the next message's text

    def room(self, chat: str) -> str:
        room_id = self.pseudonyms.address(chat)
        if room_id is None:
            raise SendFailed(f"no known room for {chat}")
        return room_id

    def encrypted(self, room_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        return room is not None and room.encrypted

    async def send(self, room_id: str, event_type: str, body: content.Content) -> str:
        try:
            resp = await self.client.room_send(room_id, event_type, body, ignore_unverified_devices=True)
        except UNREACHABLE as exc:  # nio gave up after its retries: the runner keeps the message for later
            raise PlatformDown(f"Matrix: {type(exc).__name__} {exc}") from exc
        if not isinstance(resp, RoomSendResponse):
            raise SendFailed(f"{event_type} to {room_id} refused: {resp.status_code} {resp.message}")
        self.sent += 1
        return resp.event_id

    async def leave(self, chat: str) -> None:
        room_id = self.room(chat)
        try:
            resp = await self.client.room_leave(room_id)
        except UNREACHABLE as exc:
            raise PlatformDown(f"Matrix: {type(exc).__name__} {exc}") from exc
        if isinstance(resp, RoomLeaveError):
            raise SendFailed(f"could not leave {room_id}: {resp.status_code} {resp.message}")

    async def post(self, message: Post) -> str:
        room_id = self.room(message.chat)
        text = message.text
        nexts = [b for b in message.buttons if isinstance(b, NextButton)]
        if nexts:  # the ➡️ reaction under it is the button; its label says what it does
            text = RichBuilder().extend(text).line(2).italic(nexts[0].label).build()
        event_id = await self.send(room_id, "m.room.message", content.text(text))
        buttons = reaction_buttons(message.buttons)
        try:
            await self._end_poll(room_id, message.text)
            if buttons:
                await self.book.remember_buttons(event_id, buttons)
                if any(b.option is not None for b in buttons):
                    await self._poll(room_id, event_id, message, buttons)
                for button in buttons:
                    await self.send(room_id, "m.reaction", content.reaction(event_id, button.emoji))
            if message.chart is not None:
                await self._chart(room_id, message.chart)
        except Exception:  # the text is out and must stay editable: report its id whatever follows
            log.exception("could not add the buttons, poll or chart to %s in %s", event_id, room_id)
        return event_id

    async def _poll(self, room_id: str, event_id: str, message: Post, buttons: tuple[ReactionButton, ...]) -> None:
        answers = [(b.option, f"{b.emoji} {b.label}") for b in message.buttons if isinstance(b, VoteButton)]
        poll_id = await self.send(room_id, content.POLL_START, content.poll_start(poll_question(message.text), answers))
        await self.book.remember_poll(event_id, poll_id, buttons)

    async def _end_poll(self, room_id: str, result: Rich) -> None:
        poll_id = self._ending.pop(room_id, None)
        if poll_id is not None:
            await self.send(room_id, content.POLL_END, content.poll_end(poll_id, to_plain(result)))

    async def _chart(self, room_id: str, chart: ChartData) -> None:
        png = render_chart(chart)
        encrypt = self.encrypted(room_id)
        resp, keys = await self.client.upload(io.BytesIO(png), content_type="image/png", filename="chart.png",
                                              filesize=len(png), encrypt=encrypt)
        if not isinstance(resp, UploadResponse):
            raise SendFailed(f"chart upload refused: {resp.status_code} {resp.message}")
        if encrypt:
            assert keys is not None
            body = content.encrypted_image({**keys, "url": resp.content_uri}, chart.subtitle, len(png), WIDTH, HEIGHT)
        else:
            body = content.image(resp.content_uri, chart.subtitle, len(png), WIDTH, HEIGHT)
        await self.send(room_id, "m.room.message", body)

    async def edit(self, message: Edit, platform_id: str) -> None:
        room_id = self.room(message.chat)
        await self.send(room_id, "m.room.message", content.replacement(message.text, platform_id))
        self.edits += 1
        if message.final:
            poll_id = await self.book.poll_of(platform_id)
            if poll_id is not None:
                self._ending[room_id] = poll_id

    async def reply(self, message: Reply) -> None:
        await self.notice(self.room(message.chat), message.text)

    async def notice(self, room_id: str, text: Rich, reply_to: str | None = None,
                     mention: tuple[str, str] | None = None) -> None:
        await self.send(room_id, "m.room.message", content.notice(text, reply_to, mention))
