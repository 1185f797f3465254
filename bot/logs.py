"""Logging set-up that keeps secrets out of every line."""

from __future__ import annotations

import logging
import re
import time
from typing import Callable


class RedactSecrets(logging.Filter):
    """Replaces each known secret (and anything shaped like a Telegram bot token) with ``[redacted]``."""

    TOKEN_SHAPE = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}\b")

    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self._redact(record.getMessage()), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self._redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return self.TOKEN_SHAPE.sub("[redacted]", text)


_FILTER = RedactSecrets([])


def add_secret(secret: str | None) -> None:
    """Keep a secret learnt at run time (e.g. a Matrix access token from a password login) out of the logs."""
    if secret and secret not in _FILTER.secrets:
        _FILTER.secrets.append(secret)


def setup_logging(level: str, secrets: list[str]) -> None:
    for secret in secrets:
        add_secret(secret)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_FILTER)
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    # httpx logs every request URL, and a Telegram URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)


class Throttle:
    """Lets a report that repeats (the same error, over and over) through at most once per ``interval`` seconds."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic):
        self.interval = interval
        self.clock = clock
        self._last: float | None = None
        self._held = 0

    def due(self) -> int | None:
        """None to hold this report back; else how many were held back since the last one let through."""
        now = self.clock()
        if self._last is not None and now - self._last < self.interval:
            self._held += 1
            return None
        held, self._held, self._last = self._held, 0, now
        return held
