"""What the report page shows: every group round of one chat, newest first, each closed part's split.

Built from the same :class:`~bot.export.Export` as the page's CSV and JSON downloads (and ``dilemmabot export
--chat``), so the page, the downloads and the export always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.web.stage import Bar, bars
from bot import render
from bot.cases import BUILTIN_OPTIONS, Case, Library, Localized, Option
from bot.engine.context import Chat
from bot.export import Export


@dataclass(frozen=True)
class ReportPart:
    title: str
    bars: tuple[Bar, ...]  # empty for a part without a vote
    caption: str  # its total, or that it had no vote


@dataclass(frozen=True)
class ReportRound:
    title: str
    started: str
    finished: bool
    parts: tuple[ReportPart, ...]


def build(export: Export, library: Library, chat: Chat) -> tuple[ReportRound, ...]:
    return tuple(_round(row, library.get(row["case"]), chat) for row in reversed(export.rounds))


def _round(row: dict[str, Any], case: Case | None, chat: Chat) -> ReportRound:
    lang = chat.lang
    parts = []
    for part in row["parts"]:
        number, counts = part["index"], part["counts"]
        if case is not None and number <= len(case.parts):
            title, options = render.part_title(case, number, lang), case.parts[number - 1].options
        else:
            title, options = str(number), _unknown(counts)
        if options:
            parts.append(ReportPart(title, bars(options, counts, lang), render.total_line(part["total"], lang)))
        else:
            parts.append(ReportPart(title, (), chat.say("summary.no_vote")))
    started = render.local_time(datetime.fromisoformat(row["started_at"]), chat.zone, with_date=True)
    return ReportRound(case.title.get(lang) if case else row["case"], chat.say("web.started", time=started),
                       row["finished_at"] is not None, tuple(parts))


def _unknown(counts: dict[str, int]) -> tuple[Option, ...]:
    """Options of a case no longer in the library: the built-in ones by key, others by their key alone."""
    return tuple(BUILTIN_OPTIONS.get(key) or Option(key, "", Localized(key)) for key in counts)
