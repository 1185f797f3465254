"""Runs the real dilemmabot Telegram adapter (python-telegram-bot Application + runner + SQLite store)
against the emulator, inside the test's event loop.

    async with running_bot(telegram_sandbox, tmp_path) as h:
        await h.emu.send_command(GROUP, ADMIN, "/start jubileum")
        part = await h.wait_message(GROUP, has_buttons)
"""

from __future__ import annotations

import base64
import contextlib
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, AsyncIterator, Callable

from telegram.ext import AIORateLimiter, BaseRateLimiter

from adapters.telegram.application import TelegramBot, build_telegram
from bot.cases import load_library
from bot.config import DEFAULT_CASES, Config
from bot.pseudonym import Pseudonymizer
from bot.runner import Clock, Runner, utc_now
from bot.store import Store

from .conftest import TelegramEnv
from .emulator_client import WAIT, AsyncEmulator, Chat, User, button_data

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SECRET = b"dilemmabot-test-secret-0123456789"
# Tests go faster than Telegram's 20 messages a minute per group (one test, with ``telegram_limits``, meets
# that pacing); flood control itself is tested with injected 429s. The retries stay on, as in production.
FAST_LIMITER_GROUP_RATE = 10_000


def make_config(tg: TelegramEnv, tmp_path: Path, **overrides: Any) -> Config:
    values: dict[str, Any] = {"telegram_token": tg.token, "telegram_base_url": tg.url,
                              "db_path": tmp_path / "dilemmabot.db", "cases_dir": DEFAULT_CASES}
    values.update(overrides)
    return Config(**values)


def fast_limiter() -> BaseRateLimiter:
    return AIORateLimiter(group_max_rate=FAST_LIMITER_GROUP_RATE, max_retries=3)


def has_buttons(message: dict[str, Any]) -> bool:
    return bool(button_data(message))


def png_of(photo: dict[str, Any]) -> bytes:
    return base64.b64decode(photo["base64"])


@dataclass
class Harness:
    emu: AsyncEmulator
    bot: TelegramBot
    store: Store
    db_path: Path
    errors: list[BaseException] = field(default_factory=list)

    async def messages(self, chat: Chat) -> list[dict[str, Any]]:
        return await self.emu.bot_messages(chat.id)

    async def wait_message(self, chat: Chat, predicate: Callable[[dict[str, Any]], Any] = lambda m: True, *,
                           after: int = 0, timeout: float = WAIT) -> dict[str, Any]:
        return await self.emu.wait_for_bot_message(chat.id, predicate, after=after, timeout=timeout)

    async def wait_text(self, chat: Chat, needle: str, *, after: int = 0, timeout: float = WAIT) -> dict[str, Any]:
        """The first bot message after ``after`` whose text or caption contains ``needle``."""
        return await self.wait_message(chat, lambda m: needle in (m.get("text") or m.get("caption") or ""),
                                       after=after, timeout=timeout)

    async def answer_to(self, callback_query_id: str, timeout: float = WAIT) -> dict[str, Any]:
        """The toast a press got."""
        async def probe() -> dict[str, Any] | None:
            return next((a for a in await self.emu.callback_answers()
                         if a["callback_query_id"] == callback_query_id), None)
        return await self.emu.wait_for(probe, timeout, message=f"no answer to callback {callback_query_id}")

    async def press(self, chat: Chat, user: User, message: dict[str, Any] | int, data: str) -> str:
        """Press a button (need not be on the message: forged data is allowed); returns the callback id."""
        sent = await self.emu.press_button(chat, user, message, data, strict=False)
        return sent["callback_query_id"]

    async def vote(self, chat: Chat, user: User, message: dict[str, Any] | int, data: str) -> str:
        """Press and wait for the toast; returns its text."""
        return (await self.answer_to(await self.press(chat, user, message, data)))["text"]

    async def command(self, chat: Chat, user: User, text: str) -> int:
        """Send a command; returns its message id (the bot's reply quotes it)."""
        return (await self.emu.send_command(chat, user, text))["message_id"]

    async def reply_to(self, chat: Chat, command_id: int, timeout: float = WAIT) -> dict[str, Any]:
        return await self.wait_message(
            chat, lambda m: (m.get("reply_to_message") or {}).get("message_id") == command_id, timeout=timeout)


@contextlib.asynccontextmanager
async def running_bot(tg: TelegramEnv, tmp_path: Path, *, tally_interval: timedelta = timedelta(seconds=0.3),
                      telegram_limits: bool = False, clock: Clock = utc_now,
                      **config: Any) -> AsyncIterator[Harness]:
    """The adapter as ``run_telegram`` builds it, long polling the emulator, stopped cleanly afterwards.

    ``telegram_limits``: python-telegram-bot's rate limiter exactly as the bot runs it (20 calls a minute per
    group), instead of one that lets tests go fast.  ``clock`` is the runner's (a test's own clock makes the
    outbox's pacing and the timers wait for the test).
    """
    cfg = make_config(tg, tmp_path, **config)
    store = await Store.open(cfg.db_path)
    try:
        runner = await Runner.create(load_library(cfg.cases_dir), store, clock=clock, default_lang=cfg.lang)
        bot = await build_telegram(cfg, runner, Pseudonymizer(SECRET),
                                   tally_interval=tally_interval, rate_limiter=None if telegram_limits else fast_limiter())
        harness = Harness(tg.client.aio, bot, store, cfg.db_path)

        async def collect(_update: object, context: Any) -> None:
            logging.getLogger(__name__).error("handler failed", exc_info=context.error)
            harness.errors.append(context.error)

        bot.application.add_error_handler(collect)
        async with bot:
            await runner.start()
            try:
                await bot.start_polling(timeout=timedelta(seconds=10))
                yield harness
            finally:
                await runner.stop()
    finally:
        await store.close()


# Telegram's HTML parse mode: tags it knows (of those we use), its four named entities, and every other
# '<', '>' or '&' escaped. The emulator stores HTML without parsing it, so the tests check it themselves.
TELEGRAM_TAGS = {"b", "i", "code"}
_HTML_TOKEN = re.compile(r"<(/?)([a-z]+)>|&(?:lt|gt|amp|quot);|[<>&]")


def telegram_html_problems(text: str) -> list[str]:
    """Why Telegram would answer "can't parse entities" to ``text`` (empty list: it would not)."""
    problems: list[str] = []
    open_tags: list[str] = []
    for match in _HTML_TOKEN.finditer(text):
        closing, tag = match.group(1), match.group(2)
        if tag is None:
            if match.group() in "<>&":
                problems.append(f"bare {match.group()!r} at {match.start()}")
        elif tag not in TELEGRAM_TAGS:
            problems.append(f"tag <{tag}> at {match.start()}")
        elif not closing:
            open_tags.append(tag)
        elif not open_tags or open_tags.pop() != tag:
            problems.append(f"unbalanced </{tag}> at {match.start()}")
    return problems + [f"<{tag}> not closed" for tag in open_tags]


def invalid_html(texts: list[str]) -> dict[str, list[str]]:
    """The texts Telegram would refuse to parse, with the reasons."""
    return {text: problems for text in texts if (problems := telegram_html_problems(text))}


async def sent_html(emu: AsyncEmulator) -> list[str]:
    """Every text and caption the bot sent or edited in, as the Bot API received it."""
    calls = await emu.calls()
    return [c["params"][key] for c in calls if c["status"] == 200
            for key in ("text", "caption") if c["method"] != "answerCallbackQuery" and key in c["params"]]


def errors_logged(caplog: Any) -> list[str]:
    """Error records from the adapter, the runner or python-telegram-bot (delivery failures are logged, not raised)."""
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]
