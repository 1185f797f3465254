"""Delivery under load and faults: tally throttling, flood control (429), refused photos, forged buttons, HTML."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from adapters.telegram.capabilities import TALLY_INTERVAL

from ...clock import Clock
from ...engine.conftest import tally_line
from .bot_harness import errors_logged, has_buttons, invalid_html, running_bot, sent_html
from .emulator_client import Chat, User, button_data

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

ADMIN = User(720000001, "Anne", "anne")
MEMBERS = [User(720000100 + i, f"Medlem {i}") for i in range(1, 41)]
GROUP = Chat.group(-4201, "Formannskapet")
OTHER_GROUP = Chat.group(-4202, "Kontrollutvalget")
STALE = "Denne knappen gjelder ikke lenger."
WAVE = 5


async def start_round(h, chat: Chat = GROUP, case: str = "jubileum") -> dict:
    await h.emu.set_admins(chat.id, [ADMIN.id])
    await h.command(chat, ADMIN, f"/start {case}")
    return await h.wait_message(chat, has_buttons)


async def test_many_votes_give_few_tally_edits_and_the_last_shows_all(telegram_sandbox, tmp_path, caplog):
    """The production pacing (one tally edit per chat per TALLY_INTERVAL) on a clock the test moves: the first
    vote's count goes out at once, every later one waits for the interval, and one edit then shows them all."""
    clock = Clock()
    async with running_bot(telegram_sandbox, tmp_path, tally_interval=TALLY_INTERVAL, clock=clock) as h:
        part = await start_round(h)

        async def part_edits() -> list[dict]:
            return [e for e in await h.emu.edits() if e["message_id"] == part["message_id"]]

        batches_before = h.store.batches
        ids: list[str] = []
        for wave in range(0, len(MEMBERS), WAVE):  # waves of simultaneous presses
            ids += await asyncio.gather(*(h.press(GROUP, m, part, f"v:1:1:{'red' if i % 3 else 'green'}")
                                          for i, m in enumerate(MEMBERS[wave:wave + WAVE], wave)))
        await h.emu.wait_for(lambda: len(h.emu.sync.callback_answers()) == len(MEMBERS))
        at_once = await h.emu.wait_for(part_edits)
        clock.advance(TALLY_INTERVAL - timedelta(milliseconds=1))
        await h.bot.runner.tick()
        before_the_interval = await part_edits()
        clock.advance(timedelta(milliseconds=1))
        await h.bot.runner.tick()
        await h.emu.wait_for(lambda: any(f"Stemmer så langt: {len(MEMBERS)}" in e["text"] for e in h.emu.sync.edits()))
        edits = await part_edits()
        answers = await h.emu.callback_answers()
        batches = h.store.batches - batches_before

    votes = len(MEMBERS)
    print(f"\n{votes} votes: {len(edits)} tally edits, {batches} store commits")
    assert len(at_once) == 1 and before_the_interval == at_once  # the other 39 counts waited
    assert len(edits) == 2 and f"Stemmer så langt: {votes}" in edits[-1]["text"]  # one edit carried them all
    assert {a["callback_query_id"] for a in answers} == set(ids)
    assert all(a["text"].startswith("Stemme registrert: ") for a in answers)
    assert batches < votes  # simultaneous votes share commits (group commit), one per vote would be `votes`
    assert h.errors == [] and errors_logged(caplog) == []


GROUP_BURST, GROUP_SPACING = 20, 3.0  # Telegram: about 20 messages a minute in one group; PTB's limiter: 60 s / 20
ARRIVAL_SLACK = 1.0  # seconds a call may take from the limiter's release to the emulator's clock on a busy machine


@pytest.mark.slow
async def test_a_burst_in_a_group_is_paced_as_telegram_demands(telegram_sandbox, tmp_path, caplog):
    """With the outbox's own spacing off (one tally edit per vote), 21 votes make more calls into the group than
    Telegram takes at once.  python-telegram-bot's AIORateLimiter, as the bot runs it, lets a burst of 20 through
    and then one call per 3 s (a leaky bucket: in any t seconds at most 20 + t / 3 s calls), seen here in the
    times the emulator received the calls.  Nothing is lost: every edit arrives, the last with every vote."""
    voters = MEMBERS[:21]
    async with running_bot(telegram_sandbox, tmp_path, tally_interval=timedelta(0), telegram_limits=True) as h:
        part = await start_round(h)
        for voter in voters:  # one at a time: each edit shows a new count
            assert await h.vote(GROUP, voter, part, "v:1:1:red") == "Stemme registrert: 🔴 Rødt lys"
        await h.emu.wait_for(lambda: any(f"Stemmer så langt: {len(voters)}" in e["text"]
                                         for e in h.emu.sync.edits()))
        calls = [c for c in await h.emu.calls() if str(c["params"].get("chat_id")) == str(GROUP.id)]
        edits = [e for e in await h.emu.edits() if e["message_id"] == part["message_id"]]
    times = [c["time"] / 1000 for c in calls]
    gaps = [round(b - a, 2) for a, b in zip(times, times[1:])]
    print(f"\n{len(calls)} calls into the group; gaps after the first {GROUP_BURST}: {gaps[GROUP_BURST - 1:]} s")
    assert len(calls) > GROUP_BURST + 2 and all(c["status"] == 200 for c in calls)
    for first in range(len(times)):
        for last in range(first + GROUP_BURST, len(times)):
            assert last - first + 1 <= GROUP_BURST + (times[last] - times[first] + ARRIVAL_SLACK) / GROUP_SPACING, \
                (first, last, gaps)
    assert len(edits) == len(voters) and f"Stemmer så langt: {len(voters)}" in edits[-1]["text"]
    assert h.errors == [] and errors_logged(caplog) == []


# PTB's own RetryAfter.__init__ reads its deprecated int `retry_after`; nothing in our code does.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_flood_control_429_is_waited_out_and_nothing_is_lost(telegram_sandbox, tmp_path, caplog):
    async with running_bot(telegram_sandbox, tmp_path) as h:
        await h.emu.fail_next("sendMessage", 1, 1)
        part = await start_round(h)  # the intro meets the 429 first
        assert (await h.messages(GROUP))[0]["text"].startswith("<b>Nytt dilemma:")

        await h.emu.fail_next("editMessageText", 1, 1)
        await h.emu.fail_next("answerCallbackQuery", 1, 1)
        assert await h.vote(GROUP, MEMBERS[0], part, "v:1:1:red") == "Stemme registrert: 🔴 Rødt lys"
        await h.emu.wait_for(lambda: any("Stemmer så langt: 1" in e["text"] for e in h.emu.sync.edits()))

        await h.emu.fail_next("sendPhoto", 1, 1)
        await h.command(GROUP, ADMIN, "/close")
        await h.wait_text(GROUP, "Resultat – Jubileumsmiddagen")
        statuses = {m: [c["status"] for c in await h.emu.calls(m)]
                    for m in ("sendMessage", "editMessageText", "answerCallbackQuery", "sendPhoto")}
        photos = await h.emu.photos()
    assert statuses["sendMessage"][:2] == [429, 200]
    assert statuses["editMessageText"][:2] == [429, 200]
    assert statuses["answerCallbackQuery"] == [429, 200]
    assert statuses["sendPhoto"] == [429, 200] and len(photos) == 1
    assert h.errors == [] and errors_logged(caplog) == []


async def test_a_refused_chart_still_leaves_the_results_text(telegram_sandbox, tmp_path):
    async with running_bot(telegram_sandbox, tmp_path) as h:
        part = await start_round(h)
        await h.vote(GROUP, MEMBERS[0], part, "v:1:1:green")
        await h.emu.fail_next("sendPhoto", 1, error_code=400,
                              description="Bad Request: not enough rights to send photos to the chat")
        await h.command(GROUP, ADMIN, "/close")
        results = await h.wait_text(GROUP, "Resultat – Jubileumsmiddagen")
        assert "Totalt 1 stemme" in results["text"] and await h.emu.photos() == []


async def test_forged_and_stale_buttons_are_refused_and_not_counted(telegram_sandbox, tmp_path, caplog):
    async with running_bot(telegram_sandbox, tmp_path) as h:
        part = await start_round(h)  # round 1, in GROUP
        other = await start_round(h, OTHER_GROUP)  # round 2, elsewhere
        assert button_data(other)[0] == "v:2:1:red"
        voter, forger = MEMBERS[0], MEMBERS[1]
        assert await h.vote(GROUP, voter, part, "v:1:1:red") == "Stemme registrert: 🔴 Rødt lys"

        forged = {
            "garbage": STALE,
            "v:1:1:red;drop table": STALE,
            "v:1:1:" + "x" * 60: STALE,  # longer than Telegram's 64 bytes
            "v:2:1:green": STALE,  # another chat's round
            "v:1:1:purple": STALE,  # no such option
            "v:1:9:red": STALE,  # no such part
            "v:99:1:red": STALE,  # no such round
            "n:1:1": STALE,  # a self-test "next" button, forged in a group
        }
        for data, expected in forged.items():
            assert await h.vote(GROUP, forger, part, data) == expected, data

        await h.command(GROUP, ADMIN, "/close")
        results = await h.wait_text(GROUP, "Resultat – Jubileumsmiddagen")
        assert await h.vote(GROUP, forger, part, "v:1:1:green") == "Avstemningen er lukket."
        assert await h.vote(GROUP, forger, part, "n:1:1") == STALE  # did not advance the group's round
        messages = await h.messages(GROUP)
    assert "Totalt 1 stemme" in results["text"] and tally_line(results["text"], "Rødt lys") == "1 (100 %)"
    assert not any("Del 2 av 3" in (m.get("text") or "") for m in messages)
    assert h.errors == [] and errors_logged(caplog) == []


async def test_markup_in_commands_and_cases_arrives_escaped(telegram_sandbox, tmp_path, caplog):
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "markup.yaml").write_text(MARKUP_CASE, encoding="utf-8")
    async with running_bot(telegram_sandbox, tmp_path, cases_dir=cases) as h:
        await h.emu.set_admins(GROUP.id, [ADMIN.id])
        asked = await h.command(GROUP, ADMIN, "/start <b>x</b>&amp;")
        refusal = await h.reply_to(GROUP, asked)
        assert refusal["text"] == "Jeg finner ikke dilemmaet «&lt;b&gt;x&lt;/b&gt;&amp;amp;». Se /cases."
        assert refusal["params"]["parse_mode"] == "HTML"

        await h.command(GROUP, ADMIN, "/start markup")
        part = await h.wait_message(GROUP, has_buttons)
        intro = (await h.messages(GROUP))[1]
        assert intro["text"].startswith("<b>Nytt dilemma: Smør &amp; &lt;b&gt;brød&lt;/b&gt;</b>")
        assert "Er 2 &lt; 3 &amp;&amp; 4 &gt; 3?" in part["text"] and "<script>" not in part["text"]
        # Button labels are plain text in Telegram: shown as written, not escaped.
        assert [b["text"] for b in part["reply_markup"]["inline_keyboard"][0]] == ["👍 Ja & <i>amen</i>", "👎 Nei"]
        await h.vote(GROUP, MEMBERS[0], part, "v:1:1:ja")
        await h.command(GROUP, ADMIN, "/close")
        results = await h.wait_text(GROUP, "Til diskusjon")
        html = await sent_html(h.emu)
        [photo] = await h.emu.photos()
    assert html and invalid_html(html) == {}
    # Short results fit in the chart's caption: one message, escaped like any other text.
    assert results["message_id"] == photo["message_id"] and "text" not in results
    assert results["caption"].startswith("<b>Resultat – Del &lt;1&gt;</b>\n👍 Ja &amp; &lt;i&gt;amen&lt;/i&gt;")
    assert "• Punkt med &lt;a href='x'&gt;lenke&lt;/a&gt;" in results["caption"]
    assert h.errors == [] and errors_logged(caplog) == []


MARKUP_CASE = """\
id: markup
source: "Test <source> & co"
title:
  nb: "Smør & <b>brød</b>"
parts:
  - title:
      nb: "Del <1>"
    text:
      nb: "<script>alert(1)</script> A & B"
    question:
      nb: "Er 2 < 3 && 4 > 3?"
    options:
      - key: ja
        emoji: "👍"
        label: {nb: "Ja & <i>amen</i>"}
      - key: nei
        emoji: "👎"
        label: {nb: "Nei"}
    points:
      - nb: "Punkt med <a href='x'>lenke</a>"
"""
