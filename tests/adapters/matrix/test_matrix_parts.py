"""The Matrix adapter's pure parts, without a homeserver: event contents, polls, controllers, invites, buttons,
cross-signing keys, private files."""

from __future__ import annotations

from nio import MatrixRoom, PowerLevels, RoomCreateEvent
from vodozemac import Ed25519PublicKey, Ed25519Signature

from adapters.matrix import content
from adapters.matrix.crosssigning import CrossSigningKeys, canonical_json
from adapters.matrix.files import private_dir, write_private
from adapters.matrix.reactions import NEXT_EMOJI, reaction_buttons, same_emoji
from adapters.matrix.rooms import Rooms, creators_privileged, invite_allowed
from adapters.matrix.session import Session, load_session, save_session
from adapters.matrix.transport import poll_question
from bot.effects import NextButton, VoteButton
from bot.richtext import RichBuilder

RICH = RichBuilder().bold("Del 1 <av> 3").line().text("Stem & snakk").line().build()


def test_text_has_plain_and_escaped_html_bodies() -> None:
    body = content.text(RICH)
    assert body == {"msgtype": "m.text", "body": "Del 1 <av> 3\nStem & snakk", "format": "org.matrix.custom.html",
                    "formatted_body": "<b>Del 1 &lt;av&gt; 3</b><br>Stem &amp; snakk"}


def test_edit_replaces_with_star_fallback() -> None:
    edit = content.replacement(RICH, "$part")
    assert edit["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$part"}
    assert edit["m.new_content"] == content.text(RICH)
    assert edit["body"] == "* Del 1 <av> 3\nStem & snakk" and edit["formatted_body"].startswith("* <b>")


def test_notice_replies_and_mentions() -> None:
    notice = content.notice(RICH, reply_to="$cmd", mention=("@bob:x", "Bob <b>"))
    assert notice["msgtype"] == "m.notice"
    assert notice["m.relates_to"] == {"m.in_reply_to": {"event_id": "$cmd"}}
    assert notice["m.mentions"] == {"user_ids": ["@bob:x"]}
    assert notice["body"].startswith("Bob <b>: Del 1")
    assert notice["formatted_body"].startswith('<a href="https://matrix.to/#/@bob:x">Bob &lt;b&gt;</a>: <b>Del 1')
    assert "m.relates_to" not in content.notice(RICH)


def test_invite_allow_list() -> None:
    assert not invite_allowed("@anyone:evil.org", frozenset())  # no allow-list: nobody
    allow = frozenset({"@anne:example.org", ":kommune.no"})
    assert invite_allowed("@anne:example.org", allow) and invite_allowed("@ola:kommune.no", allow)
    assert not invite_allowed("@bob:example.org", allow) and not invite_allowed("@ola:notkommune.no.evil", allow)
    rooms = Rooms(store=None, user_id="@bot:x", trainers=frozenset({"matrix:@trainer:y"}), power_level=50,  # type: ignore[arg-type]
                  pseudonym=str)
    assert rooms.allowed("@trainer:y", frozenset()) and not rooms.allowed("@anyone:y", frozenset())


def test_creator_privileged_room_versions() -> None:
    assert creators_privileged("12") and creators_privileged("13") and creators_privileged("org.matrix.hydra.11")
    assert not creators_privileged("11") and not creators_privileged("1")


def _room(version: str, levels: dict[str, int]) -> MatrixRoom:
    room = MatrixRoom("!r:x", "@bot:x")
    room.room_version = version
    room.power_levels = PowerLevels(users=levels)
    return room


def test_controllers() -> None:
    rooms = Rooms(store=None, user_id="@bot:x", trainers=frozenset({"matrix:@trainer:y"}), power_level=50,  # type: ignore[arg-type]
                  pseudonym=str)
    create = RoomCreateEvent.from_dict({"type": "m.room.create", "event_id": "$c", "sender": "@alice:x",
                                        "origin_server_ts": 0, "state_key": "",
                                        "content": {"room_version": "12", "additional_creators": ["@co:x"]}})
    rooms.note_state("!r:x", [create])
    v12 = _room("12", {"@mod:x": 50, "@member:x": 10})
    assert all(rooms.controls(v12, u) for u in ("@alice:x", "@co:x", "@mod:x", "@trainer:y"))
    assert not rooms.controls(v12, "@member:x") and not rooms.controls(v12, "@stranger:x")
    v11 = _room("11", {"@mod:x": 50})
    assert not rooms.controls(v11, "@alice:x")  # before v12 a creator counts by power level only
    assert rooms.controls(None, "@trainer:y") and not rooms.controls(None, "@mod:x")


def test_buttons_become_reactions() -> None:
    buttons = (VoteButton("Rødt lys", "🔴", 3, 1, "red"), VoteButton("Grønt lys", "🟢", 3, 1, "green"),
               NextButton("Neste del ➡️", 3, 1))
    assert [(b.emoji, b.option) for b in reaction_buttons(buttons)] == [("🔴", "red"), ("🟢", "green"),
                                                                        (NEXT_EMOJI, None)]
    assert same_emoji("➡", NEXT_EMOJI) and same_emoji("✅\ufe0f", "✅") and not same_emoji("🔴", "🟢")


def test_session_file_is_private(tmp_path) -> None:
    path = tmp_path / "bot.db.matrix-session"
    save_session(path, Session("@bot:x", "DEVICE", "secret-token"))
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_session(path) == Session("@bot:x", "DEVICE", "secret-token")
    assert "secret-token" not in repr(load_session(path))
    path.write_text("{not json")
    assert load_session(path) is None


def test_poll_content() -> None:
    heading = RichBuilder().bold("Rødt eller grønt lys: jubileet").line().text("Del 1 av 3: Middagen").line(2) \
        .text("En bedrift har jubileum.").build()
    question = poll_question(heading)
    assert question == "Rødt eller grønt lys: jubileet – Del 1 av 3: Middagen"
    start = content.poll_start(question, [("red", "🔴 Rødt lys"), ("green", "🟢 Grønt lys")])[content.POLL_START]
    assert start["kind"] == "org.matrix.msc3381.poll.undisclosed" and start["max_selections"] == 1
    assert [a["id"] for a in start["answers"]] == ["red", "green"]
    relation = {"rel_type": "m.reference", "event_id": "$poll"}
    unstable = {"m.relates_to": relation, "org.matrix.msc3381.poll.response": {"answers": ["red"]}}
    stable = {"m.relates_to": relation, "m.selections": ["green"]}
    assert content.poll_response("org.matrix.msc3381.poll.response", unstable) == ("$poll", ["red"])
    assert content.poll_response("m.poll.response", stable) == ("$poll", ["green"])
    assert content.poll_response("m.poll.response", {"m.selections": ["green"]}) is None  # no relation
    assert content.poll_response("m.room.message", unstable) is None
    assert content.poll_end("$poll", "Totalt 3")["m.relates_to"] == relation


def test_cross_signing_keys_sign_canonical_json(tmp_path) -> None:
    keys = CrossSigningKeys.generate()
    uploads = keys.uploads("@bot:x")
    self_signing = uploads["self_signing_key"]
    assert uploads["master_key"] == {"user_id": "@bot:x", "usage": ["master"],
                                     "keys": {keys.master.key_id: keys.master.public}}
    signature = self_signing["signatures"]["@bot:x"][keys.master.key_id]
    unsigned = {k: v for k, v in self_signing.items() if k != "signatures"}
    Ed25519PublicKey.from_base64(keys.master.public).verify_signature(canonical_json(unsigned),
                                                                     Ed25519Signature.from_base64(signature))
    device = {"user_id": "@bot:x", "device_id": "D", "keys": {"ed25519:D": "k"},
              "signatures": {"@bot:x": {"ed25519:D": "own"}}, "unsigned": {"device_display_name": "bot"}}
    signed = keys.self_signing.sign("@bot:x", device)
    assert signed["signatures"]["@bot:x"]["ed25519:D"] == "own" and "unsigned" not in signed  # kept, and signed over
    assert canonical_json({"b": 1, "a": "ø"}) == '{"a":"ø","b":1}'.encode()
    path = tmp_path / "cross-signing.json"
    keys.save(path)
    assert path.stat().st_mode & 0o777 == 0o600 and CrossSigningKeys.load(path) == keys
    assert keys.master.seed.hex() not in repr(keys)


def test_private_files_and_dirs(tmp_path) -> None:
    path = tmp_path / "old"
    path.write_text("readable by all")
    path.chmod(0o644)
    write_private(path, "secret")
    assert path.read_text() == "secret" and path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["old"]  # no temporary left behind
    directory = tmp_path / "store"
    directory.mkdir(mode=0o755)
    private_dir(directory)
    assert directory.stat().st_mode & 0o777 == 0o700
