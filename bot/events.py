"""What can happen to the engine: commands, votes and the passing of time.

Adapters translate platform updates into these.  Chat ids carry their
platform (``telegram:-1001``, ``matrix:!room:server``, ``console:local``);
user ids are already pseudonymous when they get here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Sender:
    user: str
    controller: bool = False


# ---- commands -------------------------------------------------------------


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class ListCases:
    pass


@dataclass(frozen=True)
class StartRound:
    case_id: str
    timer: timedelta | None = None


@dataclass(frozen=True)
class Vote:
    """``/vote red`` or ``/vote 1``: a vote on the current part of the chat's round."""

    choice: str


@dataclass(frozen=True)
class CloseVoting:
    pass


@dataclass(frozen=True)
class NextPart:
    pass


@dataclass(frozen=True)
class StopRound:
    pass


@dataclass(frozen=True)
class ShowResults:
    pass


@dataclass(frozen=True)
class ShowReferences:
    pass


@dataclass(frozen=True)
class SelfTest:
    case_id: str | None = None


@dataclass(frozen=True)
class Forget:
    pass


@dataclass(frozen=True)
class Privacy:
    pass


@dataclass(frozen=True)
class SetLanguage:
    lang: str


@dataclass(frozen=True)
class SetTimezone:
    zone: str


@dataclass(frozen=True)
class Schedule:
    case_id: str
    when: str
    until: str | None = None


@dataclass(frozen=True)
class ListSchedules:
    pass


@dataclass(frozen=True)
class Unschedule:
    number: int


@dataclass(frozen=True)
class Unknown:
    """A line that looked like a command but was not one we know, or had bad arguments."""

    name: str


Command = (
    Unknown | Help | ListCases | StartRound | Vote | CloseVoting | NextPart | StopRound | ShowResults | ShowReferences
    | SelfTest | Forget | Privacy | SetLanguage | SetTimezone | Schedule | ListSchedules | Unschedule
)


# ---- events ---------------------------------------------------------------


@dataclass(frozen=True)
class CommandIssued:
    chat: str
    sender: Sender
    command: Command
    now: datetime
    private: bool = False


@dataclass(frozen=True)
class VoteCast:
    """A button press or a reaction naming a round, a part (1-based) and an option."""

    chat: str
    sender: Sender
    round_id: int
    part: int
    option: str
    now: datetime


@dataclass(frozen=True)
class VoteWithdrawn:
    """A removed reaction: the vote goes only if it is still this option."""

    chat: str
    sender: Sender
    round_id: int
    part: int
    option: str
    now: datetime


@dataclass(frozen=True)
class NextPressed:
    """The "next part" button of a self-test."""

    chat: str
    sender: Sender
    round_id: int
    part: int
    now: datetime


@dataclass(frozen=True)
class Tick:
    now: datetime


Event = CommandIssued | VoteCast | VoteWithdrawn | NextPressed | Tick
