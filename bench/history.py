"""Bench 5: the bot's cost must follow what is happening now, not how much history the database holds.

Two databases are built in the same run (straight into SQLite with ``executemany``, not through the bot):
one empty, one with ``ROUNDS`` finished rounds of ``VOTES_PER_ROUND`` votes each (2.5 million votes), with
each person's answers and the overall totals as the bot would have left them.  On each, in a fresh
process (``python -m bench.history DB``), the bot starts as ``dilemmabot run`` does (lock, checks, key,
runner restored from the store), and then:

- **start-up**: seconds from opening the database to a started runner;
- **RSS** after start (after a GC);
- **self-test answer**: one person's answer in a private self-test (``Runner.handle`` of the vote, which
  closes the part, commits the answer and the running totals, and reads the new snapshot), median ms;
- **round end**: ``/stop`` of a group round with 25 votes on its open part (close, summary with the overall
  split, commit), median ms.

The empty database is the baseline; the ratios say how much history costs.  Prints one JSON line per DB.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.common import SYNCHRONOUS, in_subprocess, library, rss_mb, settle

ROUNDS = 100_000
VOTES_PER_ROUND = 25
PEOPLE = 60_000
CHATS = 5_000
CASE = "jubileum"
SAMPLES = 25
T0 = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)


def _ts(moment: datetime) -> str:
    return moment.isoformat()


async def _new_database(db: Path) -> None:
    """An empty database as the bot makes it: schema, key file, key fingerprint."""
    from bot.config import Config
    from bot.preflight import open_for_bot

    async with open_for_bot(Config(db_path=db, synchronous=SYNCHRONOUS)):
        pass


def build(db: Path, rounds: int) -> None:
    """``rounds`` finished group rounds of the 3-part case, 25 votes each, answers and totals included."""
    asyncio.run(_new_database(db))
    if rounds == 0:
        return
    rng = random.Random(1)
    options = ("red", "green")
    round_rows, part_rows, vote_rows = [], [], []
    latest: dict[tuple[int, str], str] = {}
    for rid in range(1, rounds + 1):
        chat = f"telegram:-{1_000_000 + rid % CHATS}"
        start = T0 + timedelta(minutes=rid)
        round_rows.append((rid, chat, CASE, "nb", _ts(start), _ts(start + timedelta(minutes=30))))
        voters = rng.sample(range(PEOPLE), VOTES_PER_ROUND)
        for part in (1, 2, 3):
            mine = voters[part - 1::3]
            counts = {o: 0 for o in options}
            for person in mine:
                option = options[rng.random() < 0.4]
                counts[option] += 1
                vote_rows.append((rid, part, f"u{person:024d}", option, _ts(start)))
                latest[(part, f"u{person:024d}")] = option
            part_rows.append((rid, part, _ts(start), _ts(start + timedelta(minutes=10 * part)),
                              json.dumps(counts, sort_keys=True)))
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-400000")  # 400 MB: the indexes are built in memory, not page by page
        conn.executemany("INSERT INTO rounds (id, chat, case_id, lang, started_at, finished_at) "
                         "VALUES (?, ?, ?, ?, ?, ?)", round_rows)
        conn.executemany("INSERT INTO parts (round_id, part, opened_at, closed_at, counts) VALUES (?, ?, ?, ?, ?)",
                         part_rows)
        conn.executemany("INSERT INTO votes (round_id, part, user, option, at) VALUES (?, ?, ?, ?, ?)", vote_rows)
        conn.executemany("INSERT INTO answers (case_id, part, user, option) VALUES (?, ?, ?, ?)",
                         [(CASE, part, user, option) for (part, user), option in latest.items()])
        conn.execute("UPDATE overall SET shown = live")
        conn.execute("UPDATE overall_parts SET shown = live")


async def measure(db: Path) -> dict[str, float]:
    """Start the bot on ``db`` as ``dilemmabot run`` does, then time what the issue names."""
    from bot.config import Config
    from bot.engine.rounds import StartRound, StopRound
    from bot.engine.selftest import SelfTest
    from bot.events import CommandIssued, Sender, VoteCast
    from bot.platforms import Capabilities
    from bot.preflight import open_for_bot
    from bot.runner import Runner

    from bench.common import NullTransport

    lib = library()
    started = time.perf_counter()
    async with open_for_bot(Config(db_path=db, synchronous=SYNCHRONOUS)) as (store, _pseudonyms):
        runner = await Runner.create(lib, store)
        runner.attach("telegram", NullTransport(), Capabilities())
        await runner.start()
        startup = time.perf_counter() - started
        settle()
        rss = rss_mb()
        answers, ends = [], []
        for i in range(SAMPLES):
            dm, person = f"telegram:p:bench{i}", Sender(f"bench-person-{i}")
            await runner.handle(CommandIssued(dm, person, SelfTest(CASE), runner.clock(), private=True))
            rid = runner.engine.running(dm).id
            t = time.perf_counter()
            await runner.handle(VoteCast(dm, person, rid, 1, "red", runner.clock()))
            answers.append(time.perf_counter() - t)
        for i in range(SAMPLES):
            chat, trainer = f"telegram:-{9_000_000 + i}", Sender(f"bench-trainer-{i}", True)
            await runner.handle(CommandIssued(chat, trainer, StartRound(CASE), runner.clock()))
            rid = runner.engine.running(chat).id
            for v in range(VOTES_PER_ROUND):
                await runner.handle(VoteCast(chat, Sender(f"bench-{i}-{v}"), rid, 1, "green", runner.clock()))
            t = time.perf_counter()
            await runner.handle(CommandIssued(chat, trainer, StopRound(), runner.clock()))
            ends.append(time.perf_counter() - t)
        await runner.stop()
    return {"startup_s": startup, "rss_mb": rss, "answer_ms": 1000 * statistics.median(answers),
            "end_ms": 1000 * statistics.median(ends)}


def run(tmp: Path) -> dict[str, dict[str, float] | float]:
    tmp.mkdir(parents=True, exist_ok=True)
    empty, full = tmp / "empty.db", tmp / "history.db"
    build(empty, 0)
    t = time.perf_counter()
    build(full, ROUNDS)
    built = time.perf_counter() - t
    with sqlite3.connect(full) as conn:
        votes = conn.execute("SELECT COUNT(*) FROM votes").fetchone()[0]
    return {"empty": in_subprocess("bench.history", empty), "history": in_subprocess("bench.history", full), "build_s": built,
            "rounds": ROUNDS, "votes": votes}


def main() -> None:
    print(json.dumps(asyncio.run(measure(Path(sys.argv[1])))))


if __name__ == "__main__":
    main()
