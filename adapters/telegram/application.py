"""Build and run the Telegram bot: python-telegram-bot's Application attached to the runner, and how updates arrive.

``build_telegram`` gives the bot; ``dilemmabot run`` enters it (connect, attach to the runner, set the command
menus), starts the runner, then calls :meth:`TelegramBot.serve` (long polling or a webhook)::

    async with await build_telegram(config, runner, pseudonyms) as bot:
        await runner.start()
        await bot.start_polling()
        ...
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from types import TracebackType
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, BaseRateLimiter, Updater

from adapters.telegram.capabilities import CAPABILITIES, TALLY_INTERVAL
from adapters.telegram.controllers import Controllers
from adapters.telegram.identity import PLATFORM, trainer_ids
from adapters.telegram.menu import publish_commands
from adapters.telegram.transport import TelegramTransport
from adapters.telegram.updates import UpdateFeed
from bot.config import Config, parse_listen
from bot.platforms import Capabilities
from bot.pseudonym import Pseudonymizer
from bot.runner import Runner

log = logging.getLogger(__name__)

# A 429 (RetryAfter) is waited out and the call repeated, up to this many times: flood control loses nothing.
MAX_RETRIES = 5
# Votes arriving together are handled together, so the store commits them in one transaction; the answers
# then go out a few at a time (TelegramTransport's TOASTS_IN_FLIGHT), which keeps the HTTP client fast.
CONCURRENT_UPDATES = 256
POLL_TIMEOUT = timedelta(seconds=30)
ALLOWED_UPDATES = (Update.MESSAGE, Update.CALLBACK_QUERY)
# Rights asked for by the "add me to a group" link: being an admin lets the bot see commands without @botname.
ADMIN_RIGHTS = "pin_messages"


@dataclass
class TelegramBot:
    """The Application, attached to the runner while inside ``async with``."""

    application: Application
    runner: Runner
    transport: TelegramTransport
    config: Config
    capabilities: Capabilities = CAPABILITIES

    async def __aenter__(self) -> TelegramBot:
        """Connect (getMe), attach to the runner with the bot's own links, set the menus, take updates."""
        await self.application.initialize()
        try:
            name = self.application.bot.username
            self.runner.attach(PLATFORM, self.transport, replace(
                self.capabilities, add_to_group=f"https://t.me/{name}?startgroup=dilemmabot&admin={ADMIN_RIGHTS}",
                selftest_link=f"https://t.me/{name}?start={{case}}"))
            await publish_commands(self.application.bot, self.runner.engine.commands)
            await self.application.start()
        except BaseException:
            await self.application.shutdown()
            raise
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        traceback: TracebackType | None) -> None:
        """Stop taking updates, finish the ones in hand, then close (the runner's owner stops the runner)."""
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def serve(self) -> None:
        """Take updates until cancelled: a webhook if ``TELEGRAM_WEBHOOK_URL`` is set, else long polling."""
        if self.config.telegram_webhook_url:
            await self.start_webhook(self.config.telegram_webhook_url, self.config.telegram_webhook_listen)
            how = f"webhook on {self.config.telegram_webhook_listen}"
        else:
            await self.start_polling()
            how = "long polling"
        log.info("Telegram bot @%s is running (%s)", self.application.bot.username, how)
        await asyncio.Event().wait()

    @property
    def _updater(self) -> Updater:
        if self.application.updater is None:
            raise RuntimeError("the Application was built without an Updater")
        return self.application.updater

    async def start_polling(self, poll_interval: float = 0.0, timeout: timedelta = POLL_TIMEOUT) -> None:
        """Long polling: ``getUpdates`` waits up to ``timeout`` for the next update."""
        await self._updater.start_polling(poll_interval=poll_interval, timeout=timeout,
                                          allowed_updates=ALLOWED_UPDATES)

    async def start_webhook(self, url: str, listen: str) -> None:
        """Serve ``url``'s path on ``listen`` (``host:port``, behind a TLS proxy) and register ``url`` with Telegram.

        A fresh secret token is registered at every start; requests without it are refused (403).
        """
        host, port = parse_listen(listen, "TELEGRAM_WEBHOOK_LISTEN")
        await self._updater.start_webhook(listen=host, port=port, url_path=urlsplit(url).path.lstrip("/"),
                                          webhook_url=url, allowed_updates=ALLOWED_UPDATES,
                                          secret_token=secrets.token_urlsafe(32))


async def build_telegram(config: Config, runner: Runner, pseudonyms: Pseudonymizer, *,
                         tally_interval: timedelta = TALLY_INTERVAL,
                         rate_limiter: BaseRateLimiter | None = None) -> TelegramBot:
    """The Application with our handlers, to serve ``runner``; nothing is connected until ``async with``."""
    if not config.telegram_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    quiet_http_logs()
    builder = (ApplicationBuilder().token(config.telegram_token)
               .rate_limiter(rate_limiter or AIORateLimiter(max_retries=MAX_RETRIES))
               .concurrent_updates(CONCURRENT_UPDATES))
    if config.telegram_base_url:  # a local Bot API server, or the test emulator
        builder = builder.base_url(f"{config.telegram_base_url.rstrip('/')}/bot")
    application = builder.build()
    transport = TelegramTransport(application.bot, pseudonyms)
    feed = UpdateFeed(runner, transport, pseudonyms, Controllers(trainer_ids(config.trainers)))
    application.add_handlers(feed.handlers())
    return TelegramBot(application, runner, transport, config, replace(CAPABILITIES, edit_interval=tally_interval))


def quiet_http_logs() -> None:
    """httpx logs every request URL, and a Bot API URL holds the token; python-telegram-bot logs whole updates
    (user ids, names, texts) at DEBUG.  Neither goes below WARNING / INFO, whatever the root level."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(max(logging.INFO, logging.getLogger().getEffectiveLevel()))
