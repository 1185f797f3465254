"""What the bot knows about its rooms beyond matrix-nio: who controls them, which are private, whom to join.

Controllers of a room: users whose power level reaches the configured level
(default 50, a moderator), the room's creators in room versions that make
creators outrank every power level (v12: the sender of ``m.room.create`` and
its ``additional_creators``, who are not listed in ``m.room.power_levels``,
so nio alone says they have level 0), and the configured trainers
(``matrix:@anne:example.org``).

A room is a private chat while it is a direct chat holding exactly two
people: the bot and the person who invited it as ``is_direct``.  Checked
for every command, so a "direct" room that someone else joined is a group
room: nobody else can ever act in that person's self-test.  Which rooms are
direct chats, and whose, is kept in the store (``matrix.direct:<room>``,
owned by the person's pseudonym, so /forget deletes it; it is written again
when the person goes on using the chat).

Invites: only from users or servers on the allow-list (``MATRIX_INVITE_ALLOW``)
and from trainers; without either, every invite is declined.  The bot stays
in a room only while one of them is a member, and joins no more than
``MATRIX_MAX_ROOMS`` rooms.
"""

from __future__ import annotations

import json
from typing import Callable, Iterable

from nio import Event, MatrixRoom, RoomCreateEvent

from bot.store import Store

PLATFORM = "matrix"
DIRECT_KEY = "matrix.direct:"
#: Room versions before 12 whose creators are privileged without a power level.
CREATOR_ROOM_VERSIONS = frozenset({"org.matrix.hydra.11"})


def creators_privileged(room_version: str) -> bool:
    return room_version in CREATOR_ROOM_VERSIONS or (room_version.isdigit() and int(room_version) >= 12)


def invite_allowed(inviter: str, allow: frozenset[str]) -> bool:
    """Whether ``inviter`` is on the allow-list (user ids, or ``:server`` for everyone there); empty allows nobody."""
    return any(inviter == entry or (entry.startswith(":") and inviter.endswith(entry)) for entry in allow)


def joined(room: MatrixRoom) -> set[str]:
    return {user for user in room.users if user not in room.invited_users}


class Rooms:
    def __init__(self, store: Store, user_id: str, trainers: frozenset[str], power_level: int,
                 pseudonym: Callable[[str], str]):
        self.store = store
        self.user_id = user_id
        self.trainers = trainers
        self.power_level = power_level
        self.pseudonym = pseudonym
        self.creators: dict[str, frozenset[str]] = {}
        self.direct: dict[str, str] = {}  # room -> pseudonym of the person whose private chat it is
        self._unsaved: set[str] = set()  # direct rooms whose row /forget deleted

    @property
    def _legacy_key(self) -> str:
        """Where versions before end-to-end encryption kept the direct rooms: a list of room ids, no person."""
        return f"matrix.direct_rooms:{self.user_id}"

    async def load(self) -> None:
        saved = await self.store.values(DIRECT_KEY)
        self.direct = {key[len(DIRECT_KEY):]: person for key, (person, _) in saved.items()}

    async def adopt_legacy(self, rooms: dict[str, MatrixRoom]) -> None:
        """Turn an older version's list of direct rooms into rows naming their person: the one member besides the bot."""
        saved = await self.store.get_value(self._legacy_key)
        if saved is None:
            return
        for room_id in json.loads(saved):
            room = rooms.get(room_id)
            others = joined(room) - {self.user_id} if room is not None else set()
            if len(others) == 1 and room_id not in self.direct:
                await self.set_direct(room_id, others.pop())
        await self.store.delete_value(self._legacy_key)

    async def set_direct(self, room_id: str, inviter: str | None) -> None:
        """Remember ``room_id`` as ``inviter``'s private chat; None: it is not one (any more)."""
        self._unsaved.discard(room_id)
        if inviter is None:
            if self.direct.pop(room_id, None) is not None:
                await self.store.delete_value(DIRECT_KEY + room_id)
            return
        person = self.pseudonym(inviter)
        self.direct[room_id] = person
        await self.store.set_value(DIRECT_KEY + room_id, person, owner=person)

    def forgotten(self, person: str) -> None:
        """/forget deleted ``person``'s rows: their direct chats are written again only if they go on using them."""
        self._unsaved.update(room for room, owner in self.direct.items() if owner == person)

    async def keep_direct(self, room_id: str) -> None:
        """The person uses their private chat again: remember it again if /forget had deleted it."""
        if room_id in self._unsaved:
            self._unsaved.discard(room_id)
            person = self.direct[room_id]
            await self.store.set_value(DIRECT_KEY + room_id, person, owner=person)

    def private(self, room: MatrixRoom | None) -> bool:
        """A direct chat with exactly the bot and the person it belongs to in it."""
        if room is None or room.room_id not in self.direct:
            return False
        others = joined(room) - {self.user_id}
        return self.user_id in room.users and len(others) == 1 and \
            self.pseudonym(next(iter(others))) == self.direct[room.room_id]

    def allowed(self, user_id: str, allow: frozenset[str]) -> bool:
        """Whether ``user_id`` may have the bot in a room: on the allow-list, or a trainer."""
        return invite_allowed(user_id, allow) or f"{PLATFORM}:{user_id}" in self.trainers

    def wanted(self, room: MatrixRoom, allow: frozenset[str]) -> bool:
        """Whether someone who may have the bot in a room is in ``room`` (joined or invited)."""
        return any(self.allowed(user, allow) for user in room.users if user != self.user_id)

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
