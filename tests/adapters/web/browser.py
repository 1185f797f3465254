"""Real headless Chromium (Debian's, installed by scripts/install-chromium.sh) driven by playwright, and the bot as a
person runs it: ``dilemmabot console`` in a subprocess, its web pages on 127.0.0.1.

A missing Chromium fails the tests with the command that installs it: they are never skipped.  Nothing here waits
for a fixed time; every wait is for something to happen (a line from the bot, an element on the page).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
LINK = re.compile(r"http://127\.0\.0\.1:\d+/(?:present|report)/[A-Za-z0-9_-]{43}")
SERVING = re.compile(r"web pages on http://127\.0\.0\.1:(\d+)")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
WAIT = 60.0  # seconds before a wait counts as failed: a guard against hangs, never a timing claim


class ConsoleBot:
    """``dilemmabot console`` with piped input: ``say`` types a line, ``wait_for`` reads what the bot printed."""

    def __init__(self, db: Path, port: int = 0, cases: Path | None = None):
        self.db, self.port, self.cases = db, port, cases
        self._out: list[str] = []
        self._err: list[str] = []
        self._changed = threading.Condition()

    def start(self) -> ConsoleBot:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MATRIX_", "DILEMMABOT_"))}
        env["DILEMMABOT_WEB_LISTEN"] = f"127.0.0.1:{self.port}"
        if self.cases is not None:
            env["DILEMMABOT_CASES"] = str(self.cases)
        self.process = subprocess.Popen([sys.executable, "-m", "bot.cli", "console", "--db", str(self.db)], cwd=ROOT,
                                        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, bufsize=1)
        for stream, lines in ((self.process.stdout, self._out), (self.process.stderr, self._err)):
            threading.Thread(target=self._read, args=(stream, lines), daemon=True).start()
        self.port = int(self._wait(SERVING, self._err, 0).group(1))
        return self

    def say(self, *lines: str) -> None:
        assert self.process.stdin is not None
        for line in lines:
            self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def mark(self) -> int:
        with self._changed:
            return len(self._out)

    def wait_for(self, pattern: str | re.Pattern[str], since: int = 0) -> re.Match[str]:
        """The first match of ``pattern`` in what the bot printed from line ``since`` on, once it is there."""
        return self._wait(re.compile(pattern) if isinstance(pattern, str) else pattern, self._out, since)

    def link(self, page: str = "present", renew: bool = False) -> str:
        since = self.mark()
        self.say(f"/{page}{' new' if renew else ''}")
        return self.wait_for(LINK, since).group(0)

    def output(self) -> str:
        with self._changed:
            return "".join(self._out)

    def stop(self) -> None:
        """End the input, as Ctrl-D does: the bot stops by itself."""
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(WAIT)

    def kill(self) -> None:
        """SIGKILL: nothing is flushed, nothing says goodbye."""
        self.process.kill()
        self.process.wait(WAIT)

    def _read(self, stream: object, lines: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self._changed:
                lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def _wait(self, pattern: re.Pattern[str], lines: list[str], since: int) -> re.Match[str]:
        with self._changed:
            found: list[re.Match[str]] = []

            def seen() -> bool:
                match = pattern.search("".join(lines[since:]))
                if match:
                    found.append(match)
                return bool(match) or self.process.poll() is not None

            if not self._changed.wait_for(seen, timeout=WAIT) or not found:
                raise AssertionError(f"the bot never printed {pattern.pattern!r}:\n{''.join(lines[since:])}\n"
                                     f"stderr:\n{''.join(self._err)}")
            return found[0]


def require_chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make test-setup` (as root it installs Debian's chromium with "
                    "scripts/install-chromium.sh), or set CHROMIUM_BIN", pytrace=False)
    return CHROMIUM
