"""``dilemmabot backup`` while the bot runs and votes stream in; the backup restored holds every acknowledged vote."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
from pathlib import Path

from bot.pseudonym import Pseudonymizer

from .command import RunningBot, as_plain_user, dilemmabot, refusal

MAX_VOTERS = 20_000
IN_FLIGHT = 10  # voters sent but not yet answered
ACKED_BEFORE_BACKUP = 40


def option(voter: int) -> str:
    return "red" if voter % 3 else "green"


def next_acknowledged(bot: RunningBot) -> str:
    """The voter of the next vote the bot acknowledged: ``[dm v7] → @v7: Stemme registrert: …`` -> ``v7``."""
    line = bot.wait_for(lambda text: "Stemme registrert" in text)
    return line.split("]")[0].removeprefix("[dm ")


def test_a_backup_taken_mid_round_restores_every_acknowledged_vote(tmp_path: Path) -> None:
    db, dest = tmp_path / "live" / "bot.db", tmp_path / "backups" / "monday.db"
    bot = RunningBot("--db", str(db))
    acked: list[str] = []
    room = threading.Semaphore(IN_FLIGHT)
    backup_done = threading.Event()
    backups: list[subprocess.CompletedProcess[str]] = []
    sent = 0

    def stream() -> None:  # voters keep coming, each in a self-test round of their own, until the backup is done
        nonlocal sent
        while room.acquire() and not backup_done.is_set() and sent < MAX_VOTERS:
            bot.say(f"@v{sent} dm /selftest jubileum", f"@v{sent} dm {'1' if option(sent) == 'red' else '2'}")
            sent += 1

    def take_backup() -> None:
        try:
            backups.append(dilemmabot("backup", "--db", str(db), str(dest)))
        finally:
            backup_done.set()

    def answered() -> None:
        acked.append(next_acknowledged(bot))
        room.release()

    writer, backup = threading.Thread(target=stream), threading.Thread(target=take_backup)
    try:
        bot.ready()
        writer.start()
        while len(acked) < ACKED_BEFORE_BACKUP:
            answered()
        before_backup = list(acked)
        backup.start()
        while not backup_done.is_set():  # votes go on being answered while the backup is taken
            answered()
        backup.join()
        room.release()  # the writer sees that the backup is done
        writer.join()
        assert sent < MAX_VOTERS
        while len(acked) < sent:
            answered()
        assert bot.close() == 0
    finally:
        backup_done.set()
        room.release()
        if bot.process.poll() is None:
            bot.kill()
    assert backups[0].returncode == 0, backups[0].stderr

    key = dest.with_name("monday.db.secret")
    assert dest.stat().st_mode & 0o777 == 0o600 and key.stat().st_mode & 0o777 == 0o600
    assert key.read_bytes() == db.with_name("bot.db.secret").read_bytes()

    restored = tmp_path / "restored" / "bot.db"  # the README's restore: both files back under the database's name
    restored.parent.mkdir()
    shutil.copy(dest, restored)
    shutil.copy(key, restored.with_name("bot.db.secret"))
    pseudonyms = Pseudonymizer.from_file(restored.with_name("bot.db.secret"))
    with sqlite3.connect(restored) as connection:
        stored = dict(connection.execute("SELECT user, option FROM votes").fetchall())
    missing = [name for name in before_backup
               if stored.get(pseudonyms.user("console", name)) != option(int(name.removeprefix("v")))]
    assert missing == [], f"{len(missing)} votes acknowledged before the backup are not in it"

    first = before_backup[0]  # the restored key still knows them: their own self-test answer is theirs
    run = dilemmabot("console", "--db", str(restored), stdin=f"@{first} dm /results\n")
    answer = "🔴 Rødt lys" if option(int(first.removeprefix("v"))) == "red" else "🟢 Grønt lys"
    assert run.returncode == 0 and f"du: {answer}" in run.stdout, run.stdout


def test_a_backup_replaces_an_older_one_and_never_the_database(tmp_path: Path) -> None:
    db, dest = tmp_path / "bot.db", tmp_path / "copy.db"
    assert dilemmabot("console", "--db", str(db), stdin="/start jubileum\n@alice 1\n").returncode == 0
    assert dilemmabot("backup", "--db", str(db), str(dest)).returncode == 0
    assert dilemmabot("console", "--db", str(db), stdin="@bob 2\n").returncode == 0
    assert dilemmabot("backup", "--db", str(db), str(dest)).returncode == 0
    with sqlite3.connect(dest) as connection:
        assert connection.execute("SELECT COUNT(*) FROM votes").fetchone()[0] == 2
    assert not [path for path in tmp_path.iterdir() if "partial" in path.name]
    assert str(db) in refusal(dilemmabot("backup", "--db", str(db), str(db)))
    assert str(tmp_path) in refusal(dilemmabot("backup", "--db", str(db), str(tmp_path)))


def test_a_backup_into_a_folder_that_cannot_be_written_is_refused(tmp_path: Path) -> None:
    db, folder = tmp_path / "bot.db", tmp_path / "read-only"
    assert dilemmabot("console", "--db", str(db), stdin="/start jubileum\n@alice 1\n").returncode == 0
    folder.mkdir(mode=0o555)
    try:
        line = refusal(dilemmabot("backup", "--db", str(db), str(folder / "copy.db"), preexec_fn=as_plain_user()))
    finally:
        folder.chmod(0o755)
    assert "cannot write the backup" in line and str(folder) in line
    assert list(folder.iterdir()) == []
