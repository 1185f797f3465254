"""The SQLite store: migrations, group commit, restore after restart, export rows."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot.effects import Effect, PartOpened, RoundStarted, ScheduleSaved, VoteRecorded, records
from bot.engine import Engine
from bot.engine.rounds import CloseVoting, StartRound, StopRound
from bot.engine.schedules import ListSchedules, Schedule
from bot.overall import Overall
from bot.richtext import to_plain
from bot.store import MIGRATIONS, Store

from ..engine.conftest import T0, Driver, make_library, new_engine, of, replies, texts
from .conftest import StoreOpener


async def restart(drive: Driver, path: Path, effects: list[Effect]) -> None:
    """Commit ``effects``' records, then carry on with an engine rebuilt from the store, as after a restart."""
    store = await Store.open(path)
    try:
        await store.commit(records(effects))
        snapshot = await store.load()
    finally:
        await store.close()
    old = drive.engine
    drive.engine = Engine(old.library, platforms=old.platforms, rounds=snapshot.rounds, settings=snapshot.settings,
                          schedules=snapshot.schedules, overall=Overall(snapshot.overall),
                          last_round_id=snapshot.last_round_id, last_schedule_id=snapshot.last_schedule_id,
                          user_limit=old.user_limit, chat_limit=old.chat_limit)


async def test_new_database_is_migrated_to_the_latest_version_in_wal_mode(
        tmp_path: Path, open_store: StoreOpener, caplog: pytest.LogCaptureFixture,
) -> None:
    store = await open_store(tmp_path / "a.db")
    await store.set_value("kept", "yes")
    await store.close()
    with sqlite3.connect(tmp_path / "a.db") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with caplog.at_level(logging.INFO, logger="bot.store"):
        store = await open_store(tmp_path / "a.db")  # opening again migrates nothing and keeps what was there
    assert store.schema_version == len(MIGRATIONS) and await store.get_value("kept") == "yes"
    assert [r.getMessage() for r in caplog.records if "migrated" in r.getMessage()] == []


async def test_concurrent_commits_share_transactions(tmp_path: Path, open_store: StoreOpener) -> None:
    store = await open_store(tmp_path / "b.db")
    drive = Driver(new_engine())
    await store.commit(drive.cmd("test:g", "t", StartRound("tre"), controller=True)[:1])
    await store.commit([])  # nothing to write: returns at once
    await store.commit([PartOpened(1, 1, drive.now)])
    votes = [[VoteRecorded(1, 1, f"user{i}", "red", drive.now)] for i in range(500)]
    await asyncio.gather(*(store.commit(v) for v in votes))
    assert await store.vote_count() == 500
    assert store.batches < 50  # 500 waiting callers went in a few transactions, not 500
    await store.close()


async def test_restart_resumes_rounds_settings_and_schedules(tmp_path: Path, open_store: StoreOpener) -> None:
    from bot.engine.chats import SetLanguage
    from bot.engine.schedules import Schedule

    drive = Driver(new_engine())
    store = await open_store(tmp_path / "c.db")
    effects = drive.cmd("test:g", "t", SetLanguage("en"), controller=True)
    effects += drive.cmd("test:g", "t", StartRound("tre", timedelta(minutes=5)), controller=True)
    rid = of(effects, RoundStarted)[0].round_id
    effects += drive.vote("test:g", "alice", rid, 1, "red")
    effects += drive.vote("test:g", "bob", rid, 1, "green")
    effects += drive.vote("test:g", "bob", rid, 1, "red")
    effects += drive.cmd("test:h", "t", Schedule("tre", "in 2h", "in 3h"), controller=True)
    await store.commit(records(effects))
    await store.close()

    store = await open_store(tmp_path / "c.db")
    snapshot = await store.load()
    await store.close()
    engine = Engine(make_library(), rounds=snapshot.rounds, settings=snapshot.settings, schedules=snapshot.schedules)
    rnd = engine.round(rid)
    assert rnd.parts[0].votes == {"alice": "red", "bob": "red"}
    assert rnd.voting_open and rnd.timer == timedelta(minutes=5)
    assert rnd.parts[0].closes_at == drive.now + timedelta(minutes=5)
    assert engine.running("test:g") is rnd and engine.lang("test:g") == "en"
    assert [s.case_id for s in engine.schedules_of("test:h")] == ["tre"]
    assert engine.next_wakeup() == drive.now + timedelta(minutes=5)
    assert engine.next_round_id == rid + 1


async def test_export_rows_have_counts_and_no_user_ids(tmp_path: Path, open_store: StoreOpener) -> None:
    drive = Driver(new_engine())
    store = await open_store(tmp_path / "d.db")
    effects = drive.cmd("test:g", "t", StartRound("tre"), controller=True)
    rid = of(effects, RoundStarted)[0].round_id
    for user, option in (("alice", "red"), ("bob", "red"), ("carol", "green")):
        effects += drive.vote("test:g", user, rid, 1, option)
    effects += drive.cmd("test:g", "t", CloseVoting(), controller=True)
    await store.commit(records(effects))
    rows = await store.export_rows()
    await store.close()
    assert rows[0]["case"] == "tre" and [p["counts"] for p in rows[0]["parts"]] == [{"red": 2, "green": 1}]
    assert "alice" not in repr(rows)


async def test_forget_deletes_adapter_state_that_names_the_user(tmp_path: Path, open_store: StoreOpener) -> None:
    from bot.effects import UserForgotten

    store = await open_store(tmp_path / "e.db")
    await store.set_value("matrix.reaction:$1", '{"user": "alice"}', owner="alice")
    await store.set_value("matrix.reaction:$2", '{"user": "bob"}', owner="bob")
    await store.set_value("matrix.next_batch", "s1")
    await store.commit([UserForgotten("alice", "test:p:alice")])
    assert await store.get_value("matrix.reaction:$1") is None
    assert await store.get_value("matrix.reaction:$2") is not None and await store.get_value("matrix.next_batch") == "s1"
    await store.close()


async def test_a_version_1_database_is_migrated_in_place(tmp_path: Path, open_store: StoreOpener) -> None:
    with sqlite3.connect(tmp_path / "old.db") as db:
        db.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
        db.execute("INSERT INTO kv (key, value) VALUES ('k', 'v')")
    store = await open_store(tmp_path / "old.db")
    assert await store.get_value("k") == "v"
    await store.set_value("k2", "v2", owner="u1")
    await store.close()
    with sqlite3.connect(tmp_path / "old.db") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


async def test_round_ids_are_not_reused_after_forget_deletes_the_newest_round(
        tmp_path: Path, open_store: StoreOpener,
) -> None:
    from bot.engine.chats import Forget
    from bot.engine.selftest import SelfTest

    drive = Driver(new_engine())
    effects = drive.cmd("test:g", "t", StartRound("tre"), controller=True)
    effects += drive.cmd("test:p:eva", "eva", SelfTest("tre"), private=True)
    selftest = of(effects, RoundStarted)[-1].round_id
    effects += drive.cmd("test:p:eva", "eva", Forget(), private=True)
    store = await open_store(tmp_path / "f.db")
    await store.commit(records(effects))
    snapshot = await store.load()
    await store.close()
    assert selftest not in {r.id for r in snapshot.rounds}
    assert snapshot.last_round_id == selftest
    assert Engine(make_library(), rounds=snapshot.rounds, last_round_id=snapshot.last_round_id).next_round_id == selftest + 1


REMINDER = "Påminnelse: «Tre deler»"


@pytest.mark.parametrize("restart_at", ["before the reminder", "after the reminder"])
async def test_the_reminder_is_posted_once_across_a_restart(tmp_path: Path, restart_at: str) -> None:
    drive = Driver(new_engine())
    effects = drive.cmd("test:g", "t", Schedule("tre", "in 1h", "in 3h"), controller=True)
    drive.advance(hours=1)
    effects += drive.tick()  # the round opens; the reminder is due half-way, at 2h
    if restart_at == "after the reminder":
        drive.advance(hours=1)
        effects += drive.tick()
        assert [text for text in texts(effects) if text.startswith(REMINDER)]
    await restart(drive, tmp_path / "r.db", effects)
    drive.now = T0 + timedelta(hours=2, minutes=10)  # past the reminder, before voting closes at 3h
    reminders = [text for text in texts(drive.tick()) if text.startswith(REMINDER)]
    assert len(reminders) == (1 if restart_at == "before the reminder" else 0)


async def test_a_finished_scheduled_round_is_not_listed_after_a_restart(tmp_path: Path) -> None:
    drive = Driver(new_engine())
    effects = drive.cmd("test:g", "t", Schedule("tre", "in 1h"), controller=True)
    number = of(effects, ScheduleSaved)[0].schedule_id
    drive.advance(hours=1)
    effects += drive.tick()
    effects += drive.cmd("test:g", "t", StopRound(), controller=True)
    await restart(drive, tmp_path / "s.db", effects)
    assert drive.engine.schedule(number) is None and drive.engine.schedules_of("test:g") == []
    assert to_plain(replies(drive.cmd("test:g", "x", ListSchedules()))[0].text) == "Ingen planlagte runder."
