"""The engine's state: rounds, chat settings and schedules, and the phases they move through.

Plain mutable dataclasses owned by :class:`bot.engine.Engine`; the store
rebuilds the live ones after a restart.  Each phase changes only through
:func:`move`, by the transitions in one table per kind (as h11 keeps its
state machine), so an illegal step raises instead of leaving a half-changed
round behind.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import TypeVar

DEFAULT_LANGUAGE = "nb"
DEFAULT_TIMEZONE = "Europe/Oslo"


class RoundPhase(Enum):
    DISCUSSING = "discussing"  # no part takes votes: before the first opens, or the current one is closed
    VOTING = "voting"  # the current part takes votes
    FINISHED = "finished"


class SchedulePhase(Enum):
    PENDING = "pending"  # waits for its opening time
    OPEN = "open"  # its round runs; voting on part 1 closes at the deadline
    DONE = "done"  # its round finished
    MISSED = "missed"  # could not open as planned (another round ran, the case is gone, or the window passed)


class Step(Enum):
    OPEN_VOTE = "open a part with a vote"
    OPEN_REFLECTION = "open a part without a vote"
    CLOSE = "close voting"
    FINISH = "finish"
    OPEN = "open the scheduled round"
    MISS = "give up the schedule"


ROUND_STEPS: dict[tuple[RoundPhase, Step], RoundPhase] = {
    (RoundPhase.DISCUSSING, Step.OPEN_VOTE): RoundPhase.VOTING,
    (RoundPhase.DISCUSSING, Step.OPEN_REFLECTION): RoundPhase.DISCUSSING,
    (RoundPhase.VOTING, Step.CLOSE): RoundPhase.DISCUSSING,
    (RoundPhase.DISCUSSING, Step.FINISH): RoundPhase.FINISHED,
    (RoundPhase.VOTING, Step.FINISH): RoundPhase.FINISHED,  # a self-test replaced before its answer
}

SCHEDULE_STEPS: dict[tuple[SchedulePhase, Step], SchedulePhase] = {
    (SchedulePhase.PENDING, Step.OPEN): SchedulePhase.OPEN,
    (SchedulePhase.PENDING, Step.MISS): SchedulePhase.MISSED,
    (SchedulePhase.OPEN, Step.FINISH): SchedulePhase.DONE,
}


class IllegalStep(RuntimeError):
    """A step the phase table does not allow: a bug in the engine, never a user's doing."""


P = TypeVar("P", RoundPhase, SchedulePhase)


def _next(table: dict[tuple[P, Step], P], phase: P, step: Step) -> P:
    try:
        return table[(phase, step)]
    except KeyError:
        raise IllegalStep(f"cannot {step.value} in phase {phase.value}") from None


@dataclass
class PartState:
    """One part as played in one round.  ``votes`` maps user -> option key.

    ``counts`` is the split frozen when voting closed: what the chat saw then.  It stays as it was if a voter
    later asks to be forgotten (their vote goes, the anonymous total does not: recounting a closed part in front
    of the group would show how the forgotten person voted).
    """

    opened_at: datetime
    closes_at: datetime | None = None
    closed_at: datetime | None = None
    votes: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] | None = None

    @property
    def open(self) -> bool:
        return self.closed_at is None

    def tally(self, keys: tuple[str, ...]) -> dict[str, int]:
        """The split over ``keys``: frozen once closed, else counted from the votes."""
        if self.counts is not None:
            return {key: self.counts.get(key, 0) for key in keys}
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
    phase: RoundPhase = RoundPhase.DISCUSSING

    def restore_phase(self) -> None:
        """For a round read back from the store: its phase follows from what was recorded."""
        if self.finished_at is not None:
            self.phase = RoundPhase.FINISHED
        elif self.parts and self.parts[-1].open:
            self.phase = RoundPhase.VOTING
        else:
            self.phase = RoundPhase.DISCUSSING

    def move(self, step: Step) -> None:
        self.phase = _next(ROUND_STEPS, self.phase, step)

    @property
    def finished(self) -> bool:
        return self.phase is RoundPhase.FINISHED

    @property
    def voting_open(self) -> bool:
        return self.phase is RoundPhase.VOTING

    @property
    def current(self) -> int:
        """1-based number of the part in play (0 before the first opens)."""
        return len(self.parts)

    @property
    def current_part(self) -> PartState | None:
        return self.parts[-1] if self.parts else None


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
    phase: SchedulePhase = SchedulePhase.PENDING
    reminded: bool = False
    round_id: int | None = None

    def move(self, step: Step) -> None:
        self.phase = _next(SCHEDULE_STEPS, self.phase, step)

    @property
    def waiting(self) -> bool:
        """Pending or open: listed by /schedules, may be cancelled."""
        return self.phase in (SchedulePhase.PENDING, SchedulePhase.OPEN)

    @property
    def remind_at(self) -> datetime | None:
        if self.closes_at is None:
            return None
        return self.opens_at + (self.closes_at - self.opens_at) / 2
