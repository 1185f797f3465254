"""The Bot API unreachable for a minute mid-round (the emulator stopped and started again on the same port).

The bot keeps running, retries with backoff, and when Telegram is back sends what fell due meanwhile (here the
results of a part whose timer ran out during the outage); no vote that reached it is lost.  And if the bot is
stopped during the outage, the next start sends what the group has not seen yet.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.store import Store

from . import emulator_process
from ...clock import Clock
from .bot_harness import Harness, has_buttons, running_bot
from .conftest import TelegramEnv
from .emulator_client import Chat, Emulator, User

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(240)]

OUTAGE_SECONDS = 60
ADMIN = User(770000001, "Anne", "anne")
MEMBERS = [User(770000010 + i, f"Medlem {i}") for i in range(3)]
LATE = User(770000020, "Sen")
GROUP = Chat.group(-4701, "Formannskapet")


class StoppableTelegram:
    """An emulator of this test's own, which it stops and starts again on the same port."""

    def __init__(self, tmp_path: Path, token: str):
        node = shutil.which("node")
        assert node is not None and emulator_process.installed(), emulator_process.NPM_HINT
        self.node, self.log = node, tmp_path / "emulator.log"
        self.proc, self.url = emulator_process.start(node, self.log)
        self.env = TelegramEnv(self.url, token, Emulator(self.url, token))
        self.emu = self.env.client.aio

    def stop(self) -> None:
        emulator_process.stop(self.proc)

    async def start_again(self) -> None:
        self.proc, _ = emulator_process.start(self.node, self.log, port=urlsplit(self.url).port or 0)
        # A restarted emulator counts update ids from 1 again, where Telegram would go on; plain messages
        # (which the bot ignores) carry it past the ids the bot has already confirmed.
        for _ in range(10):
            await self.emu.send_message(GROUP, LATE, "hei")


async def start_and_vote(h: Harness) -> None:
    """A round with a 40 s timer, and each member's vote on part 1."""
    await h.emu.set_admins(GROUP.id, [ADMIN.id])
    await h.command(GROUP, ADMIN, "/start jubileum timer 40s")
    part = await h.wait_message(GROUP, has_buttons)
    for member in MEMBERS:
        assert (await h.vote(GROUP, member, part, "v:1:1:red")).startswith("Stemme registrert")


async def test_a_minute_without_telegram_loses_nothing(tmp_path) -> None:
    telegram = StoppableTelegram(tmp_path, "770000:TEST-outage")
    try:
        async with running_bot(telegram.env, tmp_path, tally_interval=timedelta(seconds=1)) as h:
            await start_and_vote(h)
            telegram.stop()  # Telegram is gone; the part's 40 s run out meanwhile
            await asyncio.sleep(OUTAGE_SECONDS)
            await telegram.start_again()

            results = await h.wait_text(GROUP, "Resultat – Jubileumsmiddagen", timeout=90)
            await h.emu.set_admins(GROUP.id, [ADMIN.id])
            part2 = await h.wait_message(GROUP, lambda m: has_buttons(m) and "Del 2 av 3" in m.get("text", ""),
                                         timeout=90)
            # polling resumes after its own backoff (python-telegram-bot waits up to 30 s between tries)
            pressed = await h.press(GROUP, LATE, part2, "v:1:2:green")
            assert (await h.answer_to(pressed, timeout=60))["text"].startswith("Stemme registrert")
            votes = await h.store.vote_count()
    finally:
        telegram.stop()
    assert "Totalt 3 stemmer" in results["text"]  # every vote that reached the bot before the outage
    assert votes == 4


async def test_a_bot_stopped_during_an_outage_sends_what_the_group_missed_at_its_next_start(tmp_path) -> None:
    telegram = StoppableTelegram(tmp_path, "770000:TEST-stop-in-outage")
    clock = Clock()
    try:
        async with running_bot(telegram.env, tmp_path, clock=clock) as h:
            await start_and_vote(h)
            telegram.stop()  # Telegram is gone; the part's 40 s run out; then the bot is stopped
            clock.advance(timedelta(seconds=41))
            await h.bot.runner.tick()
            assert h.bot.runner.backlog.is_down("telegram")

        await telegram.start_again()
        async with running_bot(telegram.env, tmp_path, clock=clock) as h:
            results = await h.wait_text(GROUP, "Resultat – Jubileumsmiddagen", timeout=60)
            clock.advance(timedelta(minutes=1))  # the pause before the next part, on the runner's clock
            await h.bot.runner.tick()
            await h.wait_message(GROUP, lambda m: has_buttons(m) and "Del 2 av 3" in m.get("text", ""), timeout=60)
    finally:
        telegram.stop()
    assert "Totalt 3 stemmer" in results["text"]
    store = await Store.open(h.db_path)
    try:
        assert await store.unsent() == []  # all of it went out: nothing is sent a third time
    finally:
        await store.close()
