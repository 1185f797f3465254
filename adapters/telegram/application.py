"""Build and run the Telegram bot: python-telegram-bot's Application, the runner, and how updates arrive.

``run_telegram`` is what ``dilemmabot run`` calls.  ``build_telegram`` gives
the same bot without running it forever, for tests and embedding::

    async with await build_telegram(config, library, store, pseudonyms) as bot:
        await bot.start_polling()
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Iterator
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, BaseRateLimiter, Updater

from adapters.telegram.controllers import Controllers
from adapters.telegram.identity import trainer_ids
from adapters.telegram.menu import publish_commands
from adapters.telegram.transport import TelegramTransport
from adapters.telegram.updates import UpdateFeed
from bot.cases import Library
from bot.config import Config
from bot.pseudonym import Pseudonymizer
from bot.runner import Runner
from bot.store import Store

log = logging.getLogger(__name__)

# At most 15 tally edits a minute in one chat: inside Telegram's ~20 messages a minute per group.
TALLY_INTERVAL = timedelta(seconds=4)
# A 429 (RetryAfter) is waited out and the call repeated, up to this many times: flood control loses nothing.
MAX_RETRIES = 5
# Votes arriving together are handled together, so the store commits them in one transaction; the answers
# then go out a few at a time (TelegramTransport's TOASTS_IN_FLIGHT), which keeps the HTTP client fast.
CONCURRENT_UPDATES = 256
POLL_TIMEOUT = timedelta(seconds=30)
ALLOWED_UPDATES = (Update.MESSAGE, Update.CALLBACK_QUERY)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class TelegramBot:
    """The Application and the runner, started and stopped together by ``async with``."""

    application: Application
    runner: Runner

    async def __aenter__(self) -> TelegramBot:
        await self.application.initialize()
        try:
            await publish_commands(self.application.bot)
            await self.runner.start()
            await self.application.start()
        except BaseException:
            await self.runner.stop()
            await self.application.shutdown()
            raise
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        traceback: TracebackType | None) -> None:
        """Stop taking updates, finish the ones in hand, send held-back tally edits, then close."""
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.runner.stop()
        await self.application.shutdown()

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
        host, port = parse_listen(listen)
        await self._updater.start_webhook(listen=host, port=port, url_path=urlsplit(url).path.lstrip("/"),
                                          webhook_url=url, allowed_updates=ALLOWED_UPDATES,
                                          secret_token=secrets.token_urlsafe(32))


def parse_listen(listen: str) -> tuple[str, int]:
    """``0.0.0.0:8443`` or ``[::]:8443`` -> host and port."""
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"TELEGRAM_WEBHOOK_LISTEN must be host:port, not {listen!r}")
    return host.strip("[]"), int(port)


async def build_telegram(config: Config, library: Library, store: Store, pseudonyms: Pseudonymizer, *,
                         tally_interval: timedelta = TALLY_INTERVAL,
                         rate_limiter: BaseRateLimiter | None = None) -> TelegramBot:
    """The Application with our handlers, and a runner restored from ``store``; nothing is started yet."""
    if not config.telegram_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder = (ApplicationBuilder().token(config.telegram_token)
               .rate_limiter(rate_limiter or AIORateLimiter(max_retries=MAX_RETRIES))
               .concurrent_updates(CONCURRENT_UPDATES))
    if config.telegram_base_url:  # a local Bot API server, or the test emulator
        builder = builder.base_url(f"{config.telegram_base_url.rstrip('/')}/bot")
    application = builder.build()
    transport = TelegramTransport(application.bot, pseudonyms)
    runner = await Runner.create(library, store, transport, tally_interval, default_lang=config.lang)
    feed = UpdateFeed(runner, transport, pseudonyms, Controllers(trainer_ids(config.trainers)))
    application.add_handlers(feed.handlers())
    return TelegramBot(application, runner)


async def run_telegram(config: Config, library: Library, store: Store, pseudonyms: Pseudonymizer, *,
                       poll_interval: float = 0.0, poll_timeout: timedelta = POLL_TIMEOUT) -> None:
    """Run until SIGINT or SIGTERM: a webhook if ``TELEGRAM_WEBHOOK_URL`` is set, else long polling."""
    stop = asyncio.Event()
    with _stop_on_signals(stop):  # first, so a signal during start-up also ends in a clean stop
        async with await build_telegram(config, library, store, pseudonyms) as bot:
            if config.telegram_webhook_url:
                await bot.start_webhook(config.telegram_webhook_url, config.telegram_webhook_listen)
                how = f"webhook on {config.telegram_webhook_listen}"
            else:
                await bot.start_polling(poll_interval, poll_timeout)
                how = "long polling"
            log.info("Telegram bot @%s is running (%s)", bot.application.bot.username, how)
            await stop.wait()
            log.info("stopping the Telegram bot")


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    try:
        yield
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
