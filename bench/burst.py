"""Bench 2: a burst of 1,000 distinct voters within one second into one round.

Each voter is a task that wakes at its slot of a paced schedule (voter ``i`` at ``i`` ms), builds
its ``VoteCast`` and awaits ``Runner.handle``, which returns after the vote's commit.  Latency is
measured from the *scheduled* moment (so a late wake-up of a busy event loop counts against us)
to the acknowledgement.  The same burst runs against the naive per-vote-commit store for the
baseline ratio.

Tally edits go through the real :class:`bot.outbox.Outbox` with the Telegram interval (4 s); the
count includes the coalesced edit still pending at the end of the burst (flushed by
``Runner.stop``).  The per-minute figure comes from a separate run on a simulated clock: one
minute of steady voting (a vote every 20 ms, the runner's clock ticking every 100 ms).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bench.common import (
    NaiveStore, NullTransport, Store, SYNCHRONOUS, library, new_runner, percentile, start_rounds, utc_now,
)
from bot.events import Sender, VoteCast

VOTERS = 1_000
SPREAD = 1.0  # seconds
CHAT = "telegram:-100200300"
MINUTE_VOTE_EVERY = timedelta(milliseconds=20)
MINUTE_TICK_EVERY = timedelta(milliseconds=100)


@dataclass
class BurstResult:
    p50_ms: float
    p99_ms: float
    max_ms: float
    edits: int  # tally edits the adapter sends for the burst
    coalesced: int  # tally edits the outbox dropped for a newer one


async def burst(tmp: Path, naive: bool, spread: float = SPREAD, voters: int = VOTERS, tag: str = "") -> BurstResult:
    path = tmp / f"burst-{'naive' if naive else 'ours'}{tag}.db"
    store = await (NaiveStore.open(path, SYNCHRONOUS) if naive else Store.open(path, SYNCHRONOUS))
    transport = NullTransport()
    try:
        runner = new_runner(library(), store, transport)
        rid = (await start_rounds(runner, [CHAT]))[CHAT]
        edits_before = transport.edits
        loop = asyncio.get_running_loop()
        t0 = loop.time() + 0.05
        latencies: list[float] = []

        async def voter(i: int) -> None:
            due = t0 + spread * i / voters
            await asyncio.sleep(max(0.0, due - loop.time()))
            await runner.handle(VoteCast(CHAT, Sender(f"voter{i}"), rid, 1, "red" if i % 3 else "green", utc_now()))
            latencies.append(loop.time() - due)

        await asyncio.gather(*(voter(i) for i in range(voters)))
        await runner.stop()  # sends the tally edit the outbox still holds (the clock would, 4 s later)
        stored = await store.vote_count()
    finally:
        await store.close()
    if stored != voters:
        raise AssertionError(f"burst: {stored} votes stored, {voters} acknowledged")
    ms = [x * 1000 for x in latencies]
    return BurstResult(percentile(ms, 50), percentile(ms, 99), max(ms), transport.edits - edits_before,
                       runner.outbox.coalesced)


async def edits_per_minute(tmp: Path) -> int:
    """Tally edits in one chat during a simulated minute of steady voting (fake clock, real store)."""
    store = await Store.open(tmp / "minute.db", SYNCHRONOUS)
    transport = NullTransport()
    clock = [utc_now()]
    try:
        runner = new_runner(library(), store, transport, clock=lambda: clock[0])
        rid = (await start_rounds(runner, [CHAT]))[CHAT]
        edits_before = transport.edits
        end = clock[0] + timedelta(minutes=1)
        next_tick = clock[0] + MINUTE_TICK_EVERY
        i = 0
        while clock[0] < end:
            clock[0] += MINUTE_VOTE_EVERY
            await runner.handle(VoteCast(CHAT, Sender(f"m{i}"), rid, 1, "red" if i % 2 else "green", clock[0]))
            i += 1
            if clock[0] >= next_tick:
                await runner.tick()
                next_tick += MINUTE_TICK_EVERY
        return transport.edits - edits_before
    finally:
        await store.close()


@dataclass
class BurstResults:
    ours: BurstResult
    naive: BurstResult
    ours_at_once: BurstResult
    naive_at_once: BurstResult
    per_minute: int

    @property
    def p99_ratio(self) -> float:
        """naive p99 / our p99: above 1 means we acknowledge faster."""
        return self.naive.p99_ms / self.ours.p99_ms

    @property
    def at_once_ratio(self) -> float:
        return self.naive_at_once.p99_ms / self.ours_at_once.p99_ms


async def run(tmp: Path) -> BurstResults:
    await burst(tmp, naive=False, spread=0.2, voters=200, tag="-warmup")
    ours = await burst(tmp, naive=False)
    naive = await burst(tmp, naive=True)
    ours_at_once = await burst(tmp, naive=False, spread=0.0, tag="-at-once")
    naive_at_once = await burst(tmp, naive=True, spread=0.0, tag="-at-once")
    return BurstResults(ours, naive, ours_at_once, naive_at_once, await edits_per_minute(tmp))
