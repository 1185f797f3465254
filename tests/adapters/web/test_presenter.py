"""The presenter page over real HTTP: what it shows at each step of a round, pushed as server-sent events.

The browser tests (test_browser.py) show the same in Chromium; these check the stream and the HTML themselves,
and what a curious member could read from them.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from adapters.web.server import CSP
from bot.cases import load_library
from bot.config import DEFAULT_CASES

from .harness import Room, Stream


def scene(html: object) -> str:
    found = re.search(r'data-scene="(\w+)"', str(html))
    assert found, html
    return found.group(1)


async def test_the_stream_follows_a_round_from_waiting_to_summary(tmp_path: Path) -> None:
    async with Room(tmp_path) as room:
        stream = await Stream.open(room, await room.link())
        assert scene(await stream.next()) == "waiting"
        assert await stream.next() == ("votes", 0)
        await room.say("/start jubileum")
        html = await stream.until("stage")
        assert scene(html) == "voting" and "Del 1 av 3: Jubileumsmiddagen" in str(html)
        assert await stream.until("votes") == 0
        await room.say("@alice 1", "@bob 2", "@carol 1")
        while (votes := await stream.until("votes")) != 3:
            assert votes in (1, 2)
        await room.say("/close")
        html = str(await stream.until("stage"))
        assert scene(html) == "results"
        assert re.search(r'data-option="red".*?<span class="count">2</span> <span class="percent">\(67 %\)', html, re.S)
        assert re.search(r'data-option="green".*?<span class="count">1</span>', html, re.S)
        assert "Totalt 3 stemmer" in html and "Til diskusjon" in html and "Lovhenvisninger" in html
        assert html.count('<li>', html.index('class="points"')) >= 5  # the part's points follow
        assert "Straffeloven § 387" in html
        await room.say("/next")
        html = str(await stream.until("stage"))
        assert scene(html) == "voting" and "Del 2 av 3" in html
        await room.say("/next", "/next", "/next")
        while scene(html := str(await stream.until("stage"))) != "summary":
            pass
        assert "Oppsummering – Rødt eller grønt lys: jubileet" in html and "Runden er ferdig" in html


async def test_while_voting_is_open_no_view_shows_the_split(tmp_path: Path) -> None:
    """A member with the link watches the page and its stream after each vote: only the number moves."""
    async with Room(tmp_path) as room:
        link = await room.link()
        await room.say("/start jubileum")
        stream = await Stream.open(room, link)
        seen = [str(await stream.until("stage"))]
        for voter, option in (("alice", 1), ("bob", 2), ("carol", 2)):
            await room.say(f"@{voter} {option}")
            seen.append(str(await stream.until("votes")))
            seen.append(await (await room.get(link)).text())
        for view in seen:
            assert "%" not in view and 'class="bar' not in view and "data-option" not in view
        assert seen[-2] == "3" and 'id="votes">3<' in seen[-1]


async def test_no_person_appears_on_any_page_or_download(tmp_path: Path) -> None:
    async with Room(tmp_path) as room:
        present, report = await room.link(), await room.link("report")
        stream = await Stream.open(room, present)
        await room.say("/start jubileum", "@alice_hansen 1", "@bjorn.berg 2", "/close")
        views = [str(await stream.until("stage")), str(await stream.until("stage"))]
        for url in (present, report, f"{report}/results.csv", f"{report}/results.json"):
            views.append(await (await room.get(url)).text())
        users = {room.pseudonyms.user("console", name) for name in ("you", "alice_hansen", "bjorn.berg")}
    for view in views:
        assert "alice" not in view and "bjorn" not in view and "console:" not in view
        assert not [user for user in users if user in view]


async def test_every_text_from_a_case_is_escaped(tmp_path: Path) -> None:
    evil = tmp_path / "cases"
    evil.mkdir()
    (evil / "xss.yaml").write_text(XSS_CASE, encoding="utf-8")
    async with Room(tmp_path, library=load_library(evil)) as room:
        present, report = await room.link(), await room.link("report")
        await room.say("/start xss", "@alice 1")
        voting = await (await room.get(present)).text()
        await room.say("/close")
        stream = await Stream.open(room, present)
        results = str(await stream.until("stage"))
        report_html = await (await room.get(report)).text()
    for html in (voting, results, report_html):
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>" not in html, html
        assert "&lt;img src=x onerror=" in html or "&lt;script&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in voting and "&lt;b&gt;Rødt&lt;/b&gt;" in voting
    assert "&lt;i&gt;punkt&lt;/i&gt;" in results and "&#34;&gt;&lt;svg onload=" in results


async def test_every_response_carries_the_security_headers(tmp_path: Path) -> None:
    async with Room(tmp_path) as room:
        present, report = await room.link(), await room.link("report")
        base = room.web.url
        responses = {url: await room.get(url) for url in (
            present, report, f"{report}/results.csv", f"{report}/results.json", f"{base}/static/present.js",
            f"{base}/static/pages.css", f"{base}/present/{'N' * 43}", f"{base}/nothing")}
        responses["events"] = (await Stream.open(room, present)).response
    for url, response in responses.items():
        headers = response.headers
        assert headers["Content-Security-Policy"] == CSP, url
        assert "unsafe-inline" not in CSP and "script-src 'self'" in CSP and "style-src 'self'" in CSP
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "no-referrer", url
        if "/static/" not in url:
            assert headers["Cache-Control"] == "no-store", url
    assert responses[f"{report}/results.csv"].headers["Content-Disposition"].startswith("attachment")
    assert responses["events"].headers["Content-Type"].startswith("text/event-stream")
    assert "<script>" not in await responses[present].text()  # only <script src=...>


async def test_the_page_shows_the_state_as_it_is_after_a_restart(tmp_path: Path) -> None:
    async with Room(tmp_path) as room:
        link = await room.link()
        stream = await Stream.open(room, link)
        await room.say("/start jubileum", "@alice 1", "@bob 1")
        while await stream.until("votes") != 2:
            pass
    # the bot stopped: the stream ended, and the page's EventSource reconnects to the next start
    async with Room(tmp_path) as again:
        path = link.split("/present/", 1)[1]
        stream = await Stream.open(again, f"{again.web.url}/present/{path}")
        event, html = await stream.next()
        assert event == "stage" and scene(html) == "voting" and await stream.next() == ("votes", 2)
        await again.say("/stop")
        html = str(await stream.until("stage"))
    assert scene(html) == "summary"
    # a round that finished before a restart is still on the page (read back from the store)
    async with Room(tmp_path) as third:
        page = await (await third.get(f"{third.web.url}/present/{path}")).text()
    assert scene(page) == "summary" and "Oppsummering" in page


async def test_a_page_opening_while_a_round_starts_never_replaces_the_engines_round(tmp_path: Path) -> None:
    """The page reads the chat's latest round back from the store; a round that started meanwhile is the engine's,
    and a copy read from the store must not take its place (votes not yet committed would vanish from the count)."""
    async with Room(tmp_path) as room:
        reading, gate, read = asyncio.Event(), asyncio.Event(), room.store.latest_round

        async def slow_read(chat: str) -> object:
            reading.set()
            await gate.wait()
            return await read(chat)

        room.store.latest_round = slow_read  # type: ignore[method-assign]
        link = await room.link()
        opening = asyncio.create_task(room.get(link))
        await reading.wait()  # the page is reading the chat's latest round from the store
        await room.say("/start jubileum", "@alice 1")
        rnd = room.runner.engine.running("console:local")
        gate.set()
        assert (await opening).status == 200
        assert room.runner.engine.running("console:local") is rnd and rnd is not None and len(rnd.parts[0].votes) == 1


async def test_the_qr_code_opens_the_self_test_of_the_case(tmp_path: Path) -> None:
    async with Room(tmp_path) as room:
        link = await room.link()
        await room.say("/start lmb", "@alice 1", "/close")  # lmb part 1 has no vote: points at once
        page = await (await room.get(link)).text()
    assert scene(page) == "reflection"
    qr = page.split('class="qr">', 1)[1].split("</svg>", 1)[0]
    assert qr.startswith('<svg viewBox="0 0 ') and "<script" not in qr and "<text" not in qr
    assert "Test deg selv på dette dilemmaet" in page


XSS_CASE = """\
id: xss
source: "KS <script>alert(1)</script>"
title: {nb: "<script>alert(1)</script> tittel", en: "<img src=x onerror=alert(1)>"}
parts:
  - title: {nb: "Del <img src=x onerror=alert(2)>"}
    text: {nb: "Tekst </p><script>alert(3)</script>"}
    question: {nb: "Greit? <b>ja</b>"}
    options:
      - {key: red, emoji: "🔴", label: {nb: "<b>Rødt</b>"}}
      - {key: green, emoji: "🟢", label: {nb: "Grønt"}}
    points:
      - nb: "<i>punkt</i>"
        refs: [x]
    references:
      - id: x
        law: {nb: "Lov \\"><svg onload=alert(4)>"}
        section: "§ 1 <a href=javascript:alert(5)>lenke</a>"
        summary: {nb: "sammendrag"}
"""


def test_the_library_has_the_cases_these_tests_play() -> None:
    library = load_library(DEFAULT_CASES)
    assert {"jubileum", "lmb"} <= set(library.cases)
    assert not library.cases["lmb"].parts[0].votable and library.cases["jubileum"].parts[0].votable
