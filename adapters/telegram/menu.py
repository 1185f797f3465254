"""The command menus Telegram clients show after "/", derived from the command table.

Each scope gets the commands that work there: members of a group see the
member commands, its administrators also the trainers' commands, private
chats what works in a private chat.  Bokmål is the default; every other
language of the bot is set for clients in that language.
"""

from __future__ import annotations

import logging

from telegram import (
    Bot, BotCommand, BotCommandScope, BotCommandScopeAllChatAdministrators, BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
)
from telegram.error import TelegramError

from bot.commands import CommandSpec, CommandTable
from bot.i18n import LANGUAGES
from bot.model import DEFAULT_LANGUAGE

log = logging.getLogger(__name__)


def menus(commands: CommandTable) -> list[tuple[BotCommandScope, list[CommandSpec]]]:
    """Each scope with its commands, in table order."""
    private = [spec for spec in commands if spec.where.allows(private=True)]
    group = [spec for spec in commands if spec.where.allows(private=False)]
    return [
        (BotCommandScopeAllPrivateChats(), private),
        (BotCommandScopeAllGroupChats(), [spec for spec in group if not spec.control]),
        (BotCommandScopeAllChatAdministrators(), group),
    ]


async def publish_commands(bot: Bot, commands: CommandTable) -> None:
    """Set every menu; a failure only costs the menus, so it is logged and the bot carries on."""
    try:
        for scope, specs in menus(commands):
            for lang in LANGUAGES:
                listed = [BotCommand(spec.name, spec.help[lang]) for spec in specs]
                await bot.set_my_commands(listed, scope=scope,
                                          language_code=None if lang == DEFAULT_LANGUAGE else lang)
    except TelegramError as exc:
        log.warning("could not set the command menus: %s", exc)
