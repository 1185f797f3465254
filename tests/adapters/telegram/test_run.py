"""`dilemmabot run` with Telegram settings: long polling or a webhook, until SIGTERM / SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import signal
import socket
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any, Iterator

import pytest

from adapters.telegram import application
from bot.cli import run

from .bot_harness import has_buttons, make_config
from .emulator_client import WAIT, Chat, User, button_data

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

ADMIN = User(730000001, "Anne", "anne")
VOTERS = [User(730000002, "Bo"), User(730000003, "Siv")]
GROUP = Chat.group(-4301, "Bystyret")
EVA = User(730000009, "Eva", "eva")


@contextlib.contextmanager
def reserved_port() -> Iterator[int]:
    """A free port on 127.0.0.1 that no other program can take until the block ends, but our server can bind.

    Not bound and released before use (another process could take it in between): held, bound with
    SO_REUSEADDR and never listening, which Linux lets a listener that also sets SO_REUSEADDR share (as
    PTB's webhook server, tornado, does) and refuses to everyone else.
    """
    with socket.socket() as held:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


def send_signal(sig: signal.Signals) -> None:
    # Only ever to ourselves, and only once `run` has its handler in place (else pytest itself would stop).
    assert signal.getsignal(sig) not in (signal.SIG_DFL, signal.default_int_handler, None)
    os.kill(os.getpid(), sig)


async def started(emu: Any, task: asyncio.Task, method: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        if task.done():
            task.result()  # raise what stopped it
        calls = await emu.calls(method)  # a long poll has no status until it returns
        return calls[0] if calls else None
    return await emu.wait_for(probe, message=f"the bot made no {method} call")


async def stopped(task: asyncio.Task) -> None:
    """Cancel ``task`` if a failed assertion left it running."""
    if not task.done():
        task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_polling_until_sigterm_sends_held_back_tally_edits(telegram_sandbox, tmp_path, monkeypatch):
    tg, emu = telegram_sandbox, telegram_sandbox.client.aio
    # An hour between two tally edits: the held-back one can only go out on the way out, never by the clock.
    monkeypatch.setattr(application, "build_telegram",
                        functools.partial(application.build_telegram, tally_interval=timedelta(hours=1)))
    config = make_config(tg, tmp_path)
    task = asyncio.create_task(run(config, console=False, controllers=frozenset()))
    try:
        await started(emu, task, "getUpdates")
        await emu.set_admins(GROUP.id, [ADMIN.id])
        await emu.send_command(GROUP, ADMIN, "/start jubileum")
        part = await emu.wait_for_bot_message(GROUP.id, has_buttons)
        # The first vote's tally edit goes out at once; the second is held back.
        await emu.press_button(GROUP, VOTERS[0], part, "v:1:1:red")
        await emu.wait_for(lambda: emu.sync.edits())
        await emu.press_button(GROUP, VOTERS[1], part, "v:1:1:red")
        await emu.wait_for(lambda: len(emu.sync.callback_answers()) == 2)
        held = await emu.edits()
        send_signal(signal.SIGTERM)
        await asyncio.wait_for(task, WAIT)
        edits = await emu.edits()
    finally:
        await stopped(task)
    assert len(held) == 1 and "Stemmer så langt: 1" in held[0]["text"]
    assert len(edits) == 2 and "Stemmer så langt: 2" in edits[-1]["text"]  # sent on the way out
    assert button_data(edits[-1]) == button_data(part)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # handlers removed again


def post_update(url: str, update: dict[str, Any], secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(url, json.dumps(update).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=WAIT) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def command_update(update_id: int, text: str) -> dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": 1000 + update_id, "date": int(time.time()), "text": text,
        "chat": {"id": EVA.id, "type": "private", "first_name": EVA.first_name},
        "from": {"id": EVA.id, "is_bot": False, "first_name": EVA.first_name},
        "entities": [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]}}


async def test_webhook_mode_registers_a_secret_and_serves_updates(telegram_sandbox, tmp_path):
    """The emulator records setWebhook; the test then plays Telegram and POSTs updates to the bot's server."""
    tg, emu = telegram_sandbox, telegram_sandbox.client.aio
    with reserved_port() as port:  # held until the test ends: the bot's server binds it meanwhile
        url = f"http://127.0.0.1:{port}/telegram/hook"
        config = make_config(tg, tmp_path, telegram_webhook_url=url, telegram_webhook_listen=f"127.0.0.1:{port}")
        task = asyncio.create_task(run(config, console=False, controllers=frozenset()))
        try:
            registered = (await started(emu, task, "setWebhook"))["params"]
            secret = registered["secret_token"]
            forged = await asyncio.to_thread(post_update, url, command_update(1, "/help"), "wrong")
            missing = await asyncio.to_thread(post_update, url, command_update(2, "/help"), None)
            status = await asyncio.to_thread(post_update, url, command_update(3, "/start jubileum"), secret)
            part = await emu.wait_for_bot_message(EVA.id, has_buttons)
            send_signal(signal.SIGINT)
            await asyncio.wait_for(task, WAIT)
            messages = await emu.bot_messages(EVA.id)
            polls = await emu.calls("getUpdates")
        finally:
            await stopped(task)
    assert registered["url"] == url and len(secret) >= 32
    assert json.loads(registered["allowed_updates"]) == ["message", "callback_query"]
    assert (forged, missing, status) == (403, 403, 200)
    assert messages[0]["text"].startswith("<i>Selvtest:") and button_data(part) == ["v:1:1:red", "v:1:1:green"]
    assert not any("Dilemmabot – etikkdilemmaer" in m["text"] for m in messages)  # the forged /help did nothing
    assert polls == []
