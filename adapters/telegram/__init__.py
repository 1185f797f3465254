"""Telegram adapter: python-telegram-bot 22 in front of the engine.

- ``updates``: commands and button presses -> engine events
- ``controllers``: who may run rounds in a group (admins, creator, configured trainers)
- ``identity``: Telegram ids -> pseudonymous engine ids
- ``transport``: engine messages -> Bot API calls (messages, chart photos, edits, toasts)
- ``keyboard``: engine buttons -> inline keyboard
- ``menu``: the command menu in bokmål and English
- ``application``: building, starting and stopping it all; long polling or a webhook
"""

from adapters.telegram.application import TelegramBot, build_telegram, run_telegram

__all__ = ["TelegramBot", "build_telegram", "run_telegram"]
