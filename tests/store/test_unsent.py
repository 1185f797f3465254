"""What a group must see of a round survives a stop before it could be sent (bot/unsent.py).

A platform that cannot be reached holds the runner's messages back; if the bot then stops (or is killed), the
posts and the final edits of parts are sent at the next start, in order, as the engine made them, and once only.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.cases import load_library
from bot.config import DEFAULT_CASES
from bot.effects import Edit, Effect, Message, Post, Reply, split
from bot.engine.chats import Forget
from bot.engine.rounds import CloseVoting, StartRound
from bot.engine.selftest import SelfTest
from bot.events import CommandIssued, Sender, VoteCast
from bot.platforms import Capabilities
from bot.runner import PlatformDown, Runner
from bot.unsent import decode, encode, lasting

from ..clock import Clock
from .conftest import StoreOpener

GROUP = "test:g"
TRAINER = Sender("trainer", True)


class Platform:
    """A transport that is down until told otherwise, or refuses everything for good; it keeps what it took."""

    def __init__(self, *, down: bool = False, refuses: bool = False):
        self.down, self.refuses = down, refuses
        self.taken: list[Message] = []
        self.edited_ids: list[str] = []

    def _take(self, message: Message) -> None:
        if self.down:
            raise PlatformDown("test: unreachable")
        if self.refuses:
            raise RuntimeError("test: the bot was removed from the chat")
        self.taken.append(message)

    async def post(self, message: Post) -> str | None:
        self._take(message)
        return f"id{len(self.taken)}"

    async def edit(self, message: Edit, platform_id: str) -> None:
        self._take(message)
        self.edited_ids.append(platform_id)

    async def reply(self, message: Reply) -> None:
        self._take(message)


async def bot(open_store: StoreOpener, db: Path, platform: Platform) -> Runner:
    runner = await Runner.create(load_library(DEFAULT_CASES), await open_store(db), clock=Clock())
    runner.attach("test", platform, Capabilities())
    return runner


async def play(runner: Runner) -> list[Effect]:
    """Start a round, vote, close the part: a part message, its closing edit and the results."""
    now = runner.clock()
    effects = await runner.handle(CommandIssued(GROUP, TRAINER, StartRound("jubileum"), now))
    for voter in ("a", "b", "c"):
        effects += await runner.handle(VoteCast(GROUP, Sender(voter), 1, 1, "red", now))
    return effects + await runner.handle(CommandIssued(GROUP, TRAINER, CloseVoting(), now))


async def test_a_stop_while_the_platform_is_down_loses_no_post_nor_closing_edit(
        open_store: StoreOpener, tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    first = await bot(open_store, db, Platform(down=True))
    made = [m for m in split(await play(first))[1] if lasting(m)]
    assert any(isinstance(m, Edit) for m in made) and sum(isinstance(m, Post) for m in made) >= 3
    await first.store.close()  # as if killed: nothing more is sent, nothing flushed

    platform = Platform()
    again = await bot(open_store, db, platform)
    await again.start()
    await again.stop()
    assert [m for m in platform.taken if lasting(m)] == made  # every one, in order, as the engine made it
    closing = next(m for m in made if isinstance(m, Edit))
    part_post = next(n for n, m in enumerate(platform.taken, 1) if isinstance(m, Post) and m.key == closing.key)
    assert platform.edited_ids == [f"id{part_post}"]  # the closing edit found the part posted after the restart
    assert await again.store.unsent() == []


async def test_what_went_out_is_not_sent_again_after_a_restart(open_store: StoreOpener, tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    first_platform = Platform()
    first = await bot(open_store, db, first_platform)
    await play(first)
    await first.stop()
    assert first_platform.taken
    platform = Platform()
    again = await bot(open_store, db, platform)
    await again.start()
    await again.stop()
    assert [m for m in platform.taken if lasting(m)] == []


async def test_a_running_bot_deletes_what_went_out_without_waiting_for_another_event(
        open_store: StoreOpener, tmp_path: Path) -> None:
    runner = await bot(open_store, tmp_path / "bot.db", Platform())
    await runner.start()
    await play(runner)  # the rows of the last event's messages have no later commit to go with
    for _ in range(600):  # 30 s: only a hang reaches it (the runner commits them within SENT_FLUSH)
        if not await runner.store.unsent():
            break
        await asyncio.sleep(0.05)
    remaining = await runner.store.unsent()
    await runner.stop()
    assert remaining == []


async def test_a_message_the_platform_refuses_for_good_is_not_kept(open_store: StoreOpener, tmp_path: Path) -> None:
    runner = await bot(open_store, tmp_path / "bot.db", Platform(refuses=True))
    await play(runner)
    await runner.stop()
    assert await runner.store.unsent() == []


async def test_forget_deletes_what_waits_for_the_persons_private_chat(open_store: StoreOpener, tmp_path: Path) -> None:
    runner = await bot(open_store, tmp_path / "bot.db", Platform(down=True))
    me = Sender("me")
    dm = "test:p:me"
    await runner.handle(CommandIssued(dm, me, SelfTest("jubileum"), runner.clock(), private=True))
    await runner.handle(CommandIssued(GROUP, TRAINER, StartRound("jubileum"), runner.clock()))
    assert {u.message.chat for u in await runner.store.unsent()} == {dm, GROUP}
    await runner.handle(CommandIssued(dm, me, Forget(), runner.clock(), private=True))
    assert {u.message.chat for u in await runner.store.unsent()} == {GROUP}


async def test_every_kept_message_of_a_round_reads_back_as_it_was(open_store: StoreOpener, tmp_path: Path) -> None:
    runner = await bot(open_store, tmp_path / "bot.db", Platform())
    made = [m for m in split(await play(runner))[1] if lasting(m)]
    assert any(isinstance(m, Post) and m.chart is not None and m.buttons == () for m in made)
    assert any(isinstance(m, Post) and m.buttons for m in made)
    assert [decode(encode(m)) for m in made] == made
