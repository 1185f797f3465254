"""A full disk during a run, made portable with SQLite's ``PRAGMA max_page_count``.

The store: a failed commit acknowledges nothing, fails what was queued behind it, is reported once a
minute at most, and the store works again once there is room.  The runner: under concurrent votes, its
engine never keeps (or shows) a vote that was not committed, and each voter hears whether theirs was saved.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import timedelta
from pathlib import Path
from typing import AsyncIterator

import pytest

from bot.cases import load_library
from bot.config import DEFAULT_CASES
from bot.effects import Edit, PartOpened, Post, Reply, RoundStarted, VoteRecorded
from bot.engine.rounds import StartRound
from bot.events import CommandIssued, Sender, VoteCast
from bot.i18n import t
from bot.logs import Throttle
from bot.platforms import Capabilities
from bot.ratelimit import RateLimiter
from bot.richtext import to_plain
from bot.runner import Runner
from bot.store import CommitFailed, Store

from ..engine.conftest import T0


async def fill_up(store: Store) -> None:
    """No page more than the database has now: the next write that needs one fails with SQLITE_FULL."""
    pages = await store._pragma("page_count")
    await store._db.execute(f"PRAGMA max_page_count = {pages}")


async def make_room(store: Store) -> None:
    await store._db.execute("PRAGMA max_page_count = 1073741823")


def votes(prefix: str, count: int, round_id: int = 1) -> list[VoteRecorded]:
    return [VoteRecorded(round_id, 1, f"{prefix}{i}", "red", T0) for i in range(count)]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A store, closed however the test ends (an open one would keep the process alive)."""
    opened = await Store.open(tmp_path / "full.db")
    try:
        yield opened
    finally:
        await make_room(opened)
        await opened.close()


@pytest.fixture
async def started(store: Store) -> Store:
    """The store with a round whose first part is open."""
    await store.commit([RoundStarted(1, "test:g", "tre", "nb", None, T0), PartOpened(1, 1, T0)])
    return store


async def test_a_commit_on_a_full_disk_acknowledges_nothing_and_the_store_recovers(started: Store) -> None:
    store = started
    await store.commit(votes("before", 10))
    await fill_up(store)
    with pytest.raises(CommitFailed, match="full"):
        await store.commit(votes("lost", 500))
    assert store.failing and store.failures == 1
    assert await store.vote_count() == 10  # all or nothing: none of the 500 went in
    await make_room(store)
    await store.commit(votes("after", 500))
    assert not store.failing
    assert await store.vote_count() == 510


async def test_what_is_queued_behind_a_failed_commit_fails_with_it(started: Store) -> None:
    store = started
    await store.commit(votes("v", 10))
    await fill_up(store)
    gate = threading.Event()  # holds aiosqlite's thread, so the big batch is still being written
    await store._db.create_function("wait_for_gate", 0, gate.wait)
    held = asyncio.create_task(store._db.execute("SELECT wait_for_gate()"))
    big = asyncio.create_task(store.commit(votes("lost", 500)))
    while store._flushing is None:
        await asyncio.sleep(0)
    small = asyncio.create_task(store.commit([VoteRecorded(1, 1, "v1", "green", T0)]))  # fits: alone, it is saved
    while store._batch is None:
        await asyncio.sleep(0)
    gate.set()
    await held
    results = await asyncio.gather(big, small, return_exceptions=True)
    assert [type(result) for result in results] == [CommitFailed, CommitFailed]
    assert (await store.load()).rounds[0].parts[0].votes["v1"] == "red"
    await store.commit([VoteRecorded(1, 1, "v1", "green", T0)])  # once nothing failed before it, it is saved
    assert (await store.load()).rounds[0].parts[0].votes["v1"] == "green"


async def test_a_disk_that_stays_full_is_reported_once_a_minute(started: Store,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    store = started
    store.failure_reports = Throttle(60, clock=lambda: now[0])
    await fill_up(store)
    for second in range(0, 150, 5):  # a vote every five seconds for two and a half minutes, all failing
        now[0] = float(second)
        with pytest.raises(CommitFailed):
            await store.commit(votes(f"s{second}-", 200))
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR and r.name == "bot.store"]
    assert len(errors) == 3  # at 0 s, 60 s and 120 s
    assert "database or disk is full" in errors[0] and "11 more failed since the last report" in errors[1]
    await make_room(store)
    await store.commit(votes("back", 1))
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "the database can be written again"]


class Recorder:
    """A transport that keeps what the bot said."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.edits: list[Edit] = []

    async def post(self, message: Post) -> str:
        return "1"

    async def edit(self, message: Edit, platform_id: str) -> None:
        self.edits.append(message)

    async def reply(self, message: Reply) -> None:
        self.replies.append(message)


async def attached(store: Store, transport: Recorder, **engine_options: object) -> Runner:
    """A runner on ``store`` whose "test:" chats go to ``transport``."""
    runner = await Runner.create(load_library(DEFAULT_CASES), store, **engine_options)
    runner.attach("test", transport, Capabilities(edit_interval=timedelta(0)))
    return runner


async def test_concurrent_voters_on_a_filling_disk_each_hear_the_truth_and_the_count_stays_true(
        store: Store) -> None:
    transport = Recorder()
    unlimited = RateLimiter(10_000, 10_000)
    runner = await attached(store, transport, user_limit=unlimited, chat_limit=unlimited, command_limit=unlimited)
    chat = "test:hall"
    effects = await runner.handle(CommandIssued(chat, Sender("trainer", True), StartRound("jubileum"), T0))
    round_id = next(e.round_id for e in effects if isinstance(e, RoundStarted))
    await fill_up(store)

    async def vote(i: int) -> None:
        await runner.handle(VoteCast(chat, Sender(f"user{i}"), round_id, 1, "red" if i % 3 else "green", T0))

    voting: list[asyncio.Task[None]] = []
    for i in range(3000):  # a hall pressing buttons, one after another while earlier votes are being written
        voting.append(asyncio.create_task(vote(i)))
        await asyncio.sleep(0)
        if store.failures:
            break
    await asyncio.gather(*voting)
    assert store.failures, "the disk never filled up"
    saved_text, lost_text = t("nb", "vote.recorded", option="").split(":")[0], t("nb", "fault.vote_not_saved")
    acked = {r.user for r in transport.replies if to_plain(r.text).startswith(saved_text)}
    lost = {r.user for r in transport.replies if to_plain(r.text) == lost_text}
    assert lost and not acked & lost and len(acked | lost) == len(transport.replies) == len(voting)

    stored = (await store.load()).rounds[-1].parts[0].votes
    assert acked <= set(stored) and not lost & set(stored)  # nothing acknowledged is lost, nothing lost is kept
    assert runner.engine.round(round_id).parts[0].votes == stored  # the engine holds exactly what was committed
    assert f"Stemmer så langt: {len(stored)}" in to_plain(transport.edits[-1].text)  # and so does the live count

    await make_room(store)
    lost_one = sorted(lost)[0]
    transport.replies.clear()
    await runner.handle(VoteCast(chat, Sender(lost_one), round_id, 1, "red", T0))  # trying again works
    assert to_plain(transport.replies[0].text).startswith(saved_text)
    assert (await store.load()).rounds[-1].parts[0].votes[lost_one] == "red"


async def test_a_live_count_that_showed_votes_then_lost_is_corrected_at_once(store: Store) -> None:
    transport = Recorder()
    runner = await attached(store, transport)
    effects = await runner.handle(CommandIssued("test:g2", Sender("trainer", True), StartRound("jubileum"), T0))
    round_id = next(e.round_id for e in effects if isinstance(e, RoundStarted))
    await fill_up(store)
    gate = threading.Event()  # holds aiosqlite's thread: alice's vote is being written, the hall's queue behind it
    await store._db.create_function("wait_for_gate", 0, gate.wait)
    held = asyncio.create_task(store._db.execute("SELECT wait_for_gate()"))
    alice = asyncio.create_task(runner.handle(VoteCast("test:g2", Sender("alice"), round_id, 1, "red", T0)))
    while store._flushing is None:
        await asyncio.sleep(0)
    hall = [asyncio.create_task(runner.handle(VoteCast("test:g2", Sender(f"u{i}"), round_id, 1, "red", T0)))
            for i in range(500)]  # far more than the room left: their transaction fails
    while store._batch is None:
        await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(held, alice, *hall)
    assert store.failures == 1 and await store.vote_count() == 1
    shown = [to_plain(edit.text) for edit in transport.edits]
    assert any("Stemmer så langt: 501" in text for text in shown)  # alice's answer counted the hall, still in flight
    assert "Stemmer så langt: 1\n" in shown[-1]  # and the count was put right as soon as their votes were lost
