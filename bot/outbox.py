"""Pacing of live tally edits, one shared place for every adapter.

Sans-I/O like the engine: it is told the time, and answers which messages
go out now and when to ask again.  Each platform gives its minimum interval
between tally edits in one chat; edits that come faster are coalesced so
only the newest text is sent.  Everything else passes straight through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.effects import Edit, Message, Post


@dataclass
class _ChatPace:
    last_sent: datetime | None = None
    pending: dict[str, Edit] = field(default_factory=dict)


class Outbox:
    def __init__(self, interval: timedelta):
        self.interval = interval
        self._chats: dict[str, _ChatPace] = {}
        self.coalesced = 0  # tally edits replaced by a newer one before they were sent

    def submit(self, messages: list[Message], now: datetime) -> list[Message]:
        """The messages to send now; tally edits that must wait are kept."""
        out: list[Message] = []
        for message in messages:
            if isinstance(message, Edit) and not message.final:
                if self._may_send(message.chat, now):
                    self._chats.setdefault(message.chat, _ChatPace()).last_sent = now
                    out.append(message)
                else:
                    pace = self._chats.setdefault(message.chat, _ChatPace())
                    self.coalesced += message.key in pace.pending
                    pace.pending[message.key] = message
                continue
            if isinstance(message, (Edit, Post)) and message.key:
                pace = self._chats.get(message.chat)
                if pace is not None:
                    pace.pending.pop(message.key, None)  # a final edit supersedes any pending tally
            out.append(message)
        return out

    def due(self, now: datetime) -> list[Message]:
        """Pending tally edits whose chat may be edited again."""
        out: list[Message] = []
        for chat, pace in list(self._chats.items()):
            if pace.pending and self._may_send(chat, now):
                out.extend(pace.pending.values())
                pace.pending.clear()
                pace.last_sent = now
            elif not pace.pending and pace.last_sent and now - pace.last_sent >= self.interval:
                del self._chats[chat]  # idle: forget it, memory stays bounded
        return out

    def next_due(self) -> datetime | None:
        moments = [pace.last_sent + self.interval for pace in self._chats.values()
                   if pace.pending and pace.last_sent is not None]
        return min(moments, default=None)

    def _may_send(self, chat: str, now: datetime) -> bool:
        pace = self._chats.get(chat)
        return pace is None or pace.last_sent is None or now - pace.last_sent >= self.interval
