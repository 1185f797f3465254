"""What Telegram can do, as the engine and the outbox need to know it (no python-telegram-bot import here)."""

from __future__ import annotations

from datetime import timedelta

from bot.platforms import Capabilities

# At most 15 tally edits a minute in one chat: inside Telegram's ~20 messages a minute per group.
TALLY_INTERVAL = timedelta(seconds=4)
MAX_TEXT_LENGTH = 4096  # telegram.constants.MessageLimit.MAX_TEXT_LENGTH

CAPABILITIES = Capabilities(prefix="/", buttons=True, votes_visible=False, typed_votes=False,
                            edit_interval=TALLY_INTERVAL, max_length=MAX_TEXT_LENGTH)
