"""The bot with users on Element's own SDK (matrix-js-sdk 37.5.0, Rust crypto), cross-signed, with "exclude
insecure devices" on: they share room keys only with devices their owner cross-signed, so every check here
fails if the bot's device is not cross-signed.  Reactions go out in the clear, poll answers encrypted, as
Element sends them.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import pytest
import pytest_asyncio

from .element import ElementUser
from .harness import BotUnderTest
from .synapse import Synapse

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio, pytest.mark.timeout(240)]

RED, GREEN, NEXT = "🔴", "🟢", "➡️"
SHIELD_NONE = 0  # EventShieldColour.NONE: no warning next to the message in Element
POLL_START, POLL_END = "org.matrix.msc3381.poll.start", "org.matrix.msc3381.poll.end"
_serial = itertools.count(1)

ElementFactory = Callable[..., Awaitable[ElementUser]]
T = TypeVar("T")


@pytest_asyncio.fixture
async def element(synapse: Synapse) -> AsyncIterator[ElementFactory]:
    users: list[ElementUser] = []

    async def make(name: str, hs: Synapse | None = None) -> ElementUser:
        hs = hs or synapse
        localpart = f"{name}-el{next(_serial)}"
        await asyncio.to_thread(hs.register, localpart, f"{localpart}-pass")
        user = await ElementUser.log_in(hs.url, localpart, f"{localpart}-pass")
        users.append(user)
        return user

    yield make
    await asyncio.gather(*(u.stop() for u in users))


@pytest_asyncio.fixture
async def bot(synapse: Synapse, tmp_path) -> AsyncIterator[BotUnderTest]:
    harness = BotUnderTest(synapse, tmp_path)
    await harness.start()
    yield harness
    await harness.stop()


def from_bot(harness: BotUnderTest, contains: str, msgtype: str = "m.text") -> Callable[[dict[str, Any]], bool]:
    """Matches a message of the bot that Element decrypted, whose body contains ``contains``."""
    def match(event: dict[str, Any]) -> bool:
        content = event["content"]
        return (event["sender"] == harness.user_id and event["type"] == "m.room.message"
                and content.get("msgtype") == msgtype and contains in content.get("body", "")
                and (event["relation"] or {}).get("rel_type") != "m.replace")
    return match


async def poll_after(user: ElementUser, room_id: str, harness: BotUnderTest, part: dict[str, Any]) -> dict[str, Any]:
    """The bot's poll that follows the message ``part``, once ``user`` sees it."""
    async def probe() -> dict[str, Any] | None:
        events = await user.timeline(room_id)
        ids = [e["event_id"] for e in events]
        later = events[ids.index(part["event_id"]) + 1:] if part["event_id"] in ids else []
        return next((e for e in later if e["type"] == POLL_START and e["sender"] == harness.user_id), None)

    return await eventually(probe, "the poll under the part")


async def joined(user: ElementUser, room_id: str, harness: BotUnderTest) -> None:
    await user.wait_for(room_id, lambda e: e["type"] == "m.room.member" and e["content"].get("membership") == "join"
                        and e["sender"] == harness.user_id, "the bot to join")


async def test_jubileum_round_with_element_users(bot: BotUnderTest, element: ElementFactory) -> None:
    alice, bob, carol = [await element(name) for name in ("alice", "bob", "carol")]
    room_id = await alice.call("createRoom", invite=[bot.user_id, bob.user_id, carol.user_id], encrypted=True)
    await bob.call("join", room=room_id)
    await carol.call("join", room=room_id)
    await joined(alice, room_id, bot)

    await alice.call("send", room=room_id, body="!start jubileum")
    part1 = await alice.wait_for(room_id, from_bot(bot, "Del 1 av 3"), "part 1, decrypted by alice")
    assert part1["encrypted"] and part1["shield"] == SHIELD_NONE, part1  # cross-signed: no red shield
    poll1 = await poll_after(alice, room_id, bot, part1)
    assert poll1["encrypted"]

    await bob.call("pollAnswer", room=room_id, poll=poll1["event_id"], answer="red")  # encrypted
    await carol.call("react", room=room_id, event=part1["event_id"], key=GREEN)         # in the clear
    await carol.call("pollAnswer", room=room_id, poll=poll1["event_id"], answer="red")  # carol changes her vote
    expected = {bot.user(_Id(bob)): "red", bot.user(_Id(carol)): "red"}
    await until(lambda: bot.votes(1, 1) == expected, "bob's and carol's votes, carol's changed")

    await bob.call("send", room=room_id, body="!close")
    refusal = await bob.wait_for(room_id, from_bot(bot, "administratorer", "m.notice"), "bob's !close refused")
    assert refusal["encrypted"] and bot.bot is not None and bot.bot.runner.engine.round(1).voting_open

    await alice.call("send", room=room_id, body="!close")
    results = await alice.wait_for(room_id, from_bot(bot, "Resultat"), "the results, decrypted by alice")
    body = results["content"]["body"]
    assert "Totalt 2 stemmer" in body and "2 (100 %)" in body and "Til diskusjon" in body
    assert results["shield"] == SHIELD_NONE
    ended = await alice.wait_for(room_id, lambda e: e["type"] == POLL_END, "the poll end")
    assert ended["relation"]["event_id"] == poll1["event_id"]
    await carol.wait_for(room_id, lambda e: e["content"].get("msgtype") == "m.image"
                         and "file" in e["content"], "carol to get the encrypted chart")

    await alice.call("send", room=room_id, body="!next")
    part2 = await alice.wait_for(room_id, from_bot(bot, "Del 2 av 3"), "part 2")
    poll2 = await poll_after(bob, room_id, bot, part2)
    await carol.call("react", room=room_id, event=part2["event_id"], key=RED)
    await bob.call("pollAnswer", room=room_id, poll=poll2["event_id"], answer="green")
    await until(lambda: len(bot.votes(1, 2)) == 2, "two votes on part 2")
    await alice.call("send", room=room_id, body="!next")  # closes part 2, opens part 3
    part3 = await alice.wait_for(room_id, from_bot(bot, "Del 3 av 3"), "part 3")
    poll3 = await poll_after(carol, room_id, bot, part3)
    await carol.call("pollAnswer", room=room_id, poll=poll3["event_id"], answer="red")
    await until(lambda: len(bot.votes(1, 3)) == 1, "a vote on part 3")
    await alice.call("send", room=room_id, body="!next")  # closes part 3 and finishes
    summary = await bob.wait_for(room_id, from_bot(bot, "Oppsummering"), "the summary, decrypted by bob")
    assert "Runden er ferdig" in summary["content"]["body"] and summary["shield"] == SHIELD_NONE
    ends = [e for e in await alice.timeline(room_id) if e["type"] == POLL_END]
    assert len(ends) == 3  # every part's poll was ended


async def test_bot_restart_and_new_member(synapse: Synapse, tmp_path, element: ElementFactory) -> None:
    harness = BotUnderTest(synapse, tmp_path)
    await harness.start()
    try:
        alice = await element("alice")
        room_id = await alice.call("createRoom", invite=[harness.user_id], encrypted=True)
        await joined(alice, room_id, harness)
        await alice.call("send", room=room_id, body="!help")
        await alice.wait_for(room_id, from_bot(harness, "Dilemmabot", "m.notice"), "the help")
        await harness.stop()

        await alice.call("send", room=room_id, body="!start jubileum")  # while the bot is down
        await harness.start()
        part1 = await alice.wait_for(room_id, from_bot(harness, "Del 1 av 3"), "part 1 after the restart")
        assert part1["shield"] == SHIELD_NONE

        # dave joins mid-round: like any Element user he cannot decrypt what was sent before he joined, but
        # he reads the bot's next messages and votes from the next part on
        dave = await element("dave")
        await alice.call("invite", room=room_id, user=dave.user_id)
        await dave.call("join", room=room_id)
        await until(lambda: dave.user_id in harness.bot.client.rooms[room_id].users, "the bot to see dave")
        await alice.call("send", room=room_id, body="!close")
        results = await dave.wait_for(room_id, from_bot(harness, "Resultat"), "dave to read the results")
        assert "Totalt 0 stemmer" in results["content"]["body"] and results["shield"] == SHIELD_NONE
        await alice.call("send", room=room_id, body="!next")
        part2 = await dave.wait_for(room_id, from_bot(harness, "Del 2 av 3"), "dave to read part 2")
        poll2 = await poll_after(dave, room_id, harness, part2)
        await dave.call("pollAnswer", room=room_id, poll=poll2["event_id"], answer="green")
        await until(lambda: harness.votes(1, 2) == {harness.user(_Id(dave)): "green"}, "dave's vote")
    finally:
        await harness.stop()


async def test_homeserver_restart(synapse_factory, tmp_path, element: ElementFactory) -> None:
    hs = synapse_factory()
    harness = BotUnderTest(hs, tmp_path)
    await harness.start()
    try:
        alice = await element("alice", hs)
        room_id = await alice.call("createRoom", invite=[harness.user_id], encrypted=True)
        await joined(alice, room_id, harness)
        await asyncio.to_thread(hs.restart)
        await alice.call("send", room=room_id, body="!start jubileum")
        part1 = await alice.wait_for(room_id, from_bot(harness, "Del 1 av 3"), "part 1 after Synapse restarted")
        assert part1["encrypted"] and part1["shield"] == SHIELD_NONE
    finally:
        await harness.stop()


async def eventually(probe: Callable[[], Awaitable[T | None]], what: str, timeout: float = 30.0) -> T:
    """What ``probe`` returns once it returns something."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (value := await probe()) is None:
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.1)
    return value


async def until(predicate: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


async def test_selftest_in_element_direct_chat(bot: BotUnderTest, element: ElementFactory) -> None:
    alice = await element("alice")
    room_id = await alice.call("createRoom", invite=[bot.user_id], encrypted=True, direct=True)
    await joined(alice, room_id, bot)
    await alice.call("send", room=room_id, body="!selftest jubileum")
    part1 = await alice.wait_for(room_id, from_bot(bot, "Del 1 av 3"), "part 1 of the self-test")
    poll1 = await poll_after(alice, room_id, bot, part1)
    await alice.call("pollAnswer", room=room_id, poll=poll1["event_id"], answer="green")
    answer = await alice.wait_for(room_id, from_bot(bot, "Ditt svar"), "the self-test answer")
    assert answer["encrypted"] and answer["shield"] == SHIELD_NONE


class _Id:
    """What BotUnderTest.user needs of a client: its user id."""

    def __init__(self, user: ElementUser):
        self.user_id = user.user_id
