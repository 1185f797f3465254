"""Messages that must reach their chat even if the bot stops before it could send them.

A part's message, its results and its closing edit are what a group sees of a round.  The runner commits each such
message (:func:`lasting`) with the records of the event that made it (:class:`Unsent`) and deletes it once the
platform took it, or answered that it never will (:class:`Sent`); at start it sends what is still there, in order,
before anything new.  So a stop during a platform outage, or a crash between a commit and the post that shows it,
loses nothing: at worst a message arrives twice.  Answers to one person and live counts are not kept: an answer
is only of use at once, and every start shows the live counts again.

Kept as JSON of the message's own fields, read back only into the types listed here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, TypeGuard

from bot.chart import Bar, ChartData
from bot.effects import Edit, Message, NextButton, Post, VoteButton
from bot.richtext import Span

Lasting = Post | Edit

_TYPES: dict[str, type] = {cls.__name__: cls for cls in (Post, Edit, Span, VoteButton, NextButton, ChartData, Bar)}
_TYPE = "_"


def lasting(message: Message) -> TypeGuard[Lasting]:
    """Whether ``message`` must survive a stop: a post, or the final text of a part."""
    return isinstance(message, Post) or (isinstance(message, Edit) and message.final)


@dataclass(frozen=True)
class Unsent:
    """``message`` is to be sent; ``seq`` orders it among the others waiting and names it for :class:`Sent`."""

    seq: int
    message: Lasting


@dataclass(frozen=True)
class Sent:
    """The message ``seq`` is out (or was refused for good): it no longer waits."""

    seq: int


def encode(message: Lasting) -> str:
    return json.dumps(_plain(message), ensure_ascii=False, separators=(",", ":"))


def decode(text: str) -> Lasting:
    message = _typed(json.loads(text))
    if not isinstance(message, (Post, Edit)):
        raise ValueError(f"not a kept message: {type(message).__name__}")
    return message


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {_TYPE: type(value).__name__, **{f.name: _plain(getattr(value, f.name)) for f in fields(value)}}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, dict):
        cls = _TYPES[value.pop(_TYPE)]
        return cls(**{name: _typed(item) for name, item in value.items()})
    if isinstance(value, list):  # every sequence in a message is a tuple
        return tuple(_typed(item) for item in value)
    return value
