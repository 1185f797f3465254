"""Pseudonyms and the addresses of private chats."""

from __future__ import annotations

from bot.pseudonym import ADDRESSES_KEPT, Pseudonymizer


def test_the_addresses_of_private_chats_are_bounded() -> None:
    pseudonyms = Pseudonymizer(b"k" * 32)
    first = pseudonyms.chat("telegram", 1, private=True)
    for user in range(2, ADDRESSES_KEPT + 10):
        pseudonyms.chat("telegram", user, private=True)
    last = pseudonyms.chat("telegram", ADDRESSES_KEPT + 10, private=True)
    assert pseudonyms.address(first) is None and pseudonyms.address(last) == str(ADDRESSES_KEPT + 10)
    assert len(pseudonyms._addresses) == ADDRESSES_KEPT
