"""Telegram ids -> the pseudonymous ids the engine and the store see.

This is the only place a raw Telegram user or chat id is turned into an
engine id; the way back (to send a message) is ``Pseudonymizer.address``.
"""

from __future__ import annotations

import logging

from telegram import Chat, Message, User
from telegram.constants import ChatType

from bot.pseudonym import Pseudonymizer

log = logging.getLogger(__name__)

PLATFORM = "telegram"


def is_private(chat: Chat) -> bool:
    return chat.type == ChatType.PRIVATE


def chat_key(pseudonyms: Pseudonymizer, chat: Chat) -> str:
    """``telegram:-1001…`` for a group; a pseudonym for a private chat (its id is the person's id)."""
    return pseudonyms.chat(PLATFORM, chat.id, private=is_private(chat))


def user_key(pseudonyms: Pseudonymizer, user: User) -> str:
    return pseudonyms.user(PLATFORM, user.id)


def sender_key(pseudonyms: Pseudonymizer, message: Message) -> str | None:
    """Who wrote ``message``.  An anonymous admin or a channel writes as a chat (``sender_chat``), and Telegram
    shows them all as one placeholder user: they get a pseudonym of their own per group, so one group's
    anonymous admin is never taken for another's (``/forget`` in one group must not touch the other)."""
    if message.sender_chat is not None:
        return pseudonyms.user(PLATFORM, f"{message.chat.id}/{message.sender_chat.id}")
    if message.from_user is None:
        return None
    return user_key(pseudonyms, message.from_user)


def trainer_ids(trainers: frozenset[str]) -> frozenset[int]:
    """The Telegram user ids among the configured trainers (``telegram:123``)."""
    ids = [entry.removeprefix(f"{PLATFORM}:") for entry in trainers if entry.startswith(f"{PLATFORM}:")]
    for bad in sorted(i for i in ids if not i.isdigit()):
        log.warning("ignoring trainer %s:%s: a Telegram trainer is given by numeric user id", PLATFORM, bad)
    return frozenset(int(i) for i in ids if i.isdigit())
