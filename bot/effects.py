"""What the engine decides should happen, as data.

Three kinds: *records* (facts the store must commit before anything that
depends on them is shown), *messages* (what adapters send) and *requests*
(what only a service outside the engine can do, such as making a secret
link).  The runner commits the records of an event first, then hands its
messages to the outbox and the adapter, and its requests to their service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.chart import ChartData
from bot.richtext import Rich

# ---- buttons --------------------------------------------------------------


@dataclass(frozen=True)
class VoteButton:
    label: str
    emoji: str
    round_id: int
    part: int
    option: str


@dataclass(frozen=True)
class NextButton:
    label: str
    round_id: int
    part: int


Button = VoteButton | NextButton


# ---- messages -------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """A new message.  ``key`` names it for later edits (e.g. ``r12p1``)."""

    chat: str
    text: Rich
    buttons: tuple[Button, ...] = ()
    key: str | None = None
    chart: ChartData | None = None


@dataclass(frozen=True)
class TallyChanged:
    """The live count on the message ``key`` changed.

    Deliberately not rendered here: votes come far faster than a chat may be
    edited, so the outbox paces these per chat and only when one goes out does
    the runner render the count as it is then (:meth:`Engine.tally`).
    """

    chat: str
    round_id: int
    key: str


@dataclass(frozen=True)
class Edit:
    """Replace the text (and buttons) of the message posted under ``key``.

    ``final`` edits (voting closed) go out at once and drop a pending tally.
    """

    chat: str
    key: str
    text: Rich
    buttons: tuple[Button, ...] = ()
    final: bool = False


@dataclass(frozen=True)
class Reply:
    """A short answer to one user: a toast for a button press, else a message.

    ``private``: for that user's eyes only, never the chat's (a trainer's notes): the adapter sends it to the
    user's private chat, or, where it cannot write there first, tells them in the chat how to open one.
    """

    chat: str
    user: str
    text: Rich
    refused: bool = False
    private: bool = False


@dataclass(frozen=True)
class Leave:
    """The bot leaves ``chat``, as a trainer asked (after its goodbye, which comes first)."""

    chat: str


Message = Post | Edit | Reply | TallyChanged | Leave


# ---- records --------------------------------------------------------------


@dataclass(frozen=True)
class RoundStarted:
    round_id: int
    chat: str
    case_id: str
    lang: str
    selftest_of: str | None
    started_at: datetime
    timer: timedelta | None = None
    schedule_id: int | None = None


@dataclass(frozen=True)
class PartOpened:
    round_id: int
    part: int
    at: datetime
    closes_at: datetime | None = None


@dataclass(frozen=True)
class VoteRecorded:
    """``option`` None means the vote was withdrawn."""

    round_id: int
    part: int
    user: str
    option: str | None
    at: datetime


@dataclass(frozen=True)
class PartClosed:
    """Voting on a part closed: ``counts`` is the split as the chat saw it; its voters' answers join the overall."""

    round_id: int
    part: int
    at: datetime
    case_id: str
    counts: dict[str, int]
    advance_at: datetime | None = None


@dataclass(frozen=True)
class RoundFinished:
    round_id: int
    at: datetime


@dataclass(frozen=True)
class UserForgotten:
    """Delete everything that names ``user``, and the private chat ``chat`` they asked from."""

    user: str
    chat: str


@dataclass(frozen=True)
class ChatRenamed:
    """Everything recorded under chat id ``old`` now belongs to ``new``."""

    old: str
    new: str


@dataclass(frozen=True)
class ChatSettingsChanged:
    chat: str
    lang: str
    timezone: str


@dataclass(frozen=True)
class ScheduleSaved:
    schedule_id: int
    chat: str
    case_id: str
    opens_at: datetime
    closes_at: datetime | None
    phase: str
    reminded: bool
    round_id: int | None


@dataclass(frozen=True)
class ScheduleDeleted:
    schedule_id: int


Record = (
    RoundStarted | PartOpened | VoteRecorded | PartClosed | RoundFinished | UserForgotten | ChatRenamed
    | ChatSettingsChanged | ScheduleSaved | ScheduleDeleted
)


# ---- requests -------------------------------------------------------------

Page = Literal["present", "report"]


@dataclass(frozen=True)
class LinkRequested:
    """A controller asked for the link to one of the chat's web pages; ``renew`` revokes the old link first.

    The link is a secret the engine cannot make (it makes no random numbers): the runner hands this to the web
    service, which issues the link and answers ``user`` in ``chat``.
    """

    chat: str
    user: str
    page: Page
    renew: bool = False


Request = LinkRequested
Effect = Message | Record | Request


_MESSAGES = (Post, Edit, Reply, TallyChanged, Leave)
_REQUESTS = (LinkRequested,)


def split(effects: list[Effect]) -> tuple[list[Record], list[Message]]:
    """The records the store must commit and the messages adapters deliver, each in order (requests are neither)."""
    to_commit: list[Record] = []
    to_send: list[Message] = []
    for effect in effects:
        if isinstance(effect, _MESSAGES):
            to_send.append(effect)  # type: ignore[arg-type]
        elif not isinstance(effect, _REQUESTS):
            to_commit.append(effect)  # type: ignore[arg-type]
    return to_commit, to_send


def requests(effects: list[Effect]) -> list[Request]:
    """The effects a service outside the engine carries out, in order."""
    return [effect for effect in effects if isinstance(effect, _REQUESTS)]


def records(effects: list[Effect]) -> list[Record]:
    """The effects the store must commit, in order."""
    return split(effects)[0]
