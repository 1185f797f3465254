"""Bench 3: updates per second through python-telegram-bot with our handlers, against the Bot API emulator.

The emulator (``tests/adapters/telegram/emulator/server.js``, Node, on 127.0.0.1) is started once.
Each bot gets a fresh token (clean state).  For each run:

1. the bot polls, and (ours only) a trainer starts a round so there is a part message with buttons;
2. polling stops, ``UPDATES`` button presses by distinct users are queued in the emulator;
3. polling starts again and the clock runs until every press has been answered (the toast call
   returned), so work a handler leaves running in the background is counted too.

**ours**: ``adapters.telegram.build_telegram`` as ``dilemmabot run`` builds it (production rate
limiter, concurrent updates, runner, engine, SQLite store in a temp dir): each press is a vote,
committed before its toast is answered; tally edits go out through the outbox.
**echo**: a bare PTB ``Application`` whose only handler answers each callback query with a toast
(one Bot API call per update, as ours).  It runs with PTB's default (sequential) and with the same
``concurrent_updates`` as ours; the faster is the baseline.  Overhead = echo rate / our rate - 1.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import json
import logging
import shutil
import subprocess
import time
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import DILEMMAS, Store, library, median

UPDATES = 1_500
RUNS = 3
GROUP_ID = -100777
GROUP = {"id": GROUP_ID, "type": "supergroup", "title": "Bench"}
TRAINER_ID = 1  # made an admin of the group
SECRET = b"bench-secret-0123456789abcdef0123"
POLL_TIMEOUT = timedelta(seconds=10)


class Unavailable(RuntimeError):
    """Bench 3 cannot run here (no node, emulator not installed, adapter missing)."""


@dataclass
class TelegramResult:
    ours: float  # updates/s, median of RUNS
    ours_runs: list[float]
    echo: float  # the faster echo variant, median of RUNS
    echo_sequential: float
    echo_concurrent: float
    concurrency: int

    @property
    def overhead(self) -> float:
        return self.echo / self.ours - 1


# ---- the emulator -------------------------------------------------------------------------------------


class EmulatorProcess:
    """The tests' emulator launcher, installing the emulator first if needed."""

    def __init__(self, log_path: Path):
        from tests.adapters.telegram import emulator_process

        node = shutil.which("node")
        if node is None:
            raise Unavailable("node is not on PATH")
        if not emulator_process.installed():
            npm = shutil.which("npm")
            if npm is None:
                raise Unavailable("emulator not installed and npm missing")
            subprocess.run([npm, "ci", "--prefix", str(emulator_process.EMULATOR_DIR), "--no-audit", "--no-fund",
                            "--loglevel=error"], check=True)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.proc, self.url = emulator_process.start(node, log_path)
        except emulator_process.EmulatorDidNotStart as exc:
            raise Unavailable(str(exc)) from None
        self._stop = emulator_process.stop
        self._tokens = itertools.count(1)

    def token(self) -> str:
        return f"{900000 + next(self._tokens)}:BENCH-{uuid.uuid4().hex[:12]}"

    def stop(self) -> None:
        self._stop(self.proc)


def _client(url: str, token: str) -> Any:
    from tests.adapters.telegram.emulator_client import Emulator  # the tests' stdlib client

    return Emulator(url, token)


def _post(url: str, route: str, body: dict[str, Any]) -> Any:
    """A client ("user side") route of the emulator."""
    request = urllib.request.Request(f"{url}{route}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        payload = json.loads(response.read())
    if not payload.get("ok"):
        raise RuntimeError(f"{route}: {payload}")
    return payload["result"]


def _queue_presses(url: str, token: str, message: dict[str, Any], data: str, count: int, first_user: int) -> None:
    """``count`` button presses by distinct users on ``message``, queued in the emulator (8 threads)."""
    msg = {k: v for k, v in message.items() if k != "params"}
    msg["chat"] = GROUP
    msg.setdefault("from", {"id": 666, "is_bot": True, "first_name": "Test First name", "username": "TestNameBot"})

    def press(i: int) -> None:
        user = {"id": first_user + i, "is_bot": False, "first_name": f"Voter{i}"}
        _post(url, "/sendCallback", {"botToken": token, "from": user, "message": msg, "data": data,
                                     "chat_instance": f"ci{GROUP_ID}"})

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(press, range(count)))


class _Counter:
    """Counts answered presses; ``done`` once all of them are."""

    def __init__(self, target: int):
        self.count = 0
        self.target = target
        self.done = asyncio.Event()

    def answered(self) -> None:
        self.count += 1
        if self.count >= self.target:
            self.done.set()


async def _timed(app: Any, start_polling, counter: _Counter) -> float:
    started = time.perf_counter()
    await start_polling()
    await asyncio.wait_for(counter.done.wait(), timeout=120)
    elapsed = time.perf_counter() - started
    await app.updater.stop()
    return elapsed


# ---- the two bots -----------------------------------------------------------------------------------


async def run_ours(emulator: EmulatorProcess, tmp: Path, tag: str) -> float:

    from adapters.telegram.application import build_telegram
    from bot.config import Config
    from bot.pseudonym import Pseudonymizer
    from bot.runner import Runner

    token = emulator.token()
    emu = _client(emulator.url, token)
    config = Config(db_path=tmp / f"tg-{tag}.db", cases_dir=DILEMMAS, telegram_token=token,
                    telegram_base_url=emulator.url)
    store = await Store.open(config.db_path, config.synchronous)
    try:
        runner = await Runner.create(library(), store)
        bot = await build_telegram(config, runner, Pseudonymizer(SECRET))
        counter = _Counter(UPDATES)
        transport = bot.transport
        toast = transport.toast

        async def counted_toast(*args: Any) -> None:
            await toast(*args)
            counter.answered()

        transport.toast = counted_toast  # type: ignore[method-assign]
        async with bot:
            await runner.start()
            await bot.start_polling(timeout=POLL_TIMEOUT)
            trainer = {"id": TRAINER_ID, "is_bot": False, "first_name": "Trainer"}
            await asyncio.to_thread(emu.set_admins, GROUP_ID, [TRAINER_ID])
            await asyncio.to_thread(_post, emulator.url, "/sendCommand", {
                "botToken": token, "from": trainer, "chat": GROUP, "text": "/start jubileum",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}]})
            try:
                part = await emu.aio.wait_for_bot_message(GROUP_ID, lambda m: bool(m.get("reply_markup")),
                                                          timeout=20)
            except TimeoutError:
                said = [m.get("text") for m in await asyncio.to_thread(emu.bot_messages, GROUP_ID)]
                raise AssertionError(f"ours: no part message after /start; the bot said {said}") from None
            data = part["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            await bot.application.updater.stop()
            await asyncio.to_thread(_queue_presses, emulator.url, token, part, data, UPDATES, 10_000)
            elapsed = await _timed(bot.application, lambda: bot.start_polling(timeout=POLL_TIMEOUT), counter)
            await runner.stop()
        votes = await store.vote_count()
    finally:
        await store.close()
    answers = len(await asyncio.to_thread(emu.callback_answers))
    if votes != UPDATES or answers != UPDATES:
        raise AssertionError(f"ours: {votes} votes stored, {answers} toasts for {UPDATES} presses")
    return UPDATES / elapsed


async def run_echo(emulator: EmulatorProcess, concurrent_updates: int) -> float:
    from telegram.ext import ApplicationBuilder, CallbackQueryHandler

    token = emulator.token()
    emu = _client(emulator.url, token)
    builder = ApplicationBuilder().token(token).base_url(f"{emulator.url}/bot")
    if concurrent_updates > 1:
        builder = builder.concurrent_updates(concurrent_updates)
    app = builder.build()

    counter = _Counter(UPDATES)

    async def echo(update: Any, context: Any) -> None:
        await update.callback_query.answer(update.callback_query.data)
        counter.answered()

    app.add_handler(CallbackQueryHandler(echo))
    message = {"message_id": 1, "date": int(time.time()), "text": "Bench"}
    await asyncio.to_thread(_queue_presses, emulator.url, token, message, "v:1:1:red", UPDATES, 10_000)
    async with app:
        await app.start()
        elapsed = await _timed(app, lambda: app.updater.start_polling(poll_interval=0, timeout=POLL_TIMEOUT),
                               counter)
        await app.stop()
    answers = len(await asyncio.to_thread(emu.callback_answers))
    if answers != UPDATES:
        raise AssertionError(f"echo: {answers} toasts for {UPDATES} presses")
    return UPDATES / elapsed


async def run(tmp: Path) -> TelegramResult:
    try:
        from adapters.telegram.application import build_telegram  # noqa: F401
    except ImportError as exc:
        raise Unavailable(f"the Telegram adapter is not usable: {exc}") from exc
    from adapters.telegram.application import CONCURRENT_UPDATES

    logging.getLogger("httpx").setLevel(logging.WARNING)
    emulator = EmulatorProcess(tmp / "emulator.log")
    try:
        await run_echo(emulator, 1)  # warm-up (imports, connection pool)
        ours = [await run_ours(emulator, tmp, str(i)) for i in range(RUNS)]
        sequential = median([await run_echo(emulator, 1) for _ in range(RUNS)])
        concurrent_ = median([await run_echo(emulator, CONCURRENT_UPDATES) for _ in range(RUNS)])
    finally:
        emulator.stop()
    return TelegramResult(median(ours), ours, max(sequential, concurrent_), sequential, concurrent_,
                          CONCURRENT_UPDATES)
