"""Shared pieces of the benchmarks: the library, a null transport, a naive store, timing helpers."""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import aiosqlite

from adapters.telegram.capabilities import CAPABILITIES as TELEGRAM
from bot.cases import Library, load_library
from bot.effects import Edit, Post, Reply
from bot.engine import Engine
from bot.engine.rounds import StartRound
from bot.events import CommandIssued, Sender
from bot.platforms import Platforms
from bot.runner import Runner
from bot.store import Store, StoreRecord, statements

ROOT = Path(__file__).resolve().parent.parent
DILEMMAS = ROOT / "dilemmas"
CASE = "jubileum"  # three red/green parts: the common shape
TELEGRAM_INTERVAL = TELEGRAM.edit_interval  # the Telegram adapter's minimum interval between tally edits
SYNCHRONOUS = os.environ.get("BENCH_SYNCHRONOUS", "NORMAL")  # the store's default; FULL to compare


@functools.lru_cache(maxsize=1)
def library() -> Library:
    lib = load_library(DILEMMAS)
    if CASE not in lib.cases:
        raise SystemExit(f"bench needs the case {CASE!r} in {DILEMMAS}")
    return lib


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def engine(lib: Library) -> Engine:
    """An engine with the production rate limits (every voter votes once, so they never bite), serving
    ``telegram:`` chats with the Telegram adapter's capabilities."""
    return Engine(lib, platforms=Platforms({"telegram": TELEGRAM}))


@dataclass
class NullTransport:
    """Accepts every message at once; counts what the adapter would have sent."""

    posts: int = 0
    edits: int = 0
    replies: int = 0
    edits_by_chat: dict[str, int] = field(default_factory=dict)

    async def post(self, message: Post) -> str:
        self.posts += 1
        return str(self.posts)

    async def edit(self, message: Edit, platform_id: str) -> None:
        self.edits += 1
        self.edits_by_chat[message.chat] = self.edits_by_chat.get(message.chat, 0) + 1

    async def reply(self, message: Reply) -> None:
        self.replies += 1

    async def leave(self, chat: str) -> None:
        pass


class NaiveStore:
    """What most bots do: one ``INSERT`` + ``COMMIT`` per vote, on one aiosqlite connection.

    Same schema, same SQL and the same WAL/synchronous settings as :class:`bot.store.Store`; the
    only difference is one transaction per caller instead of group commit.  The lock keeps the
    transactions apart (without it concurrent callers would share an open transaction by accident).
    """

    def __init__(self, db: aiosqlite.Connection):
        self._db = db
        self._lock = asyncio.Lock()
        self.batches = 0
        self.failures = 0  # what the runner reads of a store's health; the benches never fail a commit
        self.failing = False

    @classmethod
    async def open(cls, path: Path, synchronous: str = SYNCHRONOUS) -> NaiveStore:
        await (await Store.open(path, synchronous)).close()  # schema
        db = await aiosqlite.connect(str(path))  # default isolation: implicit BEGIN, explicit commit()
        await pragmas(db, synchronous)
        return cls(db)

    async def commit(self, records: Iterable[StoreRecord]) -> None:
        batch = list(records)
        if not batch:
            return
        async with self._lock:
            for record in batch:
                for sql, params in statements(record):
                    await self._db.execute(sql, params)
            await self._db.commit()
            self.batches += 1

    async def vote_count(self) -> int:
        async with self._db.execute("SELECT COUNT(*) FROM votes") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def close(self) -> None:
        await self._db.close()


async def pragmas(db: aiosqlite.Connection, synchronous: str) -> None:
    await db.execute("PRAGMA journal_mode=WAL")
    await db.execute(f"PRAGMA synchronous={synchronous}")
    await db.execute("PRAGMA foreign_keys=ON")
    await db.execute("PRAGMA busy_timeout=5000")


async def start_rounds(runner: Runner, chats: Iterable[str], case: str = CASE) -> dict[str, int]:
    """Start one round per chat; chat -> round id."""
    out: dict[str, int] = {}
    for chat in chats:
        trainer = Sender(f"trainer/{chat}", controller=True)  # one per chat: the rate limit is per user
        await runner.handle(CommandIssued(chat, trainer, StartRound(case), runner.clock()))
        rnd = runner.engine.running(chat)
        assert rnd is not None, f"no round started in {chat}"
        out[chat] = rnd.id
    return out


def new_runner(lib: Library, store: Any, transport: NullTransport, clock=utc_now) -> Runner:
    runner = Runner(engine(lib), store, clock)
    runner.attach("telegram", transport, TELEGRAM)
    return runner


def in_subprocess(module: str, tmp: Path) -> dict[str, Any]:
    """Run ``python -m module tmp`` in a fresh process (so its RSS is its own); its last line is JSON."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-m", module, str(tmp)], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def rss_mb() -> float:
    """Resident set size of this process (Linux /proc), in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def settle() -> None:
    gc.collect()


__all__ = [
    "CASE", "DILEMMAS", "NaiveStore", "NullTransport", "Store", "SYNCHRONOUS", "TELEGRAM_INTERVAL",
    "library", "median", "new_runner", "percentile", "pragmas", "rss_mb", "settle", "start_rounds",
    "utc_now",
]
