"""A clock the test moves by hand, for the runner (and so the engine's timers and the outbox's pacing)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

START = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)  # 15:00 in Oslo


class Clock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta
