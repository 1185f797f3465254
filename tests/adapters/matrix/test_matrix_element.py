"""The bot with users on Element's own SDK (matrix-js-sdk 37.5.0, Rust crypto), cross-signed, with "exclude
insecure devices" on: they share room keys only with devices their owner cross-signed, so every check here
fails if the bot's device is not cross-signed.  Reactions go out in the clear, poll answers encrypted, as
Element sends them.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

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


def poll_after(harness: BotUnderTest, part: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e["type"] == POLL_START and e["sender"] == harness.user_id and e["event_id"] != part["event_id"]


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
    poll1 = await alice.wait_for(room_id, poll_after(bot, part1), "the poll of part 1")
    assert poll1["encrypted"]

    await bob.call("pollAnswer", room=room_id, poll=poll1["event_id"], answer="red")  # encrypted
    await carol.call("react", room=room_id, event=part1["event_id"], key=GREEN)         # in the clear
    await carol.call("pollAnswer", room=room_id, poll=poll1["event_id"], answer="red")  # carol changes her vote
    expected = {bot.user(_Id(bob)): "red", bot.user(_Id(carol)): "red"}
    for _ in range(300):
        if bot.votes(1, 1) == expected:
            break
        await asyncio.sleep(0.05)
    assert bot.votes(1, 1) == expected

    await bob.call("send", room=room_id, body="!close")
    refusal = await bob.wait_for(room_id, from_bot(bot, "administratorer", "m.notice"), "bob's !close refused")
    assert refusal["encrypted"] and bot.bot is not None and bot.bot.runner.engine.rounds[1].voting_open

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
    await carol.call("react", room=room_id, event=part2["event_id"], key=RED)
    for _ in range(300):
        if bot.votes(1, 2) == {bot.user(_Id(carol)): "red"}:
            break
        await asyncio.sleep(0.05)
    assert bot.votes(1, 2) == {bot.user(_Id(carol)): "red"}


async def test_selftest_in_element_direct_chat(bot: BotUnderTest, element: ElementFactory) -> None:
    alice = await element("alice")
    room_id = await alice.call("createRoom", invite=[bot.user_id], encrypted=True, direct=True)
    await joined(alice, room_id, bot)
    await alice.call("send", room=room_id, body="!selftest jubileum")
    part1 = await alice.wait_for(room_id, from_bot(bot, "Del 1 av 3"), "part 1 of the self-test")
    poll1 = await alice.wait_for(room_id, poll_after(bot, part1), "its poll")
    await alice.call("pollAnswer", room=room_id, poll=poll1["event_id"], answer="green")
    answer = await alice.wait_for(room_id, from_bot(bot, "Ditt svar"), "the self-test answer")
    assert answer["encrypted"] and answer["shield"] == SHIELD_NONE


class _Id:
    """What BotUnderTest.user needs of a client: its user id."""

    def __init__(self, user: ElementUser):
        self.user_id = user.user_id
