"""One `dilemmabot run` with Telegram and Matrix settings serves both at once, on one engine and one database.

A group round runs in a Telegram group (the Bot API emulator) and in a Matrix room (a real Synapse) at the
same time; a self-test on Telegram then shows an overall split that counts the Matrix room's vote.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
from pathlib import Path

import pytest

from bot.cli import run
from bot.config import DEFAULT_CASES, Config

from ..engine.conftest import tally_line
from .matrix.conftest import matrix_user, synapse  # noqa: F401  (fixtures)
from .matrix.harness import RoomView, create_room, react, send_text, wait_until
from .telegram.bot_harness import has_buttons
from .telegram.conftest import telegram_emulator, telegram_sandbox  # noqa: F401  (fixtures)
from .telegram.emulator_client import Chat, User

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

ADMIN = User(760000001, "Anne", "anne")
MEMBERS = [User(760000010 + i, f"Medlem {i}") for i in range(5)]
GROUP = Chat.group(-4601, "Bystyret")
SOLO = User(760000099, "Solveig")
RED, GREEN = "🔴", "🟢"


async def test_one_process_serves_telegram_and_matrix_and_counts_both(
        telegram_sandbox, synapse, matrix_user, tmp_path: Path) -> None:  # noqa: F811  (the fixtures imported above)
    tg, emu = telegram_sandbox, telegram_sandbox.client.aio
    password = secrets.token_hex(8)
    bot_id = await asyncio.to_thread(synapse.register, f"dilemmabot-both-{secrets.token_hex(3)}", password)
    config = Config(db_path=tmp_path / "both.db", cases_dir=DEFAULT_CASES, telegram_token=tg.token,
                    telegram_base_url=tg.url, matrix_homeserver=synapse.url, matrix_user_id=bot_id,
                    matrix_password=password, matrix_invite_allow=frozenset({f":{bot_id.split(':', 1)[1]}"}))
    assert config.platforms == ["telegram", "matrix"]
    task = asyncio.create_task(run(config, console=False, controllers=frozenset()))
    try:
        alice, bob = await matrix_user("alice"), await matrix_user("bob")
        room = await create_room(alice, [bot_id, bob.user_id])
        await bob.join(room)
        view = RoomView(alice, room)
        matrix_user.sync_forever(alice)
        await wait_until(lambda: view.membership(bot_id) == "join", what="the bot to join the room")

        # both rounds open at the same time
        await emu.set_admins(GROUP.id, [ADMIN.id])
        await emu.send_command(GROUP, ADMIN, "/start jubileum")
        await send_text(alice, room, "!start jubileum")
        tg_part = await emu.wait_for_bot_message(GROUP.id, has_buttons)
        mx_part = (await wait_until(lambda: view.message(bot_id, "Del 1 av 3"), what="the Matrix part"))["event_id"]
        await wait_until(lambda: len(view.reactions(mx_part, bot_id)) == 2, what="the bot's reactions")

        await react(bob, room, mx_part, GREEN)
        for member in MEMBERS:
            await emu.press_button(GROUP, member, tg_part, "v:1:1:red")
        await wait_until(lambda: "Stemmer så langt: 1" in view.current_body(mx_part), what="the Matrix count")
        await emu.wait_for(lambda: len(emu.sync.callback_answers()) == len(MEMBERS))

        await send_text(alice, room, "!close")  # Matrix first: 1 answer, too few for a snapshot on its own
        await wait_until(lambda: view.message(bot_id, "Resultat"), what="the Matrix results")
        await emu.send_command(GROUP, ADMIN, "/close")
        await emu.wait_for_bot_message(GROUP.id, lambda m: "Resultat" in (m.get("text") or m.get("caption") or ""))

        # a private self-test on Telegram: the overall split counts the Matrix room too
        private = Chat.private(SOLO)
        await emu.send_command(private, SOLO, "/selftest jubileum")
        part = await emu.wait_for_bot_message(SOLO.id, has_buttons)
        await emu.press_button(private, SOLO, part, next(d for d in _data(part) if d.endswith(":green")))
        answer = await emu.wait_for_bot_message(SOLO.id, lambda m: "Ditt svar" in (m.get("text") or ""))
    finally:
        if not task.done():
            os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(task, 30)
    text = answer["text"]
    assert "Slik har alle svart så langt (6)" in text, text
    # five red from Telegram, one green from Matrix
    assert tally_line(text, "Rødt lys") == "5 (83 %)" and tally_line(text, "Grønt lys") == "1 (17 %)"


def _data(message: dict) -> list[str]:
    return [b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
