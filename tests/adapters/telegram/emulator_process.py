"""Start and stop the Bot API emulator (Node, ``emulator/server.js``) on 127.0.0.1.

Shared by the test fixtures and ``bench/telegram.py``; no pytest in here.
"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
import time
from pathlib import Path

EMULATOR_DIR = Path(__file__).resolve().parent / "emulator"
NPM_HINT = "npm ci --prefix tests/adapters/telegram/emulator"
START_TIMEOUT = 20.0


class EmulatorDidNotStart(RuntimeError):
    pass


def installed() -> bool:
    return (EMULATOR_DIR / "node_modules" / "telegram-test-api" / "package.json").is_file()


def start(node: str, log_path: Path, port: int = 0) -> tuple[subprocess.Popen, str]:
    """The running server process and its URL (``http://127.0.0.1:<port>``; port 0: a free one)."""
    log = open(log_path, "a", buffering=1)
    proc = subprocess.Popen(
        # --exit-on-stdin-close: the server also goes away if this process dies without cleaning up.
        [node, "server.js", str(port), "--exit-on-stdin-close"],
        cwd=EMULATOR_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={**os.environ, "NODE_ENV": "test"},
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:  # copy stdout to the log; hand the lines to the waiter below
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            lines.put(line)
        lines.put(None)
        log.close()

    threading.Thread(target=pump, name="tg-emulator-stdout", daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            line = None
        if line and line.startswith("READY "):
            return proc, line.split()[1]
        if line is None:  # EOF or timeout
            stop(proc)
            raise EmulatorDidNotStart(
                f"Telegram emulator did not start within {START_TIMEOUT}s (exit code {proc.returncode}).\n"
                f"--- {log_path} ---\n{log_path.read_text(errors='replace')}\n"
                f"If its dependencies are broken, reinstall them: {NPM_HINT}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()  # SIGTERM: the server answers pending long polls and exits
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    if proc.stdin:
        proc.stdin.close()
