"""Every case plays through in the console, in every language the bot speaks, as a person would pipe it:
each part's text, its discussion points and its references are shown, and the trainer notes are not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cases import load_library
from bot.i18n import LANGUAGES, t
from tests.cases.library import DILEMMAS, ROOT

LIBRARY = load_library(DILEMMAS)


def script(case_id: str) -> str:
    lines = [f"/start {case_id}"]
    for part in LIBRARY.cases[case_id].parts:
        lines += ["/refs"]
        if part.options:
            lines += ["@anna 1", "@bo 2", "@cem 1", "/close"]
        lines += ["/next"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("case_id", sorted(LIBRARY.cases))
def test_the_case_plays_through_in_the_console(tmp_path: Path, case_id: str, lang: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MATRIX_", "DILEMMABOT_"))}
    run = subprocess.run([sys.executable, "-m", "bot.cli", "console", "--db", str(tmp_path / "c.db"), "--lang", lang],
                         input=script(case_id), capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    case = LIBRARY.cases[case_id]
    assert case.title.get(lang) in out
    for part in case.parts:
        assert part.title.get(lang) in out
        assert part.text.get(lang).strip().splitlines()[0] in out
        assert part.question.get(lang) in out
        for point in part.points:
            assert point.text.get(lang) in out
        for ref in part.references:
            assert ref.summary.get(lang) in out
        assert part.notes is not None and part.notes.get(lang) not in out  # notes are for the trainer only
    assert t(lang, "summary.done") in out
    assert "Traceback" not in run.stderr
