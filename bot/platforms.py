"""What each chat platform can do, as the adapters declare it.

An adapter registers a namespace (the part of a chat id before the first
``:``, e.g. ``telegram`` in ``telegram:-1001``) with its
:class:`Capabilities`.  The engine asks :meth:`Platforms.of` about a chat and
never looks at platform names itself; the runner uses the same map to hand a
message to the adapter that serves its chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Capabilities:
    """Platform facts the engine and the outbox need.

    - ``prefix``: what starts a command (``/``; Matrix clients claim ``/`` for themselves, so ``!`` there).
    - ``buttons``: votes are cast by pressing something under the part's message (buttons, reactions, polls).
    - ``votes_visible``: the room can see who voted what (Matrix reactions and poll answers).
    - ``typed_votes``: a typed ``/vote`` in a group stands for a button press (the console, where typing is all
      there is); elsewhere a typed vote would tell the group how its writer voted, so it is refused there.
    - ``edit_interval``: the shortest time between two live tally edits in one chat.
    - ``max_length``: the longest message the platform takes, in characters.
    - ``add_to_group``: a link that adds the bot to a group with the rights it needs (Telegram's ``startgroup``).
    - ``selftest_link``: how a person opens the private self-test of a case, with ``{case}`` for its id (a link,
      or what to send to whom).
    """

    prefix: str = "/"
    buttons: bool = True
    votes_visible: bool = False
    typed_votes: bool = False
    edit_interval: timedelta = timedelta(seconds=4)
    max_length: int = 4096
    add_to_group: str | None = None
    selftest_link: str | None = None


DEFAULT = Capabilities()


class Platforms:
    """The registered platforms, by the namespace their chat ids start with."""

    def __init__(self, registered: dict[str, Capabilities] | None = None):
        self._by_namespace: dict[str, Capabilities] = dict(registered or {})

    def register(self, namespace: str, capabilities: Capabilities) -> None:
        self._by_namespace[namespace] = capabilities

    @staticmethod
    def namespace(chat: str) -> str:
        return chat.partition(":")[0]

    def of(self, chat: str) -> Capabilities:
        """The capabilities of the platform serving ``chat`` (defaults for an unregistered one)."""
        return self._by_namespace.get(self.namespace(chat), DEFAULT)

    def __contains__(self, namespace: str) -> bool:
        return namespace in self._by_namespace

    def namespaces(self) -> list[str]:
        return list(self._by_namespace)
