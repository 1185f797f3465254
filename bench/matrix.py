"""Bench 6: what end-to-end encryption costs on Matrix, against a real Synapse on 127.0.0.1.

The bot (``MatrixBot`` as ``dilemmabot run`` builds it, SQLite in a temp dir, crypto store) and its
users (matrix-nio clients with encryption, long-polling sync) run on this machine with Synapse from
``.venv-synapse``.  Measured in an encrypted room and, as the baseline, in a clear room of the same
server and bot:

- **command round trip**: alice sends ``!help`` and waits until her client has the bot's answer
  (decrypted, in the encrypted room); ``PINGS`` times, paced so the bot's rate limit never refuses.
- **vote**: bob answers the part's poll (encrypted in the encrypted room) until the engine counts it;
  ``VOTES`` changes of his vote, paced the same way.

Medians; the ratio is encrypted / clear.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PINGS = 15
VOTES = 15
PACE = 0.4  # s between two commands of one user: below the engine's per-user rate limit
ENCRYPTION = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


class Unavailable(RuntimeError):
    """Synapse is not installed (``bash scripts/install-synapse.sh``)."""


@dataclass
class MatrixResult:
    ping_encrypted_ms: float
    ping_clear_ms: float
    vote_encrypted_ms: float
    vote_clear_ms: float

    @property
    def ping_ratio(self) -> float:
        return self.ping_encrypted_ms / self.ping_clear_ms

    @property
    def vote_ratio(self) -> float:
        return self.vote_encrypted_ms / self.vote_clear_ms


async def _until(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not answer in time")
        await asyncio.sleep(0.001)


async def _room(users: Any, harness: Any, encrypted: bool) -> tuple[str, Any]:
    from tests.adapters.matrix.harness import RoomView, create_room

    alice, bob = users
    room_id = await create_room(alice, [harness.user_id, bob.user_id], initial_state=[ENCRYPTION] if encrypted else [])
    await bob.join(room_id)
    view = RoomView(alice, room_id)
    rooms = harness.bot.client.rooms
    await _until(lambda: room_id in rooms and {alice.user_id, bob.user_id} <= set(rooms[room_id].users))
    return room_id, view


async def _measure(users: Any, harness: Any, encrypted: bool) -> tuple[float, float]:
    from tests.adapters.matrix.harness import send_text

    alice, bob = users
    room_id, view = await _room(users, harness, encrypted)
    pings = []
    for _ in range(PINGS):
        before = len(view.messages(harness.user_id, "m.notice"))
        started = time.perf_counter()
        await send_text(alice, room_id, "!help")
        await _until(lambda: len(view.messages(harness.user_id, "m.notice")) > before)
        pings.append(time.perf_counter() - started)
        await asyncio.sleep(PACE)
    await send_text(alice, room_id, "!start jubileum")
    await _until(lambda: any(e["type"] == "org.matrix.msc3381.poll.start" for e in view.events))
    poll_id = next(e["event_id"] for e in view.events if e["type"] == "org.matrix.msc3381.poll.start")
    running = harness.bot.runner.engine.running(harness.bot.updates.chat(room_id))
    assert running is not None
    round_id = running.id
    votes = []
    for n in range(VOTES):
        option = ("red", "green")[n % 2]
        started = time.perf_counter()
        await bob.room_send(room_id, "org.matrix.msc3381.poll.response",
                            {"m.relates_to": {"rel_type": "m.reference", "event_id": poll_id},
                             "org.matrix.msc3381.poll.response": {"answers": [option]}},
                            ignore_unverified_devices=True)
        await _until(lambda: harness.votes(round_id, 1).get(harness.user(bob)) == option)
        votes.append(time.perf_counter() - started)
        await asyncio.sleep(PACE)
    return statistics.median(pings) * 1000, statistics.median(votes) * 1000


async def run(tmp: Path) -> MatrixResult:
    from nio import AsyncClient, AsyncClientConfig

    from tests.adapters.matrix.harness import BotUnderTest
    from tests.adapters.matrix.synapse import Synapse, SynapseError

    try:
        hs = Synapse(data_dir=tmp / "synapse")
    except SynapseError as exc:
        raise Unavailable(str(exc)) from None
    await asyncio.to_thread(hs.start)
    harness = BotUnderTest(hs, tmp / "bot")
    users: list[AsyncClient] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        await harness.start()
        logging.getLogger("nio").setLevel(logging.ERROR)  # "Missing session for device": normal for new rooms
        for name in ("alice", "bob"):
            user_id = await asyncio.to_thread(hs.register, name, f"{name}-pass")
            client = AsyncClient(hs.url, user_id, store_path=tempfile.mkdtemp(dir=tmp),
                                 config=AsyncClientConfig(encryption_enabled=True))
            await client.login(f"{name}-pass")
            await client.sync(timeout=0, full_state=True)
            await client.keys_upload()
            users.append(client)
            tasks.append(asyncio.create_task(client.sync_forever(timeout=30_000)))
        ping_e, vote_e = await _measure(users, harness, encrypted=True)
        ping_c, vote_c = await _measure(users, harness, encrypted=False)
        return MatrixResult(ping_e, ping_c, vote_e, vote_c)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(u.close() for u in users), return_exceptions=True)
        await harness.stop()
        await asyncio.to_thread(hs.cleanup)
