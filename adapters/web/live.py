"""The live side of the presenter page: one channel per chat with open pages, kept current from the runner.

The runner calls :meth:`Live.changed` with each event's effects once they are committed.  A chat they touch is
refreshed at most every :data:`PUSH_INTERVAL` (a hall voting at once makes a few updates, not hundreds), and one
task writes the change to every open page of the chat: the whole stage when it changed, else only the number of
votes.  It writes a slice of pages at a time, so votes arriving meanwhile are not held up by a room full of
projectors and phones.  A page too slow to read what it was sent is closed: its browser reconnects by itself
and gets the state as it is then.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Callable

from aiohttp import web

from adapters.web import stage
from bot.effects import ChatRenamed, Effect
from bot.runner import Runner

log = logging.getLogger(__name__)

PUSH_INTERVAL = 0.2  # seconds between two updates of one chat's pages
KEEPALIVE = 15.0  # seconds between comment lines on every stream, so proxies keep them open and gone pages show
SLICE = 25  # pages written before votes waiting meanwhile get their turn
MAX_BUFFERED = 64 * 1024  # bytes a page may leave unread before it is closed (to reconnect)
RECONNECT = b"retry: 1000\n\n"  # an EventSource reconnects after 1 s (e.g. while the bot restarts)
KEEP_ALIVE = b": keep-alive\n\n"


def sse(event: str, data: object) -> bytes:
    """One server-sent event; JSON keeps its data on one line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


@dataclass
class Channel:
    """What a chat's open pages show now, as the events a stream sends."""

    shown: stage.Stage
    votes: int
    stage_event: bytes
    votes_event: bytes
    version: int = 0  # moves on every change
    stage_version: int = 0  # moves when the stage changed
    subscribers: set[Subscription] = field(default_factory=set)
    pending: bool = False  # an update is scheduled
    pushed_at: float = float("-inf")
    sending: bool = False  # a task is writing to the pages
    again: bool = False  # the channel changed while it wrote


class Subscription:
    """One open page's stream; ``done`` once the page went, its link was revoked, or the bot stops."""

    def __init__(self, digest: str, response: web.StreamResponse, request: web.Request, channel: Channel):
        self.digest = digest
        self.response = response
        self.request = request
        self.version = channel.version  # what the page has, as written by the caller of Live.subscribe
        self.stage_version = channel.stage_version
        self.done = asyncio.Event()

    def close(self) -> None:
        self.done.set()

    async def write(self, data: bytes) -> None:
        """Write ``data``, unless the page went or is too far behind (then it is closed, to reconnect)."""
        transport = self.request.transport
        if self.done.is_set() or transport is None or transport.is_closing() or (
                transport.get_write_buffer_size() > MAX_BUFFERED):
            self.close()
            return
        try:
            await self.response.write(data)  # returns at once: the buffer is far below aiohttp's drain limit
        except ConnectionResetError:
            self.close()

    async def catch_up(self, channel: Channel) -> None:
        """Write what the page has not seen of ``channel``."""
        if self.version == channel.version:
            return
        update = (channel.stage_event if self.stage_version != channel.stage_version else b"") + channel.votes_event
        self.version, self.stage_version = channel.version, channel.stage_version
        await self.write(update)


class Live:
    def __init__(self, runner: Runner, render: Callable[[stage.Stage, int], str]):
        self._runner = runner
        self._render = render
        self._channels: dict[str, Channel] = {}
        self._keepalive: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()  # held, so a running task is never collected

    def start(self) -> None:
        self._keepalive = asyncio.create_task(self._keep_alive(), name="web-keepalive")

    async def open(self, chat: str) -> None:
        """Have the channel of ``chat`` ready for :meth:`subscribe`."""
        if chat not in self._channels:
            await self._runner.recall(chat)  # the chat's latest round, if it finished before a restart
            if chat not in self._channels:  # (unless another page of the chat came in meanwhile)
                self._channels[chat] = self._channel(chat)

    def subscribe(self, chat: str, digest: str, response: web.StreamResponse,
                  request: web.Request) -> tuple[Subscription, bytes]:
        """Add a page of ``chat`` (opened with the link whose digest is ``digest``) after :meth:`open`; what to
        write to it first, before anything else is written to it."""
        channel = self._channels[chat]
        subscription = Subscription(digest, response, request, channel)
        channel.subscribers.add(subscription)
        return subscription, RECONNECT + channel.stage_event + channel.votes_event

    def leave(self, chat: str, subscription: Subscription) -> None:
        channel = self._channels.get(chat)
        if channel is None:
            return
        channel.subscribers.discard(subscription)
        if not channel.subscribers:
            del self._channels[chat]

    def changed(self, effects: list[Effect]) -> None:
        """The runner's listener: schedule an update of every chat with open pages that ``effects`` touch."""
        if not self._channels:
            return
        for effect in effects:
            if isinstance(effect, ChatRenamed):
                self.close(effect.old)  # its pages reconnect, and find the chat under its new id
        for chat in self._touched(effects):
            channel = self._channels.get(chat)
            if channel is not None:
                self._schedule(chat, channel)

    def revoke(self, digest: str) -> None:
        """Close the streams opened with a link that no longer works."""
        for channel in self._channels.values():
            for subscription in list(channel.subscribers):
                if subscription.digest == digest:
                    subscription.close()

    def close(self, chat: str | None = None) -> None:
        """Close the streams of ``chat``'s pages (of every page if None, and stop the keep-alives)."""
        for name, channel in list(self._channels.items()):
            if chat is None or name == chat:
                for subscription in list(channel.subscribers):
                    subscription.close()
        if chat is None and self._keepalive is not None:
            self._keepalive.cancel()
            self._keepalive = None

    def _channel(self, chat: str) -> Channel:
        shown, votes = stage.build(self._runner.engine, chat)
        return Channel(shown, votes, sse("stage", self._render(shown, votes)), sse("votes", votes))

    def _schedule(self, chat: str, channel: Channel) -> None:
        if channel.pending:
            return
        channel.pending = True
        loop = asyncio.get_running_loop()
        loop.call_later(max(0.0, channel.pushed_at + PUSH_INTERVAL - loop.time()), self._push, chat, channel)

    def _push(self, chat: str, channel: Channel) -> None:
        channel.pending = False
        channel.pushed_at = asyncio.get_running_loop().time()
        if self._channels.get(chat) is not channel:
            return  # every page left
        try:
            shown, votes = stage.build(self._runner.engine, chat)
            if shown != channel.shown:
                channel.shown, channel.stage_event = shown, sse("stage", self._render(shown, votes))
                channel.stage_version += 1
            elif votes == channel.votes:
                return
            channel.votes, channel.votes_event = votes, sse("votes", votes)
            channel.version += 1
        except Exception:
            log.exception("could not update the presenter pages of a chat")
            return
        if channel.sending:
            channel.again = True
        else:
            channel.sending = True
            task = asyncio.create_task(self._send(channel), name="web-send")
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, channel: Channel) -> None:
        """Write the channel's change to each of its pages, a slice at a time."""
        try:
            while True:
                channel.again = False
                for number, subscription in enumerate(list(channel.subscribers), 1):
                    await subscription.catch_up(channel)
                    if number % SLICE == 0:
                        await asyncio.sleep(0)
                if not channel.again:
                    return
        finally:
            channel.sending = False

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(KEEPALIVE)
            for channel in list(self._channels.values()):
                for number, subscription in enumerate(list(channel.subscribers), 1):
                    await subscription.write(KEEP_ALIVE)
                    if number % SLICE == 0:
                        await asyncio.sleep(0)

    def _touched(self, effects: list[Effect]) -> set[str]:
        """The chats ``effects`` may have changed: those they name, and those of the rounds they name."""
        chats: set[str] = set()
        engine = self._runner.engine
        for effect in effects:
            chat = getattr(effect, "chat", None)
            if isinstance(chat, str):
                chats.add(chat)
            round_id = getattr(effect, "round_id", None)
            if isinstance(round_id, int):
                rnd = engine.round(round_id)
                if rnd is not None:
                    chats.add(rnd.chat)
        return chats

