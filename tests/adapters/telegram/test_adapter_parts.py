"""The adapter's small pieces, without the emulator: admin cache, trainer ids, keyboards, limits."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from telegram import Chat, ChatMemberAdministrator, ChatMemberMember, ChatMemberOwner, Message, User
from telegram.error import NetworkError

from adapters.telegram.controllers import Controllers
from adapters.telegram.identity import trainer_ids
from adapters.telegram.keyboard import keyboard
from adapters.telegram.transport import shorten, telegram_length
from bot.config import parse_listen
from bot.refusal import Refused
from bot.effects import NextButton, VoteButton

from .bot_harness import telegram_html_problems

GROUP = Chat(-100, Chat.GROUP)
ANNE, BO, OLA = User(1, "Anne", False), User(2, "Bo", False), User(3, "Ola", False)


class FakeBot:
    """Answers getChatMember from a table and counts the calls."""

    def __init__(self, statuses: dict[int, str]):
        self.statuses = statuses
        self.calls: list[tuple[int, int]] = []
        self.fail = False

    async def get_chat_member(self, chat_id: int, user_id: int):
        self.calls.append((chat_id, user_id))
        if self.fail:
            raise NetworkError("connection reset")
        user = User(user_id, "x", False)
        status = self.statuses.get(user_id, "member")
        if status == "creator":
            return ChatMemberOwner(user, is_anonymous=False)
        if status == "administrator":
            return ChatMemberAdministrator(user, *[False] * 12)
        return ChatMemberMember(user)


def message(user: User | None, sender_chat: Chat | None = None) -> Message:
    return Message(1, datetime.now(timezone.utc), GROUP, from_user=user, sender_chat=sender_chat, text="/close")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_admins_and_creator_control_members_do_not_and_answers_are_cached_for_a_while():
    bot, clock = FakeBot({ANNE.id: "administrator", OLA.id: "creator"}), Clock()
    controllers = Controllers(frozenset(), ttl=60, clock=clock)
    assert [await controllers.controls(bot, message(u)) for u in (ANNE, BO, OLA)] == [True, False, True]
    assert [await controllers.controls(bot, message(u)) for u in (ANNE, BO, OLA)] == [True, False, True]
    assert len(bot.calls) == 3  # the second round came from the cache
    bot.statuses[BO.id] = "administrator"  # Bo is promoted
    clock.now += 59
    assert await controllers.controls(bot, message(BO)) is False
    clock.now += 2
    assert await controllers.controls(bot, message(BO)) is True
    assert bot.calls[-1] == (GROUP.id, BO.id) and len(bot.calls) == 4


async def test_trainers_and_anonymous_admins_need_no_lookup_and_failures_are_not_cached():
    bot = FakeBot({})
    controllers = Controllers(frozenset({BO.id}), clock=Clock())
    assert await controllers.controls(bot, message(BO)) is True
    anonymous = User(1087968824, "Group", True, username="GroupAnonymousBot")
    assert await controllers.controls(bot, message(anonymous, sender_chat=GROUP)) is True
    assert bot.calls == []
    channel = Chat(-200, Chat.CHANNEL)  # a linked channel writing in the group is no administrator of it
    bot.fail = True
    assert await controllers.controls(bot, message(anonymous, sender_chat=channel)) is False
    bot.fail = False
    assert await controllers.controls(bot, message(anonymous, sender_chat=channel)) is False
    assert len(bot.calls) == 2


def test_trainer_ids_take_the_telegram_entries_only():
    trainers = frozenset({"telegram:123", "telegram:@anne", "matrix:@anne:example.org", "console:you", "telegram:9"})
    assert trainer_ids(trainers) == {123, 9}


def test_keyboard_puts_votes_in_one_row_and_next_on_its_own():
    markup = keyboard((VoteButton("Rødt lys", "🔴", 7, 2, "red"), VoteButton("Grønt lys", "🟢", 7, 2, "green"),
                       NextButton("Neste del ➡️", 7, 2)))
    assert markup is not None
    rows = [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]
    assert rows == [[("🔴 Rødt lys", "v:7:2:red"), ("🟢 Grønt lys", "v:7:2:green")], [("Neste del ➡️", "n:7:2")]]
    assert keyboard(()) is None


def test_limits_are_counted_as_telegram_counts():
    assert telegram_length("🔴 a") == 4  # an emoji outside the BMP is two UTF-16 units
    assert shorten("x" * 250, 200) == "x" * 199 + "…" and shorten("kort", 200) == "kort"


@pytest.mark.parametrize(("listen", "expected"), [("0.0.0.0:8443", ("0.0.0.0", 8443)), ("[::]:80", ("::", 80))])
def test_parse_listen(listen, expected):
    assert parse_listen(listen, "TELEGRAM_WEBHOOK_LISTEN") == expected


def test_parse_listen_refuses_a_missing_port():
    with pytest.raises(Refused, match="TELEGRAM_WEBHOOK_LISTEN must be host:port"):
        parse_listen("0.0.0.0", "TELEGRAM_WEBHOOK_LISTEN")


def test_the_tests_html_check_catches_what_telegram_refuses():
    assert telegram_html_problems("<b>Smør &amp; brød</b>\n&lt;x&gt; <i>ok</i> <code>1</code>") == []
    for bad in ("a < b", "a & b", "<b>open", "</b>", "<u>x</u>", "&nbsp;", "<b><i>x</b></i>"):
        assert telegram_html_problems(bad), bad
