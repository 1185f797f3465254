"""``python -m bench``: every benchmark, one table.  See bench/README.md for what each line means.

Options: ``--skip-telegram`` (no Node needed), ``--only votes|burst|memory|history|presenter|telegram|matrix`` (repeatable).
Environment: ``BENCH_SYNCHRONOUS=FULL`` runs the store benches with ``PRAGMA synchronous=FULL``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import burst, history, matrix, telegram, votes
from bench.common import SYNCHRONOUS, in_subprocess
from bot.cli import tune_gc


@dataclass
class Row:
    bench: str
    measure: str
    value: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    met: str = ""


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def _rate(x: float) -> str:
    return f"{x:,.0f}/s"


def votes_rows(r: votes.VotesResult) -> list[Row]:
    return [
        Row("1 durable votes", f"engine+store, {r.votes:,} votes, {votes.WORKERS} in flight", _rate(r.ours),
            f"naive INSERT+COMMIT {_rate(r.naive)}", f"{r.vs_naive:.1f}x", ">= 8x", _yes(r.vs_naive >= 8)),
        Row("", "same, vs raw executemany (no engine)", "", f"raw {_rate(r.raw)}", f"{r.vs_raw:.3f}", ">= 0.1",
            _yes(r.vs_raw >= 0.1)),
        Row("", "CPU per acknowledged vote (process time)", f"{r.cpu_us:.1f} µs", f"naive {r.naive_cpu_us:.1f} µs",
            f"{r.naive_cpu_us / r.cpu_us:.1f}x less", "<= 20 µs", _yes(r.cpu_us <= 20)),
        Row("", "info: CPU per vote, runs of ours", ", ".join(f"{x:.1f} µs" for x in r.cpu_runs), "", "", "", ""),
        Row("", "info: naive store behind our runner+engine", _rate(r.naive_runner), "", "", "", ""),
        Row("", f"info: transactions for {r.votes:,} votes (group commit)", f"{r.batches}", "", "", "", ""),
        Row("", "info: runs of ours", ", ".join(_rate(x) for x in r.ours_runs), "", "", "", ""),
    ]


def burst_rows(r: burst.BurstResults) -> list[Row]:
    o, n = r.ours, r.naive
    return [
        Row("2 burst", f"{burst.VOTERS} voters paced over {burst.SPREAD:.0f} s: p50 / p99", f"{o.p50_ms:.1f} / {o.p99_ms:.1f} ms",
            f"naive {n.p50_ms:.1f} / {n.p99_ms:.1f} ms", f"{r.p99_ratio:.2f}x", "p99 < 100 ms", _yes(o.p99_ms < 100)),
        Row("", "same, all at once: p50 / p99", f"{r.ours_at_once.p50_ms:.1f} / {r.ours_at_once.p99_ms:.1f} ms",
            f"naive {r.naive_at_once.p50_ms:.1f} / {r.naive_at_once.p99_ms:.1f} ms", f"{r.at_once_ratio:.2f}x",
            "", ""),
        Row("", "tally edits sent for the burst (Outbox, 4 s)", f"{o.edits}", f"{burst.VOTERS} votes",
            f"{o.edits / burst.VOTERS:.3f}", "", ""),
        Row("", "tally edits in a minute of steady voting", f"{r.per_minute}/min", "3,000 votes", "", "<= 20/min",
            _yes(r.per_minute <= 20)),
    ]


def memory_rows(m: dict) -> list[Row]:
    return [
        Row("4 memory", f"RSS, {m['rounds']:,} open rounds, {m['votes']:,} votes", f"{m['after_mb']:.1f} MB",
            f"no rounds {m['before_mb']:.1f} MB", f"{m['after_mb'] / m['before_mb']:.2f}x", "< 150 MB",
            _yes(m["after_mb"] < 150)),
        Row("", "per open round", f"{m['per_round_kb']:.1f} KB", "", "", "", ""),
    ]


def history_rows(h: dict) -> list[Row]:
    empty, full = h["empty"], h["history"]
    label = f"{h['rounds']:,} finished rounds, {h['votes']:,} votes"
    return [
        Row("5 history", f"start-up, {label}", f"{full['startup_s']:.2f} s", f"empty {empty['startup_s']:.2f} s",
            f"{full['startup_s'] / empty['startup_s']:.1f}x", "< 1 s", _yes(full["startup_s"] < 1)),
        Row("", "RSS after start", f"{full['rss_mb']:.1f} MB", f"empty {empty['rss_mb']:.1f} MB",
            f"+{full['rss_mb'] - empty['rss_mb']:.1f} MB", "<= +20 MB", _yes(full["rss_mb"] - empty["rss_mb"] <= 20)),
        Row("", "a self-test answer (median)", f"{full['answer_ms']:.2f} ms", f"empty {empty['answer_ms']:.2f} ms",
            f"{full['answer_ms'] / empty['answer_ms']:.2f}x", "<= 2 ms", _yes(full["answer_ms"] <= 2)),
        Row("", "the end of a round, /stop (median)", f"{full['end_ms']:.2f} ms", f"empty {empty['end_ms']:.2f} ms",
            f"{full['end_ms'] / empty['end_ms']:.2f}x", "<= 2 ms", _yes(full["end_ms"] <= 2)),
        Row("", "info: building the history database (executemany)", f"{h['build_s']:.0f} s", "", "", "", ""),
    ]


def telegram_rows(r: telegram.TelegramResult) -> list[Row]:
    return [
        Row("3 telegram", f"button presses through PTB + our handlers ({telegram.UPDATES:,})", f"{r.ours:,.0f} upd/s",
            f"echo bot {r.echo:,.0f} upd/s", f"+{r.overhead:.0%} overhead", "<= +25%", _yes(r.overhead <= 0.25)),
        Row("", "info: echo sequential / concurrent", f"{r.echo_sequential:,.0f} / {r.echo_concurrent:,.0f} upd/s",
            f"concurrent = {r.concurrency}", "", "", ""),
        Row("", "info: runs of ours", ", ".join(f"{x:,.0f}" for x in r.ours_runs), "", "", "", ""),
    ]


def matrix_rows(r: matrix.MatrixResult) -> list[Row]:
    return [
        Row("6 matrix", f"!help round trip, encrypted room (median of {matrix.PINGS})", f"{r.ping_encrypted_ms:.0f} ms",
            f"clear room {r.ping_clear_ms:.0f} ms", f"{r.ping_ratio:.2f}x", "<= 2x", _yes(r.ping_ratio <= 2)),
        Row("", f"poll answer until counted, encrypted (median of {matrix.VOTES})", f"{r.vote_encrypted_ms:.0f} ms",
            f"clear room {r.vote_clear_ms:.0f} ms", f"{r.vote_ratio:.2f}x", "<= 2x", _yes(r.vote_ratio <= 2)),
    ]


def presenter_rows(m: dict) -> list[Row]:
    return [
        Row("7 presenter", f"{m['pages']} pages, {m['votes']:,} votes: commit -> every page, p50 / p99",
            f"{m['delay_p50_ms']:.0f} / {m['delay_p99_ms']:.0f} ms", "", "", "p99 < 1 s", _yes(m["delay_p99_ms"] < 1000)),
        Row("", "RSS per open page", f"{m['per_page_kb']:.1f} KB", f"bot without pages {m['rss_before_mb']:.1f} MB", "",
            "< 50 KB", _yes(m["per_page_kb"] < 50)),
        Row("", "vote -> ack with the pages open: p50 / p99", f"{m['ack_p50_ms']:.1f} / {m['ack_p99_ms']:.1f} ms",
            f"no pages {m['alone_ack_p50_ms']:.1f} / {m['alone_ack_p99_ms']:.1f} ms",
            f"{m['ack_p99_ms'] / m['alone_ack_p99_ms']:.2f}x", "p99 < 100 ms", _yes(m["ack_p99_ms"] < 100)),
        Row("", "first load of a page: voting / results (with QR)",
            f"{m['load_voting_kb']:.1f} / {m['load_results_kb']:.1f} KB", "", "", "< 100 KB",
            _yes(max(m["load_voting_kb"], m["load_results_kb"]) < 100)),
    ]


def table(rows: list[Row]) -> str:
    head = Row("bench", "measure", "value", "baseline (same run)", "ratio", "target", "met")
    cols = list(head.__dict__)
    widths = {c: max(len(getattr(r, c)) for r in [head, *rows]) for c in cols}
    line = lambda r: "  ".join(getattr(r, c).ljust(widths[c]) for c in cols).rstrip()  # noqa: E731
    sep = "  ".join("-" * widths[c] for c in cols)
    return "\n".join([line(head), sep, *map(line, rows)])


async def main_async(only: set[str], skip_telegram: bool) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    rows: list[Row] = []
    notes: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dilemmabot-bench-") as tmpdir:
        tmp = Path(tmpdir)
        if "votes" in only:
            print("bench 1: durable votes ...", file=sys.stderr, flush=True)
            rows += votes_rows(await votes.run(tmp / "votes"))
        if "burst" in only:
            print("bench 2: burst ...", file=sys.stderr, flush=True)
            rows += burst_rows(await burst.run(tmp / "burst"))
        if "memory" in only:
            print("bench 4: memory ...", file=sys.stderr, flush=True)
            rows += memory_rows(in_subprocess("bench.memory", tmp / "memory"))
        if "history" in only:
            print("bench 5: history ...", file=sys.stderr, flush=True)
            rows += history_rows(await asyncio.to_thread(history.run, tmp / "history"))
        if "presenter" in only:
            print("bench 7: presenter pages ...", file=sys.stderr, flush=True)
            (tmp / "presenter").mkdir()
            rows += presenter_rows(in_subprocess("bench.presenter", tmp / "presenter"))
        if "telegram" in only and not skip_telegram:
            print("bench 3: telegram ...", file=sys.stderr, flush=True)
            try:
                rows += telegram_rows(await telegram.run(tmp / "telegram"))
            except telegram.Unavailable as exc:
                rows.append(Row("3 telegram", "not run", "", "", "", "<= +25%", "-"))
                notes.append(f"bench 3 not run: {exc}")
        if "matrix" in only:
            print("bench 6: matrix ...", file=sys.stderr, flush=True)
            try:
                rows += matrix_rows(await matrix.run(tmp / "matrix"))
            except matrix.Unavailable as exc:
                rows.append(Row("6 matrix", "not run", "", "", "", "<= 2x", "-"))
                notes.append(f"bench 6 not run: {exc}")
    print(f"dilemmabot bench  python {platform.python_version()}  {os.cpu_count()} CPUs  "
          f"synchronous={SYNCHRONOUS}  {time.perf_counter() - started:.0f} s")
    print(table(rows))
    for note in notes:
        print(note)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    everything = ["votes", "burst", "memory", "history", "presenter", "telegram", "matrix"]
    parser.add_argument("--only", action="append", choices=everything)
    parser.add_argument("--skip-telegram", action="store_true")
    args = parser.parse_args()
    tune_gc()  # the collector settings `dilemmabot run` uses; baselines run in the same process with them
    sys.exit(asyncio.run(main_async(set(args.only or everything), args.skip_telegram)))


if __name__ == "__main__":
    main()
