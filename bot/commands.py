"""Parse a chat line into a command.

Shared by every adapter: Telegram and the console use ``/``, Matrix uses
``!`` (Element claims ``/``).  ``/close@DilemmaBot`` is accepted in groups.
"""

from __future__ import annotations

from bot.events import (
    CloseVoting, Command, Forget, Help, ListCases, ListSchedules, NextPart, Privacy, Schedule, SelfTest,
    SetLanguage, SetTimezone, ShowReferences, ShowResults, StartRound, StopRound, Unknown, Unschedule, Vote,
)
from bot.when import WhenError, parse_duration

MAX_LINE = 500

# name -> (description nb, description en); also the list shown by Telegram's command menu
COMMANDS: dict[str, tuple[str, str]] = {
    "help": ("Hjelp", "Help"),
    "cases": ("Vis dilemmaene", "List the dilemmas"),
    "start": ("Start et dilemma", "Start a dilemma"),
    "vote": ("Stem", "Vote"),
    "close": ("Lukk avstemningen", "Close the vote"),
    "next": ("Neste del", "Next part"),
    "stop": ("Avslutt runden", "End the round"),
    "results": ("Vis resultatene", "Show the results"),
    "refs": ("Lovhenvisninger", "Legal references"),
    "selftest": ("Test deg selv", "Test yourself"),
    "schedule": ("Planlegg et dilemma", "Schedule a dilemma"),
    "schedules": ("Vis planlagte", "List scheduled rounds"),
    "unschedule": ("Fjern planlagt", "Remove a scheduled round"),
    "lang": ("Språk: nb eller en", "Language: nb or en"),
    "tz": ("Tidssone", "Time zone"),
    "forget": ("Slett stemmene mine", "Delete my votes"),
    "privacy": ("Hva lagres", "What is stored"),
}


def parse_command(line: str, prefix: str = "/", bot_name: str | None = None) -> Command | None:
    """The command in ``line``; None if the line is not a command at all.

    An unknown command or bad arguments give :class:`Unknown`, which the
    engine answers with a pointer to the help.
    """
    text = line.strip()[:MAX_LINE]
    if not text.startswith(prefix) or len(text) == len(prefix):
        return None
    head, *args = text[len(prefix):].split()
    name, _, addressee = head.partition("@")
    if addressee and bot_name and addressee.casefold() != bot_name.casefold():
        return None  # meant for another bot in the group
    return _build(name.casefold(), args)


def _build(name: str, args: list[str]) -> Command:
    first = args[0] if args else ""
    simple: dict[str, Command] = {
        "help": Help(), "cases": ListCases(), "close": CloseVoting(), "next": NextPart(), "stop": StopRound(),
        "results": ShowResults(), "refs": ShowReferences(), "forget": Forget(), "privacy": Privacy(),
        "schedules": ListSchedules(),
    }
    if name in simple:
        return simple[name]
    if name == "start":
        return _start(args)
    if name == "vote" and first:
        return Vote(" ".join(args))
    if name == "selftest":
        return SelfTest(first or None)
    if name == "lang" and first:
        return SetLanguage(first.casefold())
    if name == "tz" and first:
        return SetTimezone(first)
    if name == "schedule" and len(args) >= 2:
        return _schedule(args)
    if name == "unschedule" and first.isdigit():
        return Unschedule(int(first))
    return Unknown(name)


def _start(args: list[str]) -> StartRound | Unknown:
    if not args:
        return StartRound("")
    if len(args) == 3 and args[1].casefold() == "timer":
        try:
            return StartRound(args[0], parse_duration(args[2]))
        except WhenError:
            return Unknown("start")
    return StartRound(args[0]) if len(args) == 1 else Unknown("start")


def _schedule(args: list[str]) -> Schedule:
    rest = " ".join(args[1:])
    lowered = rest.casefold()
    for word in (" until ", " til "):
        if word in lowered:
            at = lowered.index(word)
            return Schedule(args[0], rest[:at].strip(), rest[at + len(word):].strip())
    return Schedule(args[0], rest)
