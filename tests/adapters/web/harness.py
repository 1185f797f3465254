"""The console group and the web pages in this process: lines in, links out, pages and streams over real HTTP.

The web server is the real :class:`adapters.web.WebService` on 127.0.0.1 (a port it picks); the chat is the console
adapter's group, fed line by line as a person types; the clock is the test's.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import AsyncIterator

import aiohttp

from adapters.console import Console
from adapters.web import WebService
from bot.cases import Library, load_library
from bot.config import DEFAULT_CASES
from bot.pseudonym import Pseudonymizer
from bot.runner import Runner
from bot.store import Store

from ..console.session import SECRET, Clock

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/(present|report)/([A-Za-z0-9_-]+))")
WAIT = 30.0  # seconds before a wait for an event counts as failed: a guard against hangs, never a timing claim


async def no_lines() -> AsyncIterator[str]:
    return
    yield


class Room:
    """``async with Room(tmp_path) as room``: ``await room.say("/start jubileum")``, ``await room.link()``."""

    def __init__(self, tmp_path: Path, library: Library | None = None, db: str = "room.db"):
        self.path = tmp_path / db
        self.library = library or load_library(DEFAULT_CASES)
        self.clock = Clock()
        self.out = io.StringIO()
        self.pseudonyms = Pseudonymizer(SECRET)

    async def __aenter__(self) -> Room:
        self.store = await Store.open(self.path)
        self.runner = await Runner.create(self.library, self.store, clock=self.clock)
        self.console = await Console(self.runner, self.out, self.pseudonyms, frozenset({"you"}), no_lines()).__aenter__()
        self.web = await WebService(self.runner, self.pseudonyms, ("127.0.0.1", 0)).__aenter__()
        self.http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.close()
        await self.web.__aexit__(None, None, None)
        await self.store.close()

    async def say(self, *lines: str) -> None:
        for line in lines:
            await self.console.feed(line)

    async def link(self, page: str = "present", renew: bool = False, user: str = "you") -> str:
        """The link the bot answers ``/present`` (or ``/report``) with in the group."""
        before = len(self.out.getvalue())
        await self.say(f"@{user} /{page}{' new' if renew else ''}")
        found = LINK.findall(self.out.getvalue()[before:])
        assert found, self.out.getvalue()[before:]
        return found[-1][0]

    def said(self) -> str:
        return self.out.getvalue()

    async def later(self, **delta: float) -> None:
        """Move the clock and let the runner act on what fell due."""
        self.clock.now += timedelta(**delta)
        await self.runner.tick()

    async def get(self, url: str, **options: object) -> aiohttp.ClientResponse:
        response = await self.http.get(url, allow_redirects=False, **options)  # type: ignore[arg-type]
        await response.read()
        return response


class Stream:
    """A presenter page's event stream, read event by event."""

    def __init__(self, response: aiohttp.ClientResponse):
        self.response = response

    @classmethod
    async def open(cls, room: Room, url: str) -> Stream:
        response = await room.http.get(f"{url}/events")
        assert response.status == 200, response.status
        return cls(response)

    async def next(self) -> tuple[str, object]:
        """The next event (``stage`` with its HTML, or ``votes`` with the number); comment lines are skipped."""
        async with asyncio.timeout(WAIT):
            return await self._next()

    async def _next(self) -> tuple[str, object]:
        name, data = "message", ""
        while True:
            raw = await self.response.content.readline()
            if not raw:
                raise EOFError("the stream ended")
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                data = line[len("data: "):]
            elif not line and data:
                return name, json.loads(data)

    async def until(self, name: str) -> object:
        async with asyncio.timeout(WAIT):
            while True:
                event, data = await self._next()
                if event == name:
                    return data

    def close(self) -> None:
        self.response.close()
