"""Property tests: random sessions across chats and users keep the engine's invariants.

A session is a random list of actions (start, vote by button or command, change, withdraw, close,
next, stop, forget, self-test, "next" button, time passing) by controllers and ordinary users in
two groups and the users' private chats, with a fake clock.  After every event:

- no exception escapes ``Engine.handle``;
- a vote record is only ever about the sender, at most one per event; every counted vote is an
  option of its part (one vote per user per part: the engine keeps ``user -> option``, the store
  has that as its primary key);
- a part that is closed (or left behind) never changes again, except that ``/forget`` removes the
  forgetting user's votes from it (the documented exception) while the split its chat saw stays as it
  was; a user's self-test rounds go with them; everything else stays exactly as it was;
- ``/forget`` and self-test answers never produce a message in a group;
- the live count edit shows how many voted and never the split; the chart after closing shows the
  split frozen at close, which equals the votes at that moment;
- the records emitted so far, applied to a model, give the engine's votes.

At the end, the records are committed to a fresh SQLite store (``Store.commit``, concurrently, so
group commit batches them); ``Store.load`` gives the same live rounds, parts and votes, and each
chat's latest finished round reads back as the engine holds it.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.effects import (
    Edit, PartClosed, PartOpened, Post, Reply, RoundFinished, RoundStarted, TallyChanged, UserForgotten, VoteRecorded,
    records,
)
from bot.engine import Engine
from bot.engine.chats import Forget
from bot.engine.rounds import CloseVoting, NextPart, StartRound, StopRound, Vote
from bot.engine.selftest import SelfTest
from bot.events import CommandIssued, NextPressed, Sender, Tick, VoteCast, VoteWithdrawn
from bot.i18n import t
from bot.model import Round
from bot.platforms import Platforms
from bot.ratelimit import RateLimiter
from bot.richtext import to_plain
from bot.store import Store

from .conftest import T0, TEST_PLATFORM, make_library

LIBRARY = make_library()
GROUPS = ("test:g1", "test:g2")
USERS = ("u1", "u2", "u3", "trainer")
OPTIONS = ("red", "green", "habil", "inhabil", "blue")
CASES = ("tre", "blandet", "nope")

chats = st.sampled_from(GROUPS + GROUPS + ("dm",))  # "dm": the sender's private chat
users = st.sampled_from(USERS)
controller = st.sampled_from((True, True, False))
# What a button or reaction names: usually the chat's live part, sometimes an earlier (closed) part
# of it, sometimes raw ids (another chat's round, a finished or unknown round, part 0 or past the end).
targets = st.one_of(
    st.just(("live",)), st.just(("live",)), st.just(("live",)), st.just(("previous",)),
    st.tuples(st.just("raw"), st.integers(0, 6), st.integers(0, 4)),
)
options = st.sampled_from(("red", "green", "red", "green", "habil", "inhabil", "blue"))

# Hypothesis leans on the first alternative when it simplifies, so votes come first.
votes = st.tuples(st.just("vote"), chats, users, targets, options)
actions = st.one_of(
    votes, votes, votes, votes,  # the common event
    st.tuples(st.just("withdraw"), chats, users, targets, st.one_of(st.just("mine"), options)),
    st.tuples(st.just("votecmd"), chats, users, st.sampled_from(("1", "2", "3", "red", "Grønt lys", "habil", "x"))),
    st.tuples(st.sampled_from(("close", "next", "stop")), chats, users, st.sampled_from((False, False, True))),
    st.tuples(st.just("tick"), st.sampled_from((0, 1, 30, 61, 301))),
    st.tuples(st.just("forget"), chats, users),
    st.tuples(st.just("nextpress"), chats, users, targets),
    st.tuples(st.just("start"), chats, users, controller, st.sampled_from(("tre", "tre", "blandet", "nope")),
              st.sampled_from((None, None, 60, 300))),
    st.tuples(st.just("selftest"), users, st.sampled_from(("tre", "blandet", "nope"))),
)
# Both groups start with a round running (case and timer drawn), so the random part has something to act on.
preamble = st.tuples(*(st.tuples(st.just("start"), st.just(group), st.just("trainer"), st.just(True),
                                 st.sampled_from(("tre", "blandet")), st.sampled_from((None, 60)))
                       for group in GROUPS)).map(list)
sessions = st.builds(lambda head, tail: head + tail, preamble, st.lists(actions, min_size=15, max_size=80))

PartId = tuple[int, int]


def _chat(chat: str, user: str) -> str:
    return f"test:dm-{user}" if chat == "dm" else chat


def _target(engine: Engine, chat: str, target: tuple) -> tuple[int, int]:
    """(round id, part) named by a press: resolved against the engine, or raw."""
    if target[0] == "raw":
        return target[1], target[2]
    rnd = engine.latest(chat)
    rid, current = (rnd.id, rnd.current) if rnd is not None else (0, 1)
    return rid, current if target[0] == "live" else current - 1


def _event(engine: Engine, action: tuple, now) -> CommandIssued | VoteCast | VoteWithdrawn | NextPressed | Tick:
    kind = action[0]
    if kind == "tick":
        return Tick(now)
    if kind == "selftest":
        _, user, case = action
        return CommandIssued(f"test:dm-{user}", Sender(user), SelfTest(case), now, private=True)
    chat, user = _chat(action[1], action[2]), action[2]
    private = action[1] == "dm"
    if kind == "start":
        _, _, _, ctrl, case, timer = action
        return CommandIssued(chat, Sender(user, ctrl), StartRound(case, timedelta(seconds=timer) if timer else None),
                             now, private)
    if kind == "vote":
        return VoteCast(chat, Sender(user), *_target(engine, chat, action[3]), action[4], now)
    if kind == "votecmd":
        return CommandIssued(chat, Sender(user), Vote(action[3]), now, private)
    if kind == "withdraw":  # "mine": the option the user has on that part now (a removed reaction)
        rid, part = _target(engine, chat, action[3])
        option = action[4]
        if option == "mine":
            rnd = engine.round(rid)
            option = rnd.parts[part - 1].votes.get(user, "red") if rnd and 1 <= part <= len(rnd.parts) else "red"
        return VoteWithdrawn(chat, Sender(user), rid, part, option, now)
    if kind == "nextpress":
        return NextPressed(chat, Sender(user), *_target(engine, chat, action[3]), now)
    if kind == "forget":
        return CommandIssued(chat, Sender(user), Forget(), now, private)
    command = {"close": CloseVoting(), "next": NextPart(), "stop": StopRound()}[kind]
    return CommandIssued(chat, Sender(user, action[3]), command, now, private)


def _frozen(rnd: Round, number: int) -> bool:
    """No vote can reach this part any more: closed, left behind, or its round is over."""
    return rnd.parts[number - 1].closed_at is not None or rnd.finished or number < rnd.current


def _keys(rnd: Round, number: int) -> tuple[str, ...]:
    return tuple(o.key for o in LIBRARY.cases[rnd.case_id].parts[number - 1].options)


def _held(engine: Engine) -> dict[int, Round]:
    """The rounds the engine holds: running ones, and each recent chat's latest finished one."""
    return {rnd.id: rnd for rnd in [*engine.live_rounds(), *engine.finished.values()]}


@dataclass
class Closed:
    votes: dict[str, str]
    closed_at: object
    counts: dict[str, int]


@dataclass
class Session:
    engine: Engine
    now = T0
    frozen: dict[PartId, Closed] = field(default_factory=dict)
    model: dict[PartId, dict[str, str]] = field(default_factory=dict)  # votes rebuilt from the records
    batches: list[list] = field(default_factory=list)  # each event's records, for the store replay

    def step(self, action: tuple) -> None:
        if action[0] == "tick":
            self.now += timedelta(seconds=action[1])
        event = _event(self.engine, action, self.now)
        before = _held(self.engine)
        effects = self.engine.handle(event)  # must not raise
        self.batches.append(records(effects))
        sender = None if isinstance(event, Tick) else event.sender.user
        forgot = sender if any(isinstance(e, UserForgotten) for e in effects) else None

        # vote records: only the sender's, at most one per event
        recorded = [e for e in effects if isinstance(e, VoteRecorded)]
        assert len(recorded) <= 1, effects
        assert all(v.user == sender for v in recorded), (event, recorded)
        if recorded:
            assert any(isinstance(e, Reply) and e.user == sender for e in effects), "a counted vote is acknowledged"

        # only controllers (and the clock) move a group round: open, close, advance, finish
        if isinstance(event, (CommandIssued, VoteCast, VoteWithdrawn, NextPressed)) and not event.sender.controller:
            moved = [e for e in effects if isinstance(e, (RoundStarted, PartOpened, PartClosed, RoundFinished))
                     and not self._selftest(e.round_id)]
            assert not moved, f"{event} by a non-controller moved a group round: {moved}"

        # forgetting (and answering a self-test) shows nothing in any group
        if forgot is not None or (isinstance(event, (VoteCast, CommandIssued)) and event.chat.startswith("test:dm-")):
            shown = [e for e in effects if isinstance(e, (Post, Edit, Reply, TallyChanged))]
            assert all(m.chat == event.chat for m in shown), (event, shown)

        # rounds only leave memory when their owner forgets themselves, or as history once finished
        after = _held(self.engine)
        for rid in set(before) - set(after):
            gone = before[rid]
            forgotten = forgot is not None and (gone.selftest_of == forgot or gone.chat == event.chat)
            newer = self.engine.latest(gone.chat)
            assert forgotten or (gone.finished and newer is not None and newer.id > rid), (event, rid)

        self._apply_to_model(effects, forgot)
        self._check_state(forgot)
        self._check_tallies(effects)

    def _selftest(self, round_id: int) -> bool:
        rnd = self.engine.round(round_id)
        return rnd is None or rnd.selftest_of is not None

    def _apply_to_model(self, effects: list, forgot: str | None) -> None:
        for e in effects:
            if isinstance(e, VoteRecorded):
                votes = self.model.setdefault((e.round_id, e.part), {})
                if e.option is None:
                    votes.pop(e.user, None)
                else:
                    votes[e.user] = e.option
            elif isinstance(e, UserForgotten):
                for votes in self.model.values():
                    votes.pop(e.user, None)
        held = _held(self.engine)
        for key in [k for k in self.model if k[0] not in held]:
            del self.model[key]

    def _check_state(self, forgot: str | None) -> None:
        if forgot is not None:  # the documented exception: their votes go, the split their chat saw stays
            for closed in self.frozen.values():
                closed.votes.pop(forgot, None)
        held = _held(self.engine)
        for key in [k for k in self.frozen if k[0] not in held]:
            del self.frozen[key]
        live: dict[PartId, dict[str, str]] = {}
        for rid, rnd in held.items():
            case = LIBRARY.cases[rnd.case_id]
            assert 1 <= len(rnd.parts) <= len(case.parts)
            assert self.engine.running(rnd.chat) is rnd or rnd.finished
            for number, state in enumerate(rnd.parts, 1):
                keys = _keys(rnd, number)
                assert set(state.votes.values()) <= set(keys), (rid, number, state.votes)
                counts = state.tally(keys)
                if state.open:
                    assert counts == {k: Counter(state.votes.values())[k] for k in keys}
                if not keys:
                    assert not state.votes
                if state.votes:
                    live[(rid, number)] = dict(state.votes)
                if _frozen(rnd, number):
                    seen = self.frozen.get((rid, number))
                    if seen is None:
                        assert counts == {k: Counter(state.votes.values())[k] for k in keys}, "frozen split != votes"
                        self.frozen[(rid, number)] = Closed(dict(state.votes), state.closed_at, counts)
                    else:
                        assert state.votes == seen.votes, f"closed part r{rid}p{number} changed"
                        assert state.closed_at == seen.closed_at, f"closed part r{rid}p{number} reopened or re-closed"
                        assert counts == seen.counts, f"the split of closed part r{rid}p{number} changed"
        for rnd in self.engine.live_rounds():
            assert self.engine.running(rnd.chat) is rnd
        model = {k: v for k, v in self.model.items() if v}
        assert model == live, "the records do not rebuild the engine's votes"

    def _check_tallies(self, effects: list) -> None:
        closed: tuple[int, int] | None = None  # a chart follows the PartClosed of its part
        for e in effects:
            if isinstance(e, PartClosed):
                closed = (e.round_id, e.part)
            if isinstance(e, TallyChanged):  # rendered as the outbox sends it: the count as it is then
                edit = self.engine.tally(e.round_id)
                if edit is None:
                    continue
                state = self.engine.round(e.round_id).parts[-1]
                text = to_plain(edit.text)
                shown = t(self.engine.lang(e.chat), "part.votes_so_far", count=len(state.votes))
                assert shown in text and "%" not in text and "█" not in text, text  # the count, never the split
            if isinstance(e, Post) and e.chart is not None:
                assert closed is not None, "a chart without a closed part"
                rid, number = closed
                rnd = self.engine.round(rid)
                counts = self.frozen[(rid, number)].counts if (rid, number) in self.frozen else \
                    rnd.parts[number - 1].tally(_keys(rnd, number))
                assert [bar.count for bar in e.chart.bars] == [counts[k] for k in _keys(rnd, number)]


async def _replay(batches: list[list], engine: Engine) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "replay.db")
        try:
            await asyncio.gather(*(store.commit(batch) for batch in batches))  # queued in order, group-committed
            snapshot = await store.load()
            finished = {chat: await store.latest_round(chat) for chat in engine.finished}
        finally:
            await store.close()
    loaded = {r.id: r for r in snapshot.rounds}
    assert set(loaded) == {r.id for r in engine.live_rounds()}
    for chat, rnd in engine.finished.items():
        latest = finished[chat]
        if engine.running(chat) is None:
            assert latest is not None and latest.id == rnd.id
        loaded.setdefault(rnd.id, rnd if latest is None or latest.id != rnd.id else latest)
    for rid, rnd in _held(engine).items():
        got = loaded[rid]
        assert (got.chat, got.case_id, got.selftest_of, got.timer) == (rnd.chat, rnd.case_id, rnd.selftest_of, rnd.timer)
        assert (got.finished_at, got.advance_at) == (rnd.finished_at, rnd.advance_at), rid
        assert [(p.opened_at, p.closes_at, p.closed_at) for p in got.parts] == \
               [(p.opened_at, p.closes_at, p.closed_at) for p in rnd.parts], rid
        assert [p.votes for p in got.parts] == [p.votes for p in rnd.parts], rid
        assert [p.counts for p in got.parts] == [p.counts for p in rnd.parts], rid
    restored = Engine(LIBRARY, rounds=snapshot.rounds, settings=snapshot.settings, schedules=snapshot.schedules)
    assert restored.running_in == engine.running_in


def new_engine(library=LIBRARY) -> Engine:
    """Generous limits (rate limiting has its own tests), set after construction: ``Engine(...,
    user_limit=RateLimiter(...))`` drops an empty limiter for the default (see test_abuse)."""
    engine = Engine(library, platforms=Platforms({"test": TEST_PLATFORM}))
    engine.user_limit = RateLimiter(1000, 1000)
    engine.chat_limit = RateLimiter(1000, 1000)
    return engine


def _play(engine: Engine, session: list[tuple]) -> Session:
    s = Session(engine)
    for action in session:
        s.step(action)
    return s


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions)
def test_random_sessions_keep_the_invariants_and_replay_from_the_store(session: list[tuple]) -> None:
    s = _play(new_engine(LIBRARY), session)
    asyncio.run(_replay(s.batches, s.engine))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions)
def test_invariants_hold_with_production_rate_limits(session: list[tuple]) -> None:
    # the default limits drop or refuse some events; whatever gets through must still add up
    _play(Engine(LIBRARY, platforms=Platforms({"test": TEST_PLATFORM})), session)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(users, st.sampled_from(("red", "green")), st.booleans()), min_size=1, max_size=80))
def test_one_counted_vote_per_user_whatever_the_presses(presses: list[tuple[str, str, bool]]) -> None:
    engine = new_engine(LIBRARY)
    engine.handle(CommandIssued("test:g1", Sender("boss", True), StartRound("tre"), T0))
    expected: dict[str, str] = {}
    for user, option, withdraw in presses:
        if withdraw:
            engine.handle(VoteWithdrawn("test:g1", Sender(user), 1, 1, option, T0))
            if expected.get(user) == option:
                del expected[user]
        else:
            engine.handle(VoteCast("test:g1", Sender(user), 1, 1, option, T0))
            expected[user] = option
    assert engine.round(1).parts[0].votes == expected
    assert engine.round(1).parts[0].tally(("red", "green")) == {
        k: sum(1 for v in expected.values() if v == k) for k in ("red", "green")}


def test_finished_rounds_show_no_live_tally() -> None:
    engine = new_engine(LIBRARY)
    engine.handle(CommandIssued("test:g1", Sender("boss", True), StartRound("tre"), T0))
    effects = engine.handle(CommandIssued("test:g1", Sender("boss", True), StopRound(), T0))
    assert any(isinstance(e, RoundFinished) for e in effects)
    assert engine.refresh() == []
