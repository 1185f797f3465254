"""Files a real server meets: the ``dilemmabot`` command refuses them at once, with exit code 2 and one line.

Each test runs the command as a person would (a subprocess); a hang would end in the subprocess timeout.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
from pathlib import Path

import pytest

from bot.store import MIGRATIONS

from .command import ROOT, RunningBot, as_plain_user, dilemmabot, refusal

ROUND = "/start jubileum\n@alice 1\n@bob 2\n"
COMMANDS = ("run", "console", "export", "backup")


def command(name: str, db: Path) -> list[str]:
    """``name`` on ``db``, with a destination for a backup."""
    return [name, "--db", str(db), *([str(db.with_name("copy.db"))] if name == "backup" else [])]


@pytest.fixture(scope="module")
def round_played(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("played") / "bot.db"
    run = dilemmabot("console", "--db", str(db), stdin=ROUND)
    assert run.returncode == 0, run.stderr
    return db


@pytest.fixture
def played(round_played: Path, tmp_path: Path) -> Path:
    """A database with a round in progress (part 1 open, alice and bob voted), and its key file."""
    for path in (round_played, key_file(round_played)):
        shutil.copy(path, tmp_path)
    return tmp_path / round_played.name


def key_file(db: Path) -> Path:
    return db.with_name(db.name + ".secret")


def truncated(source: Path, target: Path) -> None:
    target.write_bytes(source.read_bytes()[: source.stat().st_size // 2])


def damaged(source: Path, target: Path) -> None:
    """A copy whose header is fine but one page of the votes table is garbage."""
    with sqlite3.connect(source) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'votes'").fetchone()[0]
    data = bytearray(source.read_bytes())
    data[(root - 1) * page_size: root * page_size] = b"\xff" * page_size
    target.write_bytes(data)


def foreign(_: Path, target: Path) -> None:
    with sqlite3.connect(target) as db:
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT)")


NOT_OURS = {  # what is done to the file, and what the refusal says
    "random bytes": (lambda _, target: target.write_bytes(secrets.token_bytes(3000)), "is not a dilemmabot database"),
    "a text file": (lambda _, target: shutil.copy(ROOT / "README.md", target), "is not a dilemmabot database"),
    "a truncated copy": (truncated, "is not a dilemmabot database"),
    "a damaged copy": (damaged, "damaged"),
    "an empty copy": (lambda _, target: target.write_bytes(b""), "is empty"),
    "another program's SQLite database": (foreign, "another program's SQLite database"),
    "a folder": (lambda _, target: target.mkdir(), "is a folder"),
}


@pytest.mark.parametrize("name", ("run", "export", "backup"))  # console starts as run does
@pytest.mark.parametrize("fault", NOT_OURS)
def test_a_file_that_is_not_our_database_is_refused(played: Path, fault: str, name: str) -> None:
    target = played.with_name("wrong.db")
    shutil.copy(key_file(played), key_file(target))  # the right key: only the database is wrong
    make, says = NOT_OURS[fault]
    make(played, target)
    line = refusal(dilemmabot(*command(name, target), stdin="/help\n"))
    assert str(target) in line and says in line
    assert not target.with_name("copy.db").exists()


@pytest.mark.parametrize("name", COMMANDS)
def test_a_schema_newer_than_this_program_is_refused(played: Path, name: str) -> None:
    with sqlite3.connect(played) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    line = refusal(dilemmabot(*command(name, played), stdin="/help\n"))
    assert str(played) in line and "newer dilemmabot" in line and "upgrade" in line


def test_a_lost_key_file_refuses_start_so_nobody_votes_twice(played: Path) -> None:
    key = key_file(played)
    saved = key.read_bytes()
    key.unlink()  # e.g. only the .db was restored from a backup
    for name in COMMANDS:
        line = refusal(dilemmabot(*command(name, played), stdin="@alice 2\n"))
        assert str(key) in line and "missing" in line
    assert not key.exists()  # no new key was made
    with sqlite3.connect(played) as db:
        assert db.execute("SELECT COUNT(*) FROM votes").fetchone()[0] == 2

    key.write_bytes(saved)  # the key file put back: alice is known again, and still has one vote
    run = dilemmabot("console", "--db", str(played), stdin="@alice 1\n/close\n")
    assert run.returncode == 0, run.stderr
    assert "Du har allerede stemt" in run.stdout and "Totalt 2 stemmer" in run.stdout


def test_a_key_file_other_than_the_databases_is_refused(played: Path) -> None:
    key_file(played).write_text(secrets.token_hex(32))
    for name in COMMANDS:
        line = refusal(dilemmabot(*command(name, played), stdin="@alice 2\n"))
        assert str(key_file(played)) in line and "not the one" in line


def test_a_damaged_key_file_is_refused(played: Path) -> None:
    key_file(played).write_text("not a key\n")
    line = refusal(dilemmabot("run", "--db", str(played), stdin="/help\n"))
    assert str(key_file(played)) in line


def test_a_key_file_beside_a_database_made_before_fingerprints_is_adopted(played: Path) -> None:
    with sqlite3.connect(played) as db:
        db.execute("DELETE FROM kv WHERE key = 'pseudonym.key_fingerprint'")
    run = dilemmabot("console", "--db", str(played), stdin="@alice 1\n")
    assert run.returncode == 0 and "Du har allerede stemt" in run.stdout
    key_file(played).write_text(secrets.token_hex(32))  # from now on the database knows its key
    refusal(dilemmabot("console", "--db", str(played), stdin="/help\n"))


def test_a_new_database_gets_a_new_private_key(tmp_path: Path) -> None:
    db = tmp_path / "new" / "bot.db"
    assert dilemmabot("console", "--db", str(db), stdin="/help\n").returncode == 0
    assert key_file(db).stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("name", ("run", "console"))
def test_a_database_that_cannot_be_written_is_refused(played: Path, name: str) -> None:
    played.chmod(0o444)
    line = refusal(dilemmabot(name, "--db", str(played), stdin="/help\n", preexec_fn=as_plain_user()))
    assert f"cannot write {played}" in line and "writable" in line


def test_a_folder_that_cannot_be_written_is_refused(played: Path, tmp_path: Path) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    for path in (played, key_file(played)):
        shutil.copy(path, folder)
    folder.chmod(0o555)
    try:
        for db in (folder / played.name, folder / "new.db", folder / "sub" / "new.db"):
            line = refusal(dilemmabot("run", "--db", str(db), stdin="/help\n", preexec_fn=as_plain_user()))
            assert "writable" in line and str(db.parent) in line
        # reading needs SQLite's shared-memory file beside the database
        line = refusal(dilemmabot("export", "--db", str(folder / played.name), preexec_fn=as_plain_user()))
        assert "writable" in line and str(folder) in line
    finally:
        folder.chmod(0o755)


def test_a_second_bot_on_the_same_database_is_refused_while_exports_and_backups_work(played: Path) -> None:
    first = RunningBot("--db", str(played))
    try:
        first.ready()
        for name in ("run", "console"):
            line = refusal(dilemmabot(name, "--db", str(played), stdin="@alice 2\n"))
            assert f"{played} is in use by another dilemmabot (process {first.process.pid})" in line
        assert dilemmabot("export", "--db", str(played)).returncode == 0
        assert dilemmabot("backup", "--db", str(played), str(played.with_name("copy.db"))).returncode == 0
        first.say("@carol 1")  # the first bot still answers
        first.wait_for(lambda line: line.startswith("→ @carol: Stemme registrert"))
        first.kill()  # the lock goes with the process, however it ends
        run = dilemmabot("console", "--db", str(played), stdin="@carol 2\n")
        assert run.returncode == 0 and "Du endret stemmen" in run.stdout
    finally:
        if first.process.poll() is None:
            first.kill()


def test_an_export_of_a_database_the_bot_has_not_upgraded_asks_for_a_start(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as connection:
        connection.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    line = refusal(dilemmabot("export", "--db", str(db)))
    assert "schema version 1" in line and "start the bot" in line
    assert dilemmabot("run", "--db", str(db), stdin="/help\n").returncode == 0
    assert json.loads(dilemmabot("export", "--db", str(db)).stdout) == {"rounds": [], "overall": []}


def test_nothing_is_created_for_a_database_that_does_not_exist_when_reading(tmp_path: Path) -> None:
    db = tmp_path / "missing.db"
    for name in ("export", "backup"):
        line = refusal(dilemmabot(*command(name, db)))
        assert f"{db} does not exist" in line
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("env, says", [
    ({"DILEMMABOT_LANG": "de"}, "choose one of nb, nn, en"),
    ({"DILEMMABOT_SQLITE_SYNCHRONOUS": "OFF"}, "choose one of NORMAL, FULL"),
    ({"MATRIX_POWER_LEVEL": "high"}, "whole number"),
    ({"DILEMMABOT_CONFIG": "/nonexistent/settings.yaml"}, "cannot read the settings file"),
])
def test_bad_settings_get_one_line_and_exit_code_2(tmp_path: Path, env: dict[str, str], says: str) -> None:
    line = refusal(dilemmabot("console", "--db", str(tmp_path / "s.db"), stdin="/help\n", env=env))
    assert says in line
