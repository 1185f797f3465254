"""Parse the points in time and durations a trainer types in commands.

Accepted WHEN forms (case-insensitive, extra whitespace ignored), local to ``tz``:

* ``2026-11-25 09:00``, ``2026-11-25T09:00``, ``25.11.2026 09:00``
* ``09:00`` / ``9:00``: the next occurrence of that local time (today if still
  ahead of ``now``, else tomorrow)
* ``in 2h``, ``in 30m``, ``in 1h30m``, ``in 90s``; Norwegian ``om 2t``, ``om 1t30m``
  (``t`` = timer = hours; a bare number is minutes)

Norwegian habits are tolerated too: ``09.00`` for ``09:00`` and an optional
``kl.`` before the time (``25.11.2026 kl. 09.00``).

Daylight saving time: wall-clock times are resolved with ``fold=0``. An
ambiguous time (the repeated hour in autumn) means its first occurrence, in
summer time. A non-existent time (the skipped hour in spring) is read with the
offset in force before the jump, so it lands one hour later on the wall clock:
2027-03-28 02:30 Europe/Oslo becomes 03:30 CEST (01:30 UTC). Relative times
count elapsed time, so ``in 2h`` is always exactly two hours later.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

MAX_AHEAD = timedelta(days=366)
MIN_DURATION = timedelta(seconds=10)
MAX_DURATION = timedelta(days=7)

_TIME = r"(?:kl\.?\s*)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})"
_ISO = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?:t|\s+)" + _TIME)
_NORWEGIAN = re.compile(r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})\s+" + _TIME)
_CLOCK = re.compile(_TIME)
_RELATIVE = re.compile(r"(?P<prefix>in|om)\s+(?P<amount>.+)")
_DURATION = re.compile(
    r"(?:(?P<hours>\d+)\s*[ht])?\s*(?:(?P<minutes>\d+)\s*m)?\s*(?:(?P<seconds>\d+)\s*s)?"
)
_BARE_MINUTES = re.compile(r"\d+")


class WhenError(ValueError):
    """Input the user must correct; ``.example`` is a valid input to show them."""

    def __init__(self, message: str, example: str) -> None:
        super().__init__(message)
        self.example = example


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """Turn ``text`` into an aware UTC datetime after ``now``, at most 366 days on.

    ``now`` must be timezone-aware. Raises ``WhenError`` for unparseable,
    invalid, past or too distant times.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    cleaned = _clean(text)

    if relative := _RELATIVE.fullmatch(cleaned):
        example = f"{relative['prefix']} 30m"
        seconds = _seconds(relative["amount"])
        if seconds is None:
            raise WhenError(f"unrecognised relative time: {text!r}", example)
        if seconds == 0:
            raise WhenError("relative time must be positive", example)
        if seconds > MAX_AHEAD.total_seconds():
            raise WhenError("relative time is more than 366 days ahead", example)
        return now.astimezone(timezone.utc) + timedelta(seconds=seconds)

    local_today = now.astimezone(tz).date()
    example = f"{local_today + timedelta(days=1):%Y-%m-%d} 09:00"

    if clock := _CLOCK.fullmatch(cleaned):
        wall = _wall_time(clock, example)
        result = _localize(local_today, wall, tz)
        if result <= now:
            result = _localize(local_today + timedelta(days=1), wall, tz)
        return result

    match = _ISO.fullmatch(cleaned) or _NORWEGIAN.fullmatch(cleaned)
    if match is None:
        raise WhenError(f"unrecognised time: {text!r}", example)
    try:
        day = date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError as error:
        raise WhenError(f"invalid date: {error}", example) from None
    result = _localize(day, _wall_time(match, example), tz)
    if result <= now:
        raise WhenError("time is in the past", example)
    if result - now > MAX_AHEAD:
        raise WhenError("time is more than 366 days ahead", example)
    return result


def parse_duration(text: str) -> timedelta:
    """Parse ``3m``, ``90s``, ``2h``, ``1h30m``, ``2t``, ``1t30m`` or ``45`` (minutes).

    The result lies between 10 seconds and 7 days inclusive, else ``WhenError``.
    """
    example = "3m"
    seconds = _seconds(_clean(text))
    if seconds is None:
        raise WhenError(f"unrecognised duration: {text!r}", example)
    if not MIN_DURATION.total_seconds() <= seconds <= MAX_DURATION.total_seconds():
        raise WhenError("duration must be between 10 seconds and 7 days", example)
    return timedelta(seconds=seconds)


def _clean(text: str) -> str:
    return " ".join(text.split()).lower()


def _seconds(amount: str) -> int | None:
    """Seconds in ``1h30m``-style text (bare number = minutes), None if malformed."""
    if _BARE_MINUTES.fullmatch(amount):
        return int(amount) * 60
    match = _DURATION.fullmatch(amount)
    if match is None or not any(match.groups()):
        return None
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _wall_time(match: re.Match[str], example: str) -> time:
    try:
        return time(int(match["hour"]), int(match["minute"]))
    except ValueError as error:
        raise WhenError(f"invalid time of day: {error}", example) from None


def _localize(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """Local wall time to UTC with ``fold=0`` (see the module docstring for DST)."""
    return datetime.combine(day, wall, tzinfo=tz).astimezone(timezone.utc)
