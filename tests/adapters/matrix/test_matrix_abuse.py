"""Issue 16, Matrix side: what a curious or hostile member tries, against a real Synapse.

Each test reproduces one finding on the code before the fix (#3, #7, #10, #11, #12, #13, #14).
"""

from __future__ import annotations

import logging
import stat

import pytest
from nio import RoomRedactResponse

from adapters.matrix import application
from adapters.matrix.rooms import DIRECT_KEY
from adapters.matrix.updates import Updates
from adapters.matrix.session import session_file

from .harness import RoomView, create_room, react, send_text, wait_until
from .test_matrix_bot import GREEN, RED, group_room, open_part

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio, pytest.mark.timeout(120)]


async def test_a_failing_event_never_stalls_the_bot(matrix_user, make_bot, monkeypatch) -> None:
    """#3: an event whose handling fails is skipped at once; the batch is never fetched again after a backoff.

    Before the fix ``!unschedule ²`` and ``!`` + 600 spaces made the parser raise; it no longer does, so a bug that
    any event may still trigger is made here on purpose, for every such line.
    """
    backoffs: list[int] = []
    delay = application._retry_delay

    def recording(attempt: int) -> float:
        backoffs.append(attempt)
        return delay(attempt)

    handle = Updates.handle
    hostile = ("!unschedule ²", "!" + " " * 600 + "help")

    async def failing(self: Updates, room: str, event) -> bool:
        if event.source.get("content", {}).get("body") in hostile:
            raise ValueError("a bug this text triggers")
        return await handle(self, room, event)

    monkeypatch.setattr(application, "_retry_delay", recording)
    monkeypatch.setattr(Updates, "handle", failing)
    harness = make_bot()
    await harness.start()
    (alice,), room_id, view = await group_room(matrix_user, harness)
    for _ in range(3):
        for text in hostile:
            await send_text(alice, room_id, text)
    await send_text(alice, room_id, "!cases")
    await wait_until(lambda: view.message(harness.user_id, "Dilemmaer", "m.notice"), what="the answer to !cases")
    assert backoffs == [], f"the batch was fetched again after backoffs {backoffs}"


async def test_invites_need_an_allow_list(matrix_user, make_bot, caplog) -> None:
    """#7: without MATRIX_INVITE_ALLOW nobody gets the bot into a room, and the log says how to allow."""
    caplog.set_level(logging.INFO)
    harness = make_bot(matrix_invite_allow=frozenset())
    await harness.start()
    assert any("MATRIX_INVITE_ALLOW" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    stranger = await matrix_user("stranger")
    room_id = await create_room(stranger, [harness.user_id])
    view = RoomView(stranger, room_id)
    matrix_user.sync_forever(stranger)
    await wait_until(lambda: view.membership(harness.user_id) == "leave", what="the invite declined")
    assert room_id not in harness.bot.client.rooms


async def test_room_cap(matrix_user, make_bot) -> None:
    """#7: no more than MATRIX_MAX_ROOMS rooms."""
    harness = make_bot(matrix_max_rooms=1)
    await harness.start()
    alice = await matrix_user("alice")
    first = await create_room(alice, [harness.user_id])
    await wait_until(lambda: first in harness.bot.client.rooms, what="the first room joined")
    second = await create_room(alice, [harness.user_id])
    view = RoomView(alice, second)
    matrix_user.sync_forever(alice)
    await wait_until(lambda: view.membership(harness.user_id) == "leave", what="the second invite declined")
    assert list(harness.bot.client.rooms) == [first]


async def test_bot_leaves_a_room_with_nobody_allowed_in_it(matrix_user, make_bot) -> None:
    """#7: the allowed inviter leaves a stranger alone with the bot: the bot leaves too."""
    alice = await matrix_user("alice")
    harness = make_bot(matrix_invite_allow=frozenset({alice.user_id}))
    await harness.start()
    stranger = await matrix_user("stranger")
    room_id = await create_room(alice, [harness.user_id, stranger.user_id])
    await stranger.join(room_id)
    view = RoomView(stranger, room_id)
    matrix_user.sync_forever(stranger)
    await wait_until(lambda: view.membership(harness.user_id) == "join", what="the bot to join")
    await alice.room_leave(room_id)
    await wait_until(lambda: view.membership(harness.user_id) == "leave", what="the bot to leave")


async def test_direct_room_with_a_third_person_is_not_private(matrix_user, make_bot) -> None:
    """#10: a stranger's !vote never lands in eve's self-test, however the room was invited."""
    harness = make_bot()
    await harness.start()
    eve = await matrix_user("eve")
    mallory = await matrix_user("mallory")
    room_id = await create_room(eve, [harness.user_id], is_direct=True)
    view = RoomView(eve, room_id)
    matrix_user.sync_forever(eve)
    me = harness.user_id
    await wait_until(lambda: view.membership(me) == "join", what="the bot to join")
    await send_text(eve, room_id, "!selftest jubileum")
    await open_part(view, me, 1)
    await eve.room_invite(room_id, mallory.user_id)
    await mallory.join(room_id)
    await wait_until(lambda: mallory.user_id in harness.bot.client.rooms[room_id].users, what="the bot to see mallory")
    await send_text(mallory, room_id, "!vote 1")
    await wait_until(lambda: view.messages(me, "m.notice"), what="an answer to mallory")
    assert harness.votes(1, 1) == {}, "mallory's vote landed in eve's self-test"


async def test_moderator_cannot_withdraw_someone_elses_vote(matrix_user, make_bot) -> None:
    """#11: alice (room admin) redacts bob's vote reaction; bob's vote stays."""
    harness = make_bot()
    await harness.start()
    (alice, bob), room_id, view = await group_room(matrix_user, harness, "bob")
    await send_text(alice, room_id, "!start jubileum")
    part1 = await open_part(view, harness.user_id, 1)
    bob_red = await react(bob, room_id, part1, RED)
    await wait_until(lambda: harness.votes(1, 1) == {harness.user(bob): "red"}, what="bob's vote")
    assert isinstance(await alice.room_redact(room_id, bob_red), RoomRedactResponse)
    await send_text(alice, room_id, "!help")  # a marker: handled after the redaction
    await wait_until(lambda: view.messages(harness.user_id, "m.notice"), what="the help")
    assert harness.votes(1, 1) == {harness.user(bob): "red"}


async def test_command_for_another_bot_is_ignored(matrix_user, make_bot) -> None:
    """#11: ``!close@SomeOtherBot`` is not for this bot."""
    harness = make_bot()
    bot = await harness.start()
    (alice,), room_id, view = await group_room(matrix_user, harness)
    await send_text(alice, room_id, "!start jubileum")
    await open_part(view, harness.user_id, 1)
    await send_text(alice, room_id, "!close@SomeOtherBot")
    await send_text(alice, room_id, "!help")
    await wait_until(lambda: view.messages(harness.user_id, "m.notice"), what="the help")
    assert bot.runner.engine.round(1).voting_open and view.message(harness.user_id, "Resultat") is None


async def test_refused_reaction_leaves_nothing_behind(matrix_user, make_bot) -> None:
    """#11: a reaction the engine refused is not remembered as anyone's vote."""
    harness = make_bot()
    await harness.start()
    (alice, bob), room_id, view = await group_room(matrix_user, harness, "bob")
    await send_text(alice, room_id, "!start jubileum")
    part1 = await open_part(view, harness.user_id, 1)
    counted = await react(bob, room_id, part1, RED)
    await wait_until(lambda: harness.votes(1, 1), what="bob's vote")
    await send_text(alice, room_id, "!close")
    await wait_until(lambda: view.message(harness.user_id, "Resultat"), what="the results")
    refused = await react(bob, room_id, part1, GREEN)
    await wait_until(lambda: view.message(harness.user_id, "Avstemningen er lukket.", "m.notice"), what="the refusal")
    assert harness.store is not None
    assert await harness.store.get_value(f"matrix.reaction:{counted}") is not None
    assert await harness.store.get_value(f"matrix.reaction:{refused}") is None


async def test_forget_deletes_the_direct_room_entry(matrix_user, make_bot) -> None:
    """#12: after !forget nothing in the store names eve's private chat; she can go on self-testing."""
    harness = make_bot()
    await harness.start()
    eve = await matrix_user("eve")
    room_id = await create_room(eve, [harness.user_id], is_direct=True)
    view = RoomView(eve, room_id)
    matrix_user.sync_forever(eve)
    me = harness.user_id
    await wait_until(lambda: view.membership(me) == "join", what="the bot to join")
    await send_text(eve, room_id, "!selftest jubileum")
    part1 = await open_part(view, me, 1)
    await react(eve, room_id, part1, GREEN)
    await wait_until(lambda: view.message(me, "Ditt svar"), what="the answer")
    assert harness.store is not None
    assert await harness.store.get_value(DIRECT_KEY + room_id) is not None
    await send_text(eve, room_id, "!forget")
    await wait_until(lambda: view.message(me, "Slettet", "m.notice"), what="the forget answer")
    assert await harness.store.get_value(DIRECT_KEY + room_id) is None
    assert all(owner != harness.user(eve) for _, owner in (await harness.store.values("")).values())
    await send_text(eve, room_id, "!selftest jubileum")  # still her private chat
    await wait_until(lambda: len([e for e in view.messages(me) if "Selvtest" in e["content"]["body"]]) == 2,
                     what="a second self-test")


async def test_session_file_private_even_over_an_open_one(matrix_user, make_bot) -> None:
    """#13: an older session file (and a leftover temporary) readable by others does not make the token so."""
    harness = make_bot()
    path = session_file(harness.config)
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, path.with_name(path.name + ".tmp")):
        leftover.write_text("{}")
        leftover.chmod(0o644)
    await harness.start()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert harness.bot is not None and harness.bot.client.access_token in path.read_text()


async def test_display_name_cannot_smuggle_bidi_into_a_notice(matrix_user, make_bot) -> None:
    """#14: a display name with control and bidi characters is cleaned before it is put in a notice."""
    harness = make_bot()
    await harness.start()
    (alice, bob), room_id, view = await group_room(matrix_user, harness, "bob")
    await bob.set_displayname("bob\u202eevil\u2066\x07")
    await send_text(alice, room_id, "!start jubileum")
    part1 = await open_part(view, harness.user_id, 1)
    await send_text(alice, room_id, "!close")
    await wait_until(lambda: view.message(harness.user_id, "Resultat"), what="the results")
    await react(bob, room_id, part1, RED)
    notice = await wait_until(lambda: view.message(harness.user_id, "Avstemningen er lukket.", "m.notice"),
                              what="the refusal naming bob")
    body, html = notice["content"]["body"], notice["content"]["formatted_body"]
    assert body.startswith("bobevil: ") and all(c not in body + html for c in "\u202e\u2066\x07")
