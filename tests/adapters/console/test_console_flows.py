"""Every flow of issue 6 through the console adapter in-process, with a clock the test moves."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from ...engine.conftest import tally_line
from .session import block, play


async def test_trainer_schedules_a_dilemma_before_the_session(tmp_path: Path) -> None:
    out = await play(tmp_path, [
        "/schedule arealdel 2026-11-23 16:00 until 2026-11-24 09:00",
        "@bob /schedule arealdel in 1h",
        "/schedules",
        timedelta(hours=1),  # 16:00 Oslo: the round opens
        "@anne 1", "@bert 2", "@cato 1",
        timedelta(hours=9),  # half-way: one reminder
        timedelta(minutes=5),
        timedelta(hours=8),  # 09:00 next day: deadline
    ])
    assert "Planlagt nr. 1: «Habil eller inhabil: grunneieren og kommuneplanens arealdel» åpner 23.11.2026 16:00" in out
    assert "→ @bob: Beklager" in out
    assert "1. arealdel – åpner 23.11.2026 16:00, avstemningen lukkes 24.11.2026 09:00" in out
    assert "LNF" in out
    assert out.count("Påminnelse") == 1 and "3 har stemt så langt" in out
    assert "Fristen er ute" in out and "2 (67 %)" in out and "Til diskusjon" in out


async def test_timer_runs_a_round_unattended(tmp_path: Path) -> None:
    out = await play(tmp_path, ["/start jubileum timer 3m", "@anne 1", *[timedelta(minutes=3)] * 6])
    assert "Hver del lukkes automatisk etter 3 min." in out
    assert out.count("Til diskusjon") == 3 and "Neste del kommer kl." in out
    assert "Runden er ferdig" in out


async def test_selftest_results_forget_and_privacy(tmp_path: Path) -> None:
    out = await play(tmp_path, [
        "/start jubileum", *[f"@p{i} 1" for i in range(5)], "/close",
        "@eva dm /selftest jubileum", "@eva dm 2",
        "@eva dm /results",
        "@eva dm /forget",
        "@eva dm /privacy",
        "/lang en", "/results",
    ])
    answered = block(out, "[dm eva] Ditt svar: 🟢 Grønt lys")
    assert "Slik har alle svart så langt (5)" in answered and tally_line(answered, "Rødt lys") == "5 (100 %)"
    assert "du: 🟢 Grønt lys" in out
    assert "Slettet: alle stemmene og selvtestene dine, overalt." in out
    assert "pseudonym" in out
    assert "The language of this chat is now English." in out and "Summary – Red or green light" in out
