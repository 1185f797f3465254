"""A person's self-test in a private chat: one case at their own pace, and how everyone answered.

Each answer closes its part at once: the person sees the discussion points
and the overall split (:mod:`bot.overall`), then presses "next".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot import render
from bot.cases import Option
from bot.effects import Edit, Effect, PartClosed, Post, Reply
from bot.engine import rounds
from bot.engine.context import echo
from bot.events import Command, CommandIssued, NextPressed
from bot.model import Round, Step
from bot.richtext import RichBuilder

if TYPE_CHECKING:
    from bot.engine import Engine


@dataclass(frozen=True)
class SelfTest(Command):
    case_id: str | None = None


def parse_selftest(args: list[str]) -> SelfTest:
    return SelfTest(args[0] if args else None)


def selftest(eng: Engine, ev: CommandIssued, cmd: SelfTest) -> list[Effect]:
    return begin(eng, ev, cmd.case_id)


def begin(eng: Engine, ev: CommandIssued, case_id: str | None) -> list[Effect]:
    """The self-test of ``case_id`` in this private chat; without one, the list to pick from."""
    chat = eng.chat(ev.chat)
    if not case_id:
        b = RichBuilder().bold(chat.say("selftest.pick")).line()
        for listed in sorted(eng.library.cases.values(), key=lambda c: c.id):
            b.text(chat.say("selftest.line", id=listed.id, title=listed.title.get(chat.lang))).line()
        return [Reply(ev.chat, ev.sender.user, b.build())]
    case = eng.library.get(case_id)
    if case is None:
        return chat.refuse(ev.sender, "refuse.unknown_case", case=echo(case_id))
    effects: list[Effect] = []
    unfinished = eng.running(ev.chat)
    if unfinished is not None:  # a new self-test replaces an unfinished one
        effects += rounds.finish(eng, unfinished, ev.now, announce=False)
    preface = RichBuilder().italic(chat.say("selftest.intro")).line().build()
    return effects + rounds.begin(eng, chat, case, ev.now, selftest_of=ev.sender.user, preface=preface)


def answered(eng: Engine, rnd: Round, option: Option, now: datetime) -> list[Effect]:
    """The answer closes the part: the points, and how everyone has answered it so far."""
    case, chat, number, state = eng.case(rnd), eng.chat(rnd.chat), rnd.current, rnd.parts[-1]
    counts = state.tally(tuple(o.key for o in case.parts[number - 1].options))
    state.closed_at, state.counts = now, counts
    rnd.move(Step.CLOSE)
    shown, total = eng.overall.split(case.id, number)
    text, _ = rounds.part_message(eng, rnd, number)
    results = render.selftest_results(case, number, option, shown, total, chat.lang, chat.prefix)
    return [
        PartClosed(rnd.id, number, now, case.id, counts),
        Edit(chat.id, render.part_key(rnd.id, number), text, (), final=True),
        Post(chat.id, results, (render.next_button(case, rnd, number, chat.lang),)),
    ]


def next_pressed(eng: Engine, ev: NextPressed) -> list[Effect]:
    rnd = rounds.checked_round(eng, ev)
    if isinstance(rnd, list):
        return rnd
    chat = eng.chat(ev.chat)
    if not rnd.selftest_of or ev.part != rnd.current:
        return chat.refuse(ev.sender, "refuse.stale")  # "next" buttons exist only in self-tests, on the current part
    if rnd.voting_open:
        return chat.refuse(ev.sender, "refuse.answer_first")
    return [Reply(ev.chat, ev.sender.user, ())] + rounds.advance(eng, rnd, ev.now)
