"""The engine's state: rounds, chat settings and schedules.

Plain mutable dataclasses owned by :class:`bot.engine.Engine`; the store
rebuilds them after a restart.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

DEFAULT_LANGUAGE = "nb"
DEFAULT_TIMEZONE = "Europe/Oslo"


@dataclass
class PartState:
    """One part as played in one round.  ``votes`` maps user -> option key."""

    opened_at: datetime
    closes_at: datetime | None = None
    closed_at: datetime | None = None
    votes: dict[str, str] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        return self.closed_at is None

    def counts(self, keys: tuple[str, ...]) -> dict[str, int]:
        counted = Counter(self.votes.values())
        return {key: counted.get(key, 0) for key in keys}


@dataclass
class Round:
    """One case played in one chat, part by part."""

    id: int
    chat: str
    case_id: str
    lang: str
    started_at: datetime
    selftest_of: str | None = None
    timer: timedelta | None = None
    schedule_id: int | None = None
    parts: list[PartState] = field(default_factory=list)
    advance_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def current(self) -> int:
        """1-based number of the part in play (0 before the first opens)."""
        return len(self.parts)

    @property
    def current_part(self) -> PartState | None:
        return self.parts[-1] if self.parts else None

    @property
    def voting_open(self) -> bool:
        part = self.current_part
        return not self.finished and part is not None and part.open


@dataclass
class ChatSettings:
    lang: str = DEFAULT_LANGUAGE
    timezone: str = DEFAULT_TIMEZONE


@dataclass
class ScheduledRound:
    """A round a trainer pushed ahead: opens at ``opens_at``, voting closes at ``closes_at``."""

    id: int
    chat: str
    case_id: str
    opens_at: datetime
    closes_at: datetime | None = None
    state: str = "pending"  # pending -> open -> done | missed | cancelled
    reminded: bool = False
    round_id: int | None = None

    @property
    def remind_at(self) -> datetime | None:
        if self.closes_at is None:
            return None
        return self.opens_at + (self.closes_at - self.opens_at) / 2
