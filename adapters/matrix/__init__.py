"""Matrix adapter: matrix-nio (with end-to-end encryption) in front of the engine.

- ``application``: logging in, the sync loop, key exchange, invites, starting and stopping
- ``updates``: commands, reactions, poll answers, redactions, undecryptable events -> engine events
- ``transport``: engine messages -> Matrix events (texts, edits, notices, polls, chart images)
- ``reactions``: buttons drawn as reactions and polls, and which reaction or answer voted for what
- ``rooms``: who controls a room (power level, v12 creators, trainers); private chats; invite rules
- ``content``: the event contents, and poll answers read back, as pure functions
- ``session``: the bot's device, access token and crypto store across restarts
- ``crosssigning``: the bot's device signed by its own account, so Element trusts it
- ``files``: private (0600/0700), atomically written files
"""

from adapters.matrix.application import MatrixBot

__all__ = ["MatrixBot"]
