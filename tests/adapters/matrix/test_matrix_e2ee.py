"""The Matrix adapter in end-to-end encrypted rooms, with native polls: the real bot, a real Synapse, nio users with E2EE.

The users here are matrix-nio clients with encryption on; test_matrix_element.py does the same with
Element's own SDK (matrix-js-sdk and its Rust crypto).
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import sqlite3
import stat
from typing import Any

import pytest
from nio import AsyncClient, RoomSendResponse
from vodozemac import Ed25519PublicKey, Ed25519Signature

from adapters.matrix import application
from adapters.matrix.content import POLL_END, POLL_START
from adapters.matrix.crosssigning import KEYS_FILE, canonical_json
from adapters.matrix.session import store_dir

from .harness import BotUnderTest, RoomView, create_room, react, send_text, wait_until
from .synapse import Synapse

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio, pytest.mark.timeout(180)]

RED, GREEN, NEXT = "🔴", "🟢", "➡️"
ENCRYPTION = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


async def encrypted_room(matrix_user, harness: BotUnderTest, *names: str, homeserver: Synapse | None = None,
                         **room: Any):
    """alice creates an encrypted room with the bot and the others (all with E2EE); returns clients, room, view."""
    users = [await matrix_user(name, homeserver=homeserver, encrypted=True) for name in ("alice", *names)]
    alice = users[0]
    room_id = await create_room(alice, [harness.user_id, *(u.user_id for u in users[1:])],
                                initial_state=[ENCRYPTION], **room)
    for user in users[1:]:
        await user.join(room_id)
    view = RoomView(alice, room_id)
    for user in users:
        matrix_user.sync_forever(user)
    await wait_until(lambda: view.membership(harness.user_id) == "join", what="the bot to join")
    return users, room_id, view


def poll(view: RoomView, bot_id: str, after: str) -> dict[str, Any] | None:
    """The bot's poll that follows the message ``after``."""
    return next((e for e in view.after(after) if e["type"] == POLL_START and e["sender"] == bot_id), None)


async def open_part(view: RoomView, bot_id: str, number: int, of: int = 3) -> tuple[str, str]:
    """Wait for part ``number``, its poll and the bot's reactions; return the part's and the poll's event ids."""
    part = await wait_until(lambda: view.message(bot_id, f"Del {number} av {of}"), what=f"part {number}")
    started = await wait_until(lambda: poll(view, bot_id, part["event_id"]), what=f"the poll of part {number}")
    await wait_until(lambda: sorted(view.reactions(part["event_id"], bot_id)) == sorted([RED, GREEN]),
                     what=f"the bot's reactions under part {number}")
    return part["event_id"], started["event_id"]


async def answer_poll(client: AsyncClient, room_id: str, poll_id: str, answer: str, stable: bool = False) -> str:
    """A poll answer as Element sends it (encrypted in an encrypted room); ``stable``: the ``m.poll.response`` form."""
    relation = {"rel_type": "m.reference", "event_id": poll_id}
    if stable:
        kind, body = "m.poll.response", {"m.relates_to": relation, "m.selections": [answer]}
    else:
        kind = "org.matrix.msc3381.poll.response"
        body = {"m.relates_to": relation, kind: {"answers": [answer]}}
    resp = await client.room_send(room_id, kind, body, ignore_unverified_devices=True)
    assert isinstance(resp, RoomSendResponse), resp
    return resp.event_id


def on_the_wire(hs: Synapse, client: AsyncClient, room_id: str, event_id: str) -> dict[str, Any]:
    """The event as the server stores it (what nio hands over is already decrypted)."""
    return hs.api("GET", f"/_matrix/client/v3/rooms/{room_id}/event/{event_id}", token=client.access_token)


async def test_encrypted_group_round_with_polls_and_reactions(matrix_user, make_bot, synapse) -> None:
    harness = make_bot()
    bot = await harness.start()
    (alice, bob, carol, dave), room_id, view = await encrypted_room(matrix_user, harness, "bob", "carol", "dave")
    me = harness.user_id

    await send_text(alice, room_id, "!start jubileum")
    part1, poll1 = await open_part(view, me, 1)
    for event_id in (part1, poll1):
        assert on_the_wire(synapse, alice, room_id, event_id)["type"] == "m.room.encrypted"
    started = next(e for e in view.events if e["event_id"] == poll1)["content"][POLL_START]
    assert started["kind"] == "org.matrix.msc3381.poll.undisclosed" and started["max_selections"] == 1
    assert [a["id"] for a in started["answers"]] == ["red", "green"]

    await answer_poll(bob, room_id, poll1, "red")                     # poll answer, encrypted
    await react(carol, room_id, part1, GREEN)                         # reaction, in the clear as Element sends it
    await answer_poll(carol, room_id, poll1, "red", stable=True)      # carol changes her mind by poll (stable form)
    await answer_poll(dave, room_id, poll1, "green")
    await react(dave, room_id, part1, GREEN)                          # the same vote twice counts once
    expected = {harness.user(bob): "red", harness.user(carol): "red", harness.user(dave): "green"}
    await wait_until(lambda: harness.votes(1, 1) == expected, what="three votes, carol's changed")
    await wait_until(lambda: "Stemmer så langt: 3" in view.current_body(part1), what="the tally edit")

    bob_close = await send_text(bob, room_id, "!close")
    refusal = await wait_until(lambda: view.message(me, "administratorer", "m.notice"), what="bob's !close refused")
    assert refusal["content"]["m.relates_to"] == {"m.in_reply_to": {"event_id": bob_close}}
    assert harness.votes(1, 1) == expected and bot.runner.engine.round(1).voting_open

    await send_text(alice, room_id, "!close")
    results = await wait_until(lambda: view.message(me, "Resultat"), what="the results")
    body = results["content"]["body"]  # alice reads it by decrypting her timeline
    assert "Totalt 3 stemmer" in body and "2 (67 %)" in body and "Til diskusjon" in body
    assert on_the_wire(synapse, alice, room_id, results["event_id"])["type"] == "m.room.encrypted"
    ended = await wait_until(lambda: next((e for e in view.events if e["type"] == POLL_END), None), what="the poll end")
    assert ended["content"]["m.relates_to"] == {"rel_type": "m.reference", "event_id": poll1}
    assert "Totalt 3 stemmer" in ended["content"]["org.matrix.msc1767.text"]
    image = await wait_until(lambda: next((e for e in view.after(results["event_id"])
                                           if e["content"].get("msgtype") == "m.image"), None), what="the chart")
    assert image["content"]["file"]["url"].startswith("mxc://") and "key" in image["content"]["file"]
    assert "url" not in image["content"]  # the chart is an encrypted attachment

    await answer_poll(bob, room_id, poll1, "green")  # too late: refused once, nothing changes
    await wait_until(lambda: view.message(me, "Avstemningen er lukket.", "m.notice"), what="the late answer refused")
    assert harness.votes(1, 1) == expected

    await send_text(alice, room_id, "!next")
    part2, poll2 = await open_part(view, me, 2)
    await answer_poll(bob, room_id, poll2, "green")
    await react(carol, room_id, part2, RED)
    await wait_until(lambda: len(harness.votes(1, 2)) == 2, what="two votes on part 2")

    await send_text(carol, room_id, "!privacy")  # says plainly that the others see poll answers and reactions
    privacy = await wait_until(lambda: view.message(me, "Hva lagres", "m.notice"), what="!privacy")
    assert "(et svar i avstemningen, eller en reaksjon) synlig for alle i rommet" in privacy["content"]["body"]
    await send_text(carol, room_id, "!help")
    help_text = await wait_until(lambda: view.message(me, "Dilemmabot", "m.notice"), what="!help")
    assert "reaksjoner og avstemningssvar er synlige" in help_text["content"]["body"]


async def test_selftest_in_encrypted_direct_chat(matrix_user, make_bot) -> None:
    harness = make_bot()
    await harness.start()
    alice = await matrix_user("alice", encrypted=True)
    room_id = await create_room(alice, [harness.user_id], is_direct=True, initial_state=[ENCRYPTION])
    view = RoomView(alice, room_id)
    matrix_user.sync_forever(alice)
    me = harness.user_id
    await wait_until(lambda: view.membership(me) == "join", what="the bot to join")
    await send_text(alice, room_id, "!selftest jubileum")
    part1, poll1 = await open_part(view, me, 1)
    assert view.message(me, "Selvtest") is not None
    await answer_poll(alice, room_id, poll1, "green")
    answer = await wait_until(lambda: view.message(me, "Ditt svar"), what="the self-test answer")
    ended = await wait_until(lambda: next((e for e in view.events if e["type"] == POLL_END), None), what="the poll end")
    assert ended["content"]["m.relates_to"]["event_id"] == poll1
    await wait_until(lambda: view.reactions(answer["event_id"], me) == [NEXT], what="the next button")
    await react(alice, room_id, answer["event_id"], NEXT)
    await open_part(view, me, 2)


async def test_restart_reads_what_was_sent_while_down(matrix_user, make_bot) -> None:
    harness = make_bot()
    bot = await harness.start()
    (alice, bob), room_id, view = await encrypted_room(matrix_user, harness, "bob")
    me = harness.user_id
    await send_text(alice, room_id, "!help")
    await wait_until(lambda: view.messages(me, "m.notice"), what="the help")
    device = bot.client.device_id
    await harness.stop()

    alice.olm.rotate_outbound_group_session(room_id)  # a new megolm session, shared while the bot is away
    await send_text(alice, room_id, "!start jubileum")
    bot = await harness.start()
    assert bot.client.device_id == device  # same device and keys, no new login
    part1, poll1 = await open_part(view, me, 1)
    await answer_poll(bob, room_id, poll1, "red")
    await wait_until(lambda: harness.votes(1, 1) == {harness.user(bob): "red"}, what="bob's vote after the restart")


async def test_new_member_mid_round_reads_and_votes(matrix_user, make_bot) -> None:
    harness = make_bot()
    await harness.start()
    (alice,), room_id, view = await encrypted_room(matrix_user, harness)
    me = harness.user_id
    await send_text(alice, room_id, "!start jubileum")
    part1, poll1 = await open_part(view, me, 1)

    erin = await matrix_user("erin", encrypted=True)
    await alice.room_invite(room_id, erin.user_id)
    await erin.join(room_id)
    erin_view = RoomView(erin, room_id)
    matrix_user.sync_forever(erin)
    await wait_until(lambda: room_id in erin.rooms, what="erin's client to know the room")
    await answer_poll(erin, room_id, poll1, "green")
    await wait_until(lambda: harness.votes(1, 1) == {harness.user(erin): "green"}, what="erin's vote")
    await send_text(alice, room_id, "!close")
    results = await wait_until(lambda: erin_view.message(me, "Resultat"), what="erin to read the results")
    assert "Totalt 1 stemme" in results["content"]["body"]


async def test_homeserver_restart_in_encrypted_room(matrix_user, make_bot, synapse_factory) -> None:
    hs = synapse_factory()
    harness = make_bot(hs)
    await harness.start()
    (alice,), room_id, view = await encrypted_room(matrix_user, harness, homeserver=hs)
    await asyncio.to_thread(hs.restart)
    await send_text(alice, room_id, "!start jubileum")
    await open_part(view, harness.user_id, 1)


async def test_room_that_turns_encryption_on_mid_round(matrix_user, make_bot, synapse) -> None:
    harness = make_bot()
    await harness.start()
    alice = await matrix_user("alice", encrypted=True)
    bob = await matrix_user("bob", encrypted=True)
    room_id = await create_room(alice, [harness.user_id, bob.user_id])
    await bob.join(room_id)
    view = RoomView(alice, room_id)
    matrix_user.sync_forever(alice)
    matrix_user.sync_forever(bob)
    me = harness.user_id
    await wait_until(lambda: view.membership(me) == "join", what="the bot to join")
    await send_text(alice, room_id, "!start jubileum")
    part1, poll1 = await open_part(view, me, 1)
    await answer_poll(bob, room_id, poll1, "red")  # in the clear
    await wait_until(lambda: harness.votes(1, 1) == {harness.user(bob): "red"}, what="bob's clear vote")

    await alice.room_put_state(room_id, "m.room.encryption", ENCRYPTION["content"])
    await wait_until(lambda: harness.bot.client.rooms[room_id].encrypted and bob.rooms[room_id].encrypted,
                     what="everyone to see the room encrypted")
    changed = await answer_poll(bob, room_id, poll1, "green")
    assert on_the_wire(synapse, bob, room_id, changed)["type"] == "m.room.encrypted"
    await wait_until(lambda: harness.votes(1, 1) == {harness.user(bob): "green"}, what="bob's encrypted vote")
    await send_text(alice, room_id, "!close")
    results = await wait_until(lambda: view.message(me, "Resultat"), what="the results")
    assert on_the_wire(synapse, alice, room_id, results["event_id"])["type"] == "m.room.encrypted"


async def test_undecryptable_message_is_logged_once_and_answered(matrix_user, make_bot, synapse, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    harness = make_bot()
    await harness.start()
    (alice,), room_id, view = await encrypted_room(matrix_user, harness)
    secret = "hemmelig-innhold"
    forged = {"algorithm": "m.megolm.v1.aes-sha2", "sender_key": alice.olm.account.identity_keys["curve25519"],
              "ciphertext": secret, "session_id": "no-such-session", "device_id": alice.device_id}
    for txn in ("a", "b"):  # as from a client that never shared its key with the bot
        path = f"/_matrix/client/v3/rooms/{room_id}/send/m.room.encrypted/{txn}"
        await asyncio.to_thread(synapse.api, "PUT", path, forged, alice.access_token)
    await send_text(alice, room_id, "!help")
    await wait_until(lambda: len(view.messages(harness.user_id, "m.notice")) == 2, what="the notice and the help")
    told = view.messages(harness.user_id, "m.notice")[0]["content"]
    assert "kunne ikke lese" in told["body"] and told["m.mentions"] == {"user_ids": [alice.user_id]}
    unreadable = [r for r in caplog.records if "could not decrypt" in r.getMessage()]
    assert len(unreadable) == 1 and secret not in caplog.text


async def test_device_is_cross_signed_once(matrix_user, make_bot, synapse) -> None:
    harness = make_bot()
    bot = await harness.start()
    me, device = harness.user_id, bot.client.device_id
    alice = await matrix_user("alice")
    keys = synapse.api("POST", "/_matrix/client/v3/keys/query", {"device_keys": {me: []}}, alice.access_token)
    master = keys["master_keys"][me]
    self_signing = keys["self_signing_keys"][me]
    (master_id, master_key), = master["keys"].items()
    (ssk_id, ssk_key), = self_signing["keys"].items()
    assert verified(self_signing, me, master_id, master_key)     # the master key signed the self-signing key
    assert verified(keys["device_keys"][me][device], me, ssk_id, ssk_key)  # which signed the bot's device

    await harness.stop()
    await harness.start()  # nothing new is made or uploaded on a restart
    again = synapse.api("POST", "/_matrix/client/v3/keys/query", {"device_keys": {me: []}}, alice.access_token)
    assert again["master_keys"][me]["keys"] == master["keys"]

    directory = store_dir(harness.config)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    files = [p for p in directory.iterdir() if p.is_file()]
    assert (directory / KEYS_FILE) in files and any(p.suffix == ".db" for p in files)
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files), {p.name: oct(p.stat().st_mode) for p in files}


def verified(signed: dict[str, Any], user_id: str, key_id: str, public: str) -> bool:
    unsigned = {k: v for k, v in signed.items() if k not in ("signatures", "unsigned")}
    signature = signed["signatures"][user_id][key_id]
    try:
        Ed25519PublicKey.from_base64(public).verify_signature(canonical_json(unsigned),
                                                              Ed25519Signature.from_base64(signature))
    except Exception:
        return False
    return True


async def test_no_secret_or_key_in_the_debug_log(matrix_user, make_bot, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    harness = make_bot()
    bot = await harness.start()
    (alice,), room_id, view = await encrypted_room(matrix_user, harness)
    await send_text(alice, room_id, "!help")
    await wait_until(lambda: view.messages(harness.user_id, "m.notice"), what="the help")
    directory = store_dir(harness.config)
    cross = json.loads((directory / KEYS_FILE).read_text())
    secrets = [harness.config.matrix_password, bot.client.access_token, (directory / "pickle-key").read_text().strip(),
               cross["master"], cross["self_signing"]]
    assert all(s and s not in caplog.text for s in secrets)
    with sqlite3.connect(next(directory.glob("@*.db"))) as db:  # the pickled olm account and sessions
        pickles = [row[0] for table, column in (("accounts", "account"), ("olmsessions", "session"),
                                                ("megolminboundsessions", "session"))
                   for row in db.execute(f"SELECT {column} FROM {table}")]
    assert len(pickles) >= 3
    pieces = [text[:40] for p in pickles for text in (bytes(p).decode("ascii", "replace"), repr(bytes(p)))]
    assert not [piece for piece in pieces if piece in caplog.text], "key material logged"



async def test_poll_answers_beyond_a_long_gap_come_from_relations(matrix_user, make_bot, monkeypatch) -> None:
    monkeypatch.setattr(application, "GAP_PAGE", 2)  # the bot reads back at most 2 events past its timeline
    monkeypatch.setattr(application, "MAX_GAP_PAGES", 1)
    harness = make_bot()
    await harness.start()
    (alice, bob, carol, dave), room_id, view = await encrypted_room(matrix_user, harness, "bob", "carol", "dave")
    await send_text(alice, room_id, "!start jubileum")
    part1, poll1 = await open_part(view, harness.user_id, 1)
    await harness.stop()

    await answer_poll(bob, room_id, poll1, "red")
    await answer_poll(carol, room_id, poll1, "green")
    await answer_poll(bob, room_id, poll1, "green")  # bob's latest answer is the one that counts
    for n in range(6):
        await send_text(alice, room_id, f"prat {n}")
    await answer_poll(dave, room_id, poll1, "red")
    await harness.start(timeline_limit=2)
    expected = {harness.user(bob): "green", harness.user(carol): "green", harness.user(dave): "red"}
    await wait_until(lambda: harness.votes(1, 1) == expected, what="every answer, the missed ones from /relations")


async def test_lost_crypto_store_means_a_new_device(matrix_user, make_bot, synapse) -> None:
    """A device whose keys are gone cannot encrypt again: the bot logs in anew (and cross-signs that device)."""
    harness = make_bot()
    bot = await harness.start()
    (alice,), room_id, view = await encrypted_room(matrix_user, harness)
    old_device = bot.client.device_id
    await harness.stop()
    shutil.rmtree(store_dir(harness.config))

    bot = await harness.start()
    assert bot.client.device_id != old_device
    await send_text(alice, room_id, "!help")
    await wait_until(lambda: view.messages(harness.user_id, "m.notice"), what="an answer from the new device")
    me = harness.user_id
    keys = synapse.api("POST", "/_matrix/client/v3/keys/query", {"device_keys": {me: []}}, alice.access_token)
    (ssk_id, ssk_key), = keys["self_signing_keys"][me]["keys"].items()
    assert verified(keys["device_keys"][me][bot.client.device_id], me, ssk_id, ssk_key)
