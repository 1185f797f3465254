"""Token buckets per user and per chat, driven by the event's clock.

Pure: no timers, no sleeps.  The engine asks before it acts on an event; a
caller over the limit is told once per window and then ignored until the
bucket refills, so a flood costs one refusal, not one per press.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class _Bucket:
    tokens: float
    updated: datetime
    warned: bool = False


class RateLimiter:
    """``rate`` tokens per second, at most ``burst`` saved up, per key.

    ``max_keys`` bounds memory: when exceeded, full (idle) buckets are dropped.
    """

    def __init__(self, rate: float, burst: float, max_keys: int = 50_000):
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    def check(self, key: str, now: datetime) -> str:
        """``"ok"``, ``"warn"`` (first refusal in a run) or ``"drop"`` (later ones)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._prune(now)
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        elapsed = max((now - bucket.updated).total_seconds(), 0.0)
        bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return "ok"
        if bucket.warned:
            return "drop"
        bucket.warned = True
        return "warn"

    def allows(self, key: str, now: datetime) -> bool:
        """Whether ``key`` has a token left now, without taking it."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return True
        return bucket.tokens + max((now - bucket.updated).total_seconds(), 0.0) * self.rate >= 1

    def _prune(self, now: datetime) -> None:
        full = [k for k, b in self._buckets.items()
                if b.tokens + (now - b.updated).total_seconds() * self.rate >= self.burst]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:  # everyone is busy: forget the oldest half
            for key in sorted(self._buckets, key=lambda k: self._buckets[k].updated)[: self.max_keys // 2]:
                del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)
