"""Button data as it travels through a platform (Telegram ``callback_data``, max 64 bytes).

The data only *names* a round, a part and an option; it grants nothing.
The engine checks every press against its state (the round belongs to this
chat, the part is the one open, the option exists), so tampered or stale
data is refused and never counted.  No signature is needed for that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.effects import Button, VoteButton

_VOTE = re.compile(r"v:([0-9]{1,12}):([0-9]{1,3}):([a-z0-9][a-z0-9-]{0,40})")
_NEXT = re.compile(r"n:([0-9]{1,12}):([0-9]{1,3})")


@dataclass(frozen=True)
class Pressed:
    """A decoded press; ``option`` is None for the "next part" button."""

    round_id: int
    part: int
    option: str | None


def encode(button: Button) -> str:
    if isinstance(button, VoteButton):
        return f"v:{button.round_id}:{button.part}:{button.option}"
    return f"n:{button.round_id}:{button.part}"


def decode(data: str | None) -> Pressed | None:
    """None for anything that is not data we could have made."""
    if not data or len(data) > 64:
        return None
    if match := _VOTE.fullmatch(data):
        return Pressed(int(match[1]), int(match[2]), match[3])
    if match := _NEXT.fullmatch(data):
        return Pressed(int(match[1]), int(match[2]), None)
    return None
