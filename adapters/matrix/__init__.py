"""Matrix adapter: matrix-nio in front of the engine.

- ``application``: logging in, the sync loop, invites, starting and stopping
- ``updates``: commands, reactions and their removal -> engine events
- ``transport``: engine messages -> Matrix events (texts, edits, notices, chart images)
- ``reactions``: buttons drawn as reactions, and which reaction voted for what
- ``rooms``: who controls a room (power level, v12 creators, trainers); direct chats; invite rules
- ``content``: the event contents, as pure functions
- ``session``: the bot's device and access token across restarts
"""

from adapters.matrix.application import MatrixBot

__all__ = ["MatrixBot"]
