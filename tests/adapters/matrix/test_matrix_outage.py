"""The homeserver unreachable for a minute mid-round (Synapse stopped and started again on the same port).

The bot keeps running and trying; when Synapse is back it sends what fell due meanwhile (the results of a
part whose timer ran out during the outage, then the next part), and no vote that reached it is lost.
"""

from __future__ import annotations

import asyncio

import pytest

from .harness import react, send_text, wait_until
from .test_matrix_bot import RED, group_room, open_part

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]

OUTAGE_SECONDS = 60


async def test_a_minute_without_the_homeserver_loses_nothing(matrix_user, make_bot, synapse_factory) -> None:
    hs = synapse_factory()
    harness = make_bot(hs)
    await harness.start()
    (alice, bob, carol, dave), room_id, view = await group_room(matrix_user, harness, "bob", "carol", "dave",
                                                                homeserver=hs)
    me = harness.user_id
    await send_text(alice, room_id, "!start jubileum timer 40s")
    part1 = await open_part(view, me, 1)
    await react(bob, room_id, part1, RED)
    await react(carol, room_id, part1, RED)
    await wait_until(lambda: len(harness.votes(1, 1)) == 2, what="both votes counted")

    hs.stop()  # the part's 40 s run out while the homeserver is gone
    await asyncio.sleep(OUTAGE_SECONDS)
    await asyncio.to_thread(hs.start)

    results = await wait_until(lambda: view.message(me, "Resultat"), timeout=120, what="the results, late")
    part2 = await open_part(view, me, 2)
    await react(dave, room_id, part2, RED)
    await wait_until(lambda: len(harness.votes(1, 2)) == 1, timeout=60, what="a vote after the outage")
    assert "Totalt 2 stemmer" in results["content"]["body"]
    assert harness.bot is not None and harness.bot.runner.engine.running(harness.bot.updates.chat(room_id)) is not None
