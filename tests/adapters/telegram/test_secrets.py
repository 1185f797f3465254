"""`dilemmabot run` with a known Telegram token at DEBUG level: the token never reaches the log, nor who wrote what."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from .emulator_client import Chat, User

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]
ROOT = Path(__file__).resolve().parents[3]


async def test_token_is_never_logged(telegram_sandbox, tmp_path: Path) -> None:
    tg = telegram_sandbox
    user = User(740000001, "Torvald", "torvald_k")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MATRIX_"))}
    env.update({"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_BASE_URL": tg.url, "DILEMMABOT_LOG_LEVEL": "DEBUG",
                "DILEMMABOT_DB": str(tmp_path / "s.db")})
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "run", cwd=ROOT, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await tg.client.aio.send_command(Chat.private(user), user, "/start lmb")  # also a bad call: unknown option
        await tg.client.aio.wait_for_bot_message(user.id)
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = stderr.decode()
    assert process.returncode == 0, log[-2000:]
    assert "Telegram bot" in log and "DEBUG" in log  # it did log, verbosely
    assert tg.token not in log and tg.token.split(":")[1] not in log
    # a user's id, name and what they typed stay out of it too (issue 16, finding 14)
    assert "740000001" not in log and "Torvald" not in log and "torvald_k" not in log and "/start lmb" not in log
