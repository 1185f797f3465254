"""The presenter page and the report in real headless Chromium, while a round is played in the console.

``SCREENSHOTS=docs .venv/bin/pytest tests/adapters/web/test_browser.py`` also keeps the pictures of the README.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .browser import PNG_MAGIC, ROOT, ConsoleBot
from .test_presenter import XSS_CASE

pytestmark = pytest.mark.e2e

MS = 30_000  # playwright's wait for an element or a text: a guard against hangs, never a timing claim


def expect():  # imported late: playwright is a test dependency only
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def shoot(page, name: str, tmp_path: Path) -> None:
    """A 1280x720 PNG of the page, kept in $SCREENSHOTS when set (the README's pictures)."""
    folder = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    png = page.screenshot(path=str(folder / name))
    assert png[:8] == PNG_MAGIC and int.from_bytes(png[16:24], "big") == (1280 << 32) | 720


def font_px(page, selector: str) -> float:
    return page.locator(selector).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")


def test_the_page_follows_a_round_played_in_the_console(tmp_path: Path, page, bots: list[ConsoleBot]) -> None:
    bot = ConsoleBot(tmp_path / "bot.db").start()
    bots.append(bot)
    page.goto(bot.link())
    stage, votes = page.locator("#stage section"), page.locator("#votes")
    expect()(stage).to_have_attribute("data-scene", "waiting", timeout=MS)
    expect()(page.locator("#present")).to_have_attribute("data-state", "live", timeout=MS)
    page.evaluate("window.__samePage = 42")

    bot.say("/start jubileum")
    expect()(stage).to_have_attribute("data-scene", "voting", timeout=MS)
    expect()(page.locator("h1")).to_have_text("Del 1 av 3: Jubileumsmiddagen")
    expect()(votes).to_have_text("0")
    bot.say("@alice 1", "@bob 2", "@carol 1")
    expect()(votes).to_have_text("3", timeout=MS)
    assert page.locator(".bar").count() == 0 and "%" not in page.locator("#stage").inner_text()
    # readable from the back of the room: large type, and the part fits the screen
    assert font_px(page, ".question") >= 28 and font_px(page, ".text") >= 24 and font_px(page, "#votes") >= 100
    assert page.evaluate("document.documentElement.scrollHeight") <= 720
    shoot(page, "presenter-voting.png", tmp_path)

    bot.say("/close")
    expect()(stage).to_have_attribute("data-scene", "results", timeout=MS)
    expect()(page.locator('.bar[data-option="red"] .count')).to_have_text("2")
    expect()(page.locator('.bar[data-option="green"] .count')).to_have_text("1")
    expect()(page.locator('.bar[data-option="red"] .percent')).to_have_text("(67 %)")
    widths = [page.locator(f'.bar[data-option="{key}"] rect[fill]').get_attribute("width") for key in ("red", "green")]
    assert widths == ["100.0", "50.0"]  # the chart: the leader fills its track
    assert page.locator(".points li").count() == 5 and "Straffeloven § 387" in page.locator(".refs").inner_text()
    assert page.evaluate("document.documentElement.scrollHeight") <= 720  # five long points: the type shrank to fit
    expect()(page.locator(".selftest svg")).to_be_visible()
    shoot(page, "presenter-results.png", tmp_path)

    bot.say("/next")
    expect()(page.locator("h1")).to_have_text("Del 2 av 3: Oslo-turen og landskampen", timeout=MS)
    expect()(votes).to_have_text("0")
    page.set_viewport_size({"width": 1920, "height": 1080})
    assert font_px(page, ".question") >= 42 and page.evaluate("document.documentElement.scrollWidth") <= 1920
    assert page.evaluate("window.__samePage") == 42  # every change came without a reload
    assert page.errors == []


def test_the_page_reconnects_after_the_bot_is_killed_and_shows_the_state_as_it_is(
        tmp_path: Path, page, bots: list[ConsoleBot]) -> None:
    bot = ConsoleBot(tmp_path / "bot.db").start()
    bots.append(bot)
    page.goto(bot.link())
    bot.say("/start jubileum", "@alice 1", "@bob 2")
    expect()(page.locator("#votes")).to_have_text("2", timeout=MS)
    page.evaluate("window.__samePage = 42")
    bot.kill()
    status = page.locator("#present")
    expect()(status).to_have_attribute("data-state", "reconnecting", timeout=MS)
    expect()(page.locator("#status")).to_have_text("Forbindelsen er brutt – kobler til igjen …")

    again = ConsoleBot(tmp_path / "bot.db", port=bot.port).start()
    bots.append(again)
    expect()(status).to_have_attribute("data-state", "live", timeout=MS)
    again.say("@carol 1")
    expect()(page.locator("#votes")).to_have_text("3", timeout=MS)
    again.say("/close")
    expect()(page.locator('.bar[data-option="red"] .count')).to_have_text("2", timeout=MS)
    assert page.evaluate("window.__samePage") == 42
    # the browser logged the stream cut off and the connections refused while the bot was gone; nothing else
    assert [e for e in page.errors if not e.startswith("Failed to load resource: net::ERR_")] == []


def test_the_page_follows_a_change_of_language_title_and_status_line_included(
        tmp_path: Path, page, bots: list[ConsoleBot]) -> None:
    bot = ConsoleBot(tmp_path / "bot.db").start()
    bots.append(bot)
    page.goto(bot.link())
    expect()(page.locator("#present")).to_have_attribute("data-state", "live", timeout=MS)
    expect()(page).to_have_title("Presentasjon – dilemmabot")
    bot.say("/lang en")
    expect()(page).to_have_title("Presenter – dilemmabot", timeout=MS)
    assert page.evaluate("document.documentElement.lang") == "en"
    bot.kill()
    expect()(page.locator("#status")).to_have_text("Connection lost – reconnecting …", timeout=MS)


def test_a_renewed_link_stops_the_old_page_and_its_url(tmp_path: Path, page, bots: list[ConsoleBot]) -> None:
    bot = ConsoleBot(tmp_path / "bot.db").start()
    bots.append(bot)
    old = bot.link()
    page.goto(old)
    expect()(page.locator("#present")).to_have_attribute("data-state", "live", timeout=MS)
    new = bot.link(renew=True)
    expect()(page.locator("#present")).to_have_attribute("data-state", "gone", timeout=MS)
    expect()(page.locator("#status")).to_have_text("Denne lenken virker ikke lenger. Be kurslederen om en ny.")
    assert page.request.get(old).status == 404 and page.request.get(f"{old}/events").status == 404
    assert page.request.get(new).status == 200


def test_no_console_errors_and_the_check_sees_a_csp_violation(tmp_path: Path, page, bots: list[ConsoleBot]) -> None:
    bot = ConsoleBot(tmp_path / "bot.db").start()
    bots.append(bot)
    bot.say("/start lmb")
    page.goto(bot.link())
    expect()(page.locator("#present")).to_have_attribute("data-state", "live", timeout=MS)
    page.goto(bot.link("report"))
    expect()(page.locator("h1")).to_have_text("Resultater fra chatten")
    assert page.errors == []
    # The check is not vacuous: an inline script and an inline style are refused, and the console says so.
    for tag, content in (("script", "window.__inline = 1"), ("style", "body { background: red }")):
        with page.expect_console_message(lambda m: "Content Security Policy" in m.text, timeout=MS):
            page.evaluate("([tag, content]) => { const e = document.createElement(tag); e.textContent = content; "
                          "document.body.append(e); }", [tag, content])
    assert page.evaluate("window.__inline") is None
    assert len(page.errors) == 2 and all("Content Security Policy" in e for e in page.errors)


def test_case_texts_are_shown_as_text_never_as_markup(tmp_path: Path, page, bots: list[ConsoleBot]) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "xss.yaml").write_text(XSS_CASE, encoding="utf-8")
    bot = ConsoleBot(tmp_path / "bot.db", cases=cases).start()
    bots.append(bot)
    page.goto(bot.link())
    bot.say("/start xss")
    expect()(page.locator("#stage .case")).to_have_text("<script>alert(1)</script> tittel", timeout=MS)
    expect()(page.locator("#stage .choices")).to_contain_text("<b>Rødt</b>")
    bot.say("@alice 1", "/close")
    expect()(page.locator(".refs")).to_contain_text('Lov "><svg onload=alert(4)> § 1', timeout=MS)
    assert page.locator("#stage img, #stage script, #stage b, #stage i, #stage a").count() == 0
    assert page.evaluate("typeof window.alert") == "function" and page.errors == []


def test_the_report_and_its_downloads_equal_dilemmabot_export_for_that_chat(
        tmp_path: Path, page, bots: list[ConsoleBot]) -> None:
    db = tmp_path / "bot.db"
    bot = ConsoleBot(db).start()
    bots.append(bot)
    since = bot.mark()
    bot.say("/start jubileum", "@alice 1", "@bob 2", "/next", "@alice 2", "/stop",
            "@eva dm /selftest lmb", "@eva dm 1",  # a self-test: never on the report
            "/start lmb", "/next", "@alice 2", "@bob 2", "/close")
    bot.wait_for("Resultat – Peder Ås", since)
    page.goto(bot.link("report"))
    rounds = page.locator("article.round")
    expect()(rounds).to_have_count(2)
    assert "LMB" in rounds.nth(0).locator("h2").inner_text() and "pågår" in rounds.nth(0).inner_text()
    first_part = rounds.nth(0).locator("section.part").first
    assert first_part.locator("h3").inner_text() == "Saken" and "ingen avstemning" in first_part.inner_text()
    assert "jubileet" in rounds.nth(1).locator("h2").inner_text()
    assert rounds.nth(1).locator("section.part").count() == 2  # both closed parts; the third was never opened
    downloads = {}
    for kind in ("csv", "json"):
        with page.expect_download(timeout=MS) as download:
            page.get_by_role("link", name=kind.upper()).click()
        downloads[kind] = Path(download.value.path()).read_bytes()
    chat = downloads["csv"].decode().splitlines()[1].split(",")[3]
    assert chat.startswith("c") and b"console" not in downloads["csv"]
    for kind, body in downloads.items():  # byte for byte
        for named in (chat, "console:local"):
            exported = subprocess.run([sys.executable, "-m", "bot.cli", "export", "--db", str(db), "--format", kind,
                                       "--chat", named], cwd=ROOT, capture_output=True, timeout=60)
            assert exported.returncode == 0, exported.stderr
            assert exported.stdout == body, kind
    report = json.loads(downloads["json"])
    assert [r["case"] for r in report["rounds"]] == ["jubileum", "lmb"] and report["overall"] == []
    assert page.errors == []
