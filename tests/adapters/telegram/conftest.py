"""Fixtures for end-to-end tests of the Telegram adapter against the Bot API emulator.

The emulator (telegram-test-api 4.2.1 + our patches, ./emulator/server.js) runs as one Node process per
test session. Its node_modules come from `npm ci --prefix tests/adapters/telegram/emulator`.

- `telegram_emulator` (session): the running emulator; `.base_url` / `.base_file_url` for PTB's
  ApplicationBuilder, `.token` (a default token) and `.client` (an `Emulator` for that token).
- `telegram_sandbox` (function): the same server with a fresh bot token, so each test starts with no
  messages, edits, admins or injected faults left over from other tests.

    app = ApplicationBuilder().token(tg.token).base_url(tg.base_url).base_file_url(tg.base_file_url).build()
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from . import emulator_process
from .emulator_client import Emulator
from .emulator_process import EMULATOR_DIR, NPM_HINT


def pytest_configure(config: pytest.Config) -> None:
    # Harmless if pyproject registers it too.
    config.addinivalue_line("markers", "e2e: end-to-end test against an external emulator/server")


@dataclass
class TelegramEnv:
    """What a test needs to point python-telegram-bot at the emulator."""

    url: str  # e.g. http://127.0.0.1:40123
    token: str
    client: Emulator

    @property
    def base_url(self) -> str:
        """For ApplicationBuilder().base_url(...) / Bot(base_url=...): PTB appends <token>/<method>."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"


@dataclass
class TelegramEmulatorServer(TelegramEnv):
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def fresh(self) -> TelegramEnv:
        """A new bot token on the same server: an isolated bot with empty state."""
        token = f"{100000 + next(self._counter)}:TEST-{uuid.uuid4().hex[:12]}"
        return TelegramEnv(self.url, token, self.client.with_token(token))

    def log(self) -> str:
        """What the emulator wrote to stdout/stderr so far (unsupported methods, errors)."""
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""


def _check_installed() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Telegram e2e tests need Node.js (>= 18) on PATH: `node` was not found.", pytrace=False)
    if not emulator_process.installed():
        pytest.fail(
            f"The Telegram emulator is not installed ({EMULATOR_DIR / 'node_modules'} is missing).\n"
            f"Run from the repository root:\n    {NPM_HINT}",
            pytrace=False,
        )
    return node


@pytest.fixture(scope="session")
def telegram_emulator(tmp_path_factory: pytest.TempPathFactory):
    """The running emulator (one per session); killed at the end even when tests fail."""
    node = _check_installed()
    log_path = tmp_path_factory.mktemp("telegram-emulator") / "server.log"
    try:
        proc, url = emulator_process.start(node, log_path)
    except emulator_process.EmulatorDidNotStart as exc:
        pytest.fail(str(exc), pytrace=False)
    token = "123456:TEST-token"
    server = TelegramEmulatorServer(url=url, token=token, client=Emulator(url, token), process=proc,
                                    log_path=log_path)
    try:
        yield server
    finally:
        emulator_process.stop(proc)


@pytest.fixture
def telegram_sandbox(telegram_emulator: TelegramEmulatorServer) -> TelegramEnv:
    """A fresh bot token on the session's emulator: clean state for this test."""
    return telegram_emulator.fresh()
