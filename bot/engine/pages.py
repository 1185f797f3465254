"""The chat's web pages: ``/present`` (the live view for the projector) and ``/report`` (the results overview).

The engine only checks who may ask where (the command table: controllers, in groups).  The link itself is a
secret the engine cannot make, so the handlers return a :class:`~bot.effects.LinkRequested` that the runner hands
to the web service (``adapters/web``), which issues the link and answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.commands import UsageError
from bot.effects import Effect, LinkRequested
from bot.events import Command, CommandIssued

if TYPE_CHECKING:
    from bot.engine import Engine

RENEW = "new"


@dataclass(frozen=True)
class Present(Command):
    renew: bool = False


@dataclass(frozen=True)
class Report(Command):
    renew: bool = False


def _renew(args: list[str]) -> bool:
    """No argument: the chat's current link; ``new``: revoke it and make another."""
    if not args:
        return False
    if len(args) == 1 and args[0].casefold() == RENEW:
        return True
    raise UsageError(" ".join(args))


def parse_present(args: list[str]) -> Present:
    return Present(_renew(args))


def parse_report(args: list[str]) -> Report:
    return Report(_renew(args))


def present(eng: Engine, ev: CommandIssued, cmd: Present) -> list[Effect]:
    return [LinkRequested(ev.chat, ev.sender.user, "present", cmd.renew)]


def report(eng: Engine, ev: CommandIssued, cmd: Report) -> list[Effect]:
    return [LinkRequested(ev.chat, ev.sender.user, "report", cmd.renew)]
