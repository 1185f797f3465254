"""Bench 4: resident memory with 1,000 concurrent open rounds.

Runs in a fresh process (``python -m bench.memory TMPDIR``, started by ``python -m bench``) so the
other benches' allocations do not count.  The baseline is the RSS with everything imported, the
cases loaded, the store open and a runner with its engine built, but no rounds.  Then 1,000
chats each start a round (through the runner: engine state, records committed, part messages
bound, outbox state) and get ``VOTES_PER_ROUND`` votes each; RSS is read again after a GC.
Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from bench.common import NullTransport, Store, SYNCHRONOUS, library, new_runner, rss_mb, settle, start_rounds
from bot.events import Sender, VoteCast

ROUNDS = 1_000
VOTES_PER_ROUND = 25
WORKERS = 500


async def measure(tmp: Path) -> dict[str, float]:
    store = await Store.open(tmp / "memory.db", SYNCHRONOUS)
    try:
        runner = new_runner(library(), store, NullTransport())
        settle()
        before = rss_mb()
        rounds = await start_rounds(runner, [f"telegram:-{5_000_000 + i}" for i in range(ROUNDS)])
        votes = iter([(chat, rid, v) for v in range(VOTES_PER_ROUND) for chat, rid in rounds.items()])

        async def worker() -> None:
            for chat, rid, v in votes:
                await runner.handle(VoteCast(chat, Sender(f"{chat}/u{v}"), rid, 1, "red" if v % 3 else "green",
                                             runner.clock()))

        await asyncio.gather(*(worker() for _ in range(WORKERS)))
        open_rounds = sum(1 for r in runner.engine.live_rounds() if r.voting_open)
        counted = sum(len(r.parts[0].votes) for r in runner.engine.live_rounds())
        settle()
        after = rss_mb()
    finally:
        await store.close()
    if open_rounds != ROUNDS or counted != ROUNDS * VOTES_PER_ROUND:
        raise AssertionError(f"memory: {open_rounds} open rounds, {counted} votes")
    return {"before_mb": before, "after_mb": after, "rounds": ROUNDS, "votes": counted,
            "per_round_kb": (after - before) * 1024 / ROUNDS}


def main() -> None:
    print(json.dumps(asyncio.run(measure(Path(sys.argv[1])))))


if __name__ == "__main__":
    main()
