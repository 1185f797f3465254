"""What the bot knows about its rooms beyond matrix-nio: who controls them, which are direct chats.

Controllers of a room: users whose power level reaches the configured level
(default 50, a moderator), the room's creators in room versions that make
creators outrank every power level (v12: the sender of ``m.room.create`` and
its ``additional_creators``, who are not listed in ``m.room.power_levels``,
so nio alone says they have level 0), and the configured trainers
(``matrix:@anne:example.org``).

A room is a direct chat when the invite that brought the bot in said
``is_direct``.  That list is kept in the store so a restart still knows it.
"""

from __future__ import annotations

import json
from typing import Iterable

from nio import Event, MatrixRoom, RoomCreateEvent

from bot.store import Store

PLATFORM = "matrix"
#: Room versions before 12 whose creators are privileged without a power level.
CREATOR_ROOM_VERSIONS = frozenset({"org.matrix.hydra.11"})


def creators_privileged(room_version: str) -> bool:
    return room_version in CREATOR_ROOM_VERSIONS or (room_version.isdigit() and int(room_version) >= 12)


def invite_allowed(inviter: str, allow: frozenset[str]) -> bool:
    """Whether to accept an invite from ``inviter``: anyone if ``allow`` is empty, else listed users or ``:server``s."""
    if not allow:
        return True
    return any(inviter == entry or (entry.startswith(":") and inviter.endswith(entry)) for entry in allow)


class Rooms:
    def __init__(self, store: Store, user_id: str, trainers: frozenset[str], power_level: int):
        self.store = store
        self.user_id = user_id
        self.trainers = trainers
        self.power_level = power_level
        self.creators: dict[str, frozenset[str]] = {}
        self.direct: set[str] = set()

    @property
    def _direct_key(self) -> str:
        return f"matrix.direct_rooms:{self.user_id}"

    async def load(self) -> None:
        saved = await self.store.get_value(self._direct_key)
        self.direct = set(json.loads(saved)) if saved else set()

    async def set_direct(self, room_id: str, direct: bool) -> None:
        if (room_id in self.direct) == direct:
            return
        if direct:
            self.direct.add(room_id)
        else:
            self.direct.discard(room_id)
        await self.store.set_value(self._direct_key, json.dumps(sorted(self.direct)))

    def note_state(self, room_id: str, events: Iterable[Event]) -> None:
        """Remember who created the room, from its ``m.room.create`` event (in the state or the timeline)."""
        for event in events:
            if isinstance(event, RoomCreateEvent):
                extra = event.source.get("content", {}).get("additional_creators", [])
                self.creators[room_id] = frozenset({event.sender, *(u for u in extra if isinstance(u, str))})

    def controls(self, room: MatrixRoom | None, user_id: str) -> bool:
        """Whether ``user_id`` may start, close and steer rounds in ``room``."""
        if f"{PLATFORM}:{user_id}" in self.trainers:
            return True
        if room is None:
            return False
        if creators_privileged(room.room_version) and user_id in self.creators.get(room.room_id, frozenset()):
            return True
        return room.power_levels.get_user_level(user_id) >= self.power_level
