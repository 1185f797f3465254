"""The command menu Telegram clients show after "/": bokmål by default, English for English-language clients."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand
from telegram.error import TelegramError

from bot.commands import COMMANDS

log = logging.getLogger(__name__)


async def publish_commands(bot: Bot) -> None:
    """Set the menu; a failure only costs the menu, so it is logged and the bot carries on."""
    try:
        await bot.set_my_commands([BotCommand(name, nb) for name, (nb, _) in COMMANDS.items()])
        await bot.set_my_commands([BotCommand(name, en) for name, (_, en) in COMMANDS.items()], language_code="en")
    except TelegramError as exc:
        log.warning("could not set the command menu: %s", exc)
