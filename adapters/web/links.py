"""The chats' web page links: capabilities that the store keeps only as what they are derived from.

A link is ``<base>/<page>/<token>``, one per chat and page (``present``, ``report``).  The token is
HMAC-SHA-256 with the installation key (``<db>.secret``, the pseudonyms' key) over the chat, the page and a nonce of
32 random bytes made when the link is issued: 43 base64url characters.  The store keeps the nonce and a keyed
digest of the token to find it by, never the token, so a copy of the database without the key file reveals no
working link.  A token from a request is looked up by its keyed digest (an index lookup the requester cannot
steer), then compared with the token derived from the stored nonce in constant time.  Renewing a link replaces its
nonce: the old link stops working at once.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from bot.effects import Page
from bot.pseudonym import Pseudonymizer
from bot.store import LinkSaved, Store, WebLink

NONCE_BYTES = 32
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # 256 bits in unpadded base64url


@dataclass(frozen=True)
class Issued:
    token: str
    revoked: str | None = None  # the digest of the link this one replaced


class Links:
    def __init__(self, store: Store, pseudonyms: Pseudonymizer):
        self._store = store
        self._pseudonyms = pseudonyms
        self._issuing = asyncio.Lock()  # two requests at once must not each make a link and keep only one

    async def issue(self, chat: str, page: Page, renew: bool, now: datetime) -> Issued:
        """The chat's link to ``page``: the one it has, or a new one (``renew``, or none yet)."""
        async with self._issuing:
            current = await self._store.web_link(chat, page)
            if current is not None and not renew:
                return Issued(self.token(current))
            link = WebLink(chat, page, secrets.token_hex(NONCE_BYTES))
            token = self.token(link)
            await self._store.commit([LinkSaved(chat, page, link.nonce, self.digest(token), now)])
            return Issued(token, self.digest(self.token(current)) if current else None)

    async def resolve(self, token: str, page: Page) -> str | None:
        """The chat whose link to ``page`` ``token`` is; None for a wrong, revoked or malformed one."""
        if not _TOKEN.fullmatch(token):
            return None
        link = await self._store.web_link_by_digest(self.digest(token))
        if link is None or link.page != page or not hmac.compare_digest(self.token(link), token):
            return None
        return link.chat

    def token(self, link: WebLink) -> str:
        mac = self._pseudonyms.digest("web-link", f"{link.chat}\n{link.page}\n{link.nonce}")
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def digest(self, token: str) -> str:
        """What the store finds a link by: a keyed hash of its token."""
        return self._pseudonyms.digest("web-link-id", token).hex()
