from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.when import WhenError, parse_duration, parse_when

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)  # 15:00 in Oslo (CET, +01:00)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # absolute, local Oslo time (CET = UTC+1 in November)
        ("2026-11-25 09:00", utc(2026, 11, 25, 8, 0)),
        ("2026-11-25T09:00", utc(2026, 11, 25, 8, 0)),
        ("2026-11-25t9:00", utc(2026, 11, 25, 8, 0)),
        ("25.11.2026 09:00", utc(2026, 11, 25, 8, 0)),
        ("25.11.2026 kl. 09.00", utc(2026, 11, 25, 8, 0)),
        ("  2026-11-25    09:00 ", utc(2026, 11, 25, 8, 0)),
        ("2026-11-23 15:01", utc(2026, 11, 23, 14, 1)),
        ("2027-06-01 12:00", utc(2027, 6, 1, 10, 0)),  # summer time, UTC+2
        ("2027-11-24 15:00", utc(2027, 11, 24, 14, 0)),  # exactly 366 days ahead
        # next occurrence of a local time
        ("15:01", utc(2026, 11, 23, 14, 1)),  # still ahead today
        ("23:59", utc(2026, 11, 23, 22, 59)),
        ("15:00", utc(2026, 11, 24, 14, 0)),  # now is not ahead: tomorrow
        ("09:00", utc(2026, 11, 24, 8, 0)),
        ("9:00", utc(2026, 11, 24, 8, 0)),
        ("kl 9.30", utc(2026, 11, 24, 8, 30)),
        ("00:00", utc(2026, 11, 23, 23, 0)),  # local midnight tonight
        # relative, elapsed time
        ("in 2h", NOW + timedelta(hours=2)),
        ("in 30m", NOW + timedelta(minutes=30)),
        ("in 1h30m", NOW + timedelta(hours=1, minutes=30)),
        ("in 1h 30m", NOW + timedelta(hours=1, minutes=30)),
        ("in 90s", NOW + timedelta(seconds=90)),
        ("in 45", NOW + timedelta(minutes=45)),
        ("IN 2H", NOW + timedelta(hours=2)),
        ("in 8784h", NOW + timedelta(days=366)),
        # Norwegian relative
        ("om 2t", NOW + timedelta(hours=2)),
        ("om 30m", NOW + timedelta(minutes=30)),
        ("om 1t30m", NOW + timedelta(hours=1, minutes=30)),
        ("Om 1T", NOW + timedelta(hours=1)),
    ],
)
def test_parse_when(text: str, expected: datetime) -> None:
    result = parse_when(text, NOW, OSLO)
    assert result == expected
    assert result.tzinfo == timezone.utc


def test_next_occurrence_uses_the_local_date_not_the_utc_date() -> None:
    now = utc(2026, 11, 23, 23, 30)  # already 00:30 on the 24th in Oslo
    assert parse_when("00:15", now, OSLO) == utc(2026, 11, 24, 23, 15)
    assert parse_when("01:00", now, OSLO) == utc(2026, 11, 24, 0, 0)


def test_result_is_utc_even_for_a_non_utc_now() -> None:
    now = NOW.astimezone(OSLO)
    result = parse_when("in 30m", now, OSLO)
    assert result == NOW + timedelta(minutes=30)
    assert result.tzinfo == timezone.utc


# DST, Europe/Oslo: 2027-03-28 02:00 -> 03:00 (gap), 2026-10-25 03:00 -> 02:00 (repeat).
SPRING_NOW = utc(2027, 3, 20, 12, 0)
AUTUMN_NOW = utc(2026, 10, 20, 12, 0)


def test_non_existent_spring_time_moves_forward_by_the_gap() -> None:
    result = parse_when("2027-03-28 02:30", SPRING_NOW, OSLO)
    assert result == utc(2027, 3, 28, 1, 30)
    assert result.astimezone(OSLO).strftime("%H:%M %Z") == "03:30 CEST"


def test_ambiguous_autumn_time_is_the_first_occurrence() -> None:
    result = parse_when("25.10.2026 02:30", AUTUMN_NOW, OSLO)
    assert result == utc(2026, 10, 25, 0, 30)
    assert result.astimezone(OSLO).strftime("%H:%M %Z") == "02:30 CEST"


def test_times_around_the_transitions_use_the_right_offset() -> None:
    assert parse_when("2027-03-28 01:59", SPRING_NOW, OSLO) == utc(2027, 3, 28, 0, 59)
    assert parse_when("2027-03-28 03:00", SPRING_NOW, OSLO) == utc(2027, 3, 28, 1, 0)
    assert parse_when("2026-10-25 01:59", AUTUMN_NOW, OSLO) == utc(2026, 10, 24, 23, 59)
    assert parse_when("2026-10-25 03:00", AUTUMN_NOW, OSLO) == utc(2026, 10, 25, 2, 0)


def test_next_occurrence_on_a_dst_night() -> None:
    autumn_night = utc(2026, 10, 24, 23, 0)  # 01:00 CEST
    assert parse_when("02:30", autumn_night, OSLO) == utc(2026, 10, 25, 0, 30)
    spring_night = utc(2027, 3, 27, 23, 0)  # 00:00 CET
    assert parse_when("02:30", spring_night, OSLO) == utc(2027, 3, 28, 1, 30)


def test_relative_time_counts_elapsed_hours_across_dst() -> None:
    before = utc(2026, 10, 24, 23, 0)  # 01:00 CEST; the wall clock repeats 02:00-03:00
    result = parse_when("om 3t", before, OSLO)
    assert result - before == timedelta(hours=3)
    assert result.astimezone(OSLO).strftime("%H:%M %Z") == "03:00 CET"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "tomorrow",
        "i morgen",
        "2026-11-25",
        "2026-11-25 09",
        "2026-11-25 09:00:00",
        "25.11.26 09:00",
        "25/11/2026 09:00",
        "09:00 2026-11-25",
        "9",
        "0900",
        "in",
        "in 2x",
        "in 1h30",
        "in 30m2h",
        "in -2h",
        "in 1.5h",
        "om 2 dager",
        "in 0m",
        "om 0t0m",
        "in 8785h",
        "2026-11-23 14:59",  # past
        "2026-11-23 15:00",  # exactly now is not in the future
        "2025-12-24 18:00",
        "2027-11-24 15:01",  # more than 366 days ahead
        "2030-01-01 12:00",
        "2026-02-30 09:00",  # invalid date
        "30.02.2027 09:00",
        "2026-13-01 09:00",
        "2026-12-00 09:00",
        "2026-12-01 24:00",  # hour > 23
        "2026-12-01 25:00",
        "2026-12-01 09:60",
        "24:00",
        "7:5",
    ],
)
def test_parse_when_rejects(text: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_when(text, NOW, OSLO)
    assert str(caught.value)
    parse_when(caught.value.example, NOW, OSLO)  # the example itself is valid


@pytest.mark.parametrize(
    ("text", "example"),
    [("garbage", "2026-11-24 09:00"), ("in 0m", "in 30m"), ("om 2x", "om 30m")],
)
def test_parse_when_example_matches_what_was_attempted(text: str, example: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_when(text, NOW, OSLO)
    assert caught.value.example == example


def test_parse_when_requires_an_aware_now() -> None:
    with pytest.raises(ValueError):
        parse_when("in 2h", datetime(2026, 11, 23, 14, 0), OSLO)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3m", timedelta(minutes=3)),
        ("90s", timedelta(seconds=90)),
        ("2h", timedelta(hours=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2t", timedelta(hours=2)),
        ("1t30m", timedelta(hours=1, minutes=30)),
        ("45", timedelta(minutes=45)),
        (" 3M ", timedelta(minutes=3)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("2m30s", timedelta(minutes=2, seconds=30)),
        ("10s", timedelta(seconds=10)),  # minimum
        ("168h", timedelta(days=7)),  # maximum
        ("10080", timedelta(days=7)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        *("", "m", "abc", "3x", "-5", "1.5h", "3 minutter", "in 3m"),
        *("0", "0m", "9s", "168h1s", "10081", "99999999999999h"),
    ],
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_duration(text)
    assert caught.value.example == "3m"
    parse_duration(caught.value.example)
