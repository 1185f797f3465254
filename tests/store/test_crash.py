"""kill -9 while votes stream in: every acknowledged vote is in the store after restart."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.store import Store

CHILD = Path(__file__).with_name("crash_child.py")
ROOT = Path(__file__).resolve().parents[2]
VOTERS = 1000


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_sigkill_loses_no_acknowledged_vote(tmp_path: Path, seed: int) -> None:
    db = tmp_path / "crash.db"
    kill_after = random.Random(seed).randrange(1, VOTERS)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, str(CHILD), str(db), str(VOTERS)], stdout=subprocess.PIPE,
                             text=True, env=env, cwd=ROOT)
    acked: dict[str, str] = {}
    round_id = None
    try:
        assert child.stdout is not None
        for line in child.stdout:
            word, *rest = line.split()
            if word == "ROUND":
                round_id = int(rest[0])
            elif word == "ACK":
                acked[rest[0]] = rest[1]
            if len(acked) >= kill_after or word == "DONE":
                break
        os.kill(child.pid, signal.SIGKILL)  # mid-stream: later votes may be half-way through a commit
    finally:
        child.kill()
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    assert round_id is not None and len(acked) >= kill_after

    store = await Store.open(db)
    try:
        snapshot = await store.load()
    finally:
        await store.close()
    rnd = next(r for r in snapshot.rounds if r.id == round_id)
    stored = rnd.parts[0].votes
    missing = {user: option for user, option in acked.items() if stored.get(user) != option}
    assert missing == {}, f"{len(missing)} acknowledged votes lost"
    # The restored tally is exactly the stored votes (nothing half-written).
    assert sum(rnd.parts[0].tally(("red", "green")).values()) == len(stored)
    assert not rnd.finished and rnd.voting_open  # the round resumes where it was
