"""The command table's machinery: one :class:`CommandSpec` per command, and the parser derived from them.

The table itself is :data:`bot.engine.table.COMMANDS`.  Everything that
needs to know about a command reads it from there: the parser (here), the
engine's dispatch and its checks of who may run what where, ``/help`` and
the usage lines, the Telegram command menus, and each adapter's decision
whether a command needs an admin look-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

from bot.events import BadUsage, Command, Unknown

if TYPE_CHECKING:
    from bot.effects import Effect
    from bot.events import CommandIssued

MAX_LINE = 500
_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")  # what Telegram allows in a command name


class Where(Enum):
    """Where a command may run."""

    ANYWHERE = "anywhere"
    GROUP = "group"
    PRIVATE = "private"

    def allows(self, private: bool) -> bool:
        return self is Where.ANYWHERE or (self is Where.PRIVATE) == private


class UsageError(ValueError):
    """The arguments do not fit the command; it is answered with the command's usage line."""


Handler = Callable[[Any, "CommandIssued", Any], "list[Effect]"]
Parser = Callable[[list[str]], Command]


@dataclass(frozen=True)
class CommandSpec:
    """Everything about one command, stated once.

    - ``type``: the command's argument class, what ``parse`` returns and ``handler`` receives.
    - ``parse``: turns the words after the name into ``type``, or raises :class:`UsageError`;
      None for a command without arguments (extra words are ignored).
    - ``help`` and ``usage``: per language, the line in ``/help`` and the Telegram menu, and the arguments as the
      user types them (``ID [timer 3m]``); ``example`` the arguments of an example (``jubileum timer 3m``).
    - ``control``: in a group only controllers (admins, trainers) may run it; in a private chat everyone controls
      their own chat.
    - ``where``: where it may run at all.
    - ``recalls_latest``: it is about the chat's latest round, which the runner reads back from the store first
      when the engine no longer holds it.
    """

    name: str
    type: type[Command]
    handler: Handler
    help: Mapping[str, str]
    parse: Parser | None = None
    usage: Mapping[str, str] = field(default_factory=dict)
    example: str = ""
    aliases: tuple[str, ...] = ()
    control: bool = False
    where: Where = Where.ANYWHERE
    recalls_latest: bool = False

    def build(self, args: list[str]) -> Command:
        return self.parse(args) if self.parse is not None else self.type()


class CommandTable:
    """The commands, in the order ``/help`` and the menus list them."""

    def __init__(self, specs: Iterable[CommandSpec]):
        self._specs = tuple(specs)
        self._by_name: dict[str, CommandSpec] = {}
        self._by_type: dict[type[Command], CommandSpec] = {}
        for spec in self._specs:
            for name in (spec.name, *spec.aliases):
                if not _NAME.fullmatch(name) or name in self._by_name:
                    raise ValueError(f"bad or repeated command name: {name!r}")
                self._by_name[name] = spec
            if spec.type in self._by_type:
                raise ValueError(f"two commands take {spec.type.__name__}")
            self._by_type[spec.type] = spec

    def __iter__(self) -> Iterator[CommandSpec]:
        return iter(self._specs)

    def extended(self, *specs: CommandSpec) -> CommandTable:
        """This table with more commands (e.g. a test's)."""
        return CommandTable((*self._specs, *specs))

    def named(self, name: str) -> CommandSpec | None:
        return self._by_name.get(name)

    def spec(self, command: Command) -> CommandSpec | None:
        """The entry ``command`` came from; None for :class:`Unknown` and :class:`BadUsage`."""
        return self._by_type.get(type(command))

    def needs_control(self, command: Command) -> bool:
        """Whether running ``command`` in a group depends on who the sender is (an adapter's admin look-up)."""
        spec = self.spec(command)
        return spec is not None and spec.control

    def parse(self, line: str, prefix: str = "/", bot_name: str | None = None) -> Command | None:
        """The command in ``line``; None if the line is not a command at all, or one addressed to another bot.

        Never raises: an unknown name gives :class:`Unknown`, arguments that do not fit give :class:`BadUsage`.
        """
        text = line.strip()[:MAX_LINE]
        if not text.startswith(prefix):
            return None
        words = text[len(prefix):].split()
        if not words or text[len(prefix)].isspace():
            return None
        head, args = words[0], words[1:]
        name, _, addressee = head.partition("@")
        if addressee and (bot_name is None or addressee.casefold() != bot_name.casefold()):
            return None  # meant for another bot in the group
        name = name.casefold()
        spec = self._by_name.get(name)
        if spec is None:
            return Unknown(name[:32])
        try:
            return spec.build(args)
        except UsageError:
            return BadUsage(spec.name)


def ascii_number(text: str) -> int:
    """``"12"`` -> 12; anything else (``"²"``, ``"١"``, ``"-1"``) raises :class:`UsageError`."""
    if not (text.isascii() and text.isdecimal()) or len(text) > 9:
        raise UsageError(text)
    return int(text)
