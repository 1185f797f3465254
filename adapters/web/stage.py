"""What the presenter page shows for a chat: a :class:`Stage`, built from the engine's read API (no I/O).

One of five scenes, following the chat's latest round:

- ``waiting``: no round has been played here (and the next scheduled one, if any);
- ``voting``: a part takes votes: its text and question, the options, and only the *number* of votes – the split
  stays hidden until voting closes, as in the chat;
- ``results``: voting on the part closed: the split as a chart, the discussion points and the legal references
  (cited by law and section; the chat's ``/refs`` has their summaries);
- ``reflection``: a part without a vote: its text, question and points at once;
- ``summary``: the round finished: each part's split next to the overall split (where the chat shows it).

The number of votes is kept apart from the stage, so a vote changes only that number on the page.  Nothing here
names a person, and the trainer notes of a case are never on a stage (the page is for the room).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from bot import render
from bot.cases import Case, Option
from bot.chart import percent
from bot.i18n import t
from bot.model import Round

if TYPE_CHECKING:
    from bot.engine import Engine
    from bot.engine.context import Chat

Scene = Literal["waiting", "voting", "results", "reflection", "summary"]


@dataclass(frozen=True)
class Bar:
    """One option of a split: ``share`` (0-100) is its length next to the largest, as in the chat's chart."""

    key: str
    emoji: str
    label: str
    count: int
    percent: int
    share: float
    color: str


@dataclass(frozen=True)
class Choice:
    emoji: str
    label: str


@dataclass(frozen=True)
class SelfTest:
    """How a person opens the private self-test of the case: ``link`` for the QR code, and what to send there if
    the link does not name the case (Matrix: the bot's user id)."""

    link: str
    instruction: str = ""


@dataclass(frozen=True)
class SummaryPart:
    title: str
    bars: tuple[Bar, ...] = ()  # empty for a part without a vote
    total: str = ""
    overall: tuple[Bar, ...] = ()  # empty while fewer than bot.overall.MINIMUM have answered
    overall_total: int = 0


@dataclass(frozen=True)
class Stage:
    scene: Scene
    lang: str
    prefix: str
    case_title: str = ""
    heading: str = ""
    text: str = ""
    question: str = ""
    choices: tuple[Choice, ...] = ()
    closes_at: str = ""
    bars: tuple[Bar, ...] = ()
    total: str = ""
    points: tuple[str, ...] = ()
    references: tuple[str, ...] = ()  # "Straffeloven § 387"
    next_at: str = ""  # when a timed round opens the next part
    summary: tuple[SummaryPart, ...] = ()
    selftest: SelfTest | None = None
    scheduled: str = ""  # the next scheduled round, on the waiting screen


def bars(options: tuple[Option, ...], counts: dict[str, int], lang: str) -> tuple[Bar, ...]:
    total = sum(counts.values())
    peak = max((counts.get(o.key, 0) for o in options), default=0)
    return tuple(Bar(o.key, o.emoji, o.label.get(lang), counts.get(o.key, 0), percent(counts.get(o.key, 0), total),
                     round(100 * counts.get(o.key, 0) / peak, 1) if peak else 0.0, css_color(o.key))
                 for o in options)


def css_color(key: str) -> str:
    red, green, blue = render.option_color(key)
    return f"#{red:02x}{green:02x}{blue:02x}"


def build(engine: Engine, chat_id: str) -> tuple[Stage, int]:
    """The stage of ``chat_id`` now, and the number of votes on its open part (0 when none is open)."""
    chat = engine.chat(chat_id)
    rnd = engine.latest(chat_id)
    if rnd is None or rnd.selftest_of or rnd.case_id not in engine.library.cases:
        return _waiting(engine, chat), 0
    case = engine.case(rnd)
    if rnd.finished:
        return _summary(engine, chat, case, rnd), 0
    lang, number, state = chat.lang, rnd.current, rnd.parts[-1]
    part = case.parts[number - 1]
    base = Stage("voting", lang, chat.prefix, case.title.get(lang), _heading(case, number, lang),
                 question=part.question.get(lang))
    if part.votable and state.open:
        closes = chat.say("part.closes_at", time=render.local_time(state.closes_at, chat.zone)) if state.closes_at else ""
        return replace(base, text=part.text.get(lang).strip(), closes_at=closes,
                       choices=tuple(Choice(o.emoji, o.label.get(lang)) for o in part.options)), len(state.votes)
    discussed = replace(
        base, points=tuple(point.text.get(lang) for point in part.points),
        references=tuple(f"{ref.law.get(lang)} {ref.section}" for ref in part.references),
        next_at=chat.say("results.auto_next", time=render.local_time(rnd.advance_at, chat.zone)) if rnd.advance_at else "",
        selftest=_selftest(chat, case))
    if not part.votable:
        return replace(discussed, scene="reflection", text=part.text.get(lang).strip()), 0
    counts = state.tally(tuple(o.key for o in part.options))
    return replace(discussed, scene="results", bars=bars(part.options, counts, lang),
                   total=render.total_line(sum(counts.values()), lang)), 0


def _heading(case: Case, number: int, lang: str) -> str:
    heading = t(lang, "part.heading", n=number, total=len(case.parts))
    title = case.parts[number - 1].title.get(lang)
    return f"{heading}: {title}" if title else heading


def _selftest(chat: Chat, case: Case) -> SelfTest | None:
    link = chat.caps.selftest_link
    if not link:
        return None
    if "{case}" in link:
        return SelfTest(link.replace("{case}", case.id))
    return SelfTest(link, chat.say("web.selftest_send", case=case.id))


def _summary(engine: Engine, chat: Chat, case: Case, rnd: Round) -> Stage:
    lang, parts = chat.lang, []
    for number, (part, state) in enumerate(zip(case.parts, rnd.parts), 1):
        title = render.part_title(case, number, lang)
        if not part.votable:
            parts.append(SummaryPart(title))
            continue
        counts = state.tally(tuple(o.key for o in part.options))
        overall, overall_total = engine.overall.split(case.id, number)
        parts.append(SummaryPart(title, bars(part.options, counts, lang), render.total_line(sum(counts.values()), lang),
                                 bars(part.options, overall, lang) if overall else (), overall_total if overall else 0))
    return Stage("summary", lang, chat.prefix, case.title.get(lang), summary=tuple(parts),
                 selftest=_selftest(chat, case))


def _waiting(engine: Engine, chat: Chat) -> Stage:
    scheduled = ""
    upcoming = engine.schedules_of(chat.id)
    if upcoming:
        case = engine.library.get(upcoming[0].case_id)
        title = case.title.get(chat.lang) if case else upcoming[0].case_id
        scheduled = chat.say("web.scheduled", title=title,
                             opens=render.local_time(upcoming[0].opens_at, chat.zone, with_date=True))
    return Stage("waiting", chat.lang, chat.prefix, scheduled=scheduled)
