"""Engine buttons as a Telegram inline keyboard."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.buttons import encode
from bot.effects import Button, NextButton, VoteButton


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """One row of vote buttons (``🔴 Rødt lys``), then each "next" button on its own row.

    None when there are no buttons: an edit without a keyboard removes the old one.
    Button labels are plain text in Telegram, so nothing is escaped here.
    """
    votes = [InlineKeyboardButton(f"{b.emoji} {b.label}", callback_data=encode(b))
             for b in buttons if isinstance(b, VoteButton)]
    rows = [votes] if votes else []
    rows += [[InlineKeyboardButton(b.label, callback_data=encode(b))] for b in buttons if isinstance(b, NextButton)]
    return InlineKeyboardMarkup(rows) if rows else None
