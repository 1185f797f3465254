"""The Matrix adapter end to end: the real bot, a real Synapse on 127.0.0.1, real nio clients for the users."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import signal
import sys
import time

import pytest
from nio import RoomRedactResponse

from adapters.matrix import MatrixBot
from adapters.matrix.rooms import DIRECT_KEY
from adapters.matrix.updates import Updates
from bot.store import Store

from ...engine.conftest import tally_line
from .harness import BotUnderTest, RoomView, create_room, react, send_text, wait_until
from .synapse import Synapse

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio, pytest.mark.timeout(120)]

RED, GREEN, NEXT = "🔴", "🟢", "➡️"


async def group_room(matrix_user, harness: BotUnderTest, *names: str, homeserver: Synapse | None = None):
    """alice creates a room (so she controls it) with the bot and the others; returns clients, room, alice's view."""
    users = [await matrix_user(name, homeserver=homeserver) for name in ("alice", *names)]
    alice = users[0]
    room_id = await create_room(alice, [harness.user_id, *(u.user_id for u in users[1:])])
    for user in users[1:]:
        await user.join(room_id)
    view = RoomView(alice, room_id)
    matrix_user.sync_forever(alice)
    await wait_until(lambda: view.membership(harness.user_id) == "join", what="the bot to join")
    return users, room_id, view


async def direct_room(matrix_user, harness: BotUnderTest):
    """alice opens a direct chat with the bot; returns her client, the room and her view of it."""
    alice = await matrix_user("alice")
    room_id = await create_room(alice, [harness.user_id], is_direct=True)
    view = RoomView(alice, room_id)
    matrix_user.sync_forever(alice)
    await wait_until(lambda: harness.bot.client.rooms.get(room_id), what="the bot to join")
    return alice, room_id, view


async def open_part(view: RoomView, bot_id: str, number: int) -> str:
    """Wait for part ``number``'s message and the bot's own 🔴/🟢 under it; return its event id."""
    part = await wait_until(lambda: view.message(bot_id, f"Del {number} av 3"), what=f"part {number}")
    await wait_until(lambda: sorted(view.reactions(part["event_id"], bot_id)) == sorted([RED, GREEN]),
                     what=f"the bot's reactions under part {number}")
    return part["event_id"]


async def test_group_round(matrix_user, make_bot) -> None:
    started = time.monotonic()
    harness = make_bot()
    bot = await harness.start()
    (alice, bob, carol, dave), room_id, view = await group_room(matrix_user, harness, "bob", "carol", "dave")
    me = harness.user_id

    await send_text(alice, room_id, "!start jubileum")
    part1 = await open_part(view, me, 1)
    intro = view.message(me, "Nytt dilemma")
    assert intro is not None and view.events.index(intro) < [e["event_id"] for e in view.events].index(part1)
    assert intro["content"]["format"] == "org.matrix.custom.html" and "<b>" in intro["content"]["formatted_body"]

    await react(bob, room_id, part1, RED)
    carol_green = await react(carol, room_id, part1, GREEN)
    dave_green = await react(dave, room_id, part1, GREEN)
    await react(carol, room_id, part1, RED)  # carol changes her mind: her vote moves to red
    assert isinstance(await dave.room_redact(room_id, dave_green), RoomRedactResponse)  # dave takes his back
    red = {harness.user(bob): "red", harness.user(carol): "red"}
    await wait_until(lambda: harness.votes(1, 1) == red, what="bob and carol red, dave withdrawn")
    await wait_until(lambda: "Stemmer så langt: 2" in view.current_body(part1), what="the tally edit")
    assert isinstance(await carol.room_redact(room_id, carol_green), RoomRedactResponse)  # not her vote any more
    assert not view.messages(me, "m.notice"), "a reaction is its own acknowledgement"

    bob_close = await send_text(bob, room_id, "!close")
    refusal = await wait_until(lambda: view.message(me, "administratorer", "m.notice"), what="bob's !close refused")
    assert refusal["content"]["m.relates_to"] == {"m.in_reply_to": {"event_id": bob_close}}

    await send_text(alice, room_id, "!close")
    results = await wait_until(lambda: view.message(me, "Resultat"), what="the results")
    final = view.edits(part1)[-1]["content"]
    assert "Avstemningen er lukket." in final["m.new_content"]["body"] and final["body"].startswith("* ")
    assert "Stemmer så langt" not in final["m.new_content"]["body"]
    body = results["content"]["body"]
    assert "Totalt 2 stemmer" in body and "Til diskusjon" in body
    assert tally_line(body, "Rødt lys") == "2 (100 %)" and tally_line(body, "Grønt lys") == "0 (0 %)"
    assert harness.votes(1, 1) == red  # carol's old green reaction went without touching her red vote
    image = await wait_until(lambda: next((e for e in view.after(results["event_id"])
                                           if e["content"].get("msgtype") == "m.image"), None), what="the chart")
    assert image["content"]["url"].startswith("mxc://") and image["content"]["info"]["mimetype"] == "image/png"

    # reacting on the closed part: one refusal for bob, however often he tries
    bob_green = await react(bob, room_id, part1, GREEN)
    await wait_until(lambda: view.message(me, "Avstemningen er lukket.", "m.notice"), what="the closed-part refusal")
    await bob.room_redact(room_id, bob_green)
    await react(bob, room_id, part1, GREEN)

    await send_text(alice, room_id, "!next")
    part2 = await open_part(view, me, 2)
    closed_refusals = [e for e in view.messages(me, "m.notice") if "Avstemningen er lukket." in e["content"]["body"]]
    assert len(closed_refusals) == 1 and closed_refusals[0]["content"]["m.mentions"] == {"user_ids": [bob.user_id]}
    await react(bob, room_id, part2, GREEN)
    await react(carol, room_id, part2, RED)
    await react(dave, room_id, part2, GREEN)
    await wait_until(lambda: len(harness.votes(1, 2)) == 3, what="three votes on part 2")

    await send_text(alice, room_id, "!next")  # closes part 2, opens part 3
    part3 = await open_part(view, me, 3)
    assert "Avstemningen er lukket." in view.current_body(part2)
    part2_results = view.message(me, "Totalt 3 stemmer")
    assert part2_results is not None and tally_line(part2_results["content"]["body"], "Grønt lys") == "2 (67 %)"
    await react(dave, room_id, part3, RED)
    await wait_until(lambda: len(harness.votes(1, 3)) == 1, what="a vote on part 3")

    await send_text(alice, room_id, "!next")  # closes part 3 and finishes
    summary = await wait_until(lambda: view.message(me, "Oppsummering"), what="the summary")
    assert "Runden er ferdig" in summary["content"]["body"]
    results_cmd = await send_text(bob, room_id, "!results")
    answer = await wait_until(lambda: view.message(me, "Oppsummering", "m.notice"), what="!results")
    assert answer["content"]["m.relates_to"] == {"m.in_reply_to": {"event_id": results_cmd}}

    images = view.messages(me, "m.image")
    assert len(images) == 3  # one chart per closed part
    edits = {number: len(view.edits(event_id)) for number, event_id in enumerate((part1, part2, part3), 1)}
    assert all(count >= 1 for count in edits.values())  # at least the final edit on each part
    assert bot.transport.edits == sum(edits.values())
    print(f"\ngroup round: {time.monotonic() - started:.1f} s, edits per part {edits}, "
          f"{bot.transport.sent} events sent by the bot")


async def test_restart_loses_no_reaction(matrix_user, make_bot, monkeypatch) -> None:
    gaps: list[int] = []
    fill_gap = MatrixBot._gap

    async def counting_gap(self: MatrixBot, room_id: str, start: str, since: str):
        events, complete = await fill_gap(self, room_id, start, since)
        gaps.append(len(events))
        return events, complete

    monkeypatch.setattr(MatrixBot, "_gap", counting_gap)
    harness = make_bot()
    await harness.start()
    (alice, bob, carol, dave, erin), room_id, view = await group_room(matrix_user, harness, "bob", "carol", "dave",
                                                                      "erin")
    me = harness.user_id
    await send_text(alice, room_id, "!start jubileum")
    part1 = await open_part(view, me, 1)
    bob_red = await react(bob, room_id, part1, RED)
    await wait_until(lambda: harness.votes(1, 1) == {harness.user(bob): "red"}, what="bob's vote")
    device = harness.bot.client.device_id
    await harness.stop()

    # while the bot is away: more votes than its sync timeline (limit 2) holds, and a withdrawal
    await react(carol, room_id, part1, GREEN)
    await react(dave, room_id, part1, RED)
    await send_text(erin, room_id, "just chatting")
    await react(erin, room_id, part1, GREEN)
    assert isinstance(await bob.room_redact(room_id, bob_red), RoomRedactResponse)
    await send_text(dave, room_id, "still chatting")

    gaps.clear()
    bot = await harness.start(timeline_limit=2)
    assert bot.client.device_id == device  # the session was kept, not a new login
    expected = {harness.user(carol): "green", harness.user(dave): "red", harness.user(erin): "green"}
    await wait_until(lambda: harness.votes(1, 1) == expected, what="the votes made while the bot was down")
    await wait_until(lambda: "Stemmer så langt: 3" in view.current_body(part1), what="the tally after the restart")
    assert len(gaps) == 1 and gaps[0] >= 4, f"the catch-up sync should have been cut short and completed: {gaps}"

    await send_text(alice, room_id, "!close")
    results = await wait_until(lambda: view.message(me, "Resultat"), what="the results")
    assert "Totalt 3 stemmer" in results["content"]["body"]
    assert len([e for e in view.messages(me) if "Nytt dilemma" in e["content"]["body"]]) == 1  # !start not replayed
    assert not view.messages(me, "m.notice")


async def test_homeserver_restart(matrix_user, make_bot, synapse_factory, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="nio")
    hs = synapse_factory()
    harness = make_bot(hs)
    await harness.start()
    (alice,), room_id, view = await group_room(matrix_user, harness, homeserver=hs)
    hs.stop()
    await wait_until(lambda: any(r.name.startswith("nio") and "Timed out" in r.getMessage() for r in caplog.records),
                     what="the bot to notice the homeserver is gone")  # its long poll failed against the dead server
    await asyncio.to_thread(hs.start)
    await send_text(alice, room_id, "!start jubileum")
    await open_part(view, harness.user_id, 1)


async def test_rate_limited_bot_loses_nothing(matrix_user, make_bot, synapse_strict, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="nio")
    harness = make_bot(synapse_strict)
    bot = await harness.start()
    alice = await matrix_user("alice", homeserver=synapse_strict)
    room_id = await create_room(alice, [harness.user_id])
    view = RoomView(alice, room_id)
    matrix_user.sync_forever(alice)
    await wait_until(lambda: room_id in bot.client.rooms, what="the bot to join")
    await send_text(alice, room_id, "!start jubileum")
    await open_part(view, harness.user_id, 1)  # intro, part and two reactions: more than the burst of 2
    assert view.message(harness.user_id, "Nytt dilemma") is not None
    assert any("429" in r.getMessage() for r in caplog.records), "the server never rate-limited the bot"


async def test_direct_chat_selftest(matrix_user, make_bot) -> None:
    harness = make_bot()
    await harness.start()
    alice, room_id, view = await direct_room(matrix_user, harness)
    me = harness.user_id
    await send_text(alice, room_id, "!start jubileum")  # in a direct chat: a self-test
    part1 = await open_part(view, me, 1)
    assert view.message(me, "Selvtest") is not None
    await react(alice, room_id, part1, GREEN)
    answer = await wait_until(lambda: view.message(me, "Ditt svar"), what="the self-test answer")
    await wait_until(lambda: view.reactions(answer["event_id"], me) == [NEXT], what="the next button")
    await harness.stop()  # the direct chat and its buttons are remembered across a restart
    await harness.start()
    await react(alice, room_id, answer["event_id"], NEXT)
    await open_part(view, me, 2)


async def test_invite_from_stranger_declined(matrix_user, make_bot) -> None:
    harness = make_bot(matrix_invite_allow=frozenset({":example.org"}))
    await harness.start()
    alice = await matrix_user("alice")
    room_id = await create_room(alice, [harness.user_id])
    view = RoomView(alice, room_id)
    matrix_user.sync_forever(alice)
    await wait_until(lambda: view.membership(harness.user_id) == "leave", what="the bot to decline")
    assert room_id not in harness.bot.client.rooms or harness.user_id not in harness.bot.client.rooms[room_id].users


async def test_leave_on_request(matrix_user, make_bot) -> None:
    harness = make_bot()
    await harness.start()
    (alice, bob), room_id, view = await group_room(matrix_user, harness, "bob")
    await send_text(bob, room_id, "!leave")
    await wait_until(lambda: view.message(harness.user_id, "administratorer", "m.notice"), what="bob refused")
    await send_text(alice, room_id, "!leave")
    await wait_until(lambda: view.membership(harness.user_id) == "leave", what="the bot to leave")


async def test_batch_cut_short_is_not_replayed(matrix_user, make_bot, monkeypatch) -> None:
    harness = make_bot()
    await harness.start()
    (alice,), room_id, view = await group_room(matrix_user, harness)
    await harness.stop()
    await send_text(alice, room_id, "!start jubileum")
    cases = await send_text(alice, room_id, "!cases")

    handle, failed = Updates.handle, []

    async def failing_once(self: Updates, room: str, event) -> bool:
        if event.event_id == cases and not failed:
            failed.append(event.event_id)
            raise ConnectionError("lost in the middle of a batch")
        return await handle(self, room, event)

    monkeypatch.setattr(Updates, "handle", failing_once)
    await harness.start()  # the batch with both commands fails at !cases, is fetched again, goes on after !start
    me = harness.user_id
    await wait_until(lambda: view.message(me, "Dilemmaer", "m.notice"), what="the list of cases")
    await open_part(view, me, 1)
    assert failed == [cases]
    assert len(view.messages(me, "m.notice")) == 1  # no "a round is already running" from a replayed !start
    assert len([e for e in view.messages(me) if "Nytt dilemma" in e["content"]["body"]]) == 1


async def test_no_secret_in_the_log(matrix_user, make_bot, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    harness = make_bot()
    await harness.start()
    (alice,), room_id, view = await group_room(matrix_user, harness)
    await send_text(alice, room_id, "!help")
    await wait_until(lambda: view.messages(harness.user_id, "m.notice"), what="the help")
    token = harness.bot.client.access_token
    session = harness.config.db_path.with_name("bot.db.matrix-session")
    assert session.stat().st_mode & 0o777 == 0o600 and token in session.read_text()
    assert harness.config.matrix_password not in caplog.text and token not in caplog.text


async def test_dilemmabot_run_until_sigterm(matrix_user, synapse, tmp_path) -> None:
    """The real entry point: ``dilemmabot run`` picks Matrix from the environment and stops cleanly on SIGTERM."""
    password = secrets.token_hex(8)
    bot_id = await asyncio.to_thread(synapse.register, f"runbot-{secrets.token_hex(3)}", password)
    env = {**os.environ, "MATRIX_HOMESERVER": synapse.url, "MATRIX_USER_ID": bot_id, "MATRIX_PASSWORD": password,
           "DILEMMABOT_DB": str(tmp_path / "run.db"), "DILEMMABOT_LOG_LEVEL": "DEBUG",
           "MATRIX_INVITE_ALLOW": f":{synapse.server_name}"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "run", env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        alice = await matrix_user("alice")
        room_id = await create_room(alice, [bot_id])
        view = RoomView(alice, room_id)
        matrix_user.sync_forever(alice)
        await wait_until(lambda: view.membership(bot_id) == "join", timeout=30, what="the bot to join")
        await send_text(alice, room_id, "!help")
        await wait_until(lambda: view.messages(bot_id, "m.notice"), what="the help")
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()[-2000:]
    token = json.loads((tmp_path / "run.db.matrix-session").read_text())["access_token"]
    log = stderr.decode()
    assert "is running" in log and password not in log and token not in log


async def test_logged_out_bot_logs_in_again(matrix_user, make_bot, synapse) -> None:
    harness = make_bot()
    bot = await harness.start()
    (alice,), room_id, view = await group_room(matrix_user, harness)
    old_token = bot.client.access_token
    await asyncio.to_thread(synapse.api, "POST", "/_matrix/client/v3/logout", {}, old_token)
    await send_text(alice, room_id, "!help")
    await wait_until(lambda: view.messages(harness.user_id, "m.notice"), what="the help after a new login")
    assert bot.client.access_token != old_token


async def test_event_that_keeps_failing_is_skipped(matrix_user, make_bot, monkeypatch) -> None:
    harness = make_bot()
    await harness.start()
    (alice,), room_id, view = await group_room(matrix_user, harness)
    handle, attempts = Updates.handle, []

    async def poisoned(self: Updates, room: str, event) -> bool:
        if event.source["content"].get("body") == "!cases":
            attempts.append(event.event_id)
            raise ValueError("a bug that this event always triggers")
        return await handle(self, room, event)

    monkeypatch.setattr(Updates, "handle", poisoned)
    await send_text(alice, room_id, "!cases")
    await send_text(alice, room_id, "!help")
    await wait_until(lambda: view.message(harness.user_id, "Dilemmabot", "m.notice"), what="the help after the skip")
    assert len(attempts) == 3 and len(set(attempts)) == 1


async def test_direct_chat_from_an_older_version_stays_private(matrix_user, make_bot) -> None:
    """Older versions kept a bare list of direct rooms; after an upgrade such a chat is still its person's."""
    harness = make_bot()
    await harness.start()
    alice, room_id, view = await direct_room(matrix_user, harness)
    await harness.stop()
    store = await Store.open(harness.config.db_path)  # as an older version left it
    await store.delete_value(f"{DIRECT_KEY}{room_id}")
    await store.set_value(f"matrix.direct_rooms:{harness.user_id}", json.dumps([room_id]))
    await store.close()

    await harness.start()
    await send_text(alice, room_id, "!selftest jubileum")
    await open_part(view, harness.user_id, 1)
    assert harness.store is not None and await harness.store.get_value(f"{DIRECT_KEY}{room_id}") is not None


async def test_editing_an_old_command_does_not_run_it_again(matrix_user, make_bot) -> None:
    """An edit (m.replace) of a command line is not a new command, whatever it now says."""
    harness = make_bot()
    await harness.start()
    (alice,), room_id, view = await group_room(matrix_user, harness)
    me = harness.user_id
    start = await send_text(alice, room_id, "!start jubileum")
    await open_part(view, me, 1)
    for new_text in ("!start jubileum", "!stop", "!close"):  # the fallback body without "* ", as some clients send
        await alice.room_send(room_id, "m.room.message", {
            "msgtype": "m.text", "body": new_text,
            "m.new_content": {"msgtype": "m.text", "body": new_text},
            "m.relates_to": {"rel_type": "m.replace", "event_id": start}})
    asked = await send_text(alice, room_id, "!results")  # handled after the edits: its answer means they were seen
    await wait_until(lambda: any(e["content"].get("m.relates_to") == {"m.in_reply_to": {"event_id": asked}}
                                 for e in view.messages(me, "m.notice")), what="the answer to !results")
    assert len([e for e in view.messages(me) if "Nytt dilemma" in e["content"]["body"]]) == 1
    assert not view.message(me, "Resultat") and not view.message(me, "Oppsummering", "m.text")
    assert [e for e in view.messages(me, "m.notice") if e["content"].get("m.relates_to") != {
        "m.in_reply_to": {"event_id": asked}}] == []  # the edits got no answer at all
