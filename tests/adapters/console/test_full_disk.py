"""A full or failing disk in the middle of a round, through the console adapter and the dilemmabot command.

Each voter whose vote was not saved is told so in their chat's language, nothing acknowledged is lost,
the bot keeps running and works again by itself once it can write.  A full disk is SQLite's
``max_page_count``, or the OS refusing to let the bot's files grow (``RLIMIT_FSIZE``); a disk that
fails every write is ``query_only``.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import resource
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable

import pytest

from adapters.console import Console as ConsoleService
from bot.cases import load_library
from bot.config import DEFAULT_CASES
from bot.pseudonym import Pseudonymizer
from bot.runner import Runner
from bot.serve import serve
from bot.store import Store

from .command import RunningBot, dilemmabot

START = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)
PSEUDONYMS = Pseudonymizer(b"0" * 32)
Action = Callable[[Store], Awaitable[None]]


async def disk_fails(store: Store) -> None:
    await store._db.execute("PRAGMA query_only = ON")


async def disk_works(store: Store) -> None:
    await store._db.execute("PRAGMA query_only = OFF")
    await store._db.execute("PRAGMA max_page_count = 1073741823")


async def disk_full(store: Store) -> None:
    pages = await store._pragma("page_count")
    await store._db.execute(f"PRAGMA max_page_count = {pages}")


class Console:
    """The console adapter on a store the test can break; one line a second on a clock the test owns."""

    def __init__(self, store: Store):
        self.store = store
        self.out = io.StringIO()
        self.now = START

    async def play(self, script: Callable[[Console], AsyncIterator[str | Action]]) -> str:
        runner = await Runner.create(load_library(DEFAULT_CASES), self.store, clock=lambda: self.now)

        async def lines() -> AsyncIterator[str]:
            async for item in script(self):
                if isinstance(item, str):
                    self.now += timedelta(seconds=1)  # within every rate limit
                    yield item
                else:
                    await item(self.store)

        await serve(runner, [ConsoleService(runner, self.out, PSEUDONYMS, frozenset({"you"}), lines())],
                    asyncio.Event())
        return self.out.getvalue()


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    store = await Store.open(tmp_path / "disk.db")
    try:
        yield Console(store)
    finally:
        await disk_works(store)
        await store.close()


def answers(out: str, name: str) -> list[str]:
    """What the bot said to ``name``, in order."""
    return [line.split(": ", 1)[1] for line in out.splitlines() if re.match(rf"^(\[dm {name}\] )?→ @{name}: ", line)]


async def test_a_failing_disk_is_told_to_each_voter_in_their_language_and_the_bot_recovers(
        console: Console, caplog: pytest.LogCaptureFixture) -> None:
    async def script(_: Console) -> AsyncIterator[str | Action]:
        for line in ("/start jubileum", "@anne 1", "@eve dm /lang en", "@eve dm /selftest jubileum"):
            yield line
        yield disk_fails
        for line in ("@bert 2", "@eve dm 1", "@anne 2", "/close"):
            yield line
        yield disk_works
        for line in ("@bert 2", "@eve dm 1", "/close"):
            yield line

    out = await console.play(script)
    assert answers(out, "bert") == ["Stemmen din ble ikke lagret: boten fikk ikke skrevet den. Prøv igjen om litt.",
                                    "Stemme registrert: 🟢 Grønt lys"]
    assert answers(out, "eve")[-2:] == [
        "Your vote was not saved: the bot could not write it. Please try again in a moment.",
        "Vote recorded: 🔴 Red light"]
    assert answers(out, "anne")[-1].startswith("Stemmen din ble ikke lagret")  # her change to green was lost ...
    assert answers(out, "you")[-1] == "Det ble ikke lagret: boten fikk ikke skrevet det. Prøv igjen om litt."
    assert out.count("Til diskusjon") == 1  # ... the first /close was not saved, the second was
    assert "🔴 Rødt lys   █████░░░░░  1 (50 %)" in out and "Totalt 2 stemmer" in out  # ... so anne is still red
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "readonly database" in errors[0]  # four failures, one report
    assert "the database can be written again" in caplog.text


async def test_a_disk_filling_up_mid_round_loses_nothing_acknowledged(console: Console) -> None:
    async def script(played: Console) -> AsyncIterator[str | Action]:
        yield "/start jubileum"
        yield disk_full
        for voter in range(3000):  # until the database needs a page more than it may have
            yield f"@v{voter} {1 + voter % 2}"
            if "ikke lagret" in played.out.getvalue():
                break
        yield disk_works
        yield f"@v{voter} {1 + voter % 2}"  # the one who was not saved tries again
        yield "/close"

    out = await console.play(script)
    voters = sorted({int(name) for name in re.findall(r"→ @v(\d+): ", out)})
    acked = [v for v in voters if answers(out, f"v{v}")[-1].startswith("Stemme registrert")]
    assert acked == voters  # the last one too, after trying again
    assert [v for v in voters if len(answers(out, f"v{v}")) == 2] == [voters[-1]]
    stored = (await console.store.load()).rounds[0].parts[0].votes
    assert len(stored) == len(acked) and f"Totalt {len(acked)} stemmer" in out
    assert stored == {PSEUDONYMS.user("console", f"v{v}"): "red" if v % 2 == 0 else "green" for v in acked}


FILE_SIZE_LIMIT = 128 * 1024  # the write-ahead log reaches it after a few self-tests


def with_file_size_limit() -> None:
    """For ``preexec_fn``: no file of the bot's may grow past the limit, as on a full disk (the hard limit
    stays, so the test can lift it)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, resource.RLIM_INFINITY))


def test_the_bot_keeps_running_when_the_os_refuses_to_let_the_database_grow(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    assert dilemmabot("console", "--db", str(db), stdin="/help\n").returncode == 0  # made and migrated
    bot = RunningBot("--db", str(db), preexec_fn=with_file_size_limit)
    acked: list[int] = []
    try:
        for voter in range(1000):  # self-tests, each in its own chat: no rate limit stops them
            bot.say(f"@v{voter} dm /selftest jubileum", f"@v{voter} dm 1")
            answer = bot.wait_for(lambda line: line.startswith(f"[dm v{voter}] → @v{voter}: "))
            if "ikke lagret" in answer:
                break
            acked.append(voter)
        assert acked and "ikke lagret" in answer, "the disk never filled up, or filled up at once"
        lost = voter
        resource.prlimit(bot.process.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        bot.say(f"@v{lost} dm /selftest jubileum", f"@v{lost} dm 1")  # trying again works
        bot.wait_for(lambda line: line == f"[dm v{lost}] → @v{lost}: Stemme registrert: 🔴 Rødt lys")
        assert bot.close() == 0
    finally:
        if bot.process.poll() is None:
            bot.kill()
    with sqlite3.connect(db) as connection:
        stored = {user for (user,) in connection.execute("SELECT user FROM votes")}
    pseudonyms = Pseudonymizer.from_file(db.with_name("bot.db.secret"))
    assert stored == {pseudonyms.user("console", f"v{v}") for v in [*acked, lost]}
    assert sum("could not save to the database" in line for line in bot.stderr) == 1
