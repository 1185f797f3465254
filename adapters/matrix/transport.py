"""Engine messages -> Matrix events (the runner's :class:`~bot.runner.Transport` for Matrix).

- :class:`~bot.effects.Post` -> ``m.text``; its buttons become the bot's own
  reactions under it (see :mod:`adapters.matrix.reactions`); a chart follows
  as an uploaded ``m.image`` (the text stays its fallback).
- :class:`~bot.effects.Edit` -> an ``m.replace`` edit of the posted message.
- :class:`~bot.effects.Reply` -> an ``m.notice``.

``M_LIMIT_EXCEEDED`` is handled below this layer: matrix-nio waits the
``retry_after_ms`` the server names and sends again (same transaction id),
as often as it takes, and retries lost connections with backoff; see
:data:`CLIENT_CONFIG` in :mod:`adapters.matrix.application`.
"""

from __future__ import annotations

import io
import logging

from nio import AsyncClient, RoomSendResponse, UploadResponse

from adapters.matrix import content
from adapters.matrix.reactions import ReactionBook, reaction_buttons
from bot.chart import HEIGHT, WIDTH, ChartData, render_chart
from bot.effects import Edit, NextButton, Post, Reply
from bot.pseudonym import Pseudonymizer
from bot.richtext import Rich, RichBuilder

log = logging.getLogger(__name__)


class SendFailed(RuntimeError):
    """The homeserver refused an event (not a rate limit: those are retried)."""


class MatrixTransport:
    def __init__(self, client: AsyncClient, pseudonyms: Pseudonymizer, book: ReactionBook):
        self.client = client
        self.pseudonyms = pseudonyms
        self.book = book
        self.sent = 0  # events sent, for tests and benchmarks
        self.edits = 0

    def room(self, chat: str) -> str:
        room_id = self.pseudonyms.address(chat)
        if room_id is None:
            raise SendFailed(f"no known room for {chat}")
        return room_id

    async def send(self, room_id: str, event_type: str, body: content.Content) -> str:
        resp = await self.client.room_send(room_id, event_type, body)
        if not isinstance(resp, RoomSendResponse):
            raise SendFailed(f"{event_type} to {room_id} refused: {resp.status_code} {resp.message}")
        self.sent += 1
        return resp.event_id

    async def post(self, message: Post) -> str:
        room_id = self.room(message.chat)
        text = message.text
        nexts = [b for b in message.buttons if isinstance(b, NextButton)]
        if nexts:  # the ➡️ reaction under it is the button; its label says what it does
            text = RichBuilder().extend(text).line(2).italic(nexts[0].label).build()
        event_id = await self.send(room_id, "m.room.message", content.text(text))
        buttons = reaction_buttons(message.buttons)
        try:
            if buttons:
                await self.book.remember_buttons(event_id, buttons)
                for button in buttons:
                    await self.send(room_id, "m.reaction", content.reaction(event_id, button.emoji))
            if message.chart is not None:
                await self._chart(room_id, message.chart)
        except Exception:  # the text is out and must stay editable: report its id whatever follows
            log.exception("could not add the buttons or chart to %s in %s", event_id, room_id)
        return event_id

    async def _chart(self, room_id: str, chart: ChartData) -> None:
        png = render_chart(chart)
        resp, _ = await self.client.upload(io.BytesIO(png), content_type="image/png", filename="chart.png",
                                           filesize=len(png))
        if not isinstance(resp, UploadResponse):
            raise SendFailed(f"chart upload refused: {resp.status_code} {resp.message}")
        await self.send(room_id, "m.room.message",
                        content.image(resp.content_uri, chart.subtitle, len(png), WIDTH, HEIGHT))

    async def edit(self, message: Edit, platform_id: str) -> None:
        await self.send(self.room(message.chat), "m.room.message", content.replacement(message.text, platform_id))
        self.edits += 1

    async def reply(self, message: Reply) -> None:
        await self.notice(self.room(message.chat), message.text)

    async def notice(self, room_id: str, text: Rich, reply_to: str | None = None,
                     mention: tuple[str, str] | None = None) -> None:
        await self.send(room_id, "m.room.message", content.notice(text, reply_to, mention))
