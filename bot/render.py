"""Turn cases, rounds and counts into the bot's messages (as :data:`Rich`).

Pure functions; the engine decides *when* a message goes out, this module
decides *what it says*.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot import chart
from bot.cases import Case, Option, Part
from bot.effects import Button, NextButton, VoteButton
from bot.i18n import t
from bot.model import Round
from bot.overall import MINIMUM
from bot.richtext import Rich, RichBuilder

BAR_WIDTH = 10
_COLORS = {"red": chart.RED, "green": chart.GREEN, "inhabil": chart.RED, "habil": chart.GREEN}


def part_key(round_id: int, part: int) -> str:
    """The name of a part's message, for later edits."""
    return f"r{round_id}p{part}"


def local_time(moment: datetime, zone: str, with_date: bool = False) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return local.strftime("%d.%m.%Y %H:%M" if with_date else "%H:%M")


def text_bar(count: int, total: int) -> str:
    filled = round(BAR_WIDTH * count / total) if total else 0
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def tally(builder: RichBuilder, options: tuple[Option, ...], counts: dict[str, int], lang: str) -> RichBuilder:
    """One text bar per option: ``🔴 Rødt lys  ███████░░░  7 (70 %)``."""
    total = sum(counts.values())
    width = max(len(o.label.get(lang)) for o in options)
    for option in options:
        count = counts.get(option.key, 0)
        label = option.label.get(lang).ljust(width)
        builder.text(f"{option.emoji} {label}  {text_bar(count, total)}  {count} ({chart.percent(count, total)} %)").line()
    return builder


def choices(options: tuple[Option, ...], lang: str) -> str:
    """``1 = Rødt lys (red), 2 = Grønt lys (green)``: what ``/vote`` accepts (the key only where the label lacks it)."""
    return ", ".join(f"{i} = {o.label.get(lang)}" + ("" if o.key in o.label.get(lang).casefold() else f" ({o.key})")
                     for i, o in enumerate(options, 1))


def round_intro(case: Case, rnd: Round, lang: str, prefix: str) -> Rich:
    b = RichBuilder().bold(f"{t(lang, 'round.started')}: {case.title.get(lang)}").line()
    if case.intro:
        b.text(case.intro.get(lang)).line()
    b.italic(t(lang, "round.source", source=case.source)).line()
    if len(case.parts) > 1:
        b.text(t(lang, "round.parts", parts=len(case.parts))).line()
    if rnd.timer:
        b.text(t(lang, "round.timer", minutes=max(1, round(rnd.timer.total_seconds() / 60)))).line()
    return b.build()


def part_heading(b: RichBuilder, case: Case, number: int, lang: str) -> RichBuilder:
    part = case.parts[number - 1]
    heading = t(lang, "part.heading", n=number, total=len(case.parts))
    title = part.title.get(lang)
    b.bold(case.title.get(lang)).line().bold(f"{heading}: {title}" if title else heading).line(2)
    return b


def part_message(case: Case, rnd: Round, number: int, lang: str, prefix: str, zone: str,
                 hint: str = "part.vote_hint", typed: bool = True) -> tuple[Rich, tuple[Button, ...]]:
    """The part's text and question; while voting is open, the number of votes so far (never the split).

    ``hint`` says how to vote here (buttons, reactions); ``typed`` adds the options a typed vote may name.
    """
    part = case.parts[number - 1]
    state = rnd.parts[number - 1]
    b = part_heading(RichBuilder(), case, number, lang)
    b.text(part.text.get(lang).strip()).line(2).bold(part.question.get(lang)).line(2)
    if not part.votable:
        b.italic(t(lang, "part.reflection", p=prefix))
        return b.build(), ()
    if state.open:
        b.text(t(lang, "part.votes_so_far", count=len(state.votes))).line()
        if state.closes_at:
            b.text(t(lang, "part.closes_at", time=local_time(state.closes_at, zone))).line()
        b.italic(t(lang, hint, p=prefix))
        if typed:
            b.line().italic(t(lang, "option.choices", choices=choices(part.options, lang)))
        return b.build(), vote_buttons(part, rnd.id, number, lang)
    b.italic(t(lang, "part.closed"))
    return b.build(), ()


def vote_buttons(part: Part, round_id: int, number: int, lang: str) -> tuple[Button, ...]:
    return tuple(VoteButton(o.label.get(lang), o.emoji, round_id, number, o.key) for o in part.options)


def discussion(b: RichBuilder, part: Part, lang: str, prefix: str) -> RichBuilder:
    b.bold(t(lang, "results.points")).line()
    for point in part.points:
        b.text(f"• {point.text.get(lang)}").line()
    if part.references:
        b.italic(t(lang, "results.refs_hint", p=prefix)).line()
    return b


def part_results(case: Case, rnd: Round, number: int, lang: str, prefix: str) -> Rich:
    """After a group part closes: the split and the discussion points."""
    part = case.parts[number - 1]
    counts = rnd.parts[number - 1].tally(tuple(o.key for o in part.options))
    b = RichBuilder().bold(t(lang, "results.heading", title=part_title(case, number, lang))).line()
    tally(b, part.options, counts, lang)
    b.text(total_line(sum(counts.values()), lang)).line(2)
    return discussion(b, part, lang, prefix).build()


def reflection_points(case: Case, number: int, lang: str, prefix: str) -> Rich:
    return discussion(RichBuilder(), case.parts[number - 1], lang, prefix).build()


def next_hint(case: Case, number: int, lang: str, prefix: str) -> Rich:
    key = "results.last_hint" if number == len(case.parts) else "results.next_hint"
    return RichBuilder().italic(t(lang, key, p=prefix)).build()


def total_line(total: int, lang: str) -> str:
    return t(lang, "results.total_one") if total == 1 else t(lang, "results.total", count=total)


def part_title(case: Case, number: int, lang: str) -> str:
    title = case.parts[number - 1].title.get(lang)
    return title or t(lang, "part.heading", n=number, total=len(case.parts))


def option_color(key: str) -> chart.RGB:
    """An option's colour in charts: red for red and inhabil, green for green and habil, else neutral."""
    return _COLORS.get(key, chart.NEUTRAL)


def chart_data(case: Case, number: int, counts: dict[str, int], lang: str) -> chart.ChartData:
    part = case.parts[number - 1]
    bars = tuple(chart.Bar(o.label.get(lang), counts.get(o.key, 0), option_color(o.key)) for o in part.options)
    subtitle = f"{part_title(case, number, lang)} – {total_line(sum(counts.values()), lang)}"
    return chart.ChartData(case.title.get(lang), subtitle, bars)


def selftest_results(case: Case, number: int, choice: Option, others: dict[str, int] | None, others_count: int,
                     lang: str, prefix: str) -> Rich:
    """After a self-test answer: the answer, how others answered (if enough did), the points."""
    part = case.parts[number - 1]
    b = RichBuilder().bold(t(lang, "results.your_answer", option=f"{choice.emoji} {choice.label.get(lang)}")).line(2)
    if others is None:
        b.italic(t(lang, "results.others_hidden", min=MINIMUM, count=others_count)).line(2)
    else:
        b.bold(t(lang, "results.others", count=others_count)).line()
        tally(b, part.options, others, lang).line()
    return discussion(b, part, lang, prefix).build()


def summary(case: Case, rnd: Round, overall: list[dict[str, int] | None], lang: str) -> Rich:
    """Each part's split as its chat saw it at close, next to the overall split where enough people answered.

    A part still open shows only how many have voted: its split stays hidden until it closes.
    """
    b = RichBuilder().bold(t(lang, "summary.heading", title=case.title.get(lang))).line(2)
    for number, (part, state) in enumerate(zip(case.parts, rnd.parts), 1):
        b.bold(part_title(case, number, lang)).line()
        if not part.votable:
            b.italic(t(lang, "summary.no_vote")).line(2)
            continue
        if state.open:
            b.italic(t(lang, "summary.open", count=len(state.votes))).line(2)
            continue
        if rnd.selftest_of:
            mine = part.option(state.votes.get(rnd.selftest_of, ""))
            b.text(t(lang, "summary.you", option=f"{mine.emoji} {mine.label.get(lang)}" if mine else "–")).line()
        else:
            b.italic(t(lang, "results.group")).line()
            tally(b, part.options, state.tally(tuple(o.key for o in part.options)), lang)
        split = overall[number - 1]
        if split is None:
            b.italic(t(lang, "results.overall_hidden", min=MINIMUM)).line(2)
        else:
            b.italic(f"{t(lang, 'results.overall')} ({sum(split.values())})").line()
            tally(b, part.options, split, lang).line()
    if not rnd.finished:
        return b.italic(t(lang, "summary.in_progress", n=rnd.current, total=len(case.parts))).build()
    return b.italic(t(lang, "summary.selftest_done" if rnd.selftest_of else "summary.done")).build()


def references(case: Case, number: int, lang: str) -> Rich:
    part = case.parts[number - 1]
    b = RichBuilder().bold(t(lang, "refs.heading", title=part_title(case, number, lang))).line()
    if not part.references:
        return b.text(t(lang, "refs.none")).build()
    for ref in part.references:
        b.text("• ").bold(f"{ref.law.get(lang)} {ref.section}").text(f": {ref.summary.get(lang)}").line()
    return b.build()


def next_button(case: Case, rnd: Round, number: int, lang: str) -> NextButton:
    key = "next.finish_button" if number == len(case.parts) else "next.button"
    return NextButton(t(lang, key), rnd.id, number)
