"""Buttons drawn as reactions and polls, and the reactions and poll answers that pressed them.

Matrix has no buttons.  Under a message whose Post had buttons, the bot
reacts once with each button's emoji (🔴/🟢, ✅/❌; ➡️ for "next part"), and a
user presses a button by adding the same reaction.  A message with vote
buttons is also followed by a native poll whose answer ids are the options.
Removing a reaction is a redaction that names only the reaction's event id,
so each vote reaction the engine accepted is remembered (event id -> round,
part, option, pseudonymous user; the row belongs to that user, so /forget
deletes it) to turn a later redaction by the same user into a withdrawal,
also after a restart.  All maps live in the store's key-value table; recent
entries are also kept in memory.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Callable, Generic, TypeVar

from bot.effects import Button, NextButton, VoteButton
from bot.store import Store

NEXT_EMOJI = "➡️"
VARIATION_SELECTOR = "\ufe0f"
CACHE_SIZE = 1000

T = TypeVar("T")


def same_emoji(a: str, b: str) -> bool:
    """🟢 typed or picked: clients differ in whether they add the emoji variation selector."""
    return a.replace(VARIATION_SELECTOR, "") == b.replace(VARIATION_SELECTOR, "")


@dataclass(frozen=True)
class ReactionButton:
    """A button under a message; ``option`` None is the "next part" button."""

    emoji: str
    round_id: int
    part: int
    option: str | None


@dataclass(frozen=True)
class VoteReaction:
    """What one reaction voted for, and whose vote it was."""

    round_id: int
    part: int
    option: str
    user: str


def reaction_buttons(buttons: tuple[Button, ...]) -> tuple[ReactionButton, ...]:
    out: list[ReactionButton] = []
    for button in buttons:
        if isinstance(button, VoteButton):
            out.append(ReactionButton(button.emoji, button.round_id, button.part, button.option))
        elif isinstance(button, NextButton):
            out.append(ReactionButton(NEXT_EMOJI, button.round_id, button.part, None))
    return tuple(out)


class _Recent(Generic[T]):
    """A small LRU in front of the store."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._items: OrderedDict[str, T] = OrderedDict()

    def get(self, key: str) -> T | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def drop(self, matches: Callable[[T], bool]) -> None:
        for key in [key for key, item in self._items.items() if matches(item)]:
            del self._items[key]

    def put(self, key: str, item: T) -> None:
        self._items[key] = item
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


class ReactionBook:
    def __init__(self, store: Store):
        self.store = store
        self._buttons: _Recent[tuple[ReactionButton, ...]] = _Recent()
        self._votes: _Recent[VoteReaction] = _Recent()

    async def remember_buttons(self, event_id: str, buttons: tuple[ReactionButton, ...]) -> None:
        self._buttons.put(event_id, buttons)
        await self.store.set_value(f"matrix.buttons:{event_id}", json.dumps([asdict(b) for b in buttons]))

    async def button(self, event_id: str, key: str) -> ReactionButton | None:
        """The button that reacting with ``key`` under ``event_id`` presses, if any."""
        buttons = await self._buttons_of(event_id)
        return next((b for b in buttons if same_emoji(b.emoji, key)), None)

    async def _buttons_of(self, event_id: str) -> tuple[ReactionButton, ...]:
        buttons = self._buttons.get(event_id)
        if buttons is None:
            saved = await self.store.get_value(f"matrix.buttons:{event_id}")
            if saved is None:
                return ()
            buttons = tuple(ReactionButton(**b) for b in json.loads(saved))
            self._buttons.put(event_id, buttons)
        return buttons

    async def remember_poll(self, message_id: str, poll_id: str, buttons: tuple[ReactionButton, ...]) -> None:
        """The poll ``poll_id`` was posted for the message ``message_id``; its answer ids are the options."""
        self._buttons.put(poll_id, buttons)
        await self.store.set_value(f"matrix.buttons:{poll_id}", json.dumps([asdict(b) for b in buttons]))
        await self.store.set_value(f"matrix.poll:{message_id}", poll_id)

    async def poll_of(self, message_id: str) -> str | None:
        return await self.store.get_value(f"matrix.poll:{message_id}")

    async def poll_button(self, poll_id: str, answer: str) -> ReactionButton | None:
        """The vote button an answer to the poll ``poll_id`` presses, if any."""
        buttons = await self._buttons_of(poll_id)
        return next((b for b in buttons if b.option is not None and b.option == answer), None)

    async def remember_vote(self, reaction_id: str, vote: VoteReaction) -> None:
        self._votes.put(reaction_id, vote)
        await self.store.set_value(f"matrix.reaction:{reaction_id}", json.dumps(asdict(vote)), owner=vote.user)

    async def vote(self, reaction_id: str) -> VoteReaction | None:
        """The vote a reaction cast, for its redaction."""
        vote = self._votes.get(reaction_id)
        if vote is None:
            saved = await self.store.get_value(f"matrix.reaction:{reaction_id}")
            vote = VoteReaction(**json.loads(saved)) if saved else None
        return vote

    def forget(self, user: str) -> None:
        """Drop the cached reactions of ``user`` (their rows went with /forget)."""
        self._votes.drop(lambda vote: vote.user == user)
