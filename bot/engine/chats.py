"""The chat itself: help, the list of cases, language and time zone, what is stored, ``/forget`` and ``/leave``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.commands import CommandSpec, UsageError
from bot.effects import ChatSettingsChanged, Effect, Leave, Reply, UserForgotten
from bot.engine.context import Chat, echo
from bot.events import Command, CommandIssued
from bot.i18n import LANGUAGES
from bot.model import ChatSettings
from bot.richtext import RichBuilder

if TYPE_CHECKING:
    from bot.engine import Engine


@dataclass(frozen=True)
class Help(Command):
    pass


@dataclass(frozen=True)
class ListCases(Command):
    pass


@dataclass(frozen=True)
class Privacy(Command):
    pass


@dataclass(frozen=True)
class Forget(Command):
    pass


@dataclass(frozen=True)
class LeaveChat(Command):
    pass


@dataclass(frozen=True)
class SetLanguage(Command):
    lang: str


def parse_language(args: list[str]) -> SetLanguage:
    if len(args) != 1:
        raise UsageError(" ".join(args))
    return SetLanguage(args[0].casefold())


@dataclass(frozen=True)
class SetTimezone(Command):
    zone: str


def parse_zone(args: list[str]) -> SetTimezone:
    if len(args) != 1:
        raise UsageError(" ".join(args))
    return SetTimezone(args[0])


def help_line(chat: Chat, spec: CommandSpec) -> str:
    """``/start ID [timer 3m] – start a dilemma in this chat``."""
    call = f"{chat.prefix}{spec.name} {spec.usage.get(chat.lang, '')}".strip()
    return f"{call} – {spec.help[chat.lang]}"


def help(eng: Engine, ev: CommandIssued, cmd: Help) -> list[Effect]:
    """The commands that work here, from the command table; trainers' commands under their own heading."""
    chat = eng.chat(ev.chat)
    usable = [spec for spec in eng.commands if spec.where.allows(ev.private)]
    everyone = [spec for spec in usable if ev.private or not spec.control]
    trainers = [spec for spec in usable if spec.control and not ev.private]
    b = RichBuilder().bold(chat.say("help.intro")).line()
    for spec in everyone:
        b.text(help_line(chat, spec)).line()
    if trainers:
        b.line().bold(chat.say("help.trainers")).line()
        for spec in trainers:
            b.text(help_line(chat, spec)).line()
    if not ev.private:
        b.line().text(chat.say("help.selftest")).line()
    b.line().italic(chat.say("help.votes_visible" if chat.caps.votes_visible else "help.anonymous"))
    if ev.private and chat.caps.add_to_group:
        b.line(2).text(chat.say("help.add_to_group", link=chat.caps.add_to_group))
    return [Reply(ev.chat, ev.sender.user, b.build())]


def list_cases(eng: Engine, ev: CommandIssued, cmd: ListCases) -> list[Effect]:
    chat = eng.chat(ev.chat)
    if not eng.library.cases:
        return [chat.reply(ev.sender, "cases.none")]
    b = RichBuilder().bold(chat.say("cases.header")).line()
    for case in sorted(eng.library.cases.values(), key=lambda c: c.id):
        key = "cases.line_one" if len(case.parts) == 1 else "cases.line"
        b.text("• ").text(chat.say(key, id=case.id, title=case.title.get(chat.lang), parts=len(case.parts))).line()
    b.italic(chat.say("cases.footer"))
    return [Reply(ev.chat, ev.sender.user, b.build())]


def privacy(eng: Engine, ev: CommandIssued, cmd: Privacy) -> list[Effect]:
    chat = eng.chat(ev.chat)
    text = chat.say("privacy")
    if chat.caps.votes_visible:
        text += "\n" + chat.say("privacy.votes_visible")
    return [Reply(ev.chat, ev.sender.user, RichBuilder().text(text).build())]


def forget(eng: Engine, ev: CommandIssued, cmd: Forget) -> list[Effect]:
    """Delete the sender's votes and self-tests everywhere, and this private chat's traces.

    Runs only in a private chat (the command table says so), and changes nothing any group can see: votes on
    parts still open leave without a tally edit, and closed parts keep the split their group already saw.
    """
    user = ev.sender.user
    for rnd in [*eng.live.values(), *eng.finished.values()]:
        for state in rnd.parts:
            state.votes.pop(user, None)
        if rnd.selftest_of == user or rnd.chat == ev.chat:
            eng.live.pop(rnd.id, None)
            if eng.running_in.get(rnd.chat) == rnd.id:
                del eng.running_in[rnd.chat]
            if eng.finished.get(rnd.chat) is rnd:
                del eng.finished[rnd.chat]
    done = eng.chat(ev.chat).reply(ev.sender, "forget.done")  # in the chat's language, before its settings go
    eng.settings.pop(ev.chat, None)
    return [UserForgotten(user, ev.chat), done]


def leave(eng: Engine, ev: CommandIssued, cmd: LeaveChat) -> list[Effect]:
    """Say goodbye and leave the group; not while a round runs or one is scheduled there (it would never end)."""
    chat = eng.chat(ev.chat)
    if eng.running(ev.chat) is not None or eng.schedules_of(ev.chat):
        return chat.refuse(ev.sender, "leave.busy")
    return [chat.reply(ev.sender, "leave.bye"), Leave(ev.chat)]


def set_language(eng: Engine, ev: CommandIssued, cmd: SetLanguage) -> list[Effect]:
    chat = eng.chat(ev.chat)
    if cmd.lang not in LANGUAGES:
        return chat.refuse(ev.sender, "refuse.bad_language", languages=", ".join(LANGUAGES))
    return _change(eng, ev, ChatSettings(cmd.lang, chat.zone), "lang.set")


def set_timezone(eng: Engine, ev: CommandIssued, cmd: SetTimezone) -> list[Effect]:
    chat = eng.chat(ev.chat)
    try:
        ZoneInfo(cmd.zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "/tz Europe" (a directory), long names
        return chat.refuse(ev.sender, "refuse.bad_timezone", zone=echo(cmd.zone))
    return _change(eng, ev, ChatSettings(chat.lang, cmd.zone), "tz.set", zone=cmd.zone)


def _change(eng: Engine, ev: CommandIssued, settings: ChatSettings, key: str, **params: str) -> list[Effect]:
    eng.settings[ev.chat] = settings
    confirmed = Reply(ev.chat, ev.sender.user, eng.chat(ev.chat).text(key, **params))  # in the new language
    return [ChatSettingsChanged(ev.chat, settings.lang, settings.timezone), confirmed]
