"""Rounds and votes: a case played in a chat part by part, the votes on each part, the results.

**Where a vote is counted**: :func:`count_vote`.  Buttons, reactions and
typed votes all end there, after :func:`checked_round` has refused forged or
stale ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot import render
from bot.cases import Case, Option
from bot.commands import UsageError
from bot.effects import (
    Button, Edit, Effect, Message, PartClosed, PartOpened, Post, Reply, RoundFinished, RoundStarted, TallyChanged,
    VoteRecorded,
)
from bot.engine import schedules, selftest
from bot.engine.context import Chat, echo, usage
from bot.events import Command, CommandIssued, NextPressed, Sender, VoteCast, VoteWithdrawn
from bot.i18n import t
from bot.model import PartState, Round, ScheduledRound, Step
from bot.richtext import Rich, RichBuilder, plain
from bot.when import WhenError, parse_duration

if TYPE_CHECKING:
    from bot.engine import Engine


# ---- commands ---------------------------------------------------------------


@dataclass(frozen=True)
class StartRound(Command):
    case_id: str = ""
    timer: timedelta | None = None


def parse_start(args: list[str]) -> StartRound:
    """``[ID [timer 3m]]``."""
    if not args:
        return StartRound()
    if len(args) == 1:
        return StartRound(args[0])
    if len(args) == 3 and args[1].casefold() == "timer":
        try:
            return StartRound(args[0], parse_duration(args[2]))
        except WhenError:
            raise UsageError(args[2]) from None
    raise UsageError(" ".join(args))


@dataclass(frozen=True)
class Vote(Command):
    """``/vote red`` or ``/vote 1``: a vote on the current part of the chat's round."""

    choice: str


def parse_vote(args: list[str]) -> Vote:
    if not args:
        raise UsageError("")
    return Vote(" ".join(args))


@dataclass(frozen=True)
class CloseVoting(Command):
    pass


@dataclass(frozen=True)
class NextPart(Command):
    pass


@dataclass(frozen=True)
class StopRound(Command):
    pass


@dataclass(frozen=True)
class ShowResults(Command):
    pass


@dataclass(frozen=True)
class ShowReferences(Command):
    pass


@dataclass(frozen=True)
class ShowNotes(Command):
    pass


def start(eng: Engine, ev: CommandIssued, cmd: StartRound) -> list[Effect]:
    """A round in a group; in a private chat (where a deep link sends ``/start ID``) the self-test of the case."""
    if ev.private:
        return selftest.begin(eng, ev, cmd.case_id or None)
    chat = eng.chat(ev.chat)
    if not cmd.case_id:
        spec = eng.commands.spec(cmd)
        assert spec is not None
        return usage(chat, ev.sender, spec)
    case = eng.library.get(cmd.case_id)
    if case is None:
        return chat.refuse(ev.sender, "refuse.unknown_case", case=echo(cmd.case_id))
    running = eng.running(ev.chat)
    if running is not None:
        return chat.refuse(ev.sender, "refuse.round_running", case=running.case_id)
    return begin(eng, chat, case, ev.now, timer=cmd.timer)


def vote(eng: Engine, ev: CommandIssued, cmd: Vote) -> list[Effect]:
    chat = eng.chat(ev.chat)
    if not (ev.private or chat.caps.typed_votes):
        return chat.refuse(ev.sender, "refuse.typed_vote")  # the group would read how its writer voted
    rnd = eng.running(ev.chat)
    if rnd is None:
        return chat.refuse(ev.sender, "refuse.no_round")
    part = eng.case(rnd).parts[rnd.current - 1]
    if not part.votable:
        return chat.refuse(ev.sender, "refuse.no_options")
    if not rnd.voting_open:
        return chat.refuse(ev.sender, "refuse.voting_closed")
    option = pick(part.options, cmd.choice, chat.lang)
    if option is None:
        return chat.refuse(ev.sender, "refuse.unknown_option", choice=echo(cmd.choice),
                           options=render.choices(part.options, chat.lang))
    return count_vote(eng, rnd, ev.sender, option, ev.now)


def close(eng: Engine, ev: CommandIssued, cmd: CloseVoting) -> list[Effect]:
    chat, rnd = eng.chat(ev.chat), eng.running(ev.chat)
    if rnd is None:
        return chat.refuse(ev.sender, "refuse.no_round")
    if not rnd.voting_open:
        return chat.refuse(ev.sender, "refuse.not_open")
    return close_part(eng, rnd, ev.now)


def next_part(eng: Engine, ev: CommandIssued, cmd: NextPart) -> list[Effect]:
    chat, rnd = eng.chat(ev.chat), eng.running(ev.chat)
    if rnd is None:
        return chat.refuse(ev.sender, "refuse.no_round")
    if rnd.selftest_of and rnd.voting_open:
        return chat.refuse(ev.sender, "refuse.answer_first")
    return advance(eng, rnd, ev.now)


def stop(eng: Engine, ev: CommandIssued, cmd: StopRound) -> list[Effect]:
    chat, rnd = eng.chat(ev.chat), eng.running(ev.chat)
    if rnd is None:
        return chat.refuse(ev.sender, "refuse.no_round")
    effects: list[Effect] = []
    if rnd.voting_open:
        effects += close_part(eng, rnd, ev.now, ending=True)
    return effects + finish(eng, rnd, ev.now)


def results(eng: Engine, ev: CommandIssued, cmd: ShowResults) -> list[Effect]:
    chat, rnd = eng.chat(ev.chat), eng.latest(ev.chat)
    if rnd is None:
        return [chat.reply(ev.sender, "results.none")]
    return [Reply(ev.chat, ev.sender.user, summary(eng, rnd))]


def references(eng: Engine, ev: CommandIssued, cmd: ShowReferences) -> list[Effect]:
    chat, rnd = eng.chat(ev.chat), eng.latest(ev.chat)
    if rnd is None:
        return chat.refuse(ev.sender, "refuse.no_round")
    return [Reply(ev.chat, ev.sender.user, render.references(eng.case(rnd), max(rnd.current, 1), chat.lang))]


def notes(eng: Engine, ev: CommandIssued, cmd: ShowNotes) -> list[Effect]:
    """The trainer's notes on the current part, to the trainer alone (never into the group)."""
    chat, rnd = eng.chat(ev.chat), eng.running(ev.chat)
    if rnd is None:
        return chat.refuse(ev.sender, "refuse.no_round")
    case = eng.case(rnd)
    part = case.parts[rnd.current - 1]
    if part.notes is None:
        return [Reply(ev.chat, ev.sender.user, chat.text("notes.none"), private=True)]
    text = RichBuilder().bold(chat.say("notes.heading", title=render.part_title(case, rnd.current, chat.lang)))
    return [Reply(ev.chat, ev.sender.user, text.line().text(part.notes.get(chat.lang)).build(), private=True)]


# ---- buttons and reactions --------------------------------------------------


def checked_round(eng: Engine, ev: VoteCast | VoteWithdrawn | NextPressed) -> Round | list[Effect]:
    """The running round a button or reaction names, or a refusal if it is forged or stale."""
    rnd = eng.live.get(ev.round_id)
    if rnd is None or rnd.chat != ev.chat or not 1 <= ev.part <= len(rnd.parts):
        return eng.chat(ev.chat).refuse(ev.sender, "refuse.stale")
    if rnd.selftest_of and rnd.selftest_of != ev.sender.user:
        return eng.chat(ev.chat).refuse(ev.sender, "refuse.not_your_selftest")
    return rnd


def vote_cast(eng: Engine, ev: VoteCast) -> list[Effect]:
    rnd = checked_round(eng, ev)
    if isinstance(rnd, list):
        return rnd
    if ev.part != rnd.current or not rnd.voting_open:
        return eng.chat(ev.chat).refuse(ev.sender, "refuse.voting_closed")
    option = eng.case(rnd).parts[ev.part - 1].option(ev.option)
    if option is None:
        return eng.chat(ev.chat).refuse(ev.sender, "refuse.stale")
    return count_vote(eng, rnd, ev.sender, option, ev.now)


def vote_withdrawn(eng: Engine, ev: VoteWithdrawn) -> list[Effect]:
    rnd = checked_round(eng, ev)
    if isinstance(rnd, list):
        return rnd
    state = rnd.current_part
    if ev.part != rnd.current or not rnd.voting_open or state is None or state.votes.get(ev.sender.user) != ev.option:
        return []  # nothing counted to take back (closed part, or the vote already moved on)
    del state.votes[ev.sender.user]
    return [
        VoteRecorded(rnd.id, rnd.current, ev.sender.user, None, ev.now),
        eng.chat(rnd.chat).reply(ev.sender, "vote.withdrawn"),
        tally_changed(rnd),
    ]


_ACKS: dict[tuple[str, str, int], Rich] = {}


def _ack(lang: str, key: str, option: Option) -> Rich:
    """"Stemme registrert: 🔴 Rødt lys": made once per language, kind and option (votes come in thousands).

    Keyed by the option's identity: the library's options live as long as the process, and hashing the frozen
    dataclass with its labels on every vote costs more than the rest of the lookup."""
    cached = _ACKS.get((lang, key, id(option)))
    if cached is None:
        text = plain(t(lang, key, option=f"{option.emoji} {option.label.get(lang)}"))
        cached = _ACKS[(lang, key, id(option))] = text
    return cached


def count_vote(eng: Engine, rnd: Round, sender: Sender, option: Option, now: datetime) -> list[Effect]:
    """Count ``sender``'s vote for ``option`` on the round's open part: one vote per person and part."""
    state, number = rnd.parts[-1], len(rnd.parts)
    lang = eng.lang(rnd.chat)
    previous = state.votes.get(sender.user)
    if previous == option.key:
        return [Reply(rnd.chat, sender.user, _ack(lang, "vote.same", option))]
    state.votes[sender.user] = option.key
    effects: list[Effect] = [
        VoteRecorded(rnd.id, number, sender.user, option.key, now),
        Reply(rnd.chat, sender.user, _ack(lang, "vote.changed" if previous else "vote.recorded", option)),
    ]
    if rnd.selftest_of:
        effects += selftest.answered(eng, rnd, option, now)
    elif not previous:  # a change leaves the count as it was
        effects.append(TallyChanged(rnd.chat, rnd.id, render.part_key(rnd.id, number)))
    return effects


def pick(options: tuple[Option, ...], choice: str, lang: str) -> Option | None:
    """An option by number (1-based), key, emoji or label."""
    wanted = choice.strip().casefold()
    if wanted.isascii() and wanted.isdecimal() and 1 <= int(wanted) <= len(options):
        return options[int(wanted) - 1]
    for option in options:
        if wanted in (option.key, option.emoji, option.label.get(lang).casefold(), option.label.nb.casefold()):
            return option
    return None


# ---- the life of a round ----------------------------------------------------


def begin(eng: Engine, chat: Chat, case: Case, now: datetime, *, timer: timedelta | None = None,
          schedule: ScheduledRound | None = None, selftest_of: str | None = None, preface: Rich = ()) -> list[Effect]:
    """Start ``case`` in ``chat``: the intro, then part 1."""
    rnd = Round(eng.new_round_id(), chat.id, case.id, chat.lang, now, selftest_of, timer,
                schedule.id if schedule else None)
    eng.track(rnd)
    intro = RichBuilder().extend(preface).extend(render.round_intro(case, rnd, chat.lang, chat.prefix))
    effects: list[Effect] = [
        RoundStarted(rnd.id, chat.id, case.id, rnd.lang, selftest_of, now, timer, rnd.schedule_id),
        Post(chat.id, intro.build()),
    ]
    return effects + open_part(eng, rnd, 1, now, schedule.closes_at if schedule else None)


def open_part(eng: Engine, rnd: Round, number: int, now: datetime, deadline: datetime | None = None) -> list[Effect]:
    case, chat = eng.case(rnd), eng.chat(rnd.chat)
    part = case.parts[number - 1]
    key = render.part_key(rnd.id, number)
    if part.votable:
        timed = rnd.timer is not None and not rnd.selftest_of
        state = PartState(opened_at=now, closes_at=deadline or (now + rnd.timer if timed and rnd.timer else None))
        rnd.parts.append(state)
        rnd.advance_at = None
        rnd.move(Step.OPEN_VOTE)
        text, buttons = part_message(eng, rnd, number)
        return [PartOpened(rnd.id, number, now, state.closes_at), Post(chat.id, text, buttons, key=key)]
    # A part without a vote is shown with its discussion points at once.
    rnd.parts.append(PartState(opened_at=now, closed_at=now, counts={}))
    rnd.move(Step.OPEN_REFLECTION)
    rnd.advance_at = now + rnd.timer if rnd.timer and not rnd.selftest_of else None
    text, _ = part_message(eng, rnd, number)
    follow = RichBuilder().extend(render.reflection_points(case, number, chat.lang, chat.prefix))
    next_buttons: tuple[Button, ...] = ()
    if rnd.selftest_of:
        next_buttons = (render.next_button(case, rnd, number, chat.lang),)
    else:
        follow.line().extend(after_close_hint(eng, rnd, number))
    return [
        PartOpened(rnd.id, number, now),
        PartClosed(rnd.id, number, now, case.id, {}, rnd.advance_at),
        Post(chat.id, text, key=key),
        Post(chat.id, follow.build(), next_buttons),
    ]


def close_part(eng: Engine, rnd: Round, now: datetime, preface: Rich = (), ending: bool = False) -> list[Effect]:
    """Close voting on the current part: the final count, the split with a chart, the discussion points, and
    what comes next (nothing when the round is ``ending`` right after)."""
    case, chat, number, state = eng.case(rnd), eng.chat(rnd.chat), rnd.current, rnd.parts[-1]
    counts = state.tally(tuple(o.key for o in case.parts[number - 1].options))
    state.closed_at, state.counts = now, counts
    rnd.move(Step.CLOSE)
    if rnd.timer:
        rnd.advance_at = now + rnd.timer
    text, _ = part_message(eng, rnd, number)
    shown = RichBuilder().extend(preface).extend(render.part_results(case, rnd, number, chat.lang, chat.prefix))
    if not ending:
        shown.line().extend(after_close_hint(eng, rnd, number))
    return [
        PartClosed(rnd.id, number, now, case.id, counts, rnd.advance_at),
        Edit(chat.id, render.part_key(rnd.id, number), text, (), final=True),
        Post(chat.id, shown.build(), chart=render.chart_data(case, number, counts, chat.lang)),
    ]


def advance(eng: Engine, rnd: Round, now: datetime) -> list[Effect]:
    """Open the next part (closing the current vote first), or finish with the summary after the last."""
    effects: list[Effect] = []
    if rnd.voting_open:
        effects += close_part(eng, rnd, now, ending=True)  # the next part, or the summary, follows at once
        rnd.advance_at = None
    if rnd.current >= len(eng.case(rnd).parts):
        return effects + finish(eng, rnd, now)
    return effects + open_part(eng, rnd, rnd.current + 1, now)


def finish(eng: Engine, rnd: Round, now: datetime, announce: bool = True) -> list[Effect]:
    rnd.finished_at, rnd.advance_at = now, None
    rnd.move(Step.FINISH)
    eng.remember_finished(rnd)
    effects: list[Effect] = [RoundFinished(rnd.id, now), *schedules.round_finished(eng, rnd)]
    if announce:
        effects.append(Post(rnd.chat, summary(eng, rnd)))
    return effects


# ---- what the chat sees -------------------------------------------------------


def part_message(eng: Engine, rnd: Round, number: int) -> tuple[Rich, tuple[Button, ...]]:
    chat = eng.chat(rnd.chat)
    typed = rnd.selftest_of is not None or chat.caps.typed_votes
    if typed:
        hint = "part.vote_hint"
    elif chat.caps.votes_visible:
        hint = "part.react_hint"
    else:
        hint = "part.button_hint"
    return render.part_message(eng.case(rnd), rnd, number, chat.lang, chat.prefix, chat.zone, hint, typed)


def after_close_hint(eng: Engine, rnd: Round, number: int) -> Rich:
    chat = eng.chat(rnd.chat)
    if rnd.advance_at:
        return RichBuilder().italic(chat.say("results.auto_next",
                                             time=render.local_time(rnd.advance_at, chat.zone))).build()
    return render.next_hint(eng.case(rnd), number, chat.lang, chat.prefix)


def summary(eng: Engine, rnd: Round) -> Rich:
    """Each part's split (closed parts only: an open part shows how many voted), next to the overall split."""
    case, lang = eng.case(rnd), eng.lang(rnd.chat)
    overall = [eng.overall.split(case.id, number)[0] for number in range(1, len(rnd.parts) + 1)]
    return render.summary(case, rnd, overall, lang)


def tally_changed(rnd: Round) -> TallyChanged:
    return TallyChanged(rnd.chat, rnd.id, render.part_key(rnd.id, rnd.current))


def tally(eng: Engine, round_id: int) -> Edit | None:
    rnd = eng.live.get(round_id)
    if rnd is None or not rnd.voting_open or rnd.selftest_of:
        return None
    text, buttons = part_message(eng, rnd, rnd.current)
    return Edit(rnd.chat, render.part_key(rnd.id, rnd.current), text, buttons)


def refresh(eng: Engine) -> list[Message]:
    return [tally_changed(rnd) for rnd in eng.live.values() if rnd.voting_open and not rnd.selftest_of]

