"""The clients of bench 5: ``python -m bench.pages URL N VOTES`` opens N presenter pages' event streams.

Each stream is read as a browser's EventSource reads it.  Prints ``ready`` once every page has its first stage,
then, when every page has seen VOTES votes (or after a minute), one JSON line: per page, the moments
(``time.monotonic()``, the machine's clock that the bot's process shares) at which each new number of votes
arrived.  Runs in its own process so the pages' work does not share the bot's event loop.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp

GIVE_UP = 60.0  # seconds: a page that never sees every vote is reported with what it saw


async def page(session: aiohttp.ClientSession, url: str, votes: int, ready: asyncio.Event,
               opened: list[int]) -> list[tuple[int, float]]:
    seen: list[tuple[int, float]] = []
    event, staged = "", False
    async with session.get(url) as response:
        async for raw in response.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[len("event: "):]
            elif line.startswith("data: ") and event == "stage" and not staged:
                staged = True
                opened[0] += 1
                if opened[0] == opened[1]:
                    ready.set()
            elif line.startswith("data: ") and event == "votes":
                count = int(line[len("data: "):])
                seen.append((count, time.monotonic()))
                if count >= votes:
                    return seen
    return seen


async def main(url: str, pages: int, votes: int) -> None:
    ready = asyncio.Event()
    opened = [0, pages]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=None, sock_read=None)) as session:
        tasks = [asyncio.create_task(page(session, url, votes, ready, opened)) for _ in range(pages)]
        await ready.wait()
        print("ready", flush=True)
        done, pending = await asyncio.wait(tasks, timeout=GIVE_UP)
        for task in pending:
            task.cancel()
        print(json.dumps([task.result() if task in done else [] for task in tasks]), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
