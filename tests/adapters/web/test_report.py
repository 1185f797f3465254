"""The report: every group round of one chat and nothing of any other chat, the page and its downloads in step."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from bot.engine.rounds import CloseVoting, StartRound
from bot.events import CommandIssued, Sender, VoteCast
from bot.export import collect, to_csv

from ..console.test_console_cli import ROOT, dilemmabot
from ..console.session import SECRET
from .harness import Room


async def test_the_report_holds_this_chats_rounds_only_as_dilemmabot_export_does(tmp_path: Path) -> None:
    (tmp_path / "room.db.secret").write_text(SECRET.hex())  # the key `dilemmabot export` reads beside the database
    async with Room(tmp_path) as room:
        other, trainer = "console:other-group", Sender("trainer", controller=True)
        await room.say("/start jubileum", "@alice 1", "@bob 1", "@carol 2", "/close", "/next", "@alice 2", "/stop",
                       "@eva dm /selftest lmb", "@eva dm 1")
        await room.runner.handle(CommandIssued(other, trainer, StartRound("jubileum"), room.clock()))
        rnd = room.runner.engine.running(other)
        assert rnd is not None
        await room.runner.handle(VoteCast(other, Sender("dora"), rnd.id, 1, "green", room.clock()))
        await room.runner.handle(CommandIssued(other, trainer, CloseVoting(), room.clock()))
        link = await room.link("report")
        page = await (await room.get(link)).text()
        downloads = {kind: await (await room.get(f"{link}/results.{kind}")).read() for kind in ("csv", "json")}
        expected = to_csv(await collect(room.store, room.library, room.pseudonyms, chat="console:local"))
        theirs = room.pseudonyms.export_chat(other)
        everything = to_csv(await collect(room.store, room.library, room.pseudonyms))
    assert theirs in everything  # the other chat did play a round
    assert page.count('<article class="round">') == 1 and "Rødt eller grønt lys: jubileet" in page
    assert "pågår" not in page
    downloaded, as_json = downloads["csv"].decode(), json.loads(downloads["json"])
    assert downloaded == expected
    rows = list(csv.DictReader(io.StringIO(downloaded)))
    assert [(r["kind"], r["part"], r["total"], r["red"], r["green"]) for r in rows] == [
        ("group", "1", "3", "2", "1"), ("group", "2", "1", "0", "1")]
    assert theirs not in downloaded and {r["chat"] for r in rows} == {room.pseudonyms.export_chat("console:local")}
    assert [r["case"] for r in as_json["rounds"]] == ["jubileum"] and as_json["overall"] == []
    for kind, body in downloads.items():  # byte for byte
        for named in (rows[0]["chat"], "console:local"):
            exported = subprocess.run([sys.executable, "-m", "bot.cli", "export", "--db", str(tmp_path / "room.db"),
                                       "--format", kind, "--chat", named], cwd=ROOT, capture_output=True, timeout=60)
            assert exported.returncode == 0 and exported.stdout == body, (kind, named, exported.stderr)


async def test_an_empty_report_says_so(tmp_path: Path) -> None:
    async with Room(tmp_path) as room:
        page = await (await room.get(await room.link("report"))).text()
    assert "Ingen runder er spilt i denne chatten ennå." in page


def test_export_names_a_chat_it_does_not_know_and_stops(tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    assert dilemmabot("console", "--db", db, stdin="/start jubileum\n@alice 1\n/close\n").returncode == 0
    unknown = dilemmabot("export", "--db", db, "--chat", "c0000000000000000")
    assert unknown.returncode == 2 and unknown.stdout == ""  # a refusal, in one line, as for every start fault
    assert "no group round was played in a chat 'c0000000000000000'" in unknown.stderr
    mine = dilemmabot("export", "--db", db, "--chat", "console:local", "--format", "csv")
    assert mine.returncode == 0 and mine.stdout.count("\ngroup,") == 1
