"""Every case plays through in the console, in every language the bot speaks, as a person would pipe it:
each part's text, its discussion points and its references are shown, and the trainer notes are not.
Nynorsk is also chosen the way a trainer and a member would, with /lang in a chat that started in bokmål."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cases import Case, load_library
from bot.i18n import LANGUAGES, t
from tests.cases.library import DILEMMAS, ROOT
from tests.nynorsk import bokmal_forms

LIBRARY = load_library(DILEMMAS)


def round_script(case_id: str) -> list[str]:
    lines = [f"/start {case_id}"]
    for part in LIBRARY.cases[case_id].parts:
        lines += ["/refs"]
        if part.options:
            lines += ["@anna 1", "@bo 2", "@cem 1", "/close"]
        lines += ["/next"]
    return lines


def selftest_script(user: str, case_id: str) -> list[str]:
    lines = [f"@{user} dm /selftest {case_id}"]
    for part in LIBRARY.cases[case_id].parts:
        if part.options:
            lines += [f"@{user} dm 1"]
        lines += [f"@{user} dm n"]
    return lines


def console(tmp_path: Path, lines: list[str], *args: str) -> str:
    """What ``dilemmabot console`` prints for these input lines, with no platform or bot settings from outside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MATRIX_", "DILEMMABOT_"))}
    run = subprocess.run([sys.executable, "-m", "bot.cli", "console", "--db", str(tmp_path / "c.db"), *args],
                         input="\n".join(lines) + "\n", capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    return run.stdout


def assert_case_shown(out: str, case: Case, lang: str, references: bool = True) -> None:
    assert case.title.get(lang) in out
    for part in case.parts:
        assert part.title.get(lang) in out
        assert part.text.get(lang).strip().splitlines()[0] in out
        assert part.question.get(lang) in out
        for point in part.points:
            assert point.text.get(lang) in out
        for ref in part.references if references else ():
            assert ref.summary.get(lang) in out
        assert part.notes is not None and part.notes.get(lang) not in out  # notes are for the trainer only


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("case_id", sorted(LIBRARY.cases))
def test_the_case_plays_through_in_the_console(tmp_path: Path, case_id: str, lang: str) -> None:
    out = console(tmp_path, round_script(case_id), "--lang", lang)
    assert_case_shown(out, LIBRARY.cases[case_id], lang)
    assert t(lang, "summary.done") in out


@pytest.mark.parametrize("case_id", sorted(LIBRARY.cases))
def test_lang_nn_gives_a_round_and_a_self_test_in_nynorsk(tmp_path: Path, case_id: str) -> None:
    # A second trainer switches the language: each person's commands are rate-limited (10 at once), and the
    # round takes all of "you"'s.
    out = console(tmp_path, ["@kari /cases", "@kari /lang nn", *round_script(case_id),
                             "@eva dm /lang nn", *selftest_script("eva", case_id)], "--controllers", "you,kari")
    before, switched, after = out.partition(t("nn", "lang.set"))
    assert switched and t("nb", "cases.header") in before  # the chat started in bokmål
    assert after.count(t("nn", "lang.set")) == 1  # eva's private chat, switched by herself
    group, _, selftest = after.partition(t("nn", "lang.set"))
    case = LIBRARY.cases[case_id]
    assert_case_shown(group, case, "nn")
    assert_case_shown(selftest, case, "nn", references=False)  # the self-test asks no /refs
    assert t("nn", "summary.done") in group
    assert t("nn", "selftest.intro") in selftest and t("nn", "summary.selftest_done") in selftest
    assert bokmal_forms(after) == []  # nothing the bot said after the switch is bokmål, quotations aside
