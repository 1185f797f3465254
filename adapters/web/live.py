"""The live side of the presenter page: one channel per chat with open pages, kept current from the runner.

The runner calls :meth:`Live.changed` with each event's effects once they are committed.  A chat they touch is
refreshed at most every :data:`PUSH_INTERVAL` (a hall voting at once makes a few updates, not hundreds), and every
open page's stream then sends what changed: the whole stage when it changed, else only the number of votes.  A
page too slow to keep up skips to the latest state; it never holds up the other pages or the bot.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Callable

from adapters.web import stage
from bot.effects import ChatRenamed, Effect
from bot.runner import Runner

log = logging.getLogger(__name__)

PUSH_INTERVAL = 0.2  # seconds between two updates of one chat's pages


def sse(event: str, data: object) -> bytes:
    """One server-sent event; JSON keeps its data on one line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


class Subscription:
    """One open page's stream: woken when its channel changed, or closed (its link revoked, the bot stopping)."""

    def __init__(self, digest: str):
        self.digest = digest
        self.wake = asyncio.Event()
        self.closed = False

    def close(self) -> None:
        self.closed = True
        self.wake.set()


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


class Live:
    def __init__(self, runner: Runner, render: Callable[[stage.Stage, int], str]):
        self._runner = runner
        self._render = render
        self._channels: dict[str, Channel] = {}

    async def join(self, chat: str, digest: str) -> tuple[Channel, Subscription]:
        """Subscribe a page of ``chat`` (opened with the link whose digest is ``digest``) to its channel."""
        if chat not in self._channels:
            await self._runner.recall(chat)  # the chat's latest round, if it finished before a restart
            if chat not in self._channels:  # (unless another page of the chat came in meanwhile)
                self._channels[chat] = self._channel(chat)
        channel = self._channels[chat]
        subscription = Subscription(digest)
        channel.subscribers.add(subscription)
        return channel, subscription

    def leave(self, chat: str, channel: Channel, subscription: Subscription) -> None:
        channel.subscribers.discard(subscription)
        if not channel.subscribers and self._channels.get(chat) is channel:
            del self._channels[chat]

    def changed(self, effects: list[Effect]) -> None:
        """The runner's listener: schedule an update of every chat with open pages that ``effects`` touch."""
        if not self._channels:
            return
        for effect in effects:
            if isinstance(effect, ChatRenamed):
                self.close(effect.old)  # its pages reconnect, and find the chat under its new id
        loop = asyncio.get_running_loop()
        for chat in self._touched(effects):
            channel = self._channels.get(chat)
            if channel is None or channel.pending:
                continue
            channel.pending = True
            delay = max(0.0, channel.pushed_at + PUSH_INTERVAL - loop.time())
            loop.call_later(delay, self._push, chat, channel)

    def revoke(self, digest: str) -> None:
        """Close the streams opened with a link that no longer works."""
        for channel in self._channels.values():
            for subscription in list(channel.subscribers):
                if subscription.digest == digest:
                    subscription.close()

    def close(self, chat: str | None = None) -> None:
        """Close the streams of ``chat``'s pages (of every page if None)."""
        for name, channel in list(self._channels.items()):
            if chat is None or name == chat:
                for subscription in list(channel.subscribers):
                    subscription.close()

    def _channel(self, chat: str) -> Channel:
        shown, votes = stage.build(self._runner.engine, chat)
        return Channel(shown, votes, sse("stage", self._render(shown, votes)), sse("votes", votes))

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
        for subscription in channel.subscribers:
            subscription.wake.set()

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
