"""A small library built in code, and helpers to drive the engine with a fake clock."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from bot.cases import BUILTIN_OPTIONS, Case, Library, Localized, Part, Point, Reference
from bot.effects import Effect, Post, Reply
from bot.engine import Engine
from bot.events import Command, CommandIssued, Sender, Tick, VoteCast
from bot.platforms import Capabilities, Platforms
from bot.ratelimit import RateLimiter
from bot.richtext import to_plain

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)
RED_GREEN = (BUILTIN_OPTIONS["red"], BUILTIN_OPTIONS["green"])


def _part(name: str, options=RED_GREEN) -> Part:
    points = tuple(Point(Localized(f"{name} punkt {i}", f"{name} point {i}"), ("fvl-6",) if i == 1 else ())
                   for i in range(1, 4))
    refs = (Reference("fvl-6", Localized("Forvaltningsloven", "Public Administration Act"), "§ 6",
                      Localized("Inhabilitet", "Disqualification")),)
    return Part(Localized(name.title(), name.title()), Localized(f"Tekst {name}", f"Text {name}"),
                Localized("Greit?", "Acceptable?"), options, points, refs)


def make_library() -> Library:
    three = Case("tre", "KS Folkevalgtprogram", Localized("Tre deler", "Three parts"),
                 (_part("en"), _part("to"), _part("tre")))
    mixed = Case("blandet", "KS Folkevalgtprogram", Localized("Blandet", "Mixed"),
                 (_part("kontekst", ()), _part("habil", (BUILTIN_OPTIONS["habil"], BUILTIN_OPTIONS["inhabil"]))))
    return Library({c.id: c for c in (three, mixed)})


class Driver:
    """Sends events with a clock the test moves by hand."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.now = T0

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def cmd(self, chat: str, user: str, command: Command, controller: bool = False, private: bool = False) -> list[Effect]:
        return self.engine.handle(CommandIssued(chat, Sender(user, controller), command, self.now, private))

    def vote(self, chat: str, user: str, round_id: int, part: int, option: str) -> list[Effect]:
        return self.engine.handle(VoteCast(chat, Sender(user), round_id, part, option, self.now))

    def tick(self) -> list[Effect]:
        return self.engine.handle(Tick(self.now))


# Chats "test:..." behave like the console: a typed vote stands for a button press.
TEST_PLATFORM = Capabilities(typed_votes=True)


def new_engine(library: Library | None = None, **options: object) -> Engine:
    # generous limits: rate limiting has its own tests
    return Engine(library or make_library(), platforms=Platforms({"test": TEST_PLATFORM}),
                  user_limit=RateLimiter(1000, 1000), chat_limit=RateLimiter(1000, 1000), **options)


@pytest.fixture
def drive() -> Driver:
    return Driver(new_engine())


def texts(effects: list[Effect], kind: type = Post) -> list[str]:
    return [to_plain(e.text) for e in effects if isinstance(e, kind)]


def replies(effects: list[Effect]) -> list[Reply]:
    return [e for e in effects if isinstance(e, Reply)]


def of(effects: list[Effect], kind: type) -> list:
    return [e for e in effects if isinstance(e, kind)]


_TALLY = re.compile(r"^\S+ (?P<label>.+?)\s+[█░]+\s+(?P<count>\d+ \(\d+ %\))$")


def tally_lines(text: str, label: str) -> list[str]:
    """Every bar line for option ``label`` in ``text``, as ``"2 (67 %)"``, in order."""
    found = []
    for line in text.splitlines():
        match = _TALLY.match(line.strip())
        if match and match["label"] == label:
            found.append(match["count"])
    return found


def tally_line(text: str, label: str) -> str:
    """The one bar line for ``label`` in ``text`` (fails if there is not exactly one)."""
    lines = tally_lines(text, label)
    assert len(lines) == 1, (label, lines, text)
    return lines[0]


def paragraph(text: str, first_line: str) -> str:
    """The one paragraph of ``text`` (lines up to a blank line) whose first line is ``first_line``."""
    found = [p for p in text.split("\n\n") if p.splitlines()[:1] == [first_line]]
    assert len(found) == 1, (first_line, text)
    return found[0]
