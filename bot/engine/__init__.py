"""The dilemma engine: events in, effects out, no I/O.

:meth:`Engine.handle` applies one event to the state and returns what should
happen, as data (:mod:`bot.effects`).  It never awaits, sleeps, touches the
network or the database; time comes in with each event.

The work is split by concern, one module each:

- :mod:`.rounds`: rounds and votes (**where a vote is counted**: :func:`.rounds.count_vote`)
- :mod:`.selftest`: a person's private self-test
- :mod:`.schedules`: rounds pushed ahead, deadlines and timers
- :mod:`.chats`: help, the case list, language, time zone, privacy and ``/forget``
- :mod:`.table`: the command table, which names every command's handler

Only what is live is held here: running rounds, the latest finished round of
recently active chats, waiting schedules, chat settings and the shown overall
split.  Finished rounds live in the store; the runner reads one back
(:class:`~bot.events.RoundRecalled`) when a command needs it.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Iterable, assert_never

from bot.cases import Case, Library
from bot.commands import CommandTable, Where
from bot.effects import ChatRenamed, Edit, Effect, Message
from bot.engine import rounds, schedules, selftest
from bot.engine.context import Chat, usage
from bot.events import (
    BadUsage, ChatMoved, CommandIssued, Event, NextPressed, OverallChanged, RoundRecalled, Tick, Unknown, VoteCast,
    VoteWithdrawn,
)
from bot.model import DEFAULT_LANGUAGE, ChatSettings, Round, ScheduledRound
from bot.overall import Overall
from bot.platforms import Platforms
from bot.ratelimit import RateLimiter

REMEMBERED_CHATS = 1000  # finished rounds kept for /results, one per chat, most recently used first


class Engine:
    """The live state, and the dispatch of events to the modules that own the rules."""

    def __init__(
        self,
        library: Library,
        *,
        platforms: Platforms | None = None,
        rounds: Iterable[Round] = (),
        settings: dict[str, ChatSettings] | None = None,
        schedules: Iterable[ScheduledRound] = (),
        overall: Overall | None = None,
        last_round_id: int = 0,
        last_schedule_id: int = 0,
        commands: CommandTable | None = None,
        default_lang: str = DEFAULT_LANGUAGE,
        user_limit: RateLimiter | None = None,
        chat_limit: RateLimiter | None = None,
        command_limit: RateLimiter | None = None,
    ):
        from bot.engine.table import COMMANDS

        self.library = library
        self.platforms = platforms if platforms is not None else Platforms()
        self.commands = commands if commands is not None else COMMANDS
        self.default_lang = default_lang
        self.overall = overall if overall is not None else Overall()
        # live state: the engine package's own (tests and adapters use the read API below)
        self.live: dict[int, Round] = {}  # unfinished rounds by id
        self.running_in: dict[str, int] = {}  # chat -> its unfinished round
        self.finished: OrderedDict[str, Round] = OrderedDict()  # chat -> its latest finished round
        self.waiting: dict[int, ScheduledRound] = {s.id: s for s in schedules if s.waiting}
        self.settings: dict[str, ChatSettings] = dict(settings or {})
        for rnd in sorted(rounds, key=lambda r: r.id):
            self.track(rnd)
        self.next_round_id = max(max(self.live, default=0), last_round_id) + 1
        self.next_schedule_id = max(max(self.waiting, default=0), last_schedule_id) + 1
        # `is None`, not `or`: a RateLimiter has __len__, so a fresh (empty) one is falsy
        self.user_limit = user_limit if user_limit is not None else RateLimiter(rate=3, burst=10)
        self.chat_limit = chat_limit if chat_limit is not None else RateLimiter(rate=2, burst=20)
        # one member's commands may use only part of the chat's budget, so a flood cannot silence the rest
        self.command_limit = command_limit if command_limit is not None else RateLimiter(rate=0.5, burst=5)

    # ---- events -----------------------------------------------------------

    def handle(self, event: Event) -> list[Effect]:
        """Apply one event; return the records to commit and the messages to send."""
        match event:
            case VoteCast() | CommandIssued() | VoteWithdrawn() | NextPressed():  # a person's doing: rate-limited
                limited = self._rate_limited(event)
                if limited is not None:
                    return limited
                match event:
                    case VoteCast():
                        return rounds.vote_cast(self, event)
                    case CommandIssued():
                        return self._command(event)
                    case VoteWithdrawn():
                        return rounds.vote_withdrawn(self, event)
                    case NextPressed():
                        return selftest.next_pressed(self, event)
                    case _:
                        assert_never(event)
            case Tick(now):
                return schedules.tick(self, now)
            case OverallChanged(case_id, part, counts):
                self.overall.set(case_id, part, counts)
                return []
            case RoundRecalled(rnd):
                self.track(rnd)
                return []
            case ChatMoved(old, new):
                return self._move_chat(old, new)
            case _:
                assert_never(event)

    def _command(self, ev: CommandIssued) -> list[Effect]:
        chat = self.chat(ev.chat)
        command = ev.command
        if isinstance(command, Unknown):
            return chat.refuse(ev.sender, "refuse.unknown_command")
        if isinstance(command, BadUsage):
            named = self.commands.named(command.name)
            return usage(chat, ev.sender, named) if named else chat.refuse(ev.sender, "refuse.unknown_command")
        spec = self.commands.spec(command)
        if spec is None:
            return chat.refuse(ev.sender, "refuse.unknown_command")
        if not spec.where.allows(ev.private):
            key = "refuse.private_only" if spec.where is Where.PRIVATE else "refuse.group_only"
            return chat.refuse(ev.sender, key, name=spec.name)
        if spec.control and not (ev.sender.controller or ev.private):
            return chat.refuse(ev.sender, "refuse.not_controller")
        return spec.handler(self, ev, command)

    def _rate_limited(self, event: CommandIssued | VoteCast | VoteWithdrawn | NextPressed) -> list[Effect] | None:
        verdict = self.user_limit.check(event.sender.user, event.now)
        # Members share the chat's budget for commands, each only up to a part of it; trainers and admins steer
        # the round at their own pace, so members cannot lock them out.
        if verdict == "ok" and isinstance(event, CommandIssued) and not (event.sender.controller or event.private):
            verdict = self.command_limit.check(f"{event.chat} {event.sender.user}", event.now)
            if verdict == "ok":
                verdict = self.chat_limit.check(event.chat, event.now)
        if verdict == "ok":
            return None
        return self.chat(event.chat).refuse(event.sender, "refuse.too_fast") if verdict == "warn" else []

    def _move_chat(self, old: str, new: str) -> list[Effect]:
        round_id = self.running_in.pop(old, None)
        if round_id is not None:
            self.live[round_id].chat = new
            self.running_in[new] = round_id
        finished = self.finished.pop(old, None)
        if finished is not None:
            finished.chat = new
            self.finished[new] = finished
        for sched in self.waiting.values():
            if sched.chat == old:
                sched.chat = new
        if old in self.settings:
            self.settings[new] = self.settings.pop(old)
        return [ChatRenamed(old, new)]

    # ---- state shared by the modules ----------------------------------------

    def track(self, rnd: Round) -> None:
        """Hold ``rnd``: live while unfinished, else as its chat's latest round."""
        if rnd.finished:
            self.remember_finished(rnd)
        else:
            self.live[rnd.id] = rnd
            self.running_in[rnd.chat] = rnd.id

    def remember_finished(self, rnd: Round) -> None:
        self.live.pop(rnd.id, None)
        if self.running_in.get(rnd.chat) == rnd.id:
            del self.running_in[rnd.chat]
        self.finished[rnd.chat] = rnd
        self.finished.move_to_end(rnd.chat)
        while len(self.finished) > REMEMBERED_CHATS:
            self.finished.popitem(last=False)

    def new_round_id(self) -> int:
        self.next_round_id += 1
        return self.next_round_id - 1

    def new_schedule_id(self) -> int:
        self.next_schedule_id += 1
        return self.next_schedule_id - 1

    def case(self, rnd: Round) -> Case:
        return self.library.cases[rnd.case_id]

    # ---- read API -----------------------------------------------------------

    def chat(self, chat_id: str) -> Chat:
        settings = self.settings.get(chat_id)
        lang = settings.lang if settings else self.default_lang
        zone = settings.timezone if settings else ChatSettings().timezone
        return Chat(chat_id, lang, zone, self.platforms.of(chat_id))

    def lang(self, chat_id: str) -> str:
        settings = self.settings.get(chat_id)  # on every vote: without building the whole chat context
        return settings.lang if settings is not None else self.default_lang

    def round(self, round_id: int) -> Round | None:
        """A running round, or a finished one still held."""
        rnd = self.live.get(round_id)
        if rnd is not None:
            return rnd
        return next((r for r in self.finished.values() if r.id == round_id), None)

    def running(self, chat_id: str) -> Round | None:
        round_id = self.running_in.get(chat_id)
        return self.live[round_id] if round_id is not None else None

    def latest(self, chat_id: str) -> Round | None:
        """The running round of the chat, else its latest finished round if held (see :class:`RoundRecalled`)."""
        return self.running(chat_id) or self.finished.get(chat_id)

    def live_rounds(self) -> list[Round]:
        return list(self.live.values())

    def schedule(self, schedule_id: int) -> ScheduledRound | None:
        return self.waiting.get(schedule_id)

    def schedules_of(self, chat_id: str) -> list[ScheduledRound]:
        return sorted((s for s in self.waiting.values() if s.chat == chat_id), key=lambda s: s.opens_at)

    def next_wakeup(self) -> datetime | None:
        """The earliest moment a :class:`Tick` would change anything."""
        return schedules.next_wakeup(self)

    def tally(self, round_id: int) -> Edit | None:
        """The live count of a round's open part as it is now; None once voting there has closed."""
        return rounds.tally(self, round_id)

    def refresh(self) -> list[Message]:
        """Count updates for every open group part: sent after a restart, in case one was lost."""
        return rounds.refresh(self)

