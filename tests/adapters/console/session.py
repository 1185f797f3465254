"""Playing the console in-process, with a clock the test moves, and reading its output message by message."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from pathlib import Path
from typing import AsyncIterator

from adapters.console import Console
from bot.cases import load_library
from bot.config import DEFAULT_CASES
from bot.pseudonym import Pseudonymizer
from bot.runner import Runner
from bot.serve import serve
from bot.store import Store

from ...clock import Clock

RULE = "─" * 60
SECRET = b"0" * 32


async def play(tmp_path: Path, script: list[str | timedelta], db: str = "flows.db") -> str:
    """Feed lines; a timedelta moves the clock and lets the runner act on what fell due."""
    clock, out = Clock(), io.StringIO()
    store = await Store.open(tmp_path / db)
    runner = await Runner.create(load_library(DEFAULT_CASES), store, clock=clock)

    async def lines() -> AsyncIterator[str]:
        for item in script:
            if isinstance(item, timedelta):
                clock.advance(item)
                await runner.tick()
            else:
                yield item

    try:
        console = Console(runner, out, Pseudonymizer(SECRET), frozenset({"you"}), lines())
        await serve(runner, [console], asyncio.Event())
    finally:
        await store.close()
    return out.getvalue()


def messages(out: str) -> list[str]:
    """Each message the bot posted or answered, in order (a post runs to the next rule or answer)."""
    found: list[str] = []
    for chunk in out.split(RULE):
        current: list[str] = []
        for line in chunk.strip().splitlines():
            if "→ @" in line:
                if current:
                    found.append("\n".join(current))
                current = [line]
            else:
                current.append(line)
        if current:
            found.append("\n".join(current))
    return found


def block(out: str, heading: str) -> str:
    """The one message in console output ``out`` that starts with ``heading``."""
    found = [m for m in messages(out) if m.startswith(heading)]
    assert len(found) == 1, (heading, found)
    return found[0]


def answers_to(out: str, name: str) -> list[str]:
    """What the bot answered ``@name`` (in the group or their private chat), in order."""
    return [m.split(f"→ @{name}: ", 1)[1] for m in messages(out) if f"→ @{name}: " in m.splitlines()[0]]
