"""SQLite store on aiosqlite: rounds, parts, votes, settings, schedules.

Writes go through :meth:`Store.commit`, which batches the records of every
caller waiting at that moment into one transaction (group commit) and
returns only once that transaction is committed.  A vote is acknowledged
after its ``commit`` returns, so an acknowledged vote survives ``kill -9``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable

import aiosqlite

from bot.effects import (
    ChatSettingsChanged, PartClosed, PartOpened, Record, RoundFinished, RoundStarted, ScheduleDeleted,
    ScheduleSaved, UserForgotten, VoteRecorded,
)
from bot.model import ChatSettings, PartState, Round, ScheduledRound

log = logging.getLogger(__name__)

SYNCHRONOUS_MODES = ("NORMAL", "FULL")

# Each entry moves the schema from version i to i + 1.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE rounds (
        id INTEGER PRIMARY KEY,
        chat TEXT NOT NULL,
        case_id TEXT NOT NULL,
        lang TEXT NOT NULL,
        selftest_of TEXT,
        started_at TEXT NOT NULL,
        timer_seconds REAL,
        schedule_id INTEGER,
        advance_at TEXT,
        finished_at TEXT
    );
    CREATE INDEX rounds_chat ON rounds (chat);
    CREATE INDEX rounds_selftest_of ON rounds (selftest_of);
    CREATE TABLE parts (
        round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
        part INTEGER NOT NULL,
        opened_at TEXT NOT NULL,
        closes_at TEXT,
        closed_at TEXT,
        PRIMARY KEY (round_id, part)
    );
    CREATE TABLE votes (
        round_id INTEGER NOT NULL,
        part INTEGER NOT NULL,
        user TEXT NOT NULL,
        option TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (round_id, part, user),
        FOREIGN KEY (round_id, part) REFERENCES parts (round_id, part) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE INDEX votes_user ON votes (user);
    CREATE TABLE chat_settings (chat TEXT PRIMARY KEY, lang TEXT NOT NULL, timezone TEXT NOT NULL);
    CREATE TABLE schedules (
        id INTEGER PRIMARY KEY,
        chat TEXT NOT NULL,
        case_id TEXT NOT NULL,
        opens_at TEXT NOT NULL,
        closes_at TEXT,
        state TEXT NOT NULL,
        reminded INTEGER NOT NULL DEFAULT 0,
        round_id INTEGER
    );
    CREATE TABLE messages (chat TEXT NOT NULL, key TEXT NOT NULL, platform_id TEXT NOT NULL, PRIMARY KEY (chat, key));
    CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # Adapter state that names a user (e.g. which Matrix reaction was whose vote) is deleted by /forget.
    """
    ALTER TABLE kv ADD COLUMN owner TEXT;
    CREATE INDEX kv_owner ON kv (owner);
    """,
]


@dataclass(frozen=True)
class MessageBound:
    """An adapter posted the message named ``key``; ``platform_id`` lets it edit it later."""

    chat: str
    key: str
    platform_id: str


@dataclass(frozen=True)
class ValueSet:
    """A small piece of adapter state, such as a Matrix sync token; ``owner`` is a pseudonymous user."""

    key: str
    value: str
    owner: str | None = None


class _Batch:
    """The callers waiting for one transaction: an event each of them can wait on, and its outcome."""

    def __init__(self) -> None:
        self.done = asyncio.Event()  # a waiter's cancellation cancels only its own wait
        self.error: Exception | None = None


@dataclass(frozen=True)
class Snapshot:
    rounds: list[Round]
    settings: dict[str, ChatSettings]
    schedules: list[ScheduledRound]
    last_round_id: int = 0  # the highest round id ever given, deleted rounds included


def _ts(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo is timezone.utc else moment.astimezone(timezone.utc)).isoformat()


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class ValueDeleted:
    key: str


StoreRecord = Record | MessageBound | ValueSet | ValueDeleted


_UPSERT_VOTE = ("INSERT INTO votes (round_id, part, user, option, at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (round_id, part, user) DO UPDATE SET option = excluded.option, at = excluded.at")


LAST_ROUND_ID = "rounds.last_id"
_KEEP_LAST_ROUND_ID = (f"INSERT INTO kv (key, value) SELECT '{LAST_ROUND_ID}', COALESCE(MAX(id), 0) FROM rounds WHERE true "
                       "ON CONFLICT (key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))")


def statements(record: StoreRecord) -> list[tuple[str, tuple[Any, ...]]]:
    """The SQL that persists one record."""
    if type(record) is VoteRecorded and record.option is not None:  # the hot path: checked first
        return [(_UPSERT_VOTE, (record.round_id, record.part, record.user, record.option, _ts(record.at)))]
    match record:
        case VoteRecorded(round_id, part, user, None, _):
            return [("DELETE FROM votes WHERE round_id = ? AND part = ? AND user = ?", (round_id, part, user))]
        case RoundStarted():
            r = record
            timer = r.timer.total_seconds() if r.timer else None
            return [("INSERT INTO rounds (id, chat, case_id, lang, selftest_of, started_at, timer_seconds, schedule_id) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (r.round_id, r.chat, r.case_id, r.lang, r.selftest_of, _ts(r.started_at), timer, r.schedule_id))]
        case PartOpened(round_id, part, at, closes_at):
            return [("INSERT INTO parts (round_id, part, opened_at, closes_at) VALUES (?, ?, ?, ?)",
                     (round_id, part, _ts(at), _ts(closes_at))),
                    ("UPDATE rounds SET advance_at = NULL WHERE id = ?", (round_id,))]
        case PartClosed(round_id, part, at, advance_at):
            return [("UPDATE parts SET closed_at = ? WHERE round_id = ? AND part = ?", (_ts(at), round_id, part)),
                    ("UPDATE rounds SET advance_at = ? WHERE id = ?", (_ts(advance_at), round_id))]
        case RoundFinished(round_id, at):
            return [("UPDATE rounds SET finished_at = ?, advance_at = NULL WHERE id = ?", (_ts(at), round_id))]
        case UserForgotten(user):
            return [(_KEEP_LAST_ROUND_ID, ()),  # a deleted self-test may be the newest round: never reuse its id
                    ("DELETE FROM votes WHERE user = ?", (user,)),
                    ("DELETE FROM rounds WHERE selftest_of = ?", (user,)),
                    ("DELETE FROM kv WHERE owner = ?", (user,))]
        case ChatSettingsChanged(chat, lang, zone):
            return [("INSERT INTO chat_settings (chat, lang, timezone) VALUES (?, ?, ?) "
                     "ON CONFLICT (chat) DO UPDATE SET lang = excluded.lang, timezone = excluded.timezone",
                     (chat, lang, zone))]
        case ScheduleSaved():
            s = record
            return [("INSERT INTO schedules (id, chat, case_id, opens_at, closes_at, state, reminded, round_id) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state, "
                     "reminded = excluded.reminded, round_id = excluded.round_id",
                     (s.schedule_id, s.chat, s.case_id, _ts(s.opens_at), _ts(s.closes_at), s.state, int(s.reminded),
                      s.round_id))]
        case ScheduleDeleted(schedule_id):
            return [("DELETE FROM schedules WHERE id = ?", (schedule_id,))]
        case MessageBound(chat, key, platform_id):
            return [("INSERT OR REPLACE INTO messages (chat, key, platform_id) VALUES (?, ?, ?)", (chat, key, platform_id))]
        case ValueSet(key, value, owner):
            return [("INSERT OR REPLACE INTO kv (key, value, owner) VALUES (?, ?, ?)", (key, value, owner))]
        case ValueDeleted(key):
            return [("DELETE FROM kv WHERE key = ?", (key,))]
    raise TypeError(f"not a record: {record!r}")


class Store:
    """One SQLite database in WAL mode, written by a single group-commit writer."""

    def __init__(self, db: aiosqlite.Connection):
        self._db = db
        # Records waiting for the next transaction, and the one future all their callers wait on.
        self._buffer: list[StoreRecord] = []
        self._batch: _Batch | None = None
        self._flushing: _Batch | None = None
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0  # committed transactions, for benchmarks

    @classmethod
    async def open(cls, path: str | Path, synchronous: str = "NORMAL") -> Store:
        if synchronous not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS_MODES}")
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # sqlite3 opens the transaction itself (BEGIN IMMEDIATE) before the first write of a batch, so a
        # batch costs two trips to aiosqlite's thread: its writes, then the commit.
        db = await aiosqlite.connect(str(path), isolation_level="IMMEDIATE")
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute(f"PRAGMA synchronous={synchronous}")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA busy_timeout=5000")
        store = cls(db)
        await store._migrate()
        store._writer = asyncio.create_task(store._write_loop(), name="store-writer")
        return store

    async def close(self) -> None:
        """Commit what is waiting, then close the database."""
        if self._writer is not None:
            for pending in (self._flushing, self._batch):
                if pending is not None:
                    await pending.done.wait()
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
            self._writer = None
        await self._db.close()

    async def _migrate(self) -> None:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = row[0] if row else 0
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self._db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
            log.info("store schema migrated to version %d", number)

    # ---- writes -----------------------------------------------------------

    async def commit(self, records: Iterable[StoreRecord]) -> None:
        """Persist ``records`` in order; return once they are committed.

        Every caller that arrives while a transaction is being written joins the
        next one: one transaction and one shared event per batch, however many
        votes are in it.
        """
        before = len(self._buffer)
        self._buffer.extend(records)
        if len(self._buffer) == before:
            return
        batch = self._batch
        if batch is None:
            batch = self._batch = _Batch()
            self._wakeup.set()
        await batch.done.wait()
        if batch.error is not None:
            raise batch.error

    async def _write_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            records, self._buffer = self._buffer, []
            batch, self._batch = self._batch, None
            if batch is None:
                continue
            self._flushing = batch
            try:
                await self._write(records)
            except Exception as exc:  # a failed commit fails everyone in it; nothing was acknowledged
                log.exception("store commit failed")
                batch.error = exc
            else:
                self.batches += 1
            finally:
                self._flushing = None
                batch.done.set()

    async def _write(self, records: list[StoreRecord]) -> None:
        """One transaction; runs of the same statement go in one ``executemany``."""
        runs: list[tuple[str, list[tuple[Any, ...]]]] = []
        for record in records:
            for sql, params in statements(record):
                if runs and runs[-1][0] == sql:
                    runs[-1][1].append(params)
                else:
                    runs.append((sql, [params]))
        try:
            for sql, rows in runs:
                await self._db.executemany(sql, rows)
            await self._db.commit()
        except BaseException:
            await self._db.rollback()
            raise

    # ---- reads ------------------------------------------------------------

    async def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[aiosqlite.Row]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def load(self) -> Snapshot:
        """Everything the engine needs to carry on where it stopped."""
        rounds: dict[int, Round] = {}
        for rid, chat, case_id, lang, selftest_of, started, timer, sched, advance, finished in await self._rows(
                "SELECT id, chat, case_id, lang, selftest_of, started_at, timer_seconds, schedule_id, advance_at, "
                "finished_at FROM rounds ORDER BY id"):
            rounds[rid] = Round(rid, chat, case_id, lang, datetime.fromisoformat(started), selftest_of,
                                timedelta(seconds=timer) if timer else None, sched, [], _dt(advance), _dt(finished))
        for rid, _part, opened, closes, closed in await self._rows(
                "SELECT round_id, part, opened_at, closes_at, closed_at FROM parts ORDER BY round_id, part"):
            rounds[rid].parts.append(PartState(datetime.fromisoformat(opened), _dt(closes), _dt(closed)))
        for rid, part, user, option in await self._rows("SELECT round_id, part, user, option FROM votes"):
            rounds[rid].parts[part - 1].votes[user] = option
        settings = {chat: ChatSettings(lang, zone)
                    for chat, lang, zone in await self._rows("SELECT chat, lang, timezone FROM chat_settings")}
        schedules = [ScheduledRound(sid, chat, case_id, datetime.fromisoformat(opens), _dt(closes), state, bool(reminded), round_id)
                     for sid, chat, case_id, opens, closes, state, reminded, round_id in await self._rows(
                         "SELECT id, chat, case_id, opens_at, closes_at, state, reminded, round_id FROM schedules")]
        last = await self.get_value(LAST_ROUND_ID)
        return Snapshot(list(rounds.values()), settings, schedules, int(last or 0))

    async def message_id(self, chat: str, key: str) -> str | None:
        rows = await self._rows("SELECT platform_id FROM messages WHERE chat = ? AND key = ?", (chat, key))
        return rows[0][0] if rows else None

    async def message_key(self, chat: str, platform_id: str) -> str | None:
        rows = await self._rows("SELECT key FROM messages WHERE chat = ? AND platform_id = ?", (chat, platform_id))
        return rows[0][0] if rows else None

    async def get_value(self, key: str) -> str | None:
        rows = await self._rows("SELECT value FROM kv WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    async def values(self, prefix: str) -> dict[str, tuple[str, str | None]]:
        """Every key starting with ``prefix``: its value and owner."""
        rows = await self._rows("SELECT key, value, owner FROM kv WHERE substr(key, 1, ?) = ?", (len(prefix), prefix))
        return {key: (value, owner) for key, value, owner in rows}

    async def delete_value(self, key: str) -> None:
        await self.commit([ValueDeleted(key)])

    async def set_value(self, key: str, value: str, owner: str | None = None) -> None:
        await self.commit([ValueSet(key, value, owner)])

    async def vote_count(self) -> int:
        rows = await self._rows("SELECT COUNT(*) FROM votes")
        return int(rows[0][0])

    async def export_rows(self, since: datetime | None = None, case_id: str | None = None) -> list[dict[str, Any]]:
        """Rounds with per-part counts, oldest first; no user ids."""
        where, params = ["1 = 1"], []
        if since is not None:
            where.append("r.started_at >= ?")
            params.append(_ts(since))
        if case_id is not None:
            where.append("r.case_id = ?")
            params.append(case_id)
        rounds = await self._rows(
            f"SELECT r.id, r.chat, r.case_id, r.lang, r.started_at, r.finished_at, r.selftest_of IS NOT NULL "
            f"FROM rounds r WHERE {' AND '.join(where)} ORDER BY r.id", tuple(params))
        parts = await self._rows("SELECT round_id, part, opened_at, closed_at FROM parts ORDER BY round_id, part")
        votes = await self._rows("SELECT round_id, part, option, COUNT(*) FROM votes GROUP BY round_id, part, option")
        counts: dict[tuple[int, int], dict[str, int]] = {}
        for rid, part, option, n in votes:
            counts.setdefault((rid, part), {})[option] = n
        by_round: dict[int, list[dict[str, Any]]] = {}
        for rid, part, opened, closed in parts:
            by_round.setdefault(rid, []).append(
                {"index": part, "opened_at": opened, "closed_at": closed, "counts": counts.get((rid, part), {})})
        return [{"id": rid, "chat": chat, "case": case_id, "lang": lang, "started_at": started, "finished_at": finished,
                 "selftest": bool(selftest), "parts": by_round.get(rid, [])}
                for rid, chat, case_id, lang, started, finished, selftest in rounds]
