"""Proves the Matrix e2e infrastructure with matrix-nio alone (no project code).

Everything here runs against a real Synapse on 127.0.0.1 (see synapse.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    InviteMemberEvent,
    JoinedRoomsResponse,
    JoinResponse,
    LoginResponse,
    MatrixRoom,
    ReactionEvent,
    RedactionEvent,
    RoomCreateResponse,
    RoomGetStateEventResponse,
    RoomGetStateResponse,
    RoomMessageText,
    RoomRedactResponse,
    RoomSendError,
    RoomSendResponse,
    SyncResponse,
)

from .synapse import Synapse, SynapseError, synapse_python

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio, pytest.mark.timeout(90)]


async def wait_until(pred: Callable[[], object], timeout: float = 10.0, what: str = "condition"):  # noqa: ASYNC109
    """Poll pred() until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = pred()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


def auto_join(client: AsyncClient) -> None:
    """Join every room the client is invited to (the InviteMemberEvent callback pattern)."""

    async def on_invite(room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == client.user_id and event.membership == "invite":
            resp = await client.join(room.room_id)
            assert isinstance(resp, JoinResponse), resp

    client.add_event_callback(on_invite, InviteMemberEvent)


async def make_room_with_bot(alice: AsyncClient, bot: AsyncClient, matrix_user) -> str:
    """alice creates a room and invites bot; bot (syncing in the background) joins."""
    auto_join(bot)
    matrix_user.sync_forever(bot)
    resp = await alice.room_create(name="dilemma test", invite=[bot.user_id])
    assert isinstance(resp, RoomCreateResponse), resp
    room_id = resp.room_id
    await wait_until(lambda: room_id in bot.rooms and bot.user_id in bot.rooms[room_id].users,
                     what="bot to join")  # fmt: skip
    return room_id


async def test_missing_synapse_venv_gives_install_hint(tmp_path: Path) -> None:
    with pytest.raises(SynapseError, match="scripts/install-synapse.sh"):
        synapse_python(tmp_path / "no-such-venv")


async def test_message_reaction_redaction_edit(matrix_user) -> None:
    alice = await matrix_user("alice")
    bot = await matrix_user("bot")

    reactions: list[ReactionEvent] = []
    redactions: list[RedactionEvent] = []

    async def on_reaction(room: MatrixRoom, ev: ReactionEvent) -> None:
        reactions.append(ev)

    async def on_redaction(room: MatrixRoom, ev: RedactionEvent) -> None:
        redactions.append(ev)

    bot.add_event_callback(on_reaction, ReactionEvent)
    bot.add_event_callback(on_redaction, RedactionEvent)
    room_id = await make_room_with_bot(alice, bot, matrix_user)

    # bot -> rich text message
    sent = await bot.room_send(room_id, "m.room.message", {
        "msgtype": "m.text",
        "body": "Is lying ever OK?",
        "format": "org.matrix.custom.html",
        "formatted_body": "<b>Is lying ever OK?</b>",
    })  # fmt: skip
    assert isinstance(sent, RoomSendResponse), sent
    msg_id = sent.event_id

    # alice sees it, html intact
    seen: dict[str, RoomMessageText] = {}

    async def alice_msg(room: MatrixRoom, ev: RoomMessageText) -> None:
        seen[ev.event_id] = ev

    alice.add_event_callback(alice_msg, RoomMessageText)
    while msg_id not in seen:
        await asyncio.wait_for(alice.sync(timeout=1000), 10)
    assert seen[msg_id].formatted_body == "<b>Is lying ever OK?</b>"
    assert seen[msg_id].format == "org.matrix.custom.html"

    # alice reacts, bot's ReactionEvent callback sees it
    react = await alice.room_send(room_id, "m.reaction", {
        "m.relates_to": {"rel_type": "m.annotation", "event_id": msg_id, "key": "🟢"},
    })  # fmt: skip
    assert isinstance(react, RoomSendResponse), react
    ev = await wait_until(lambda: next((r for r in reactions if r.event_id == react.event_id), None),
                          what="bot to see the reaction")  # fmt: skip
    assert (ev.key, ev.reacts_to, ev.sender) == ("🟢", msg_id, alice.user_id)

    # alice takes the reaction back, bot's RedactionEvent callback names the reaction
    red = await alice.room_redact(room_id, react.event_id)
    assert isinstance(red, RoomRedactResponse), red
    ev = await wait_until(lambda: next((r for r in redactions if r.event_id == red.event_id), None),
                          what="bot to see the redaction")  # fmt: skip
    assert ev.redacts == react.event_id
    # room v11+: `redacts` moved into content; Synapse also keeps the top-level copy nio reads
    assert ev.source["content"]["redacts"] == ev.source["redacts"] == react.event_id
    assert ev.sender == alice.user_id

    # bot edits its message; alice's sync shows the m.replace
    new_content = {
        "msgtype": "m.text",
        "body": "Is lying ever OK? (closed)",
        "format": "org.matrix.custom.html",
        "formatted_body": "<b>Is lying ever OK?</b> <i>(closed)</i>",
    }
    edit = await bot.room_send(room_id, "m.room.message", {
        "msgtype": "m.text",
        "body": "* " + new_content["body"],
        "m.new_content": new_content,
        "m.relates_to": {"rel_type": "m.replace", "event_id": msg_id},
    })  # fmt: skip
    assert isinstance(edit, RoomSendResponse), edit
    while edit.event_id not in seen:
        await asyncio.wait_for(alice.sync(timeout=1000), 10)
    content = seen[edit.event_id].source["content"]
    assert content["m.relates_to"] == {"rel_type": "m.replace", "event_id": msg_id}
    assert content["m.new_content"] == new_content


async def test_room_creator_is_privileged_by_create_event(matrix_user) -> None:
    alice = await matrix_user("alice")
    bot = await matrix_user("bot")
    room_id = await make_room_with_bot(alice, bot, matrix_user)

    # the bot reads who made the room, and in which room version. GET .../state/m.room.create
    # gives only the content (no sender), so take the full event from GET .../state.
    state = await bot.room_get_state(room_id)
    assert isinstance(state, RoomGetStateResponse), state
    create = next(e for e in state.events if e["type"] == "m.room.create")
    room_version = create["content"].get("room_version", "1")
    assert room_version == "12"  # Synapse 1.163's default: creators outrank every power level
    creators = {create["sender"], *create["content"].get("additional_creators", [])}
    assert creators == {alice.user_id}
    assert "creator" not in create["content"]  # gone since room v11: the sender is the creator
    room = bot.rooms[room_id]
    assert room.room_version == "12"  # nio tracks the version, not the creator

    pl = await bot.room_get_state_event(room_id, "m.room.power_levels")
    assert isinstance(pl, RoomGetStateEventResponse), pl
    # v12: creators are NOT listed in power_levels.users ...
    assert alice.user_id not in pl.content.get("users", {})
    # ... so nio's own view gives the creator the default level (the gotcha in matrix.md)
    assert room.power_levels.get_user_level(alice.user_id) == pl.content.get("users_default", 0)
    assert room.power_levels.get_user_level(bot.user_id) == pl.content.get("users_default", 0)

    # yet the creator can do what needs the highest level (here: change power levels)
    resp = await alice.room_put_state(room_id, "m.room.power_levels", {
        **pl.content, "users": {**pl.content.get("users", {}), bot.user_id: 50},
    })  # fmt: skip
    assert not hasattr(resp, "status_code") or resp.status_code is None, resp
    # ... which the bot may not
    resp = await bot.room_put_state(room_id, "m.room.power_levels", {**pl.content, "users": {}})
    assert getattr(resp, "status_code", None) == "M_FORBIDDEN", resp


async def test_strict_rate_limit_gives_m_limit_exceeded(matrix_user, synapse_strict: Synapse) -> None:
    # max_limit_exceeded=0: nio's default would sleep retry_after_ms and retry forever
    no_retry = AsyncClientConfig(max_limit_exceeded=0)
    alice = await matrix_user("alice", homeserver=synapse_strict, config=no_retry)
    room = await alice.room_create(name="burst")
    assert isinstance(room, RoomCreateResponse), room

    # burst_count 2, and createRoom already used one; Synapse holds each 429 answer back 0.5 s
    results = []
    for i in range(5):
        resp = await alice.room_send(room.room_id, "m.room.message", {"msgtype": "m.text", "body": f"#{i}"})
        results.append(resp)
        if isinstance(resp, RoomSendError):
            break
    assert isinstance(results[0], RoomSendResponse), results[0]  # the burst allowance let it through
    limited = results[-1]
    assert isinstance(limited, RoomSendError), f"no rate limit hit: {results}"
    assert limited.status_code == "M_LIMIT_EXCEEDED", limited
    assert isinstance(limited.retry_after_ms, int) and 0 < limited.retry_after_ms <= 2000, limited


async def test_restart_keeps_data_and_clients_sync_again(matrix_user, synapse_factory) -> None:
    hs: Synapse = synapse_factory()  # a private one: stopping it disturbs no other test
    alice = await matrix_user("alice", homeserver=hs, password="alice-secret")
    bot = await matrix_user("bot", homeserver=hs)
    room_id = await make_room_with_bot(alice, bot, matrix_user)  # bot keeps syncing across the restart

    got: list[RoomMessageText] = []

    async def on_msg(room: MatrixRoom, ev: RoomMessageText) -> None:
        if ev.sender != bot.user_id:
            got.append(ev)

    bot.add_event_callback(on_msg, RoomMessageText)

    hs.stop()
    assert not hs.is_running()
    await asyncio.sleep(0.3)  # the bot's long-poll fails; nio retries connection errors
    await asyncio.to_thread(hs.start)

    # same access tokens, same room, and the bot's sync loop picks up where it was
    resp = await alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "still there?"})
    assert isinstance(resp, RoomSendResponse), resp
    await wait_until(lambda: any(e.event_id == resp.event_id for e in got), timeout=15,
                     what="bot to receive a message after the restart")  # fmt: skip

    # a new login on the restarted server sees the old room in a fresh sync
    carol = AsyncClient(hs.url, alice.user_id)
    try:
        login = await carol.login("alice-secret")
        assert isinstance(login, LoginResponse), login
        sync = await carol.sync(timeout=0, full_state=True)
        assert isinstance(sync, SyncResponse), sync
        assert room_id in sync.rooms.join
        joined = await carol.joined_rooms()
        assert isinstance(joined, JoinedRoomsResponse) and room_id in joined.rooms
    finally:
        await carol.close()
