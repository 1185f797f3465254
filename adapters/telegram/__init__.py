"""Telegram adapter: python-telegram-bot 22 in front of the engine.

- ``updates``: commands and button presses -> engine events
- ``controllers``: who may run rounds in a group (admins, creator, configured trainers)
- ``identity``: Telegram ids -> pseudonymous engine ids
- ``transport``: engine messages -> Bot API calls (messages, chart photos, edits, toasts)
- ``keyboard``: engine buttons -> inline keyboard
- ``menu``: the command menus by scope and language, from the command table
- ``application``: building, starting and stopping it all; long polling or a webhook
- ``capabilities``: what Telegram can do, for the engine (no python-telegram-bot import)
"""
