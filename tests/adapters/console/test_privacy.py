"""Privacy against a member who tries, through the console as people use it (issue 16).

Each test plays what a curious or hostile member would do: compare two views, repeat a command,
watch a count change, read the export or the files.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ...engine.conftest import tally_lines
from .session import answers_to, messages, play
from .command import dilemmabot


def _selftest_views(out: str) -> list[str]:
    """What eva saw after each self-test answer: the block between her answer and the points."""
    return [m.split("Til diskusjon")[0] for m in messages(out) if m.startswith("[dm eva] Ditt svar:")]


async def test_results_never_show_the_split_of_an_open_part(tmp_path: Path) -> None:
    """Finding 1: /results after each vote told who voted what ("1 (100 %)" after alice)."""
    out = await play(tmp_path, ["/start jubileum", "@alice 1", "@bob /results", "@carol 2", "@bob /results"])
    seen = answers_to(out, "bob")
    assert len(seen) == 2
    for answer in seen:
        assert "%" not in answer and "█" not in answer and "ferdig" not in answer, answer
    assert "avstemningen pågår (1 har stemt)" in seen[0] and "avstemningen pågår (2 har stemt)" in seen[1]


async def test_comparing_self_tests_never_isolates_one_answer(tmp_path: Path) -> None:
    """Finding 2: with five votes in an open group part, one more vote changed a repeated self-test's split."""
    selftest = ["@eva dm /selftest jubileum", "@eva dm 1"]
    out = await play(tmp_path, [
        "/start jubileum", *[f"@p{i} {1 + i % 2}" for i in range(5)],
        *selftest,
        "@p5 2",  # one more person votes in the group, whose part is still open
        *selftest,
        "/close",  # the group's six answers join the overall split at once
        *selftest,
        "@solo dm /selftest jubileum", "@solo dm 2",  # one more answer: not enough for a new snapshot
        *selftest,
    ])
    views = _selftest_views(out)
    assert len(views) == 4
    assert views[0] == views[1] and "vises når minst 5 har svart (nå 0)" in views[0]  # open parts do not count
    assert "Slik har alle svart så langt (7)" in views[2]  # eva's own answer once, however often she repeats
    assert views[3] == views[2]  # one new answer moves nothing: comparing the two reveals nothing


@pytest.mark.parametrize("line", ["/unschedule ²", "/" + " " * 600 + "x", "/start jubileum timer ²m", "@x dm /vote ²",
                                  "²", "/vote ١", "/" + "\u3000" * 10 + "help", "@ dm", "/start@", "@x dm /selftest ²"])
async def test_odd_lines_get_an_answer_or_nothing_and_never_an_error(tmp_path: Path, line: str,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    """Finding 3: the console crashed on "/unschedule ²" and a command of 600 spaces."""
    with caplog.at_level(logging.WARNING):
        out = await play(tmp_path, ["/start jubileum", line, "@alice 1", "/results"])
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert "avstemningen pågår (1 har stemt)" in out  # the bot carried on


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.one_of(st.text(max_size=80), st.from_regex(r"(@\w{0,5} )?(dm )?/\w{0,12}( [^\n]{0,40})?",
                                                               fullmatch=True)), min_size=1, max_size=6))
async def test_any_text_never_makes_the_console_raise(tmp_path_factory: pytest.TempPathFactory,
                                                     lines: list[str]) -> None:
    tmp = tmp_path_factory.mktemp("any")
    handler = _Errors()
    logging.getLogger().addHandler(handler)
    try:
        await play(tmp, ["/start jubileum", *(line.replace("\n", " ") for line in lines)])
    finally:
        logging.getLogger().removeHandler(handler)
    assert handler.errors == []


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.errors.append(record.getMessage())


async def test_forget_produces_no_message_in_the_group_and_changes_no_group_count(tmp_path: Path) -> None:
    """Finding 5: /forget answered in the group, and the closed part was recounted in front of everyone."""
    out = await play(tmp_path, [
        "/start jubileum", "@alice 1", "@bob 1", "@carol 2", "/close",
        "/results",
        "@alice /forget",  # in the group: refused, nothing deleted
        "/next", "@alice 2",  # her vote on the open part 2
        "@alice dm /forget",
        "/results",
    ])
    before, after = (m for m in messages(out) if m.startswith("→ @you: Oppsummering"))
    assert tally_lines(before, "Rødt lys")[0] == tally_lines(after, "Rødt lys")[0] == "2 (67 %)"  # as the group saw it
    assert any("privat chat" in answer for answer in answers_to(out, "alice"))  # the group /forget was refused
    between = out.split("[dm alice] → @alice: Slettet")[1].split("→ @you: Oppsummering")[0]
    assert between.strip().splitlines()[1:] == [], between  # nothing reached the group in between
    assert "avstemningen pågår (0 har stemt)" in after  # her vote on the open part left, silently


async def test_the_export_never_describes_one_persons_private_answers(tmp_path: Path) -> None:
    """Finding 6: one CSV row per self-test, with the same private-chat pseudonym and exact times."""
    db = str(tmp_path / "e.db")
    script = "".join(f"@p{i} dm /selftest lmb\n@p{i} dm n\n@p{i} dm {1 + i % 2}\n" for i in range(4))
    script += "/start lmb\n/next\n@g1 1\n@g2 2\n/close\n"
    assert dilemmabot("console", "--db", db, stdin=script).returncode == 0
    export = json.loads(dilemmabot("export", "--db", db, "--format", "json").stdout)
    assert [r["case"] for r in export["rounds"]] == ["lmb"]  # the group round only, never a self-test
    assert [(p["index"], p["counts"]) for p in export["rounds"][0]["parts"]] == [
        (1, {}), (2, {"habil": 1, "inhabil": 1})]
    assert export["overall"] == [{"case": "lmb", "part": 2, "counts": {"habil": 3, "inhabil": 3}, "total": 6}]
    csv_text = dilemmabot("export", "--db", db, "--format", "csv").stdout
    assert sum(1 for line in csv_text.splitlines() if line.startswith("group,")) == 2
    assert "selftest" not in csv_text


async def test_members_cannot_lock_the_trainer_out(tmp_path: Path) -> None:
    """Finding 8: eight members' /help used up the chat's budget; the trainer's /close got "Rolig nå"."""
    flood = [f"@m{i} /help" for _ in range(3) for i in range(8)]
    out = await play(tmp_path, ["/start jubileum", "@alice 1", *flood, "/close"])
    assert "Resultat – Jubileumsmiddagen" in out
    assert not any("Rolig nå" in answer for answer in answers_to(out, "you"))


async def test_forget_leaves_no_trace_of_the_private_chat(tmp_path: Path) -> None:
    """Finding 12: message rows of deleted rounds, the private chat's settings row and answers stayed.

    Her votes go from closed and open parts alike; bob's, who did not ask, all stay.
    """
    await play(tmp_path, ["/start jubileum", "@eva 1", "@bob 2", "/next", "@eva 2", "@bob 1",
                          "@eva dm /lang en", "@eva dm /selftest jubileum", "@eva dm 2", "@eva dm /forget"], db="f.db")
    with sqlite3.connect(tmp_path / "f.db") as db:
        private = {row[0] for row in db.execute("SELECT chat FROM rounds WHERE selftest_of IS NOT NULL")}
        assert private == set()
        assert db.execute("SELECT COUNT(*) FROM chat_settings").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM messages WHERE chat LIKE 'console:p:%'").fetchone()[0] == 0
        assert db.execute("SELECT part, option FROM answers").fetchall() == [(1, "green")]  # bob's closed part 1
        assert sorted(db.execute("SELECT part, option FROM votes")) == [(1, "green"), (2, "red")]  # bob's two
        assert db.execute("SELECT counts FROM parts WHERE part = 1").fetchone()[0] == '{"green": 1, "red": 1}'


def test_files_the_bot_makes_are_its_users_alone(tmp_path: Path) -> None:
    """Finding 13: the database and its WAL/SHM files were created 0644."""
    db = tmp_path / "data" / "m.db"
    os.umask(0o022)  # a usual login umask; the bot sets its own
    assert dilemmabot("console", "--db", str(db), stdin="/start jubileum\n@a 1\n").returncode == 0
    made = [db, db.with_name("m.db.secret"), *db.parent.glob("m.db-*")]
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in made if path.exists()}
    assert modes and all(mode & 0o077 == 0 for mode in modes.values()), modes
