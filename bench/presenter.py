"""Bench 5: 200 presenter pages open on one round while 1,000 votes arrive.

Runs in a fresh process (``python -m bench.presenter TMPDIR``, started by ``python -m bench``) so the RSS it reads
is the bot's alone; the pages are another process (:mod:`bench.pages`) reading the event streams over HTTP on
127.0.0.1.  The bot is the real runner, engine, store and :class:`adapters.web.WebService`, serving one Telegram
group (a null transport stands in for Telegram).  Prints one JSON line:

- **commit → every page**: for each vote count 1..1,000, from the moment the commit holding that vote returned
  (a listener the runner calls before the web service's) to the moment the *last* of the 200 pages had a count at
  least that high; p50 / p99 / max over the 1,000 counts.  Target p99 < 1 s.
- **RSS per page**: the bot's RSS with the 200 streams open, minus the RSS before they connected, over 200 (after
  a GC both times).  Target < 50 KB.
- **the vote path**: vote → acknowledgement p50 / p99 for the same paced burst (1,000 voters over 1 s, as bench 2)
  with the pages open and, first, with none: the baseline of the same run.
- **first load**: the bytes a browser fetches to show a page (HTML, script, style sheet, icon, and the first
  event of its stream), for the voting scene and the (larger) results scene with its QR code.  Target < 100 KB.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from adapters.web import WebService, pages, stage
from adapters.web.live import RECONNECT, sse
from bench.common import (
    CASE, NullTransport, ROOT, SYNCHRONOUS, Store, library, new_runner, percentile, rss_mb, settle, start_rounds,
    utc_now,
)
from bot.effects import Effect, VoteRecorded
from bot.engine.rounds import CloseVoting
from bot.events import CommandIssued, Sender, VoteCast
from bot.pseudonym import Pseudonymizer
from bot.runner import Runner

PAGES = 200
VOTERS = 1_000
SPREAD = 1.0  # seconds, as bench 2
CHAT = "telegram:-100300400"
ASSETS = ("static/present.js", "static/pages.css", "static/favicon.svg")


async def first_load(http: aiohttp.ClientSession, base: str, url: str, runner: Runner) -> int:
    """The bytes a browser fetches to show the page: the HTML, its assets, and what its stream sends first."""
    size = len(await (await http.get(url)).read())
    for asset in ASSETS:
        size += len(await (await http.get(f"{base}/{asset}")).read())
    shown, votes = stage.build(runner.engine, CHAT)
    return size + len(RECONNECT + sse("stage", pages.stage(shown, votes)) + sse("votes", votes))


async def burst(tmp: Path, pages: int, name: str) -> dict[str, object]:
    store = await Store.open(tmp / f"presenter-{name}.db", SYNCHRONOUS)
    committed: dict[int, float] = {}
    try:
        runner = new_runner(library(), store, NullTransport())
        rid = (await start_rounds(runner, [CHAT], CASE))[CHAT]

        def on_commit(effects: list[Effect]) -> None:  # called before the web service's listener
            for effect in effects:
                if isinstance(effect, VoteRecorded):  # every voter votes once: the n-th vote committed makes n
                    committed[len(committed) + 1] = time.monotonic()

        runner.listeners.append(on_commit)
        async with WebService(runner, Pseudonymizer(b"b" * 32), ("127.0.0.1", 0)) as web:
            issued = await web.links.issue(CHAT, "present", False, utc_now())
            url = f"{web.url}/present/{issued.token}"
            settle()
            before = rss_mb()
            clients = None
            if pages:
                clients = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bench.pages", f"{url}/events", str(pages), str(VOTERS), cwd=ROOT,
                    stdout=subprocess.PIPE)
                assert clients.stdout is not None
                assert (await clients.stdout.readline()).strip() == b"ready"
            settle()
            with_pages = rss_mb()
            latencies = await votes(runner, rid)
            seen: list[list[tuple[int, float]]] = []
            if clients is not None:  # every page has seen the last vote (or gave up)
                assert clients.stdout is not None
                seen = json.loads(await clients.stdout.readline())
                await clients.wait()
            async with aiohttp.ClientSession() as http:
                voting_load = await first_load(http, web.url, url, runner)
                await runner.handle(CommandIssued(CHAT, Sender("trainer", True), CloseVoting(), utc_now()))
                results_load = await first_load(http, web.url, url, runner)
    finally:
        await store.close()
    return {"ack_p50_ms": percentile(latencies, 50), "ack_p99_ms": percentile(latencies, 99),
            "delays_ms": delays(committed, seen), "rss_before_mb": before, "rss_pages_mb": with_pages,
            "load_voting_kb": voting_load / 1024, "load_results_kb": results_load / 1024}


async def votes(runner: Runner, rid: int) -> list[float]:
    """1,000 distinct voters paced over a second; vote → acknowledgement (after commit) in ms, from each vote's
    scheduled moment, as bench 2 measures it."""
    loop = asyncio.get_running_loop()
    t0 = loop.time() + 0.05
    latencies: list[float] = []

    async def voter(i: int) -> None:
        due = t0 + SPREAD * i / VOTERS
        await asyncio.sleep(max(0.0, due - loop.time()))
        await runner.handle(VoteCast(CHAT, Sender(f"voter{i}"), rid, 1, "red" if i % 3 else "green", utc_now()))
        latencies.append((loop.time() - due) * 1000)

    await asyncio.gather(*(voter(i) for i in range(VOTERS)))
    return latencies


def delays(committed: dict[int, float], seen: list[list[tuple[int, float]]]) -> list[float]:
    """For each vote count: from its commit to the moment the last page had it (inf if a page never did)."""
    if not seen:
        return []
    out = []
    for count, at in sorted(committed.items()):
        reached = [next((t for n, t in page if n >= count), float("inf")) for page in seen]
        out.append((max(reached) - at) * 1000)
    return out


async def measure(tmp: Path) -> dict[str, object]:
    await burst(tmp, 0, "warm-up")  # imports, templates, the first connections
    alone = await burst(tmp, 0, "alone")
    crowded = await burst(tmp, PAGES, "crowded")
    delays_ms = crowded["delays_ms"]
    assert isinstance(delays_ms, list) and len(delays_ms) == VOTERS, "bench 5: a vote count was never committed"
    return {
        "pages": PAGES, "votes": VOTERS,
        "delay_p50_ms": percentile(delays_ms, 50), "delay_p99_ms": percentile(delays_ms, 99),
        "delay_max_ms": max(delays_ms),
        "rss_before_mb": crowded["rss_before_mb"],
        "per_page_kb": (crowded["rss_pages_mb"] - crowded["rss_before_mb"]) * 1024 / PAGES,  # type: ignore[operator]
        "ack_p50_ms": crowded["ack_p50_ms"], "ack_p99_ms": crowded["ack_p99_ms"],
        "alone_ack_p50_ms": alone["ack_p50_ms"], "alone_ack_p99_ms": alone["ack_p99_ms"],
        "load_voting_kb": crowded["load_voting_kb"], "load_results_kb": crowded["load_results_kb"],
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure(Path(sys.argv[1])))))
