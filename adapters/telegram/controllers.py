"""Who may run rounds in a Telegram group: its administrators and creator, and the configured trainers.

Membership is asked of Telegram (``getChatMember``) only for commands that
need control, and each answer is kept for a short while per chat and user.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from telegram import Bot, Message
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

log = logging.getLogger(__name__)

MEMBER_CACHE_SECONDS = 60.0
MAX_CACHED = 10_000
_CONTROLLING = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


class Controllers:
    def __init__(self, trainers: frozenset[int], ttl: float = MEMBER_CACHE_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.trainers = trainers
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[tuple[int, int], tuple[float, bool]] = {}

    async def controls(self, bot: Bot, message: Message) -> bool:
        """Whether the sender of ``message`` (in a group) may start, close and steer rounds there."""
        chat, user = message.chat, message.from_user
        if message.sender_chat is not None and message.sender_chat.id == chat.id:
            return True  # an anonymous administrator, writing as the group itself
        if user is None:
            return False
        if user.id in self.trainers:
            return True
        key, now = (chat.id, user.id), self.clock()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            member = await bot.get_chat_member(chat.id, user.id)
        except TelegramError as exc:
            log.warning("could not check whether a user administers %s: %s", chat.id, exc)
            return False  # not cached: the next command asks again
        allowed = member.status in _CONTROLLING
        self._remember(key, allowed, now)
        return allowed

    def _remember(self, key: tuple[int, int], allowed: bool, now: float) -> None:
        if len(self._cache) >= MAX_CACHED:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
        self._cache[key] = (now + self.ttl, allowed)
