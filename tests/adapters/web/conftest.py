"""Fixtures of the browser tests: Chromium through playwright, and the bots a test starts (see browser.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from .browser import ConsoleBot, require_chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh page at 1280x720; ``page.errors`` collects what the console reports as errors (CSP violations too)."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True)  # type: ignore[attr-defined]
    opened = context.new_page()
    opened.errors = []
    opened.on("console", lambda message: opened.errors.append(message.text) if message.type == "error" else None)
    opened.on("pageerror", lambda error: opened.errors.append(f"pageerror: {error}"))
    yield opened
    context.close()


@pytest.fixture
def bots(tmp_path: Path) -> Iterator[list[ConsoleBot]]:
    """The bots a test starts, stopped (or killed) at its end whatever happens."""
    started: list[ConsoleBot] = []
    yield started
    for bot in started:
        if bot.process.poll() is None:
            bot.kill()
