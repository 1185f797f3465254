"""The overall split as running totals in the store (bot/overall.py): equal to a recount, whatever the history.

Random histories of group rounds, self-tests, votes, closes and /forget go through the real runner and
store.  After each step the store's live totals equal a recount of each person's latest closed answer,
the shown snapshot moves only in steps of STEP new answers (or at once after /forget), and the engine
holds exactly the shown snapshot.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.effects import PartClosed, UserForgotten
from bot.engine.chats import Forget
from bot.engine.rounds import CloseVoting, NextPart, StartRound
from bot.engine.selftest import SelfTest
from bot.events import CommandIssued, NextPressed, Sender, VoteCast
from bot.overall import MINIMUM, STEP
from bot.platforms import Capabilities
from bot.ratelimit import RateLimiter
from bot.runner import Runner
from bot.store import Store

from ..engine.conftest import make_library
from .conftest import StoreOpener

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)
USERS = [f"u{i}" for i in range(8)]


class Null:
    async def post(self, message: object) -> str:
        return "1"

    async def edit(self, message: object, platform_id: str) -> None:
        return None

    async def reply(self, message: object) -> None:
        return None


def recount(answers: dict[tuple[str, int, str], str]) -> dict[tuple[str, int], Counter[str]]:
    totals: dict[tuple[str, int], Counter[str]] = {}
    for (case, part, _user), option in answers.items():
        totals.setdefault((case, part), Counter())[option] += 1
    return totals


def stored(db: Path) -> tuple[dict[tuple[str, int], dict[str, int]], dict[tuple[str, int], dict[str, int]]]:
    live: dict[tuple[str, int], dict[str, int]] = {}
    shown: dict[tuple[str, int], dict[str, int]] = {}
    with sqlite3.connect(db) as conn:
        for case, part, option, live_count, shown_count in conn.execute(
                "SELECT case_id, part, option, live, shown FROM overall"):
            if live_count:
                live.setdefault((case, part), {})[option] = live_count
            shown.setdefault((case, part), {})[option] = shown_count
    return live, shown


class History:
    """A runner on a fresh store, and a model of everyone's latest closed answer."""

    def __init__(self, runner: Runner, db: Path):
        self.runner, self.db = runner, db
        self.now = T0
        self.answers: dict[tuple[str, int, str], str] = {}
        self.shown_total: dict[tuple[str, int], int] = {}

    async def send(self, event: object) -> None:
        self.now += timedelta(seconds=10)
        effects = await self.runner.handle(event)  # type: ignore[arg-type]
        retaken: set[tuple[str, int]] = set()
        for effect in effects:
            if isinstance(effect, PartClosed):
                rnd = self.runner.engine.round(effect.round_id)
                for user, option in (rnd.parts[effect.part - 1].votes.items() if rnd else ()):
                    self.answers[(effect.case_id, effect.part, user)] = option
            if isinstance(effect, UserForgotten):
                retaken |= {(case, part) for case, part, user in self.answers if user == effect.user}
                self.answers = {k: v for k, v in self.answers.items() if k[2] != effect.user}
        await self.check(any(isinstance(e, UserForgotten) for e in effects), retaken)

    async def check(self, forgot: bool, retaken: set[tuple[str, int]]) -> None:
        live, shown = stored(self.db)
        for key in retaken:  # what the forgotten person answered leaves the snapshot at once
            assert {o: n for o, n in shown.get(key, {}).items() if n} == live.get(key, {}), key
        assert live == {k: dict(v) for k, v in recount(self.answers).items() if v}, "live totals != a recount"
        for key, counts in shown.items():
            total, before = sum(counts.values()), self.shown_total.get(key, 0)
            live_total = sum(live.get(key, {}).values())
            if total != before:  # a new snapshot: a step of new answers, or a forget; and then equal to live
                assert forgot or total >= before + STEP, (key, before, total)
                assert counts == {o: live.get(key, {}).get(o, 0) for o in counts}, (key, counts, live.get(key))
            assert live_total < total + STEP, (key, live_total, total)  # else a snapshot was due and not taken
            self.shown_total[key] = total
            engine_view, engine_total = self.runner.engine.overall.split(*key)
            assert engine_total == total and (engine_view is None) == (total < MINIMUM)


actions = st.lists(st.one_of(
    st.tuples(st.just("group"), st.sampled_from(("g1", "g2")), st.lists(
        st.tuples(st.sampled_from(USERS), st.sampled_from(("red", "green"))), max_size=8)),
    st.tuples(st.just("selftest"), st.sampled_from(USERS), st.sampled_from(("red", "green"))),
    st.tuples(st.just("forget"), st.sampled_from(USERS)),
), min_size=1, max_size=25)


async def _play(history: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "o.db"
        store = await Store.open(db)
        try:
            runner = await Runner.create(make_library(), store, clock=lambda: T0, user_limit=RateLimiter(1e6, 1e6),
                                         chat_limit=RateLimiter(1e6, 1e6))
            runner.attach("test", Null(), Capabilities(typed_votes=True))
            h = History(runner, db)
            trainer = Sender("trainer", True)
            for action in history:
                if action[0] == "group":
                    chat = f"test:{action[1]}"
                    await h.send(CommandIssued(chat, trainer, StartRound("tre"), h.now))
                    rid = runner.engine.running(chat).id
                    for user, option in action[2]:
                        await h.send(VoteCast(chat, Sender(user), rid, 1, option, h.now))
                    await h.send(CommandIssued(chat, trainer, CloseVoting(), h.now))
                    for _ in range(3):
                        await h.send(CommandIssued(chat, trainer, NextPart(), h.now))
                elif action[0] == "selftest":
                    user, dm = action[1], f"test:dm-{action[1]}"
                    await h.send(CommandIssued(dm, Sender(user), SelfTest("tre"), h.now, private=True))
                    rid = runner.engine.running(dm).id
                    await h.send(VoteCast(dm, Sender(user), rid, 1, action[2], h.now))
                    await h.send(NextPressed(dm, Sender(user), rid, 1, h.now))
                else:
                    user = action[1]
                    await h.send(CommandIssued(f"test:dm-{user}", Sender(user), Forget(), h.now, private=True))
        finally:
            await store.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions)
def test_running_totals_always_equal_a_recount_and_the_snapshot_moves_in_steps(history: list[tuple]) -> None:
    asyncio.run(_play(history))


async def test_latest_answer_counts_once(tmp_path: Path, open_store: StoreOpener) -> None:
    """Repeating a self-test moves the person's one answer; it never adds another."""
    db = tmp_path / "l.db"
    store = await open_store(db)
    runner = await Runner.create(make_library(), store, clock=lambda: T0)
    runner.attach("test", Null(), Capabilities(typed_votes=True))
    now = T0
    for option in ("red", "green", "green"):
        now += timedelta(minutes=1)
        await runner.handle(CommandIssued("test:dm-u0", Sender("u0"), SelfTest("tre"), now, private=True))
        rid = runner.engine.running("test:dm-u0").id
        await runner.handle(VoteCast("test:dm-u0", Sender("u0"), rid, 1, option, now))
    await store.close()
    assert stored(db)[0] == {("tre", 1): {"green": 1}}
