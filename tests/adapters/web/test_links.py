"""The page links are capabilities: per chat and page, reused until renewed, never stored, never guessable.

Each test tries what someone holding a link, a copy of the database or a lot of patience would try.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from adapters.web.links import Links
from adapters.web.server import MISS_BURST
from bot.pseudonym import Pseudonymizer

from .harness import LINK, Room, Stream


async def test_present_answers_with_the_chats_link_and_gives_the_same_one_until_new(tmp_path: Path) -> None:
    async with Room(tmp_path) as room:
        first = await room.link()
        assert await room.link() == first
        renewed = await room.link(renew=True)
        assert renewed != first and "Den gamle lenken virker ikke lenger" in room.said()
        assert (await room.get(first)).status == 404
        assert (await room.get(renewed)).status == 200
        report = await room.link("report")
        assert report.rsplit("/", 1)[1] != renewed.rsplit("/", 1)[1]
        # a link opens only its own page
        assert (await room.get(report.replace("/report/", "/present/"))).status == 404
        assert (await room.get(renewed.replace("/present/", "/report/"))).status == 404


async def test_tokens_carry_256_bits_in_the_url_alphabet(tmp_path: Path) -> None:
    tokens = set()
    async with Room(tmp_path) as room:
        for _ in range(20):
            tokens.add((await room.link(renew=True)).rsplit("/", 1)[1])
            await room.later(seconds=1)  # within the trainer's command rate
    assert len(tokens) == 20
    assert all(len(token) == 43 for token in tokens)  # 256 bits, base64url without padding


async def test_only_controllers_get_a_link_and_only_in_a_group(tmp_path: Path) -> None:
    async with Room(tmp_path) as room:
        await room.say("@bob /present", "@bob /report new", "@eva dm /present", "@eva dm /report")
        said = room.said()
        assert said.count("Beklager, bare administratorer og kursledere") == 2
        assert said.count("brukes i en gruppe, ikke i privat chat") == 2
        assert not LINK.search(said)


async def test_a_revoked_link_closes_the_pages_open_on_it(tmp_path: Path) -> None:
    async with Room(tmp_path) as room:
        old = await room.link()
        stream = await Stream.open(room, old)
        await stream.until("stage")
        await room.link(renew=True)
        with pytest.raises(EOFError):
            while True:
                await stream.next()
        assert (await room.get(f"{old}/events")).status == 404


async def test_a_copy_of_the_database_holds_no_working_link(tmp_path: Path) -> None:
    async with Room(tmp_path) as room:
        links = [await room.link(), await room.link("report")]
    tokens = [link.rsplit("/", 1)[1] for link in links]
    raw = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.name.startswith("room.db"))
    db = sqlite3.connect(tmp_path / "room.db")
    dumped = "\n".join(db.iterdump())
    for token in tokens:
        assert token.encode() not in raw and token not in dumped
    # The links outlive a restart with the key, and a copy of the database with another key opens none.
    async with Room(tmp_path) as other:
        paths = [other.web.url + urlsplit(link).path for link in links]
        assert [(await other.get(path)).status for path in paths] == [200, 200]
        other.web.links = Links(other.store, Pseudonymizer(b"1" * 32))
        assert [(await other.get(path)).status for path in paths] == [404, 404]


async def test_wrong_and_malformed_tokens_get_404_on_every_route(tmp_path: Path) -> None:
    async with Room(tmp_path) as room:
        base = room.web.url
        real = (await room.link()).rsplit("/", 1)[1]
        wrong = ("A" * 43, real[:-1] + ("A" if real[-1] != "A" else "B"), real[:42], real + "A", "..%2F..%2Fetc",
                 "%00", "x" * 5000)
        for token in wrong:
            for path in (f"/present/{token}", f"/present/{token}/events", f"/report/{token}",
                         f"/report/{token}/results.csv", f"/report/{token}/results.json"):
                response = await room.get(base + path)
                assert response.status in (404, 429), (path, response.status)
        for path in ("/", "/present", "/report/", "/static/../bot/store.py", "/static/", "/favicon.ico"):
            assert (await room.get(base + path)).status in (403, 404), path


async def test_a_client_that_guesses_gets_429_even_for_a_right_link_while_others_go_on(tmp_path: Path) -> None:
    async with Room(tmp_path) as room:
        link = await room.link()
        guesses = [await room.get(f"{room.web.url}/present/{'G' * 42}{i % 10}") for i in range(MISS_BURST + 5)]
        assert [r.status for r in guesses[:MISS_BURST]] == [404] * MISS_BURST
        assert {r.status for r in guesses[MISS_BURST:]} == {429}
        assert guesses[-1].headers["Retry-After"].isdigit()
        assert (await room.get(link)).status == 429  # no more tries from there, right or wrong
        # Behind a reverse proxy on this machine each client counts for itself (X-Forwarded-For's last entry).
        assert (await room.get(link, headers={"X-Forwarded-For": "203.0.113.9"})).status == 200
        spoofed = {"X-Forwarded-For": "203.0.113.9, 127.0.0.1"}  # what a client writes itself comes first
        assert (await room.get(link, headers=spoofed)).status == 429


async def test_no_token_reaches_a_log_at_any_level(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with Room(tmp_path) as room:
        tokens = []
        for page in ("present", "report"):
            link = await room.link(page)
            tokens.append(link.rsplit("/", 1)[1])
            assert (await room.get(link)).status == 200
        tokens.append((await room.link(renew=True)).rsplit("/", 1)[1])
        await room.get(f"{room.web.url}/present/{'Z' * 43}")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "web pages on http://127.0.0.1:" in logged  # the check reads the log it means to
    assert not [token for token in tokens if token in logged]


async def test_without_the_web_pages_present_says_so(tmp_path: Path) -> None:
    async with Room(tmp_path) as room:
        await room.web.__aexit__(None, None, None)
        await room.say("/present")
        assert "Nettsidene er ikke slått på for denne boten" in room.said()
        assert not LINK.search(room.said())
