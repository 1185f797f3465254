"""Opening stores in tests so that a failing test still ends: every store is closed at teardown."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator, Awaitable, Protocol

import pytest

from bot.store import Store


class StoreOpener(Protocol):
    def __call__(self, path: Path, *, read_only: bool = False) -> Awaitable[Store]: ...


@pytest.fixture
async def open_store() -> AsyncIterator[StoreOpener]:
    """``Store.open`` for one test.  A store left open keeps aiosqlite's thread, and so pytest, from ever
    exiting: a failed assertion before ``close()`` would hang the run instead of failing it."""
    opened: list[Store] = []

    async def open_(path: Path, *, read_only: bool = False) -> Store:
        store = await Store.open(path, read_only=read_only)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        await store.close()  # closing twice is harmless
