"""The ``dilemmabot`` command as a person runs it: one-off runs, and a bot kept running with a pipe to its input."""

from __future__ import annotations

import ctypes
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[3]
REFUSED = 2
# Generous: only a hang, never a slow start on a busy machine, should reach it.
HANG = 60


def environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without platform credentials (so ``run`` is the console), plus ``env``."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MATRIX_", "DILEMMABOT_"))}
    return {**environ, **(env or {})}


def dilemmabot(*args: str, stdin: str = "", env: dict[str, str] | None = None,
               preexec_fn: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, env=environment(env), timeout=HANG, preexec_fn=preexec_fn)


def refusal(run: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused command printed; fails unless it exited with 2 and said just that."""
    assert run.returncode == REFUSED, (run.returncode, run.stderr)
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("dilemmabot: "), run.stderr
    return lines[0]


_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def as_plain_user() -> Callable[[], None] | None:
    """For ``preexec_fn``: file permissions bind the command as they bind any user.

    root may write any file whatever its mode; dropping the two capabilities that allow it (from the
    bounding set, before ``exec``) makes a read-only file or folder read-only for root too.
    """
    if os.geteuid() != 0:
        return None

    def drop() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
            if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    return drop


class RunningBot:
    """``dilemmabot console`` kept running: write lines to it, wait for what it prints."""

    def __init__(self, *args: str, env: dict[str, str] | None = None,
                 preexec_fn: Callable[[], None] | None = None):
        self.process = subprocess.Popen([sys.executable, "-m", "bot.cli", "console", *args], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                                        env=environment(env), bufsize=1, preexec_fn=preexec_fn)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr: list[str] = []
        self._readers = [threading.Thread(target=self._read, daemon=True),
                         threading.Thread(target=self._read_stderr, daemon=True)]
        for reader in self._readers:
            reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        self.stderr.extend(self.process.stderr)

    def say(self, *lines: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("".join(f"{line}\n" for line in lines))
        self.process.stdin.flush()

    def wait_for(self, predicate: Callable[[str], bool]) -> str:
        """The next printed line for which ``predicate`` holds (earlier lines are passed over)."""
        while True:
            line = self.lines.get(timeout=HANG)
            if line is None:
                raise AssertionError(f"the bot ended; stderr: {''.join(self.stderr)}")
            if predicate(line):
                return line

    def ready(self) -> None:
        """Wait until the bot answers, so it holds its database."""
        self.say("/privacy")
        self.wait_for(lambda line: "Hva lagres" in line or "What is stored" in line)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=HANG)

    def close(self) -> int:
        """End its input, as Ctrl-D does; its exit code."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        code = self.process.wait(timeout=HANG)
        for reader in self._readers:
            reader.join(timeout=HANG)
        return code
