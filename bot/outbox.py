"""Pacing of live tally updates, one shared place for every adapter.

Sans-I/O like the engine: it is told the time, and answers which messages
go out now and when to ask again.  Each platform gives its minimum interval
between tally edits in one chat (its capabilities' ``edit_interval``); updates that come faster are coalesced, so
one edit carries the newest count however many votes came in between.
Everything else passes straight through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from bot.effects import Edit, Message, Post, Reply, TallyChanged


@dataclass
class _ChatPace:
    interval: timedelta
    last_sent: datetime | None = None
    pending: dict[str, TallyChanged] = field(default_factory=dict)


class Outbox:
    def __init__(self, interval_of: Callable[[str], timedelta]):
        """``interval_of(chat)``: the shortest time between two tally edits in that chat."""
        self.interval_of = interval_of
        self._chats: dict[str, _ChatPace] = {}
        self.coalesced = 0  # tally updates folded into a later one
        self.holds = 0  # times a chat started holding back an update: the clock must wake at next_due()

    def submit(self, messages: list[Message], now: datetime) -> list[Message]:
        """The messages to send now; tally updates that must wait are kept."""
        out: list[Message] = []
        for message in messages:
            if type(message) is Reply:  # most messages: an answer to one person, never held back
                out.append(message)
                continue
            if isinstance(message, TallyChanged):
                pace = self._chats.get(message.chat)
                if pace is None:
                    pace = self._chats[message.chat] = _ChatPace(self.interval_of(message.chat))
                if message.key in pace.pending:
                    self.coalesced += 1
                elif self._may_send(pace, now) and not pace.pending:
                    pace.last_sent = now
                    out.append(message)
                    continue
                self.holds += not pace.pending
                pace.pending[message.key] = message
                continue
            if isinstance(message, (Edit, Post)) and message.key and message.chat in self._chats:
                self._chats[message.chat].pending.pop(message.key, None)  # superseded by the final text
            out.append(message)
        return out

    def due(self, now: datetime) -> list[Message]:
        """Held-back tally updates whose chat may be edited again."""
        out: list[Message] = []
        for chat, pace in list(self._chats.items()):
            if pace.pending and self._may_send(pace, now):
                out.extend(pace.pending.values())
                pace.pending.clear()
                pace.last_sent = now
            elif not pace.pending and self._may_send(pace, now):
                del self._chats[chat]  # idle: forget it, memory stays bounded
        return out

    def next_due(self) -> datetime | None:
        moments = [pace.last_sent + pace.interval for pace in self._chats.values()
                   if pace.pending and pace.last_sent is not None]
        return min(moments, default=None)

    def _may_send(self, pace: _ChatPace, now: datetime) -> bool:
        return pace.last_sent is None or now - pace.last_sent >= pace.interval
