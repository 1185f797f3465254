"""Time: rounds a trainer pushed ahead (``/schedule``), their reminders and deadlines, and round timers.

Nothing here waits: :func:`tick` acts on everything due at the moment it is
given, and :func:`next_wakeup` says when to call it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot import render
from bot.commands import UsageError, ascii_number
from bot.effects import Effect, Post, Reply, ScheduleDeleted, ScheduleSaved
from bot.engine import rounds
from bot.engine.context import echo
from bot.events import Command, CommandIssued
from bot.model import Round, SchedulePhase, ScheduledRound, Step
from bot.richtext import Rich, RichBuilder
from bot.when import WhenError, parse_when

if TYPE_CHECKING:
    from bot.engine import Engine

MAX_SCHEDULES_PER_CHAT = 20
LATE_AFTER = timedelta(minutes=1)  # a timed action this much overdue says it is late


@dataclass(frozen=True)
class Schedule(Command):
    case_id: str
    when: str
    until: str | None = None


def parse_schedule(args: list[str]) -> Schedule:
    """``ID WHEN [until WHEN]`` (``til`` in Norwegian)."""
    if len(args) < 2:
        raise UsageError(" ".join(args))
    rest = " ".join(args[1:])
    lowered = rest.casefold()
    for word in (" until ", " til "):
        if word in lowered:
            at = lowered.index(word)
            return Schedule(args[0], rest[:at].strip(), rest[at + len(word):].strip())
    return Schedule(args[0], rest)


@dataclass(frozen=True)
class ListSchedules(Command):
    pass


@dataclass(frozen=True)
class Unschedule(Command):
    number: int


def parse_unschedule(args: list[str]) -> Unschedule:
    if len(args) != 1:
        raise UsageError(" ".join(args))
    return Unschedule(ascii_number(args[0]))


def schedule(eng: Engine, ev: CommandIssued, cmd: Schedule) -> list[Effect]:
    chat = eng.chat(ev.chat)
    case = eng.library.get(cmd.case_id)
    if case is None:
        return chat.refuse(ev.sender, "refuse.unknown_case", case=echo(cmd.case_id))
    if len(eng.schedules_of(ev.chat)) >= MAX_SCHEDULES_PER_CHAT:
        return chat.refuse(ev.sender, "refuse.too_many_schedules", max=MAX_SCHEDULES_PER_CHAT)
    zone = ZoneInfo(chat.zone)
    try:
        opens = parse_when(cmd.when, ev.now, zone)
    except WhenError as exc:
        return chat.refuse(ev.sender, "refuse.bad_time", text=echo(cmd.when), example=exc.example)
    try:
        closes = parse_when(cmd.until, ev.now, zone) if cmd.until else None
    except WhenError as exc:
        return chat.refuse(ev.sender, "refuse.bad_time", text=echo(cmd.until or ""), example=exc.example)
    if closes is not None and closes <= opens:
        return chat.refuse(ev.sender, "refuse.until_before")
    sched = ScheduledRound(eng.new_schedule_id(), ev.chat, case.id, opens, closes)
    eng.waiting[sched.id] = sched
    until = chat.say("schedule.until", closes=render.local_time(closes, chat.zone, True)) if closes else ""
    return [
        saved(sched),
        chat.reply(ev.sender, "schedule.saved", number=sched.id, title=case.title.get(chat.lang),
                   opens=render.local_time(opens, chat.zone, True), until=until),
    ]


def list_schedules(eng: Engine, ev: CommandIssued, cmd: ListSchedules) -> list[Effect]:
    chat = eng.chat(ev.chat)
    mine = eng.schedules_of(ev.chat)
    if not mine:
        return [chat.reply(ev.sender, "schedule.none")]
    b = RichBuilder().bold(chat.say("schedule.list_header")).line()
    for s in mine:
        until = chat.say("schedule.until", closes=render.local_time(s.closes_at, chat.zone, True)) if s.closes_at else ""
        b.text(chat.say("schedule.line", number=s.id, case=s.case_id,
                        opens=render.local_time(s.opens_at, chat.zone, True), until=until)).line()
    return [Reply(ev.chat, ev.sender.user, b.build())]


def unschedule(eng: Engine, ev: CommandIssued, cmd: Unschedule) -> list[Effect]:
    chat = eng.chat(ev.chat)
    sched = eng.waiting.get(cmd.number)
    if sched is None or sched.chat != ev.chat:  # schedule numbers are global: never touch another chat's
        return chat.refuse(ev.sender, "refuse.unknown_schedule", number=cmd.number)
    del eng.waiting[sched.id]
    return [ScheduleDeleted(sched.id), chat.reply(ev.sender, "schedule.cancelled", number=sched.id)]


# ---- time ---------------------------------------------------------------------


def next_wakeup(eng: Engine) -> datetime | None:
    moments: list[datetime] = []
    for rnd in eng.live.values():
        part = rnd.current_part
        if rnd.voting_open and part is not None and part.closes_at:
            moments.append(part.closes_at)
        if rnd.advance_at:
            moments.append(rnd.advance_at)
    for sched in eng.waiting.values():
        if sched.phase is SchedulePhase.PENDING:
            moments.append(sched.opens_at)
        elif not sched.reminded and sched.remind_at:
            moments.append(sched.remind_at)
    return min(moments, default=None)


def tick(eng: Engine, now: datetime) -> list[Effect]:
    """Everything due at ``now``: schedules that open, reminders, deadlines, timers."""
    effects: list[Effect] = []
    for sched in sorted(eng.waiting.values(), key=lambda s: s.opens_at):
        if sched.phase is SchedulePhase.PENDING and sched.opens_at <= now:
            effects += _open(eng, sched, now)
        elif sched.phase is SchedulePhase.OPEN:
            effects += _remind(eng, sched, now)
    for rnd in list(eng.live.values()):
        part = rnd.current_part
        if rnd.voting_open and part is not None and part.closes_at and part.closes_at <= now:
            effects += rounds.close_part(eng, rnd, now, _deadline_preface(eng, rnd, part.closes_at, now))
        elif rnd.advance_at and rnd.advance_at <= now:
            effects += rounds.advance(eng, rnd, now)
    return effects


def round_finished(eng: Engine, rnd: Round) -> list[Effect]:
    """The schedule that opened ``rnd`` is done."""
    effects: list[Effect] = []
    for sched in list(eng.waiting.values()):
        if sched.round_id == rnd.id and sched.phase is SchedulePhase.OPEN:
            sched.move(Step.FINISH)
            del eng.waiting[sched.id]
            effects.append(saved(sched))
    return effects


def _late_note(eng: Engine, chat_id: str, due: datetime, now: datetime) -> Rich:
    if now - due < LATE_AFTER:
        return ()
    chat = eng.chat(chat_id)
    when = render.local_time(due, chat.zone, with_date=due.date() != now.date())
    return RichBuilder().italic(chat.say("schedule.late", time=when)).line().build()


def _deadline_preface(eng: Engine, rnd: Round, due: datetime, now: datetime) -> Rich:
    b = RichBuilder().extend(_late_note(eng, rnd.chat, due, now))
    if rnd.schedule_id is not None and rnd.current == 1:
        b.bold(eng.chat(rnd.chat).say("schedule.deadline")).line()
    return b.build()


def _give_up(eng: Engine, sched: ScheduledRound) -> ScheduleSaved:
    sched.move(Step.MISS)
    del eng.waiting[sched.id]
    return saved(sched)


def _open(eng: Engine, sched: ScheduledRound, now: datetime) -> list[Effect]:
    chat = eng.chat(sched.chat)
    case = eng.library.get(sched.case_id)
    if case is None or eng.running(sched.chat) is not None:
        title = case.title.get(chat.lang) if case else sched.case_id
        return [_give_up(eng, sched), Post(chat.id, chat.text("schedule.busy", title=title, case=sched.case_id))]
    if sched.closes_at is not None and sched.closes_at <= now:  # the whole window passed while the bot was down
        note = chat.text("schedule.missed", title=case.title.get(chat.lang),
                         opens=render.local_time(sched.opens_at, chat.zone, True),
                         closes=render.local_time(sched.closes_at, chat.zone, True))
        return [_give_up(eng, sched)] + rounds.begin(eng, chat, case, now,
                                                     preface=RichBuilder().extend(note).line().build())
    sched.move(Step.OPEN)
    sched.round_id = eng.next_round_id
    return [saved(sched)] + rounds.begin(eng, chat, case, now, schedule=sched,
                                         preface=_late_note(eng, chat.id, sched.opens_at, now))


def _remind(eng: Engine, sched: ScheduledRound, now: datetime) -> list[Effect]:
    rnd = eng.live.get(sched.round_id) if sched.round_id is not None else None
    if rnd is None or not rnd.voting_open or sched.reminded or sched.remind_at is None or sched.closes_at is None:
        return []
    if not (sched.remind_at <= now < sched.closes_at):
        return []
    sched.reminded = True
    chat = eng.chat(sched.chat)
    text = chat.text("schedule.reminder", title=eng.case(rnd).title.get(chat.lang), count=len(rnd.parts[-1].votes),
                     closes=render.local_time(sched.closes_at, chat.zone, True))
    return [saved(sched), Post(chat.id, text)]


def saved(sched: ScheduledRound) -> ScheduleSaved:
    return ScheduleSaved(sched.id, sched.chat, sched.case_id, sched.opens_at, sched.closes_at, sched.phase.value,
                         sched.reminded, sched.round_id)
