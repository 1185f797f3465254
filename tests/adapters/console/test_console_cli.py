"""The console adapter and the CLI, as a person uses them: piped scripts, a second run, export, validate."""

from __future__ import annotations

import json
from pathlib import Path

from ...engine.conftest import paragraph, tally_line
from .command import ROOT, dilemmabot
from .session import block

GROUP_SCRIPT = """\
/cases
/start jubileum
@alice 1
@bob /vote green
@carol /vote red
@alice /vote green
@bob /close
/close
/next
@alice /vote red
@bob 1
@carol 2
/next
@alice /vote red
@bob /vote green
@carol /vote green
@carol /vote red
/close
/next
"""


def test_piped_group_round_then_results_on_the_same_db_then_export(tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    run = dilemmabot("console", "--db", db, stdin=GROUP_SCRIPT)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    # each part's text, its tally and its discussion points
    assert "Del 1 av 3" in out and "festmiddag" in out
    assert "Del 2 av 3" in out and "Ullevål" in out
    assert "Del 3 av 3" in out and "dispensasjon" in out
    assert out.count("Til diskusjon") == 3
    first = block(out, "Resultat – Jubileumsmiddagen")  # part 1: alice changed to green
    assert "🔴 Rødt lys   ███░░░░░░░  1 (33 %)" in first and "🟢 Grønt lys  ███████░░░  2 (67 %)" in first
    assert "Du endret stemmen til 🟢 Grønt lys" in out
    assert "→ @bob: Beklager, bare administratorer og kursledere" in out
    assert "Oppsummering" in out and "Runden er ferdig" in out

    second = dilemmabot("console", "--db", db, stdin="/results\n")
    assert second.returncode == 0, second.stderr
    summary = block(second.stdout, "→ @you: Oppsummering – Rødt eller grønt lys: jubileet")
    titles = ("Jubileumsmiddagen", "Oslo-turen og landskampen", "Henvendelsen om nybygget")
    assert [(tally_line(paragraph(summary, title), "Rødt lys"), tally_line(paragraph(summary, title), "Grønt lys"))
            for title in titles] == [("1 (33 %)", "2 (67 %)"), ("2 (67 %)", "1 (33 %)"), ("2 (67 %)", "1 (33 %)")]
    assert "🔴 Rødt lys   ███░░░░░░░  1 (33 %)" in paragraph(summary, titles[0]).splitlines()  # bars as drawn

    export = dilemmabot("export", "--db", db, "--format", "json")
    assert export.returncode == 0, export.stderr
    rounds = json.loads(export.stdout)["rounds"]
    assert len(rounds) == 1 and rounds[0]["case"] == "jubileum"
    assert [(p["index"], p["counts"], p["total"]) for p in rounds[0]["parts"]] == [
        (1, {"red": 1, "green": 2}, 3),
        (2, {"red": 2, "green": 1}, 3),
        (3, {"red": 2, "green": 1}, 3),
    ]
    assert rounds[0]["chat"].startswith("c") and "console" not in rounds[0]["chat"]
    assert rounds[0]["started_at"]
    assert "alice" not in export.stdout and "user" not in export.stdout

    csv_export = dilemmabot("export", "--db", db, "--format", "csv", "--case", "jubileum")
    lines = csv_export.stdout.strip().splitlines()
    assert lines[0].startswith("kind,round,case,chat") and len(lines) == 4
    assert dilemmabot("export", "--db", db, "--format", "csv", "--case", "lmb").stdout.strip().count("\n") == 0


def test_english_console_and_private_selftest(tmp_path: Path) -> None:
    script = "@alice dm /selftest lmb\n@alice dm n\n@alice dm 2\n@alice dm n\n@alice dm /vote habil\n@alice dm n\n"
    run = dilemmabot("console", "--db", str(tmp_path / "s.db"), "--lang", "en", stdin=script)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "[dm alice]" in out and "Peder Ås" in out and "Kåre Sand" in out
    assert "Your answer: ❌ Disqualified (inhabil)" in out
    assert "How everyone answered is shown once at least 5 have answered (now 0)" in out
    assert "Your self-test is finished" in out


def test_validate_reports_file_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "bad-yaml.yaml").write_text("id: bad-yaml\ntitle: {nb: x\n", encoding="utf-8")
    (tmp_path / "missing.yaml").write_text(
        "id: missing\nsource: KS\ntitle: {nb: T}\nparts:\n  - text: {nb: x}\n    points: []\n", encoding="utf-8")
    (tmp_path / "option.yaml").write_text(
        "id: option\nsource: KS\ntitle: {nb: T}\nparts:\n  - text: {nb: x}\n    question: {nb: q}\n"
        "    options: [red, blue]\n    points: []\n", encoding="utf-8")
    run = dilemmabot("validate", str(tmp_path))
    assert run.returncode != 0
    lines = run.stdout.splitlines()
    assert any(line.startswith(f"{tmp_path / 'bad-yaml.yaml'}:3: yaml:") for line in lines), lines
    assert f"{tmp_path / 'missing.yaml'}:5: parts[1].question: missing required field" in lines
    assert any(line.startswith(f"{tmp_path / 'option.yaml'}:7: parts[1].options[2]: unknown option key 'blue'")
               for line in lines), lines


def test_the_shipped_cases_validate_and_are_listed() -> None:
    run = dilemmabot("validate")
    assert run.returncode == 0 and run.stdout == "", run.stdout
    listing = dilemmabot("cases").stdout
    assert "jubileum\tRødt eller grønt lys: jubileet\t3" in listing and len(listing.splitlines()) == 11


def test_a_broken_case_is_skipped_and_the_bot_still_runs(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "good.yaml").write_text((ROOT / "dilemmas" / "arealdel.yaml").read_text(encoding="utf-8")
                                     .replace("id: arealdel", "id: good"), encoding="utf-8")
    (cases / "broken.yaml").write_text("id: broken\nparts: [\n", encoding="utf-8")
    run = dilemmabot("console", "--db", str(tmp_path / "b.db"), stdin="/cases\n",
                     env={"DILEMMABOT_CASES": str(cases)})
    assert run.returncode == 0
    assert "good" in run.stdout and "broken" not in run.stdout
    assert "broken.yaml:3: yaml" in run.stderr


def test_run_without_credentials_starts_the_console(tmp_path: Path) -> None:
    run = dilemmabot("run", "--db", str(tmp_path / "r.db"), stdin="/help\n")
    assert run.returncode == 0 and "/selftest" in run.stdout


def test_dilemmabot_lang_nn_makes_new_chats_nynorsk(tmp_path: Path) -> None:
    run = dilemmabot("console", "--db", str(tmp_path / "nn.db"), stdin="/help\n/cases\n@eva dm /privacy\n",
                     env={"DILEMMABOT_LANG": "nn"})
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Dilemmabot – etikkdilemma for folkevalde" in out and "/lang nb|nn|en – språket i chatten" in out
    assert "jubileum – Raudt eller grønt lys: jubileet (3 delar)" in out
    assert "[dm eva] → @eva: Kva blir lagra?" in out  # a private chat is new too
    listed = dilemmabot("cases", "--lang", "nn")
    assert listed.returncode == 0 and "jubileum\tRaudt eller grønt lys: jubileet\t3" in listed.stdout
