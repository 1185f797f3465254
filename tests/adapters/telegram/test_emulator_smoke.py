"""Proves the Telegram e2e infrastructure against the real python-telegram-bot Application
(no project code): commands, inline buttons + callback answers + edits, admin checks, photos,
flood-control retries, error answers and long polling of the patched emulator."""

from __future__ import annotations

import base64
import struct
import zlib

import pytest
from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    ChatMemberAdministrator,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler

from .emulator_client import BOT_USERNAME, Chat, User, button_data, running_application

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio, pytest.mark.timeout(60)]

ALICE = User(101, "Alice", "alice")
BOB = User(102, "Bob", "bob")
GROUP = Chat.group(-4001, "Dilemma club")
SUPERGROUP = Chat.supergroup(-1001234567890, "Big dilemma club")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PTB 22.8 itself warns whenever it builds a RetryAfter (unless PTB_TIMEDELTA=1); not our concern here.
IGNORE_RETRY_AFTER_DEPRECATION = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return PNG_SIGNATURE + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def build_app(tg, **builder_options) -> tuple[Application, list[BaseException]]:
    builder = ApplicationBuilder().token(tg.token).base_url(tg.base_url).base_file_url(tg.base_file_url)
    for name, value in builder_options.items():
        builder = getattr(builder, name)(value)
    app = builder.build()
    errors: list[BaseException] = []

    async def on_error(_update: object, context) -> None:
        errors.append(context.error)

    app.add_error_handler(on_error)
    return app, errors


async def test_command_button_answer_and_edit_in_group(telegram_sandbox):
    tg, emu = telegram_sandbox, telegram_sandbox.client.aio
    app, errors = build_app(tg)
    seen: dict[str, object] = {}

    async def start(update: Update, _ctx) -> None:
        seen["start_chat_type"] = update.effective_chat.type
        kb = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="vote:yes"),
                                    InlineKeyboardButton("No", callback_data="vote:no")]])
        await update.message.reply_text("Is lying ever OK?", reply_markup=kb)

    async def on_button(update: Update, _ctx) -> None:
        q = update.callback_query
        seen["answer"] = await q.answer("ok")
        edited = await q.edit_message_text(f"You chose: {q.data.split(':')[1]}")
        seen["edited_chat_type"] = edited.chat.type
        seen["edited_text"] = edited.text

    async def close(update: Update, _ctx) -> None:
        await update.message.reply_text("closed")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("close", close))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^vote:"))

    async with running_application(app, poll_interval=0.02, timeout=0):
        sent = await emu.send_command(GROUP, ALICE, "/start")
        question = await emu.wait_for_bot_message(GROUP.id)
        assert question["text"] == "Is lying ever OK?"
        assert question["chat"]["type"] == "group"
        assert button_data(question) == ["vote:yes", "vote:no"]
        # PTB quotes the command in groups by default: the bot's reply points at the user's message
        assert question["reply_to_message"]["message_id"] == sent["message_id"]

        pressed = await emu.press_button(GROUP, ALICE, question, "vote:no")
        edits = await emu.wait_for(lambda: emu.sync.edits())
        answers = await emu.callback_answers()

        # the command addressed to the bot by name in a group
        await emu.send_command(GROUP, BOB, f"/close@{BOT_USERNAME}")
        closed = await emu.wait_for_bot_message(GROUP.id, lambda m: m.get("text") == "closed")

    assert errors == []
    assert seen == {"start_chat_type": "group", "answer": True, "edited_chat_type": "group",
                    "edited_text": "You chose: no"}
    assert [(e["method"], e["chat_id"], e["message_id"], e["text"]) for e in edits] == [
        ("editMessageText", GROUP.id, question["message_id"], "You chose: no")
    ]
    assert [(a["callback_query_id"], a["text"], a["show_alert"]) for a in answers] == [
        (pressed["callback_query_id"], "ok", False)
    ]
    now = await emu.bot_messages(GROUP.id)
    assert now[0]["text"] == "You chose: no"
    assert "reply_markup" not in now[0]  # an edit without reply_markup removes the keyboard, as on Telegram
    assert closed["message_id"] > question["message_id"]


async def test_get_chat_member_reports_configured_admins(telegram_sandbox):
    tg, emu = telegram_sandbox, telegram_sandbox.client.aio
    await emu.set_admins(SUPERGROUP.id, [ALICE.id], owner_id=BOB.id)
    await emu.send_message(SUPERGROUP, ALICE, "hi")  # makes Alice's name known to the emulator
    app, errors = build_app(tg)
    async with app:  # initialize() -> getMe
        admin = await app.bot.get_chat_member(SUPERGROUP.id, ALICE.id)
        owner = await app.bot.get_chat_member(SUPERGROUP.id, BOB.id)
        member = await app.bot.get_chat_member(SUPERGROUP.id, 999)
        elsewhere = await app.bot.get_chat_member(GROUP.id, ALICE.id)
        admins = await app.bot.get_chat_administrators(SUPERGROUP.id)

    assert isinstance(admin, ChatMemberAdministrator)
    assert admin.status == "administrator" and admin.user.first_name == "Alice"
    assert admin.can_delete_messages and admin.can_pin_messages and not admin.is_anonymous
    assert isinstance(owner, ChatMemberOwner)
    assert isinstance(member, ChatMemberMember) and member.user.id == 999 and not member.user.is_bot
    assert isinstance(elsewhere, ChatMemberMember)  # admin rights are per chat
    assert {m.user.id for m in admins} == {ALICE.id, BOB.id}

    await emu.set_admins(SUPERGROUP.id, [])  # changed at run time
    async with app:
        demoted = await app.bot.get_chat_member(SUPERGROUP.id, ALICE.id)
    assert isinstance(demoted, ChatMemberMember)
    assert errors == []


async def test_send_photo_is_recorded_with_bytes(telegram_sandbox):
    tg, emu = telegram_sandbox, telegram_sandbox.client.aio
    png = tiny_png(3, 2)
    app, _ = build_app(tg)
    await emu.send_message(GROUP, ALICE, "hello")
    async with app:
        sent = await app.bot.send_photo(GROUP.id, photo=png, caption="Results: 2 yes, 1 no")
        doc = await app.bot.send_document(GROUP.id, document=b"a,b\n1,2\n", filename="votes.csv")

    assert sent.photo[-1].width == 3 and sent.photo[-1].height == 2
    assert sent.caption == "Results: 2 yes, 1 no" and sent.chat.type == "group"
    photos = await emu.photos()
    assert len(photos) == 1
    photo = photos[0]
    assert photo["chat_id"] == GROUP.id
    assert photo["caption"] == "Results: 2 yes, 1 no"
    assert photo["message_id"] == sent.message_id
    assert photo["size"] == len(png)
    assert base64.b64decode(photo["base64"]).startswith(PNG_SIGNATURE)
    assert doc.document.file_name == "votes.csv"
    assert [(d["filename"], d["size"]) for d in await emu.documents()] == [("votes.csv", 8)]
    # the photo is a bot message in the chat like any other
    assert [m.get("caption") for m in await emu.bot_messages(GROUP.id)][:1] == ["Results: 2 yes, 1 no"]


@IGNORE_RETRY_AFTER_DEPRECATION
async def test_flood_control_429_is_retried_by_aioratelimiter(telegram_sandbox):
    tg, emu = telegram_sandbox, telegram_sandbox.client.aio
    app, errors = build_app(tg, rate_limiter=AIORateLimiter(max_retries=2))

    async def start(update: Update, _ctx) -> None:
        await update.message.reply_text("welcome")

    app.add_handler(CommandHandler("start", start))
    chat = Chat.private(ALICE)
    await emu.fail_next("sendMessage", 1, 1)
    async with running_application(app):
        await emu.send_command(chat, ALICE, "/start")
        reply = await emu.wait_for_bot_message(chat.id)

    assert reply["text"] == "welcome"
    first, second = await emu.calls("sendMessage")
    assert (first["status"], second["status"]) == (429, 200)
    assert second["time"] - first["time"] >= 1000  # waited retry_after (as the emulator saw the calls arrive)
    assert errors == []


@IGNORE_RETRY_AFTER_DEPRECATION
async def test_error_answers_reach_ptb_as_telegram_errors(telegram_sandbox):
    tg, emu = telegram_sandbox, telegram_sandbox.client.aio
    app, _ = build_app(tg)
    async with app:
        bot = app.bot
        msg = await bot.send_message(GROUP.id, "v1")
        with pytest.raises(BadRequest, match="(?i)message to delete not found"):
            await bot.delete_message(GROUP.id, 999_999)  # stock: 200 ok:false -> KeyError in PTB
        with pytest.raises(BadRequest, match="(?i)message is not modified"):
            await bot.edit_message_text("v1", chat_id=GROUP.id, message_id=msg.message_id)
        with pytest.raises(BadRequest, match="(?i)message to edit not found"):
            await bot.edit_message_text("x", chat_id=GROUP.id, message_id=999_999)
        await emu.fail_next("sendMessage", 1, error_code=403, description="Forbidden: bot was blocked by the user")
        with pytest.raises(Forbidden):
            await bot.send_message(ALICE.id, "hi")
        await emu.fail_next("sendMessage", 1, 7)  # without a rate limiter PTB raises RetryAfter
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(ALICE.id, "hi")
        retry_after = caught.value.retry_after  # int now, timedelta with PTB_TIMEDELTA=1
        assert getattr(retry_after, "total_seconds", lambda: retry_after)() == 7
        with pytest.raises(NetworkError, match="sendPoll' is not emulated"):
            await bot.send_poll(GROUP.id, "Q?", ["a", "b"])
        assert await bot.delete_message(GROUP.id, msg.message_id) is True

        scope = BotCommandScopeAllGroupChats()
        await bot.set_my_commands([BotCommand("new", "Start a dilemma")], scope=scope, language_code="nb")
        assert [c.command for c in await bot.get_my_commands(scope=scope, language_code="nb")] == ["new"]
        with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
            await bot.set_my_commands([BotCommand("New", "uppercase is refused by Telegram")])

    log = await emu.commands_log()
    assert [(e["commands"], e["scope"], e["language_code"]) for e in log] == [
        ([{"command": "new", "description": "Start a dilemma"}], {"type": "all_group_chats"}, "nb")
    ]
    assert [d["message_id"] for d in await emu.deletes()] == [msg.message_id]
    assert await emu.bot_messages(GROUP.id) == []


# Far longer than the test may run (its timeout): a poll that only answered at its timeout, or a stop that
# waited for one, would fail the test instead of slowing it.
LONG_POLL = 3600


async def test_default_long_polling_and_fast_stop(telegram_sandbox):
    """The stock emulator ignores getUpdates' timeout (busy loop); the patched one long-polls, answering as
    soon as an update arrives, and a stop ends the pending poll."""
    tg, emu = telegram_sandbox, telegram_sandbox.client.aio
    app, errors = build_app(tg)

    async def echo(update: Update, _ctx) -> None:
        await update.message.reply_text(f"echo {update.message.text}")

    app.add_handler(CommandHandler("echo", echo))
    chat = Chat.private(BOB)
    async with running_application(app, poll_interval=0, timeout=LONG_POLL):
        await emu.send_command(chat, BOB, "/echo")
        reply = await emu.wait_for_bot_message(chat.id)
        await emu.send_command(chat, BOB, "/echo again")
        await emu.wait_for_bot_message(chat.id, after=reply["message_id"])

    assert reply["text"] == "echo /echo"
    polls = await emu.calls("getUpdates")
    assert len(polls) < 20  # long polls, not a busy loop
    assert errors == []


async def test_session_fixture_default_token(telegram_emulator):
    assert telegram_emulator.base_url == f"{telegram_emulator.url}/bot"
    app, _ = build_app(telegram_emulator)
    async with app:
        me = await app.bot.get_me()
    assert me.is_bot and me.username == BOT_USERNAME

