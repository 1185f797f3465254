"""Bench 1: durable votes per second through engine + store, against two baselines.

- **ours**: ``Runner.handle(VoteCast)`` (engine -> ``Store.commit`` -> outbox -> null transport) from
  ``WORKERS`` concurrent tasks; a vote counts as acknowledged when ``handle`` returns, which is after
  the commit that holds its record (group commit: every vote waiting at that moment shares one
  transaction).
- **naive**: a store that does one ``INSERT`` + ``COMMIT`` per vote (``bench.common.NaiveStore``), fed
  ``VoteRecorded`` records from the same number of concurrent tasks, no engine: the headline
  baseline (about 6,000/s on 2 cores).  Shown too, for information: the same naive store behind
  our runner and engine (only the store differs from **ours**).
- **raw**: no engine, no runner: ``executemany`` of prepared vote rows, ``BATCH`` rows per
  transaction, into the same schema (the limit of the disk path).

All three use the same WAL / ``synchronous`` settings and a fresh database file in a temp dir.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path

import aiosqlite

from bench.common import (
    CASE, NaiveStore, NullTransport, Store, SYNCHRONOUS, library, median, new_runner, pragmas, start_rounds, utc_now,
)
from bot.effects import PartOpened, RoundStarted, VoteRecorded
from bot.events import Sender, VoteCast

CHATS = 40
VOTERS_PER_CHAT = 1_000  # 40,000 votes per run
WORKERS = 1_000  # votes in flight at once (one task per pending update, as in a busy bot)
RUNS = 5
NAIVE_VOTES = 15_000  # the naive store is noisy (WAL checkpoints): median of RUNS
RAW_ROWS = 400_000
RAW_BATCH = 10_000


@dataclass
class VotesResult:
    ours: float  # votes/s, median of RUNS
    ours_runs: list[float]
    cpu_us: float  # process CPU time per acknowledged vote (all threads: engine, runner, SQLite), median of RUNS
    cpu_runs: list[float]
    naive_cpu_us: float
    naive: float  # votes/s, median of RUNS
    naive_runner: float
    raw: float
    raw_runs: list[float]
    batches: int  # transactions in the last run of ours
    votes: int  # votes per run of ours

    @property
    def vs_naive(self) -> float:
        return self.ours / self.naive

    @property
    def vs_raw(self) -> float:
        return self.ours / self.raw


def _events(rounds: dict[str, int], voters: int) -> list[tuple[str, str, int, str]]:
    """(chat, user, round, option), chats interleaved as in a burst across many groups."""
    out = []
    for i in range(voters):
        for chat, rid in rounds.items():
            out.append((chat, f"{chat}/u{i}", rid, "red" if i % 3 else "green"))
    return out


async def _drive(runner, events: list[tuple[str, str, int, str]], workers: int) -> tuple[float, float]:
    """Feed every vote through ``runner.handle`` from ``workers`` tasks; seconds until the last ack, and the
    process CPU seconds spent meanwhile."""
    it = iter(events)

    async def worker() -> None:
        for chat, user, rid, option in it:
            await runner.handle(VoteCast(chat, Sender(user), rid, 1, option, runner.clock()))

    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return time.perf_counter() - start, time.process_time() - cpu


@dataclass
class Run:
    rate: float  # votes/s
    cpu_us: float  # CPU µs per vote
    batches: int
    votes: int


async def run_ours(tmp: Path, tag: str, chats: int = CHATS, voters: int = VOTERS_PER_CHAT) -> Run:
    store = await Store.open(tmp / f"ours-{tag}.db", SYNCHRONOUS)
    try:
        runner = new_runner(library(), store, NullTransport())
        rounds = await start_rounds(runner, [f"telegram:-{1000 + i}" for i in range(chats)])
        events = _events(rounds, voters)
        batches_before = store.batches
        seconds, cpu = await _drive(runner, events, WORKERS)
        batches = store.batches - batches_before
        stored = await store.vote_count()
    finally:
        await store.close()
    if stored != len(events):
        raise AssertionError(f"ours: {stored} votes stored, {len(events)} acknowledged")
    return Run(len(events) / seconds, 1e6 * cpu / len(events), batches, len(events))


async def run_naive(tmp: Path, votes: int = NAIVE_VOTES) -> tuple[float, float]:
    """The naive store alone: one INSERT + COMMIT per vote, WORKERS callers at once."""
    store = await NaiveStore.open(tmp / "naive-store.db", SYNCHRONOUS)
    try:
        at = utc_now()
        await store.commit([RoundStarted(1, "telegram:-1", CASE, "nb", None, at), PartOpened(1, 1, at)])
        users = iter(range(votes))

        async def worker() -> None:
            for i in users:
                await store.commit([VoteRecorded(1, 1, f"u{i}", "red" if i % 3 else "green", utc_now())])

        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(WORKERS)))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        stored = await store.vote_count()
    finally:
        await store.close()
    if stored != votes:
        raise AssertionError(f"naive: {stored} votes stored, {votes} acknowledged")
    return votes / seconds, 1e6 * cpu / votes


async def run_naive_runner(tmp: Path, votes: int = NAIVE_VOTES) -> float:
    """Our runner and engine in front of the naive store."""
    store = await NaiveStore.open(tmp / "naive-runner.db", SYNCHRONOUS)
    try:
        runner = new_runner(library(), store, NullTransport())
        chats = max(1, votes // VOTERS_PER_CHAT)
        rounds = await start_rounds(runner, [f"telegram:-{1000 + i}" for i in range(chats)])
        events = _events(rounds, votes // chats)
        seconds, _cpu = await _drive(runner, events, WORKERS)
        stored = await store.vote_count()
    finally:
        await store.close()
    if stored != len(events):
        raise AssertionError(f"naive: {stored} votes stored, {len(events)} acknowledged")
    return len(events) / seconds


async def run_raw(tmp: Path, tag: str, rows: int = RAW_ROWS, batch: int = RAW_BATCH) -> float:
    path = tmp / f"raw-{tag}.db"
    await (await Store.open(path, SYNCHRONOUS)).close()  # same schema
    db = await aiosqlite.connect(str(path), isolation_level=None)
    await pragmas(db, SYNCHRONOUS)
    now = utc_now().astimezone(timezone.utc).isoformat()
    await db.execute("INSERT INTO rounds (id, chat, case_id, lang, started_at) VALUES (1, 'c', 'x', 'nb', ?)", (now,))
    await db.execute("INSERT INTO parts (round_id, part, opened_at) VALUES (1, 1, ?)", (now,))
    data = [(1, 1, f"u{i}", "red" if i % 3 else "green", now) for i in range(rows)]
    sql = ("INSERT INTO votes (round_id, part, user, option, at) VALUES (?, ?, ?, ?, ?) "
           "ON CONFLICT (round_id, part, user) DO UPDATE SET option = excluded.option, at = excluded.at")
    try:
        start = time.perf_counter()
        for i in range(0, rows, batch):
            await db.execute("BEGIN IMMEDIATE")
            await db.executemany(sql, data[i:i + batch])
            await db.execute("COMMIT")
        seconds = time.perf_counter() - start
    finally:
        await db.close()
    return rows / seconds


async def run(tmp: Path) -> VotesResult:
    await run_ours(tmp, "warmup", chats=4, voters=500)
    ours = [await run_ours(tmp, str(i)) for i in range(RUNS)]
    naive = [await run_naive(tmp / f"naive-{i}") for i in range(RUNS)]
    naive_runner = await run_naive_runner(tmp)
    raw = [await run_raw(tmp, str(i)) for i in range(RUNS)]
    rates, cpus = [r.rate for r in ours], [r.cpu_us for r in ours]
    return VotesResult(median(rates), rates, median(cpus), cpus, median(n[1] for n in naive),
                       median(n[0] for n in naive), naive_runner, median(raw), raw, ours[-1].batches, ours[-1].votes)
