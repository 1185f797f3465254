"""Messages held back while a platform cannot be reached, sent in order once it can again.

Sans-I/O like the outbox: told the time, it says which platforms to try again and when.  A platform that
fails to take a message is *down*: every later message for it waits behind the first (so an edit never
overtakes the post it edits) until the whole line has gone out.  Each try after a failure comes after a
pause that doubles up to :data:`MAX_PAUSE`.  A live count waits only once per message: the newest count is
rendered when it goes out.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from bot.effects import Message, TallyChanged

FIRST_PAUSE = timedelta(seconds=1)
MAX_PAUSE = timedelta(seconds=30)
MAX_WAITING = 10_000  # per platform; beyond it the oldest live counts go first, then the oldest messages

H = TypeVar("H")


@dataclass
class _Line(Generic[H]):
    retry_at: datetime
    pause: timedelta = FIRST_PAUSE
    waiting: deque[tuple[Message, H]] = field(default_factory=deque)


class Backlog(Generic[H]):
    """Per platform namespace: the line of messages (each with its reply handler) waiting for it."""

    def __init__(self) -> None:
        self._lines: dict[str, _Line[H]] = {}
        self.dropped = 0  # messages given up because a line grew past MAX_WAITING

    def is_down(self, namespace: str) -> bool:
        """True while anything waits for ``namespace``: new messages join the end of the line."""
        return namespace in self._lines

    def hold(self, namespace: str, message: Message, handler: H, now: datetime) -> None:
        line = self._lines.get(namespace)
        if line is None:
            line = self._lines[namespace] = _Line(now + FIRST_PAUSE)
        if isinstance(message, TallyChanged) and any(
                isinstance(m, TallyChanged) and (m.chat, m.key) == (message.chat, message.key) for m, _ in line.waiting):
            return  # the count already waiting is rendered as it is when it goes out
        line.waiting.append((message, handler))
        if len(line.waiting) > MAX_WAITING:
            counts = [item for item in line.waiting if isinstance(item[0], TallyChanged)]
            line.waiting.remove(counts[0] if counts else line.waiting[0])
            self.dropped += 1

    def due(self, now: datetime) -> list[str]:
        """The platforms whose line may be tried now."""
        return [namespace for namespace, line in self._lines.items() if line.retry_at <= now]

    def next_due(self) -> datetime | None:
        return min((line.retry_at for line in self._lines.values()), default=None)

    def first(self, namespace: str) -> tuple[Message, H] | None:
        line = self._lines.get(namespace)
        return line.waiting[0] if line is not None and line.waiting else None

    def sent(self, namespace: str) -> None:
        """The first in line went out (or was given up for good); an empty line means the platform is up."""
        line = self._lines[namespace]
        line.waiting.popleft()
        if not line.waiting:
            del self._lines[namespace]

    def failed(self, namespace: str, now: datetime) -> None:
        """The first in line could not go out again: wait twice as long before the next try."""
        line = self._lines[namespace]
        line.pause = min(line.pause * 2, MAX_PAUSE)
        line.retry_at = now + line.pause
