"""Console adapter: one terminal plays a whole group, no account needed.

Each input line is a chat message.  ``@name `` in front speaks as that user
(default ``you``); ``dm `` after it speaks in that user's private chat with
the bot (for ``/selftest``).  A bare number votes for that option.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, AsyncIterator

from bot.commands import CommandTable
from bot.effects import Edit, NextButton, Post, Reply, VoteButton
from bot.engine.rounds import NextPart, Vote
from bot.events import Command, CommandIssued, Sender
from bot.platforms import Capabilities
from bot.pseudonym import Pseudonymizer
from bot.richtext import to_plain
from bot.runner import Runner

PLATFORM = "console"
GROUP = "local"
DEFAULT_USER = "you"
RULE = "─" * 60
# A typed line stands for a button press here, so a typed vote is fine in the group; a terminal has no rate limit.
CAPABILITIES = Capabilities(prefix="/", buttons=True, votes_visible=False, typed_votes=True,
                            edit_interval=timedelta(0), max_length=100_000,
                            selftest_link="@you dm /selftest {case}")


@dataclass(frozen=True)
class Line:
    user: str
    private: bool
    text: str


def parse_line(raw: str) -> Line | None:
    """``@alice dm /selftest lmb`` -> Line("alice", True, "/selftest lmb")."""
    text = raw.strip()
    user = DEFAULT_USER
    if text.startswith("@"):
        name, _, text = text[1:].partition(" ")
        user = name.strip() or DEFAULT_USER
        text = text.strip()
    private = False
    if text.casefold().startswith("dm "):
        private, text = True, text[3:].strip()
    return Line(user, private, text) if text else None


def line_command(text: str, commands: CommandTable) -> Command | None:
    """Commands, plus the console's shortcuts: ``2`` votes for option 2, ``n`` is next."""
    if text.isascii() and text.isdecimal():
        return Vote(text)
    if text.casefold() == "n":
        return NextPart()
    return commands.parse(text)


class ConsoleTransport:
    """Prints what the bot says.  Live tally edits are not printed: results are."""

    def __init__(self, out: IO[str], pseudonyms: Pseudonymizer, names: dict[str, str]):
        self.out = out
        self.pseudonyms = pseudonyms
        self.names = names
        self._next_id = 0

    def _where(self, chat: str) -> str:
        return "" if chat == f"{PLATFORM}:{GROUP}" else f"[dm {self.names.get(chat, '?')}] "

    async def post(self, message: Post) -> str:
        self._next_id += 1
        print(RULE, file=self.out)
        print(self._where(message.chat) + to_plain(message.text), file=self.out)
        votes = [b for b in message.buttons if isinstance(b, VoteButton)]
        if votes:
            print("   ".join(f"[{i}] {b.emoji} {b.label}" for i, b in enumerate(votes, 1)), file=self.out)
        nexts = [b for b in message.buttons if isinstance(b, NextButton)]
        if nexts:
            print(f"[n] {nexts[0].label}", file=self.out)
        if message.chart is not None:
            print(f"(chart: {message.chart.subtitle})", file=self.out)
        self.out.flush()
        return str(self._next_id)

    async def edit(self, message: Edit, platform_id: str) -> None:
        return None

    async def leave(self, chat: str) -> None:
        print(f"{self._where(chat)}(dilemmabot left the chat)", file=self.out)
        self.out.flush()

    async def reply(self, message: Reply) -> None:
        if not message.text:
            return  # a silent acknowledgement (Telegram's empty toast)
        name = self.names.get(message.user, "?")
        where = f"[dm {name}] " if message.private else self._where(message.chat)  # private: the user's dm view
        print(f"{where}→ @{name}: {to_plain(message.text)}", file=self.out)
        self.out.flush()


async def stdin_lines(stream: IO[str]) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, stream.readline)
        if not line:
            return
        yield line


class Console:
    """The console as a service of ``dilemmabot run``: every input line to the engine, until the input ends."""

    def __init__(self, runner: Runner, out: IO[str], pseudonyms: Pseudonymizer, controllers: frozenset[str],
                 lines: AsyncIterator[str]):
        self.runner = runner
        self.pseudonyms = pseudonyms
        self.controllers = controllers
        self.lines = lines
        self.transport = ConsoleTransport(out, pseudonyms, {})

    async def __aenter__(self) -> Console:
        self.runner.attach(PLATFORM, self.transport, CAPABILITIES)
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def serve(self) -> None:
        async for raw in self.lines:
            await self.feed(raw)

    async def feed(self, raw: str) -> None:
        line = parse_line(raw)
        if line is None:
            return
        command = line_command(line.text, self.runner.engine.commands)
        if command is None:
            return  # ordinary chat
        user = self.pseudonyms.user(PLATFORM, line.user)
        chat = self.pseudonyms.chat(PLATFORM, f"dm-{line.user}" if line.private else GROUP, private=line.private)
        self.transport.names[user] = line.user
        self.transport.names[chat] = line.user
        sender = Sender(user, controller=line.user in self.controllers)
        await self.runner.handle(CommandIssued(chat, sender, command, self.runner.clock(), private=line.private))
