"""The command table is the only place a command is declared: everything else is derived from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.commands import CommandSpec, UsageError, Where
from bot.effects import Reply
from bot.engine import Engine
from bot.engine.table import COMMANDS
from bot.events import BadUsage, Command, CommandIssued, Sender
from bot.i18n import LANGUAGES
from bot.model import ChatSettings
from bot.platforms import Capabilities, Platforms
from bot.richtext import to_plain

from .conftest import T0, make_library

README = Path(__file__).resolve().parents[2] / "README.md"
GROUP, DM = "test:g", "test:dm-x"


def engine(commands=COMMANDS) -> Engine:
    return Engine(make_library(), platforms=Platforms({"test": Capabilities(), "bang": Capabilities(prefix="!")}),
                  commands=commands)


def ask(e: Engine, chat: str, command: Command, controller: bool = False) -> Reply:
    effects = e.handle(CommandIssued(chat, Sender("x", controller), command, T0, private=chat == DM))
    replies = [r for r in effects if isinstance(r, Reply)]
    return replies[0] if replies else Reply(chat, "x", ())


def example(spec: CommandSpec) -> Command:
    command = COMMANDS.parse(f"/{spec.name} {spec.example}".strip())
    assert command is not None and not isinstance(command, BadUsage), spec.name
    return command


@pytest.mark.parametrize("spec", list(COMMANDS), ids=lambda s: s.name)
def test_every_command_is_complete_in_every_language_and_listed_in_help_and_readme(spec: CommandSpec) -> None:
    e = engine()
    assert set(spec.help) == set(LANGUAGES) and all(spec.help.values())
    assert not spec.parse or set(spec.usage) == set(LANGUAGES)
    for lang in LANGUAGES:
        e.settings[GROUP] = ChatSettings(lang)
        e.settings[DM] = ChatSettings(lang)
        for chat, private in ((GROUP, False), (DM, True)):
            shown = to_plain(ask(e, chat, COMMANDS.parse("/help")).text).splitlines()
            line = f"/{spec.name} {spec.usage.get(lang, '')}".strip() + f" – {spec.help[lang]}"
            assert (line in shown) is spec.where.allows(private), (spec.name, lang, chat)
    assert f"`/{spec.name}" in README.read_text(encoding="utf-8").split("## Commands")[1].split("\n## ")[0]


@pytest.mark.parametrize("spec", [s for s in COMMANDS if s.control], ids=lambda s: s.name)
def test_every_controller_command_is_refused_to_a_member_in_a_group(spec: CommandSpec) -> None:
    if not spec.where.allows(private=False):
        pytest.skip("not a group command")
    reply = ask(engine(), GROUP, example(spec))
    assert reply.refused and "Beklager" in to_plain(reply.text), spec.name


@pytest.mark.parametrize("spec", [s for s in COMMANDS if s.where is not Where.ANYWHERE], ids=lambda s: s.name)
def test_every_command_is_refused_where_it_may_not_run(spec: CommandSpec) -> None:
    wrong = GROUP if spec.where is Where.PRIVATE else DM
    reply = ask(engine(), wrong, example(spec), controller=True)
    assert reply.refused and f"/{spec.name}" in to_plain(reply.text), spec.name


@pytest.mark.parametrize("spec", [s for s in COMMANDS if s.parse], ids=lambda s: s.name)
def test_bad_arguments_get_the_commands_usage_line_and_example(spec: CommandSpec) -> None:
    e = engine()
    bad = BadUsage(spec.name)
    text = to_plain(ask(e, GROUP if spec.where is not Where.PRIVATE else DM, bad, controller=True).text)
    assert f"Bruk: /{spec.name} {spec.usage['nb']}".strip() in text and f"Eksempel: /{spec.name}" in text
    bang = to_plain(ask(e, "bang:room", bad, controller=True).text)
    assert f"Bruk: !{spec.name}" in bang


@pytest.mark.parametrize("line", ["/start jubileum timer 0m", "/start jubileum timer soon", "/unschedule abc",
                                  "/schedule", "/vote", "/lang", "/tz a b"])
def test_wrong_arguments_are_bad_usage_not_unknown(line: str) -> None:
    assert COMMANDS.parse(line) == BadUsage(line[1:].split()[0])


@dataclass(frozen=True)
class Echo(Command):
    word: str


def _parse_echo(args: list[str]) -> Echo:
    if len(args) != 1:
        raise UsageError("")
    return Echo(args[0])


def _echo(eng: Engine, ev: CommandIssued, cmd: Echo) -> list:
    return [eng.chat(ev.chat).reply(ev.sender, "refuse.unknown_case", case=cmd.word)]


ECHO = CommandSpec("echo", Echo, _echo, parse=_parse_echo, control=True, where=Where.GROUP,
                   help={lang: f"echo ({lang})" for lang in LANGUAGES}, usage={lang: "WORD" for lang in LANGUAGES},
                   example="hei")


def test_a_new_command_needs_only_its_entry_and_handler() -> None:
    table = COMMANDS.extended(ECHO)
    e = engine(table)
    command = table.parse("/echo hei")
    assert command == Echo("hei") and table.needs_control(command)
    assert "hei" in to_plain(ask(e, GROUP, command, controller=True).text)  # dispatched to its handler
    assert ask(e, GROUP, command).refused  # a member is refused: derived from control=True
    assert ask(e, DM, command, controller=True).refused  # a group command, refused in a private chat
    assert "/echo WORD – echo (nb)" in to_plain(ask(e, GROUP, table.parse("/help"), controller=True).text)
    assert "Bruk: /echo WORD. Eksempel: /echo hei" in to_plain(ask(e, GROUP, table.parse("/echo"), True).text)
    from adapters.telegram.menu import menus

    listed = {type(scope).__name__: [s.name for s in specs] for scope, specs in menus(table)}
    assert "echo" in listed["BotCommandScopeAllChatAdministrators"]
    assert "echo" not in listed["BotCommandScopeAllGroupChats"] and "echo" not in listed["BotCommandScopeAllPrivateChats"]


def test_the_table_refuses_a_name_twice() -> None:
    with pytest.raises(ValueError):
        COMMANDS.extended(CommandSpec("help", Echo, _echo, help={}))
