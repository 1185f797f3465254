"""Store.backup: SQLite's online backup, taken from a read-only connection while another one writes."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.effects import PartOpened, RoundStarted, VoteRecorded
from bot.store import Store

from ..engine.conftest import T0


async def test_a_backup_holds_everything_committed_before_it_while_writes_go_on(tmp_path: Path) -> None:
    db, dest = tmp_path / "bot.db", tmp_path / "copy.db"
    store = await Store.open(db)
    await store.commit([RoundStarted(1, "test:g", "tre", "nb", None, T0), PartOpened(1, 1, T0)])
    await store.commit([VoteRecorded(1, 1, f"before{i}", "red", T0) for i in range(50)])  # still in the WAL
    reader = await Store.open(db, read_only=True)
    stop = asyncio.Event()

    async def keep_voting() -> int:
        batches = 0
        while not stop.is_set():
            await store.commit([VoteRecorded(1, 1, f"during{batches}-{i}", "green", T0) for i in range(20)])
            batches += 1
        return batches

    writer = asyncio.create_task(keep_voting())
    try:
        await reader.backup(dest)
    finally:
        stop.set()
        written_meanwhile = await writer
        await reader.close()
        await store.close()

    assert dest.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(dest) as copy:
        users = {user for (user,) in copy.execute("SELECT user FROM votes")}
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file, no -wal to carry along
    assert {f"before{i}" for i in range(50)} <= users
    during = {user for user in users if user.startswith("during")}
    assert len(during) % 20 == 0  # whole transactions only
    assert written_meanwhile > 0
