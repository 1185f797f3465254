"""A self-test in a private chat: the deep-link `/start jubileum` and `/selftest jubileum`."""

from __future__ import annotations

import pytest

from .bot_harness import errors_logged, has_buttons, invalid_html, running_bot, sent_html
from .emulator_client import Chat, User, button_data

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

EVA = User(710000001, "Eva", "eva")
PRIVATE = Chat.private(EVA)


async def test_selftest_through_all_parts(telegram_sandbox, tmp_path, caplog):
    async with running_bot(telegram_sandbox, tmp_path) as h:
        await h.command(PRIVATE, EVA, "/start jubileum")  # what t.me/<bot>?start=jubileum sends
        part = await h.wait_message(PRIVATE, has_buttons)
        intro = (await h.messages(PRIVATE))[0]
        assert intro["text"].startswith("<i>Selvtest: du svarer i ditt eget tempo.")
        assert button_data(part) == ["v:1:1:red", "v:1:1:green"]

        answers = [("red", "Neste del ➡️"), ("green", "Neste del ➡️"), ("red", "Se oppsummering ➡️")]
        for number, (option, next_label) in enumerate(answers, 1):
            toast = await h.vote(PRIVATE, EVA, part, f"v:1:{number}:{option}")
            assert toast.startswith("Stemme registrert: ")
            follow = await h.wait_message(PRIVATE, lambda m: f"n:1:{number}" in button_data(m),
                                          after=part["message_id"])
            assert "<b>Ditt svar: " in follow["text"] and "<b>Til diskusjon</b>" in follow["text"]
            assert "Hvordan alle har svart, vises når minst 5 har svart (nå 0)." in follow["text"]
            assert [[b["text"] for b in row] for row in follow["reply_markup"]["inline_keyboard"]] == [[next_label]]
            final = [e for e in await h.emu.edits() if e["message_id"] == part["message_id"]][-1]
            assert final["reply_markup"] is None  # the part's buttons go once answered
            next_toast = await h.answer_to(await h.press(PRIVATE, EVA, follow, f"n:1:{number}"))
            assert next_toast["text"] is None  # an accepted "next" is answered without a notice
            if number < 3:
                part = await h.wait_message(PRIVATE, lambda m: f"v:1:{number + 1}:red" in button_data(m))
        summary = await h.wait_text(PRIVATE, "Selvtesten er ferdig. Takk!")
        assert "<b>Oppsummering – Rødt eller grønt lys: jubileet</b>" in summary["text"]
        assert "du: 🔴 Rødt lys" in summary["text"] and "du: 🟢 Grønt lys" in summary["text"]

        # The finished test's buttons are stale now.
        assert await h.vote(PRIVATE, EVA, follow, "n:1:3") == "Denne knappen gjelder ikke lenger."

        # /selftest starts a new one.
        await h.command(PRIVATE, EVA, "/selftest jubileum")
        again = await h.wait_message(PRIVATE, lambda m: "v:2:1:red" in button_data(m))
        assert "<b>Del 1 av 3: Jubileumsmiddagen</b>" in again["text"]
        html = await sent_html(h.emu)
        # No reply quotes a round message: the round posts, it does not answer.
        assert all("reply_to_message" not in m for m in await h.messages(PRIVATE))
    assert html and invalid_html(html) == {}
    assert h.errors == [] and errors_logged(caplog) == []


async def test_a_selftest_carries_on_after_a_restart(telegram_sandbox, tmp_path, caplog):
    async with running_bot(telegram_sandbox, tmp_path) as h:
        await h.command(PRIVATE, EVA, "/selftest jubileum")
        part = await h.wait_message(PRIVATE, has_buttons)
    # A new process: same database and secret, nothing in memory (the private chat's address is gone too).
    async with running_bot(telegram_sandbox, tmp_path) as h:
        assert await h.vote(PRIVATE, EVA, part, "v:1:1:green") == "Stemme registrert: 🟢 Grønt lys"
        follow = await h.wait_message(PRIVATE, lambda m: "n:1:1" in button_data(m))
        assert "<b>Ditt svar: 🟢 Grønt lys</b>" in follow["text"]
    assert h.errors == [] and errors_logged(caplog) == []
