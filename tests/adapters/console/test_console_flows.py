"""Every flow of issue 6 through the console adapter in-process, with a clock the test moves."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from ...engine.conftest import tally_line
from .session import answers_to, block, messages, play


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
    [deadline] = [m for m in messages(out) if "Fristen er ute – her er resultatet." in m.splitlines()]
    assert tally_line(deadline, "Habil") == "2 (67 %)" and tally_line(deadline, "Inhabil") == "1 (33 %)"
    assert "Til diskusjon" in deadline.splitlines()


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


async def test_a_known_command_with_wrong_arguments_gets_its_usage_line(tmp_path: Path) -> None:
    out = await play(tmp_path, ["/start jubileum timer 0m", "/unschedule abc", "/schedule", "/vote", "/lang",
                                "/start lmb", "/next", "/vote 9"])
    answers = answers_to(out, "you")
    assert answers[:5] == [
        "Bruk: /start ID [timer 3m]. Eksempel: /start jubileum timer 3m",
        "Bruk: /unschedule NR. Eksempel: /unschedule 2",
        "Bruk: /schedule ID NÅR [until NÅR]. Eksempel: /schedule jubileum 2026-11-24 18:00 until 2026-11-25 09:00",
        "Bruk: /vote VALG. Eksempel: /vote 1",
        "Bruk: /lang nb|nn|en. Eksempel: /lang en",
    ]
    assert answers[5] == "Ukjent valg «9». Velg en av: 1 = Habil, 2 = Inhabil."  # not "Habil (habil)"


async def test_trainer_notes_go_to_the_trainer_alone(tmp_path: Path) -> None:
    out = await play(tmp_path, ["/start jubileum", "/notes", "@bob /notes"])
    notes = [m for m in answers_to(out, "you") if m.startswith("Kursledernotater – Jubileumsmiddagen")]
    assert len(notes) == 1 and "[dm you] → @you: Kursledernotater" in out  # shown in the trainer's private view
    assert "Beklager" in answers_to(out, "bob")[0]  # a member is refused
