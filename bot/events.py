"""What can happen to the engine: commands, votes and the passing of time.

Adapters translate platform updates into these.  Chat ids carry their
platform (``telegram:-1001``, ``matrix:!room:server``, ``console:local``);
user ids are already pseudonymous when they get here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.model import Round


@dataclass(frozen=True)
class Sender:
    user: str
    controller: bool = False


# ---- commands -------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """Base of every command's arguments; each command's own class sits beside its handler in ``bot.engine``."""


@dataclass(frozen=True)
class Unknown(Command):
    """A line that looked like a command but names none we know."""

    name: str


@dataclass(frozen=True)
class BadUsage(Command):
    """A known command with arguments it cannot take: answered with its usage line."""

    name: str


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


@dataclass(frozen=True)
class OverallChanged:
    """The store took a new snapshot of how everyone answered a part (see :mod:`bot.overall`)."""

    case_id: str
    part: int
    counts: dict[str, int]


@dataclass(frozen=True)
class RoundRecalled:
    """A finished round read back from the store, because a command about the chat's latest round needs it."""

    round: Round


@dataclass(frozen=True)
class ChatMoved:
    """The platform gave a chat a new id (a Telegram group became a supergroup): everything moves with it."""

    old: str
    new: str


Event = CommandIssued | VoteCast | VoteWithdrawn | NextPressed | Tick | OverallChanged | RoundRecalled | ChatMoved
