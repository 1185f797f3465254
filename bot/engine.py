"""The dilemma engine: events in, effects out, no I/O.

``Engine.handle(event)`` applies one event to the state and returns what
should happen, as data (:mod:`bot.effects`).  It never awaits, sleeps,
touches the network or the database; time comes in with each event.  This
is where a vote is counted.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Callable, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import render
from bot.cases import Case, Library, Option
from bot.effects import (
    Button, ChatSettingsChanged, Edit, Effect, PartClosed, PartOpened, Post, Reply, RoundFinished, RoundStarted,
    Message, ScheduleDeleted, ScheduleSaved, TallyChanged, UserForgotten, VoteRecorded,
)
from bot.events import (
    CloseVoting, CommandIssued, Event, Forget, Help, ListCases, ListSchedules, NextPart, NextPressed, Privacy,
    Schedule, SelfTest, Sender, SetLanguage, SetTimezone, ShowReferences, ShowResults, StartRound, StopRound,
    Tick, Unknown, Unschedule, Vote, VoteCast, VoteWithdrawn,
)
from bot.i18n import LANGUAGES, t
from bot.model import DEFAULT_LANGUAGE, ChatSettings, PartState, Round, ScheduledRound
from bot.ratelimit import RateLimiter
from bot.richtext import Rich, RichBuilder, plain
from bot.when import WhenError, parse_when

OVERALL_MINIMUM = 5  # fewer answers than this could identify people: keep them hidden
MAX_SCHEDULES_PER_CHAT = 20
LATE_AFTER = timedelta(minutes=1)  # a timed action this much overdue says it is late
MAX_ECHO = 40  # user input echoed back in a refusal is cut to this length


class Engine:
    """All rounds, settings and schedules, and the rules that move them."""

    def __init__(
        self,
        library: Library,
        rounds: Iterable[Round] = (),
        settings: dict[str, ChatSettings] | None = None,
        schedules: Iterable[ScheduledRound] = (),
        prefixes: dict[str, str] | None = None,
        user_limit: RateLimiter | None = None,
        chat_limit: RateLimiter | None = None,
        default_lang: str = DEFAULT_LANGUAGE,
        reaction_platforms: frozenset[str] = frozenset({"matrix"}),
        command_limit: RateLimiter | None = None,
        last_round_id: int = 0,
    ):
        self.library = library
        self.rounds: dict[int, Round] = {}
        self.active: dict[str, int] = {}
        self.latest: dict[str, int] = {}
        self.by_case: dict[str, list[int]] = {}
        for rnd in sorted(rounds, key=lambda r: r.id):
            self._index(rnd)
        self.settings: dict[str, ChatSettings] = dict(settings or {})
        self.schedules: dict[int, ScheduledRound] = {s.id: s for s in schedules}
        self.next_round_id = max(max(self.rounds, default=0), last_round_id) + 1
        self.next_schedule_id = max(self.schedules, default=0) + 1
        self.prefixes = {"matrix": "!"} if prefixes is None else prefixes
        # `is None`, not `or`: a RateLimiter has __len__, so a fresh (empty) one is falsy
        self.user_limit = user_limit if user_limit is not None else RateLimiter(rate=3, burst=10)
        self.chat_limit = chat_limit if chat_limit is not None else RateLimiter(rate=2, burst=20)
        # one member's commands may use only part of the chat's budget, so a flood cannot silence the rest
        self.command_limit = command_limit if command_limit is not None else RateLimiter(rate=0.5, burst=5)
        self.default_lang = default_lang
        self._default_settings = ChatSettings(default_lang)
        self._acks: dict[tuple[str, str, Option], Rich] = {}
        self.reaction_platforms = reaction_platforms  # votes there are reactions, visible to the room

    # ---- public API -------------------------------------------------------

    def handle(self, event: Event) -> list[Effect]:
        """Apply one event; return the records to commit and the messages to send."""
        if isinstance(event, Tick):
            return self._tick(event.now)
        limited = self._rate_limited(event)
        if limited is not None:
            return limited
        if isinstance(event, CommandIssued):
            return self._command(event)
        if isinstance(event, VoteCast):
            return self._vote_cast(event)
        if isinstance(event, VoteWithdrawn):
            return self._vote_withdrawn(event)
        return self._next_pressed(event)

    def next_wakeup(self) -> datetime | None:
        """The earliest moment a :class:`Tick` would change anything."""
        moments: list[datetime] = []
        for rnd in self._active_rounds():
            part = rnd.current_part
            if rnd.voting_open and part is not None and part.closes_at:
                moments.append(part.closes_at)
            if rnd.advance_at:
                moments.append(rnd.advance_at)
        for sched in self.schedules.values():
            if sched.state == "pending":
                moments.append(sched.opens_at)
            elif sched.state == "open" and not sched.reminded and sched.remind_at:
                moments.append(sched.remind_at)
        return min(moments, default=None)

    def tally(self, round_id: int) -> Edit | None:
        """The live tally of a round's open part as it is now; None once voting there has closed."""
        rnd = self.rounds.get(round_id)
        if rnd is None or not rnd.voting_open or rnd.selftest_of or not self._votable(rnd):
            return None
        text, buttons = self._part_message(self._case(rnd), rnd, rnd.current)
        return Edit(rnd.chat, render.part_key(rnd.id, rnd.current), text, buttons)

    def refresh(self) -> list[Message]:
        """Tally updates for every open group part: sent after a restart, in case one was lost."""
        return [self._tally_changed(rnd) for rnd in self._active_rounds()
                if rnd.voting_open and not rnd.selftest_of and self._votable(rnd)]

    def lang(self, chat: str) -> str:
        return self._settings(chat).lang

    def _settings(self, chat: str) -> ChatSettings:
        return self.settings.get(chat) or self._default_settings

    def overall(self, case_id: str, number: int, exclude: str | None = None) -> tuple[dict[str, int], int]:
        """The split on one part over every round of the case (groups and self-tests), without ``exclude``."""
        counts: Counter[str] = Counter()
        for round_id in self.by_case.get(case_id, ()):
            parts = self.rounds[round_id].parts
            if len(parts) >= number:
                counts.update(option for user, option in parts[number - 1].votes.items() if user != exclude)
        return dict(counts), sum(counts.values())

    # ---- helpers ----------------------------------------------------------

    def _index(self, rnd: Round) -> None:
        self.rounds[rnd.id] = rnd
        self.latest[rnd.chat] = rnd.id
        self.by_case.setdefault(rnd.case_id, []).append(rnd.id)
        if not rnd.finished:
            self.active[rnd.chat] = rnd.id

    def _active_rounds(self) -> list[Round]:
        return [self.rounds[i] for i in self.active.values()]

    def _prefix(self, chat: str) -> str:
        return self.prefixes.get(chat.split(":", 1)[0], "/")

    def _zone(self, chat: str) -> str:
        return self._settings(chat).timezone

    def _case(self, rnd: Round) -> Case:
        return self.library.cases[rnd.case_id]

    def _votable(self, rnd: Round) -> bool:
        return self._case(rnd).parts[rnd.current - 1].votable

    def _text(self, chat: str, key: str, **params: object) -> Rich:
        return plain(t(self.lang(chat), key, p=self._prefix(chat), **params))

    def _reply(self, chat: str, sender: Sender, key: str, *, refused: bool = False, **params: object) -> Reply:
        return Reply(chat, sender.user, self._text(chat, key, **params), refused)

    def _refuse(self, chat: str, sender: Sender, key: str, **params: object) -> list[Effect]:
        return [self._reply(chat, sender, key, refused=True, **params)]

    def _rate_limited(self, event: CommandIssued | VoteCast | VoteWithdrawn | NextPressed) -> list[Effect] | None:
        verdict = self.user_limit.check(event.sender.user, event.now)
        if verdict == "ok" and isinstance(event, CommandIssued):
            if not (event.sender.controller or event.private):  # trainers run the round at their own pace
                verdict = self.command_limit.check(f"{event.chat} {event.sender.user}", event.now)
            if verdict == "ok":
                verdict = self.chat_limit.check(event.chat, event.now)
        if verdict == "ok":
            return None
        return self._refuse(event.chat, event.sender, "refuse.too_fast") if verdict == "warn" else []

    # ---- commands -----------------------------------------------------------

    def _command(self, ev: CommandIssued) -> list[Effect]:
        handlers: dict[type, Callable[[CommandIssued], list[Effect]]] = {
            Unknown: lambda e: self._refuse(e.chat, e.sender, "refuse.unknown_command"),
            Help: self._help,
            ListCases: self._list_cases,
            StartRound: self._start,
            Vote: self._vote_command,
            CloseVoting: self._close_command,
            NextPart: self._next_command,
            StopRound: self._stop_command,
            ShowResults: self._results,
            ShowReferences: self._references,
            SelfTest: self._selftest,
            Forget: self._forget,
            Privacy: self._privacy,
            SetLanguage: self._set_language,
            SetTimezone: self._set_timezone,
            Schedule: self._schedule,
            ListSchedules: self._list_schedules,
            Unschedule: self._unschedule,
        }
        return handlers[type(ev.command)](ev)

    def _controls(self, ev: CommandIssued) -> bool:
        return ev.sender.controller or ev.private

    def _help(self, ev: CommandIssued) -> list[Effect]:
        lang, prefix = self.lang(ev.chat), self._prefix(ev.chat)
        note = t(lang, "help.reactions" if self._reacts(ev.chat) else "help.anonymous")
        return [Reply(ev.chat, ev.sender.user, plain(f"{t(lang, 'help', p=prefix)}\n{note}"))]

    def _privacy(self, ev: CommandIssued) -> list[Effect]:
        text = t(self.lang(ev.chat), "privacy", p=self._prefix(ev.chat))
        if self._reacts(ev.chat):
            text += "\n" + t(self.lang(ev.chat), "privacy.reactions", p=self._prefix(ev.chat))
        return [Reply(ev.chat, ev.sender.user, plain(text))]

    def _reacts(self, chat: str) -> bool:
        return chat.split(":", 1)[0] in self.reaction_platforms

    def _part_message(self, case: Case, rnd: Round, number: int) -> tuple[Rich, tuple[Button, ...]]:
        hint = "part.react_hint" if self._reacts(rnd.chat) else "part.vote_hint"
        return render.part_message(case, rnd, number, self.lang(rnd.chat), self._prefix(rnd.chat),
                                   self._zone(rnd.chat), hint)

    def _list_cases(self, ev: CommandIssued) -> list[Effect]:
        lang = self.lang(ev.chat)
        if not self.library.cases:
            return [self._reply(ev.chat, ev.sender, "cases.none")]
        b = RichBuilder().bold(t(lang, "cases.header")).line()
        for case in sorted(self.library.cases.values(), key=lambda c: c.id):
            key = "cases.line_one" if len(case.parts) == 1 else "cases.line"
            b.text("• ").text(t(lang, key, id=case.id, title=case.title.get(lang), parts=len(case.parts))).line()
        b.italic(t(lang, "cases.footer", p=self._prefix(ev.chat)))
        return [Reply(ev.chat, ev.sender.user, b.build())]

    def _start(self, ev: CommandIssued) -> list[Effect]:
        cmd = ev.command
        assert isinstance(cmd, StartRound)
        if ev.private:
            if not cmd.case_id:
                return self._help(ev)
            return self._selftest(ev, cmd.case_id)
        if not cmd.case_id:
            return self._refuse(ev.chat, ev.sender, "refuse.usage_start")
        if not self._controls(ev):
            return self._refuse(ev.chat, ev.sender, "refuse.not_controller")
        case = self.library.get(cmd.case_id)
        if case is None:
            return self._refuse(ev.chat, ev.sender, "refuse.unknown_case", case=cmd.case_id[:MAX_ECHO])
        if ev.chat in self.active:
            return self._refuse(ev.chat, ev.sender, "refuse.round_running", case=self.rounds[self.active[ev.chat]].case_id)
        return self._begin(ev.chat, case, ev.now, timer=cmd.timer)

    def _begin(self, chat: str, case: Case, now: datetime, timer: timedelta | None = None,
               schedule: ScheduledRound | None = None, selftest_of: str | None = None,
               preface: Rich = ()) -> list[Effect]:
        rnd = Round(self.next_round_id, chat, case.id, self.lang(chat), now, selftest_of, timer,
                    schedule.id if schedule else None)
        self.next_round_id += 1
        self._index(rnd)
        lang, prefix = self.lang(chat), self._prefix(chat)
        intro = RichBuilder().extend(preface)
        if selftest_of:
            intro.italic(t(lang, "selftest.intro")).line()
        intro.extend(render.round_intro(case, rnd, lang, prefix))
        effects: list[Effect] = [
            RoundStarted(rnd.id, chat, case.id, rnd.lang, selftest_of, now, timer, rnd.schedule_id),
            Post(chat, intro.build()),
        ]
        deadline = schedule.closes_at if schedule else None
        return effects + self._open_part(rnd, 1, now, deadline)

    def _open_part(self, rnd: Round, number: int, now: datetime, deadline: datetime | None = None) -> list[Effect]:
        case = self._case(rnd)
        part = case.parts[number - 1]
        closes_at = deadline or (now + rnd.timer if rnd.timer and part.votable and not rnd.selftest_of else None)
        state = PartState(opened_at=now, closes_at=closes_at if part.votable else None)
        rnd.parts.append(state)
        rnd.advance_at = None
        effects: list[Effect] = [PartOpened(rnd.id, number, now, state.closes_at)]
        lang, prefix = self.lang(rnd.chat), self._prefix(rnd.chat)
        if part.votable:
            text, buttons = self._part_message(case, rnd, number)
            return effects + [Post(rnd.chat, text, buttons, key=render.part_key(rnd.id, number))]
        # A part without a vote is shown with its discussion points at once.
        state.closed_at = now
        if rnd.timer and not rnd.selftest_of:
            rnd.advance_at = now + rnd.timer
        effects.append(PartClosed(rnd.id, number, now, rnd.advance_at))
        text, _ = self._part_message(case, rnd, number)
        effects.append(Post(rnd.chat, text, key=render.part_key(rnd.id, number)))
        follow = RichBuilder().extend(render.reflection_points(case, number, lang, prefix))
        buttons = (render.next_button(case, rnd, number, lang),) if rnd.selftest_of else ()
        if not rnd.selftest_of:
            follow.line().extend(self._after_close_hint(rnd, number))
        effects.append(Post(rnd.chat, follow.build(), buttons))
        return effects

    def _after_close_hint(self, rnd: Round, number: int) -> Rich:
        lang, prefix = self.lang(rnd.chat), self._prefix(rnd.chat)
        if rnd.advance_at:
            return RichBuilder().italic(t(lang, "results.auto_next", time=render.local_time(rnd.advance_at, self._zone(rnd.chat)))).build()
        return render.next_hint(self._case(rnd), number, lang, prefix)

    def _close_part(self, rnd: Round, now: datetime, preface: Rich = ()) -> list[Effect]:
        """Close voting on the current part: final tally edit, results with discussion points."""
        case, number, state = self._case(rnd), rnd.current, rnd.current_part
        assert state is not None
        state.closed_at = now
        if rnd.timer:
            rnd.advance_at = now + rnd.timer
        lang, prefix = self.lang(rnd.chat), self._prefix(rnd.chat)
        text, _ = self._part_message(case, rnd, number)
        counts = state.counts(tuple(o.key for o in case.parts[number - 1].options))
        results = RichBuilder().extend(preface).extend(render.part_results(case, rnd, number, lang, prefix))
        results.line().extend(self._after_close_hint(rnd, number))
        chart = render.chart_data(case, number, counts, lang)
        return [
            PartClosed(rnd.id, number, now, rnd.advance_at),
            Edit(rnd.chat, render.part_key(rnd.id, number), text, (), final=True),
            Post(rnd.chat, results.build(), chart=chart),
        ]

    def _advance(self, rnd: Round, now: datetime) -> list[Effect]:
        """Open the next part, or finish with the summary after the last."""
        effects: list[Effect] = []
        if rnd.voting_open:
            effects += self._close_part(rnd, now)
            rnd.advance_at = None
        if rnd.current >= len(self._case(rnd).parts):
            return effects + self._finish(rnd, now)
        return effects + self._open_part(rnd, rnd.current + 1, now)

    def _finish(self, rnd: Round, now: datetime, announce: bool = True) -> list[Effect]:
        rnd.finished_at = now
        rnd.advance_at = None
        self.active.pop(rnd.chat, None)
        for sched in self.schedules.values():
            if sched.round_id == rnd.id and sched.state == "open":
                sched.state = "done"
        effects: list[Effect] = [RoundFinished(rnd.id, now)]
        if announce:
            effects.append(Post(rnd.chat, self._summary(rnd)))
        return effects

    def _summary(self, rnd: Round) -> Rich:
        case, lang = self._case(rnd), self.lang(rnd.chat)
        overall = []
        for number in range(1, len(rnd.parts) + 1):
            counts, total = self.overall(case.id, number)
            overall.append(counts if total >= OVERALL_MINIMUM else None)
        return render.summary(case, rnd, overall, lang, OVERALL_MINIMUM)

    def _tally_changed(self, rnd: Round) -> TallyChanged:
        return TallyChanged(rnd.chat, rnd.id, render.part_key(rnd.id, rnd.current))

    def _running(self, ev: CommandIssued) -> Round | None:
        round_id = self.active.get(ev.chat)
        return self.rounds[round_id] if round_id is not None else None

    def _close_command(self, ev: CommandIssued) -> list[Effect]:
        rnd = self._running(ev)
        if rnd is None:
            return self._refuse(ev.chat, ev.sender, "refuse.no_round")
        if not self._controls(ev):
            return self._refuse(ev.chat, ev.sender, "refuse.not_controller")
        if not rnd.voting_open:
            return self._refuse(ev.chat, ev.sender, "refuse.not_open")
        if rnd.selftest_of:
            return self._refuse(ev.chat, ev.sender, "refuse.answer_first")
        return self._close_part(rnd, ev.now)

    def _next_command(self, ev: CommandIssued) -> list[Effect]:
        rnd = self._running(ev)
        if rnd is None:
            return self._refuse(ev.chat, ev.sender, "refuse.no_round")
        if not self._controls(ev):
            return self._refuse(ev.chat, ev.sender, "refuse.not_controller")
        if rnd.selftest_of and rnd.voting_open:
            return self._refuse(ev.chat, ev.sender, "refuse.answer_first")
        return self._advance(rnd, ev.now)

    def _stop_command(self, ev: CommandIssued) -> list[Effect]:
        rnd = self._running(ev)
        if rnd is None:
            return self._refuse(ev.chat, ev.sender, "refuse.no_round")
        if not self._controls(ev):
            return self._refuse(ev.chat, ev.sender, "refuse.not_controller")
        effects: list[Effect] = []
        if rnd.voting_open:
            effects += self._close_part(rnd, ev.now)
        return effects + self._finish(rnd, ev.now)

    def _results(self, ev: CommandIssued) -> list[Effect]:
        round_id = self.latest.get(ev.chat)
        if round_id is None:
            return [self._reply(ev.chat, ev.sender, "results.none")]
        return [Reply(ev.chat, ev.sender.user, self._summary(self.rounds[round_id]))]

    def _references(self, ev: CommandIssued) -> list[Effect]:
        round_id = self.latest.get(ev.chat)
        if round_id is None:
            return self._refuse(ev.chat, ev.sender, "refuse.no_round")
        rnd = self.rounds[round_id]
        return [Reply(ev.chat, ev.sender.user, render.references(self._case(rnd), max(rnd.current, 1), self.lang(ev.chat)))]

    # ---- votes ------------------------------------------------------------

    def _vote_command(self, ev: CommandIssued) -> list[Effect]:
        cmd = ev.command
        assert isinstance(cmd, Vote)
        rnd = self._running(ev)
        if rnd is None:
            return self._refuse(ev.chat, ev.sender, "refuse.no_round")
        part = self._case(rnd).parts[rnd.current - 1]
        if not part.votable:
            return self._refuse(ev.chat, ev.sender, "refuse.no_options")
        if not rnd.voting_open:
            return self._refuse(ev.chat, ev.sender, "refuse.voting_closed")
        option = _pick(part.options, cmd.choice, self.lang(ev.chat))
        if option is None:
            return self._refuse(ev.chat, ev.sender, "refuse.unknown_option", choice=cmd.choice[:MAX_ECHO],
                                options=render.choices(part.options, self.lang(ev.chat)))
        return self._count_vote(rnd, ev.sender, option, ev.now)

    def _checked_round(self, ev: VoteCast | VoteWithdrawn | NextPressed) -> Round | list[Effect]:
        """The round a button or reaction names, or a refusal if it is forged or stale."""
        rnd = self.rounds.get(ev.round_id)
        if rnd is None or rnd.chat != ev.chat or ev.part < 1 or ev.part > len(rnd.parts):
            return self._refuse(ev.chat, ev.sender, "refuse.stale")
        if rnd.selftest_of and rnd.selftest_of != ev.sender.user:
            return self._refuse(ev.chat, ev.sender, "refuse.not_your_selftest")
        return rnd

    def _vote_cast(self, ev: VoteCast) -> list[Effect]:
        rnd = self._checked_round(ev)
        if isinstance(rnd, list):
            return rnd
        if ev.part != rnd.current or not rnd.voting_open:
            return self._refuse(ev.chat, ev.sender, "refuse.voting_closed")
        option = self._case(rnd).parts[ev.part - 1].option(ev.option)
        if option is None:
            return self._refuse(ev.chat, ev.sender, "refuse.stale")
        return self._count_vote(rnd, ev.sender, option, ev.now)

    def _count_vote(self, rnd: Round, sender: Sender, option: Option, now: datetime) -> list[Effect]:
        state = rnd.current_part
        assert state is not None
        lang = self.lang(rnd.chat)
        previous = state.votes.get(sender.user)
        if previous == option.key:
            return [Reply(rnd.chat, sender.user, self._vote_ack(lang, "vote.same", option))]
        state.votes[sender.user] = option.key
        effects: list[Effect] = [
            VoteRecorded(rnd.id, rnd.current, sender.user, option.key, now),
            Reply(rnd.chat, sender.user, self._vote_ack(lang, "vote.changed" if previous else "vote.recorded", option)),
        ]
        if rnd.selftest_of:
            return effects + self._selftest_answered(rnd, option, now)
        return effects if previous else effects + [self._tally_changed(rnd)]  # a change leaves the count as it was

    def _vote_ack(self, lang: str, key: str, option: Option) -> Rich:
        """"Stemme registrert: 🔴 Rødt lys": made once per language, kind and option (votes come in thousands)."""
        cached = self._acks.get((lang, key, option))
        if cached is None:
            cached = self._acks[(lang, key, option)] = plain(t(lang, key, option=f"{option.emoji} {option.label.get(lang)}"))
        return cached

    def _vote_withdrawn(self, ev: VoteWithdrawn) -> list[Effect]:
        rnd = self._checked_round(ev)
        if isinstance(rnd, list):
            return rnd
        state = rnd.current_part
        if ev.part != rnd.current or not rnd.voting_open or state is None or state.votes.get(ev.sender.user) != ev.option:
            return []  # nothing counted to take back (closed part, or the vote already moved on)
        del state.votes[ev.sender.user]
        return [
            VoteRecorded(rnd.id, rnd.current, ev.sender.user, None, ev.now),
            self._reply(rnd.chat, ev.sender, "vote.withdrawn"),
            self._tally_changed(rnd),
        ]

    # ---- self-test --------------------------------------------------------

    def _selftest(self, ev: CommandIssued, case_id: str | None = None) -> list[Effect]:
        if case_id is None:
            cmd = ev.command
            case_id = cmd.case_id if isinstance(cmd, SelfTest) else None
        if not ev.private:
            return self._refuse(ev.chat, ev.sender, "refuse.selftest_private")
        lang, prefix = self.lang(ev.chat), self._prefix(ev.chat)
        if not case_id:
            b = RichBuilder().bold(t(lang, "selftest.pick")).line()
            for listed in sorted(self.library.cases.values(), key=lambda c: c.id):
                b.text(t(lang, "selftest.line", p=prefix, id=listed.id, title=listed.title.get(lang))).line()
            return [Reply(ev.chat, ev.sender.user, b.build())]
        case = self.library.get(case_id)
        if case is None:
            return self._refuse(ev.chat, ev.sender, "refuse.unknown_case", case=case_id[:MAX_ECHO])
        effects: list[Effect] = []
        running = self._running(ev)
        if running is not None:  # a new self-test replaces an unfinished one
            effects += self._finish(running, ev.now, announce=False)
        return effects + self._begin(ev.chat, case, ev.now, selftest_of=ev.sender.user)

    def _selftest_answered(self, rnd: Round, option: Option, now: datetime) -> list[Effect]:
        case, number, state = self._case(rnd), rnd.current, rnd.current_part
        assert state is not None and rnd.selftest_of is not None
        state.closed_at = now
        lang, prefix = self.lang(rnd.chat), self._prefix(rnd.chat)
        others, count = self.overall(case.id, number, exclude=rnd.selftest_of)
        text, _ = self._part_message(case, rnd, number)
        shown = others if count >= OVERALL_MINIMUM else None
        results = render.selftest_results(case, number, option, shown, count, OVERALL_MINIMUM, lang, prefix)
        return [
            PartClosed(rnd.id, number, now),
            Edit(rnd.chat, render.part_key(rnd.id, number), text, (), final=True),
            Post(rnd.chat, results, (render.next_button(case, rnd, number, lang),)),
        ]

    def _next_pressed(self, ev: NextPressed) -> list[Effect]:
        rnd = self._checked_round(ev)
        if isinstance(rnd, list):
            return rnd
        if not rnd.selftest_of or rnd.finished or ev.part != rnd.current:
            return self._refuse(ev.chat, ev.sender, "refuse.stale")  # "next" buttons exist only in self-tests
        if rnd.voting_open:
            return self._refuse(ev.chat, ev.sender, "refuse.answer_first")
        return [Reply(ev.chat, ev.sender.user, ())] + self._advance(rnd, ev.now)

    # ---- privacy and settings --------------------------------------------

    def _forget(self, ev: CommandIssued) -> list[Effect]:
        user = ev.sender.user
        removed = 0
        touched: dict[int, Round] = {}
        for rnd in list(self.rounds.values()):
            for state in rnd.parts:
                if state.votes.pop(user, None) is not None:
                    removed += 1
                    touched[rnd.id] = rnd
            if rnd.selftest_of == user:
                self._drop(rnd)
        effects: list[Effect] = [UserForgotten(user)]
        effects += [self._tally_changed(r) for r in touched.values()
                    if r.id in self.rounds and r.voting_open and not r.selftest_of]
        if removed == 0:
            return effects + [self._reply(ev.chat, ev.sender, "forget.none")]
        key = "forget.done_one" if removed == 1 else "forget.done"
        return effects + [self._reply(ev.chat, ev.sender, key, count=removed)]

    def _drop(self, rnd: Round) -> None:
        del self.rounds[rnd.id]
        self.by_case[rnd.case_id].remove(rnd.id)
        if self.active.get(rnd.chat) == rnd.id:
            del self.active[rnd.chat]
        if self.latest.get(rnd.chat) == rnd.id:
            remaining = [i for i in self.rounds if self.rounds[i].chat == rnd.chat]
            if remaining:
                self.latest[rnd.chat] = max(remaining)
            else:
                del self.latest[rnd.chat]

    def _settings_change(self, chat: str, settings: ChatSettings) -> ChatSettingsChanged:
        self.settings[chat] = settings
        return ChatSettingsChanged(chat, settings.lang, settings.timezone)

    def _set_language(self, ev: CommandIssued) -> list[Effect]:
        cmd = ev.command
        assert isinstance(cmd, SetLanguage)
        if not self._controls(ev):
            return self._refuse(ev.chat, ev.sender, "refuse.not_controller")
        if cmd.lang not in LANGUAGES:
            return self._refuse(ev.chat, ev.sender, "refuse.bad_language")
        changed = self._settings_change(ev.chat, ChatSettings(cmd.lang, self._settings(ev.chat).timezone))
        return [changed, self._reply(ev.chat, ev.sender, "lang.set")]

    def _set_timezone(self, ev: CommandIssued) -> list[Effect]:
        cmd = ev.command
        assert isinstance(cmd, SetTimezone)
        if not self._controls(ev):
            return self._refuse(ev.chat, ev.sender, "refuse.not_controller")
        try:
            ZoneInfo(cmd.zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "/tz Europe" (a directory), long names
            return self._refuse(ev.chat, ev.sender, "refuse.bad_timezone", zone=cmd.zone[:MAX_ECHO])
        changed = self._settings_change(ev.chat, ChatSettings(self.lang(ev.chat), cmd.zone))
        return [changed, self._reply(ev.chat, ev.sender, "tz.set", zone=cmd.zone)]

    # ---- schedules --------------------------------------------------------

    def _schedule(self, ev: CommandIssued) -> list[Effect]:
        cmd = ev.command
        assert isinstance(cmd, Schedule)
        if ev.private:  # a private chat is only reachable while its person writes: nothing to push to
            return self._refuse(ev.chat, ev.sender, "refuse.schedule_in_group")
        if not self._controls(ev):
            return self._refuse(ev.chat, ev.sender, "refuse.not_controller")
        case = self.library.get(cmd.case_id)
        if case is None:
            return self._refuse(ev.chat, ev.sender, "refuse.unknown_case", case=cmd.case_id[:MAX_ECHO])
        pending = [s for s in self.schedules.values() if s.chat == ev.chat and s.state in ("pending", "open")]
        if len(pending) >= MAX_SCHEDULES_PER_CHAT:
            return self._refuse(ev.chat, ev.sender, "refuse.too_many_schedules", max=MAX_SCHEDULES_PER_CHAT)
        zone = ZoneInfo(self._zone(ev.chat))
        try:
            opens = parse_when(cmd.when, ev.now, zone)
        except WhenError as exc:
            return self._refuse(ev.chat, ev.sender, "refuse.bad_time", text=cmd.when[:MAX_ECHO], example=exc.example)
        try:
            closes = parse_when(cmd.until, ev.now, zone) if cmd.until else None
        except WhenError as exc:
            return self._refuse(ev.chat, ev.sender, "refuse.bad_time", text=(cmd.until or "")[:MAX_ECHO], example=exc.example)
        if closes is not None and closes <= opens:
            return self._refuse(ev.chat, ev.sender, "refuse.until_before")
        sched = ScheduledRound(self.next_schedule_id, ev.chat, case.id, opens, closes)
        self.next_schedule_id += 1
        self.schedules[sched.id] = sched
        lang, zone_name = self.lang(ev.chat), self._zone(ev.chat)
        until = t(lang, "schedule.until", closes=render.local_time(closes, zone_name, True)) if closes else ""
        return [
            _saved(sched),
            self._reply(ev.chat, ev.sender, "schedule.saved", number=sched.id, title=case.title.get(lang),
                        opens=render.local_time(opens, zone_name, True), until=until),
        ]

    def _list_schedules(self, ev: CommandIssued) -> list[Effect]:
        lang, zone = self.lang(ev.chat), self._zone(ev.chat)
        mine = sorted((s for s in self.schedules.values() if s.chat == ev.chat and s.state in ("pending", "open")),
                      key=lambda s: s.opens_at)
        if not mine:
            return [self._reply(ev.chat, ev.sender, "schedule.none")]
        b = RichBuilder().bold(t(lang, "schedule.list_header")).line()
        for s in mine:
            until = t(lang, "schedule.until", closes=render.local_time(s.closes_at, zone, True)) if s.closes_at else ""
            b.text(t(lang, "schedule.line", number=s.id, case=s.case_id, opens=render.local_time(s.opens_at, zone, True), until=until)).line()
        return [Reply(ev.chat, ev.sender.user, b.build())]

    def _unschedule(self, ev: CommandIssued) -> list[Effect]:
        cmd = ev.command
        assert isinstance(cmd, Unschedule)
        if not self._controls(ev):
            return self._refuse(ev.chat, ev.sender, "refuse.not_controller")
        sched = self.schedules.get(cmd.number)
        if sched is None or sched.chat != ev.chat or sched.state not in ("pending", "open"):
            return self._refuse(ev.chat, ev.sender, "refuse.unknown_schedule", number=cmd.number)
        del self.schedules[sched.id]
        return [ScheduleDeleted(sched.id), self._reply(ev.chat, ev.sender, "schedule.cancelled", number=sched.id)]

    # ---- time -------------------------------------------------------------

    def _tick(self, now: datetime) -> list[Effect]:
        effects: list[Effect] = []
        for sched in sorted(self.schedules.values(), key=lambda s: s.opens_at):
            if sched.state == "pending" and sched.opens_at <= now:
                effects += self._open_scheduled(sched, now)
            elif sched.state == "open":
                effects += self._remind(sched, now)
        for rnd in self._active_rounds():
            part = rnd.current_part
            if rnd.voting_open and part is not None and part.closes_at and part.closes_at <= now:
                effects += self._close_part(rnd, now, self._deadline_preface(rnd, part.closes_at, now))
            elif rnd.advance_at and rnd.advance_at <= now:
                effects += self._advance(rnd, now)
        return effects

    def _late_note(self, chat: str, due: datetime, now: datetime) -> Rich:
        if now - due < LATE_AFTER:
            return ()
        when = render.local_time(due, self._zone(chat), with_date=due.date() != now.date())
        return RichBuilder().italic(t(self.lang(chat), "schedule.late", time=when)).line().build()

    def _deadline_preface(self, rnd: Round, due: datetime, now: datetime) -> Rich:
        b = RichBuilder().extend(self._late_note(rnd.chat, due, now))
        if rnd.schedule_id is not None and rnd.current == 1:
            b.bold(t(self.lang(rnd.chat), "schedule.deadline")).line()
        return b.build()

    def _open_scheduled(self, sched: ScheduledRound, now: datetime) -> list[Effect]:
        case = self.library.get(sched.case_id)
        lang, zone = self.lang(sched.chat), self._zone(sched.chat)
        if case is None or sched.chat in self.active:
            sched.state = "missed"
            title = case.title.get(lang) if case else sched.case_id
            return [_saved(sched), Post(sched.chat, self._text(sched.chat, "schedule.busy", title=title, case=sched.case_id))]
        if sched.closes_at is not None and sched.closes_at <= now:
            sched.state = "missed"
            note = self._text(sched.chat, "schedule.missed", title=case.title.get(lang),
                              opens=render.local_time(sched.opens_at, zone, True),
                              closes=render.local_time(sched.closes_at, zone, True))
            effects = self._begin(sched.chat, case, now, preface=RichBuilder().extend(note).line().build())
            self.rounds[self.active[sched.chat]].schedule_id = None
            return [_saved(sched)] + effects
        sched.state = "open"
        effects = self._begin(sched.chat, case, now, schedule=sched, preface=self._late_note(sched.chat, sched.opens_at, now))
        sched.round_id = self.active[sched.chat]
        return [_saved(sched)] + effects

    def _remind(self, sched: ScheduledRound, now: datetime) -> list[Effect]:
        rnd = self.rounds.get(sched.round_id) if sched.round_id is not None else None
        if rnd is None or rnd.finished or not rnd.voting_open or sched.reminded or sched.remind_at is None:
            return []
        if not (sched.remind_at <= now < (sched.closes_at or now)):
            return []
        sched.reminded = True
        lang, zone = self.lang(sched.chat), self._zone(sched.chat)
        state = rnd.current_part
        assert state is not None and sched.closes_at is not None
        text = self._text(sched.chat, "schedule.reminder", title=self._case(rnd).title.get(lang),
                          count=len(state.votes), closes=render.local_time(sched.closes_at, zone, True))
        return [_saved(sched), Post(sched.chat, text)]


def _saved(sched: ScheduledRound) -> ScheduleSaved:
    return ScheduleSaved(sched.id, sched.chat, sched.case_id, sched.opens_at, sched.closes_at, sched.state,
                         sched.reminded, sched.round_id)


def _pick(options: tuple[Option, ...], choice: str, lang: str) -> Option | None:
    """An option by number (1-based), key, emoji or label."""
    wanted = choice.strip().casefold()
    if wanted.isdigit() and 1 <= int(wanted) <= len(options):
        return options[int(wanted) - 1]
    for option in options:
        if wanted in (option.key, option.emoji, option.label.get(lang).casefold(), option.label.nb.casefold()):
            return option
    return None
