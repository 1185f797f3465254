"""Helpers for the Matrix adapter's end-to-end tests: the bot under test, and what a user sees.

No pytest fixtures here (see test_matrix_bot.py); everything talks to a real Synapse.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from nio import AsyncClient, Event, MatrixRoom, RoomCreateResponse, RoomSendResponse

from adapters.matrix import MatrixBot
from bot.cases import Library, load_library
from bot.config import DEFAULT_CASES, Config
from bot.pseudonym import Pseudonymizer
from bot.runner import Runner
from bot.store import Store

from .synapse import Synapse

T = TypeVar("T")
_serial = itertools.count(1)


async def wait_until(predicate: Callable[[], T], timeout: float = 15.0, what: str = "condition") -> T:
    """Poll ``predicate`` until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


class BotUnderTest:
    """The dilemmabot on one account, one database and one pseudonym secret, startable again and again."""

    library: Library = load_library(DEFAULT_CASES)

    def __init__(self, hs: Synapse, tmp_path: Path, **config: Any):
        localpart = f"dilemmabot-{next(_serial)}"
        password = f"{localpart}-{secrets.token_hex(4)}"
        self.user_id = hs.register(localpart, password)
        config.setdefault("matrix_invite_allow", frozenset({f":{hs.server_name}"}))
        self.config = Config(db_path=tmp_path / "bot.db", matrix_homeserver=hs.url, matrix_user_id=self.user_id,
                             matrix_password=password, lang="nb", **config)
        self.pseudonyms = Pseudonymizer(secrets.token_bytes(32))
        self.bot: MatrixBot | None = None
        self.store: Store | None = None

    async def start(self, **options: Any) -> MatrixBot:
        self.store = await Store.open(self.config.db_path)
        self.runner = await Runner.create(self.library, self.store, default_lang=self.config.lang)
        self.bot = await MatrixBot.create(self.config, self.runner, self.store, self.pseudonyms, **options)
        await self.bot.start()
        await self.runner.start()
        return self.bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.stop_syncing()
            await self.runner.stop()
            await self.bot.stop()
            self.bot = None
        if self.store is not None:
            await self.store.close()
            self.store = None

    def user(self, client: AsyncClient) -> str:
        return self.pseudonyms.user("matrix", client.user_id)

    def votes(self, round_id: int, part: int) -> dict[str, str]:
        assert self.bot is not None
        rnd = self.bot.runner.engine.round(round_id)
        return dict(rnd.parts[part - 1].votes) if rnd and len(rnd.parts) >= part else {}


class RoomView:
    """Everything one user's client receives in one room, as raw events, in order."""

    def __init__(self, client: AsyncClient, room_id: str):
        self.client = client
        self.room_id = room_id
        self.events: list[dict[str, Any]] = []
        client.add_event_callback(self._on_event, Event)

    async def _on_event(self, room: MatrixRoom, event: Event) -> None:
        if room.room_id == self.room_id:
            self.events.append(event.source)

    # ---- queries ------------------------------------------------------------

    def messages(self, sender: str, msgtype: str | None = None) -> list[dict[str, Any]]:
        """``m.room.message`` events from ``sender`` that are not edits."""
        return [e for e in self.events if e["type"] == "m.room.message" and e["sender"] == sender
                and e["content"].get("m.relates_to", {}).get("rel_type") != "m.replace"
                and (msgtype is None or e["content"].get("msgtype") == msgtype)]

    def message(self, sender: str, contains: str, msgtype: str = "m.text") -> dict[str, Any] | None:
        """The newest message from ``sender`` whose body contains ``contains``."""
        found = [e for e in self.messages(sender, msgtype) if contains in e["content"]["body"]]
        return found[-1] if found else None

    def edits(self, event_id: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == "m.room.message"
                and e["content"].get("m.relates_to", {}) == {"rel_type": "m.replace", "event_id": event_id}]

    def current_body(self, event_id: str) -> str:
        """The text of a message as a client shows it: the newest edit's ``m.new_content``."""
        edits = self.edits(event_id)
        if edits:
            return edits[-1]["content"]["m.new_content"]["body"]
        return next(e["content"]["body"] for e in self.events if e["event_id"] == event_id)

    def reactions(self, event_id: str, sender: str) -> list[str]:
        return [e["content"]["m.relates_to"]["key"] for e in self.events if e["type"] == "m.reaction"
                and e["sender"] == sender and e["content"]["m.relates_to"]["event_id"] == event_id]

    def membership(self, user_id: str) -> str | None:
        """The newest membership of ``user_id`` seen in the room: ``join``, ``leave`` ..."""
        changes = [e["content"]["membership"] for e in self.events
                   if e["type"] == "m.room.member" and e["state_key"] == user_id]
        return changes[-1] if changes else None

    def after(self, event_id: str) -> list[dict[str, Any]]:
        ids = [e["event_id"] for e in self.events]
        return self.events[ids.index(event_id) + 1:]


async def send_text(client: AsyncClient, room_id: str, body: str) -> str:
    resp = await client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body},
                                  ignore_unverified_devices=True)
    assert isinstance(resp, RoomSendResponse), resp
    return resp.event_id


async def react(client: AsyncClient, room_id: str, event_id: str, key: str) -> str:
    resp = await client.room_send(room_id, "m.reaction",
                                  {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}},
                                  ignore_unverified_devices=True)
    assert isinstance(resp, RoomSendResponse), resp
    return resp.event_id


async def create_room(owner: AsyncClient, invite: list[str], **kwargs: Any) -> str:
    resp = await owner.room_create(name="etikk", invite=invite, **kwargs)
    assert isinstance(resp, RoomCreateResponse), resp
    return resp.room_id
