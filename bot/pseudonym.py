"""Pseudonymous ids: a keyed hash with a per-installation secret.

The store and the engine only ever see these.  The secret lives in a file
beside the database (mode 0600), not in it, so a copy of the database alone
cannot be matched back to platform user ids by trying them all.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections import OrderedDict
from pathlib import Path


ADDRESSES_KEPT = 10_000


class Pseudonymizer:
    """Turns platform ids into stable pseudonyms, and remembers how to reach private chats."""

    def __init__(self, secret: bytes):
        if len(secret) < 16:
            raise ValueError("the pseudonym secret must be at least 16 bytes")
        self._secret = secret
        self._addresses: OrderedDict[str, str] = OrderedDict()  # recent private chats only: memory stays bounded

    @classmethod
    def create_file(cls, path: Path) -> Pseudonymizer:
        """A new secret, written to ``path`` (mode 0600), which must not exist yet."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
        return cls.from_file(path)

    @classmethod
    def from_file(cls, path: Path) -> Pseudonymizer:
        """The secret in ``path``; ValueError if the file does not hold one."""
        return cls(bytes.fromhex(path.read_text().strip()))

    @property
    def fingerprint(self) -> str:
        """Names the secret without revealing it, so a database can tell whether it is given the right one."""
        return hmac.new(self._secret, b"fingerprint", hashlib.sha256).hexdigest()

    def digest(self, purpose: str, value: str) -> bytes:
        """HMAC-SHA-256 of ``value`` with the installation secret, kept apart per ``purpose``."""
        return hmac.new(self._secret, f"{purpose}:{value}".encode(), hashlib.sha256).digest()

    def _hash(self, purpose: str, value: str) -> str:
        return self.digest(purpose, value).hex()[:24]

    def user(self, platform: str, user_id: str | int) -> str:
        return f"u{self._hash('user', f'{platform}:{user_id}')}"

    def chat(self, platform: str, chat_id: str | int, private: bool = False) -> str:
        """``telegram:-1001`` for a group; a pseudonym for a private chat, whose id is the person's."""
        if not private:
            key = f"{platform}:{chat_id}"
        else:
            key = f"{platform}:p:{self._hash('chat', f'{platform}:{chat_id}')}"
            self._addresses[key] = str(chat_id)
            self._addresses.move_to_end(key)
            if len(self._addresses) > ADDRESSES_KEPT:
                self._addresses.popitem(last=False)
        return key

    def address(self, chat: str) -> str | None:
        """The platform chat id behind ``chat``; None for a private chat not seen recently (since the start, or among
        the last :data:`ADDRESSES_KEPT`): its person's next message makes it known again."""
        platform, _, rest = chat.partition(":")
        if rest.startswith("p:"):
            return self._addresses.get(chat)
        return rest or None

    def export_chat(self, chat: str) -> str:
        """What exports show instead of a chat id."""
        return f"c{self._hash('export', chat)[:16]}"
