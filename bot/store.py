"""SQLite store on aiosqlite: rounds, parts, votes, settings, schedules.

Writes go through :meth:`Store.commit`, which batches the records of every
caller waiting at that moment into one transaction (group commit) and
returns only once that transaction is committed.  A vote is acknowledged
after its ``commit`` returns, so an acknowledged vote survives ``kill -9``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable

import aiosqlite

from bot.effects import (
    ChatRenamed, ChatSettingsChanged, Page, PartClosed, PartOpened, Record, RoundFinished, RoundStarted,
    ScheduleDeleted, ScheduleSaved, UserForgotten, VoteRecorded,
)
from bot.logs import Throttle
from bot.model import ChatSettings, PartState, Round, SchedulePhase, ScheduledRound
from bot.overall import STEP
from bot.refusal import Refused
from bot.unsent import Sent, Unsent, decode, encode

log = logging.getLogger(__name__)

SYNCHRONOUS_MODES = ("NORMAL", "FULL")
FAILURE_REPORT_INTERVAL = 60.0  # seconds: a disk that stays full is reported once a minute, not once a vote

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
    # The split each closed part showed, frozen; each person's latest closed answer per case and part, and the
    # overall totals over them (live, and the shown snapshot that moves in steps: see bot/overall.py).
    """
    ALTER TABLE parts ADD COLUMN counts TEXT;
    CREATE INDEX rounds_unfinished ON rounds (id) WHERE finished_at IS NULL;
    CREATE INDEX schedules_waiting ON schedules (id) WHERE state IN ('pending', 'open');
    CREATE TABLE answers (
        case_id TEXT NOT NULL,
        part INTEGER NOT NULL,
        user TEXT NOT NULL,
        option TEXT NOT NULL,
        PRIMARY KEY (case_id, part, user)
    ) WITHOUT ROWID;
    CREATE INDEX answers_user ON answers (user);
    CREATE TABLE overall (
        case_id TEXT NOT NULL,
        part INTEGER NOT NULL,
        option TEXT NOT NULL,
        live INTEGER NOT NULL DEFAULT 0,
        shown INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (case_id, part, option)
    ) WITHOUT ROWID;
    CREATE TABLE overall_parts (
        case_id TEXT NOT NULL,
        part INTEGER NOT NULL,
        live INTEGER NOT NULL DEFAULT 0,
        shown INTEGER NOT NULL DEFAULT 0,
        stale INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (case_id, part)
    ) WITHOUT ROWID;
    CREATE TRIGGER answer_added AFTER INSERT ON answers BEGIN
        INSERT INTO overall (case_id, part, option, live) VALUES (NEW.case_id, NEW.part, NEW.option, 1)
            ON CONFLICT DO UPDATE SET live = live + 1;
        INSERT INTO overall_parts (case_id, part, live) VALUES (NEW.case_id, NEW.part, 1)
            ON CONFLICT DO UPDATE SET live = live + 1;
    END;
    CREATE TRIGGER answer_changed AFTER UPDATE OF option ON answers WHEN OLD.option <> NEW.option BEGIN
        UPDATE overall SET live = live - 1 WHERE case_id = OLD.case_id AND part = OLD.part AND option = OLD.option;
        INSERT INTO overall (case_id, part, option, live) VALUES (NEW.case_id, NEW.part, NEW.option, 1)
            ON CONFLICT DO UPDATE SET live = live + 1;
    END;
    CREATE TRIGGER answer_removed AFTER DELETE ON answers BEGIN
        UPDATE overall SET live = live - 1 WHERE case_id = OLD.case_id AND part = OLD.part AND option = OLD.option;
        UPDATE overall_parts SET live = live - 1, stale = 1 WHERE case_id = OLD.case_id AND part = OLD.part;
    END;
    UPDATE parts SET counts = (
        SELECT json_group_object(option, n) FROM (
            SELECT option, COUNT(*) AS n FROM votes v WHERE v.round_id = parts.round_id AND v.part = parts.part
            GROUP BY option))
        WHERE closed_at IS NOT NULL;
    INSERT INTO answers (case_id, part, user, option)
        SELECT r.case_id, v.part, v.user, v.option FROM votes v
        JOIN rounds r ON r.id = v.round_id
        JOIN parts p ON p.round_id = v.round_id AND p.part = v.part
        WHERE p.closed_at IS NOT NULL ORDER BY p.closed_at
        ON CONFLICT DO UPDATE SET option = excluded.option;
    UPDATE overall SET shown = live;
    UPDATE overall_parts SET shown = live;
    UPDATE schedules SET state = 'done' WHERE state = 'open' AND round_id IN (
        SELECT id FROM rounds WHERE finished_at IS NOT NULL);
    """,
    # The chats' web page links (adapters/web/links.py): a random nonce the link is derived from with the
    # installation key, and a keyed digest of the link to find it by; never the link itself.
    """
    CREATE TABLE web_links (
        chat TEXT NOT NULL,
        page TEXT NOT NULL,
        nonce TEXT NOT NULL,
        digest TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        PRIMARY KEY (chat, page)
    ) WITHOUT ROWID;
    """,
    # Posts and final edits, committed with the records that made them, until the platform took them (bot/unsent.py).
    """
    CREATE TABLE unsent (id INTEGER PRIMARY KEY, chat TEXT NOT NULL, message TEXT NOT NULL);
    """,
]


def _check_file(path: Path, read_only: bool) -> None:
    """Refuse what SQLite would not: a folder, or an empty file (a copy that failed) it would take as new."""
    if path.is_dir():
        raise Refused(f"{path} is a folder, not a database file: check the path (--db or DILEMMABOT_DB)")
    if path.exists() and path.stat().st_size == 0:
        raise Refused(f"{path} is empty (0 bytes), perhaps a copy that failed: restore it from a backup, "
                      "or delete it to start a new database")
    if read_only:
        if not path.exists():
            raise Refused(f"{path} does not exist: check the path (--db or DILEMMABOT_DB)")
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Refused(f"cannot create the folder {path.parent} ({exc.strerror}): create it, or choose "
                      "another path (--db or DILEMMABOT_DB)") from None


def _refusal(path: Path, exc: sqlite3.Error) -> Refused:
    """SQLite's error at start as one line saying what to do."""
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return Refused(f"{path} is not a dilemmabot database (not SQLite, or damaged): check the path "
                       "(--db or DILEMMABOT_DB), or restore it from a backup")
    if name == "SQLITE_READONLY_DIRECTORY":
        return Refused(f"cannot use {path} ({exc}): SQLite needs to create {path.name}-shm beside it; make "
                       f"the folder {path.parent} writable for the user running dilemmabot")
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return Refused(f"cannot write {path} ({exc}): make the file and its folder writable for the user "
                       "running dilemmabot")
    if name.startswith("SQLITE_FULL"):
        return Refused(f"cannot write {path}: the disk is full; free some space")
    if name.startswith("SQLITE_BUSY"):
        return Refused(f"{path} is locked by another program: stop it, or use another database")
    return Refused(f"cannot use {path} ({exc}): check the file and the disk")


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


class CommitFailed(Exception):
    """The records were not committed: their transaction failed (the disk is full, say), or one before it
    that they may depend on.  The store has logged why."""


@dataclass(frozen=True)
class LinkSaved:
    """The web page ``page`` of ``chat`` has a new link (the old one, if any, stops working)."""

    chat: str
    page: Page
    nonce: str
    digest: str
    at: datetime


@dataclass(frozen=True)
class WebLink:
    """A chat's web page link as stored: what it is derived from (see ``adapters/web/links.py``)."""

    chat: str
    page: Page
    nonce: str


class _Batch:
    """The callers waiting for one transaction: an event each of them can wait on, and its outcome."""

    def __init__(self) -> None:
        self.done = asyncio.Event()  # a waiter's cancellation cancels only its own wait
        self.error: Exception | None = None


@dataclass(frozen=True)
class Snapshot:
    """What is live: unfinished rounds, waiting schedules, chat settings, the shown overall split; no history."""

    rounds: list[Round]
    settings: dict[str, ChatSettings]
    schedules: list[ScheduledRound]
    overall: dict[tuple[str, int], dict[str, int]]
    last_round_id: int = 0  # the highest round id ever given, deleted rounds included
    last_schedule_id: int = 0


def _ts(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo is timezone.utc else moment.astimezone(timezone.utc)).isoformat()


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class ValueDeleted:
    key: str


StoreRecord = Record | MessageBound | ValueSet | ValueDeleted | LinkSaved | Unsent | Sent


_UPSERT_VOTE = ("INSERT INTO votes (round_id, part, user, option, at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (round_id, part, user) DO UPDATE SET option = excluded.option, at = excluded.at")


# Each person's answer to a part is their vote in the part that closed last (bot/overall.py).
_ANSWERS_FROM_PART = ("INSERT INTO answers (case_id, part, user, option) SELECT ?, part, user, option FROM votes "
                      "WHERE round_id = ? AND part = ? ON CONFLICT (case_id, part, user) DO UPDATE SET option = excluded.option")
# A new snapshot once STEP more people have answered since the last one.
_STEP_SHOWN = ("UPDATE overall SET shown = live WHERE case_id = ?1 AND part = ?2 AND EXISTS (SELECT 1 FROM overall_parts p "
               "WHERE p.case_id = ?1 AND p.part = ?2 AND p.live >= p.shown + ?3)")
_STEP_SHOWN_TOTAL = "UPDATE overall_parts SET shown = live WHERE case_id = ?1 AND part = ?2 AND live >= shown + ?3"
# After /forget, at once, without the forgotten answers.
_RETAKE_STALE_SHOWN = ("UPDATE overall SET shown = live WHERE EXISTS (SELECT 1 FROM overall_parts p "
                       "WHERE p.case_id = overall.case_id AND p.part = overall.part AND p.stale)")

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
        case PartClosed(round_id, part, at, case_id, counts, advance_at):
            return [("UPDATE parts SET closed_at = ?, counts = ? WHERE round_id = ? AND part = ?",
                     (_ts(at), json.dumps(counts, sort_keys=True), round_id, part)),
                    ("UPDATE rounds SET advance_at = ? WHERE id = ?", (_ts(advance_at), round_id)),
                    (_ANSWERS_FROM_PART, (case_id, round_id, part)),
                    (_STEP_SHOWN, (case_id, part, STEP)),
                    (_STEP_SHOWN_TOTAL, (case_id, part, STEP))]
        case RoundFinished(round_id, at):
            return [("UPDATE rounds SET finished_at = ?, advance_at = NULL WHERE id = ?", (_ts(at), round_id))]
        case UserForgotten(user, chat):
            return [(_KEEP_LAST_ROUND_ID, ()),  # a deleted self-test may be the newest round: never reuse its id
                    ("DELETE FROM votes WHERE user = ?", (user,)),
                    ("DELETE FROM rounds WHERE selftest_of = ? OR chat = ?", (user, chat)),
                    ("DELETE FROM messages WHERE chat = ?", (chat,)),
                    ("DELETE FROM unsent WHERE chat = ?", (chat,)),
                    ("DELETE FROM chat_settings WHERE chat = ?", (chat,)),
                    ("DELETE FROM kv WHERE owner = ?", (user,)),
                    ("DELETE FROM answers WHERE user = ?", (user,)),
                    (_RETAKE_STALE_SHOWN, ()),
                    ("UPDATE overall_parts SET shown = live, stale = 0 WHERE stale", ())]
        case ChatRenamed(old, new):
            return [(f"UPDATE {table} SET chat = ? WHERE chat = ?", (new, old))
                    for table in ("rounds", "schedules", "chat_settings", "messages", "web_links", "unsent")]
        case ChatSettingsChanged(chat, lang, zone):
            return [("INSERT INTO chat_settings (chat, lang, timezone) VALUES (?, ?, ?) "
                     "ON CONFLICT (chat) DO UPDATE SET lang = excluded.lang, timezone = excluded.timezone",
                     (chat, lang, zone))]
        case ScheduleSaved():
            s = record
            return [("INSERT INTO schedules (id, chat, case_id, opens_at, closes_at, state, reminded, round_id) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state, "
                     "reminded = excluded.reminded, round_id = excluded.round_id",
                     (s.schedule_id, s.chat, s.case_id, _ts(s.opens_at), _ts(s.closes_at), s.phase, int(s.reminded),
                      s.round_id))]
        case ScheduleDeleted(schedule_id):
            return [("DELETE FROM schedules WHERE id = ?", (schedule_id,))]
        case MessageBound(chat, key, platform_id):
            return [("INSERT OR REPLACE INTO messages (chat, key, platform_id) VALUES (?, ?, ?)", (chat, key, platform_id))]
        case ValueSet(key, value, owner):
            return [("INSERT OR REPLACE INTO kv (key, value, owner) VALUES (?, ?, ?)", (key, value, owner))]
        case ValueDeleted(key):
            return [("DELETE FROM kv WHERE key = ?", (key,))]
        case Unsent(seq, message):
            return [("INSERT INTO unsent (id, chat, message) VALUES (?, ?, ?)", (seq, message.chat, encode(message)))]
        case Sent(seq):
            return [("DELETE FROM unsent WHERE id = ?", (seq,))]
        case LinkSaved(chat, page, nonce, digest, at):
            return [("INSERT INTO web_links (chat, page, nonce, digest, created_at) VALUES (?, ?, ?, ?, ?) "
                     "ON CONFLICT (chat, page) DO UPDATE SET nonce = excluded.nonce, digest = excluded.digest, "
                     "created_at = excluded.created_at", (chat, page, nonce, digest, _ts(at)))]
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
        self.schema_version = 0
        self.batches = 0  # committed transactions, for benchmarks
        self.failures = 0  # failed transactions since opening
        self.failing = False  # the last transaction failed
        self.failure_reports = Throttle(FAILURE_REPORT_INTERVAL)

    @classmethod
    async def open(cls, path: str | Path, synchronous: str = "NORMAL", *, read_only: bool = False) -> Store:
        """Open (and create or migrate) the database; ``read_only`` never writes and needs no migration.

        Raises :class:`Refused` for a file this program must not use.
        """
        if synchronous not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS_MODES}")
        file = Path(path)
        if str(path) != ":memory:":
            _check_file(file, read_only)
        # sqlite3 opens the transaction itself (BEGIN IMMEDIATE) before the first write of a batch, so a
        # batch costs two trips to aiosqlite's thread: its writes, then the commit.
        target = f"{file.absolute().as_uri()}?mode=ro" if read_only else str(path)
        try:
            db = await aiosqlite.connect(target, isolation_level="IMMEDIATE", uri=read_only)
        except sqlite3.Error as exc:
            raise _refusal(file, exc) from None
        store = cls(db)
        try:
            await store._prepare(file, synchronous, read_only)
        except BaseException as exc:
            await db.close()  # else aiosqlite's thread would keep the process alive: the hang on a wrong file
            if isinstance(exc, sqlite3.Error):
                raise _refusal(file, exc) from None
            raise
        if not read_only:
            store._writer = asyncio.create_task(store._write_loop(), name="store-writer")
        return store

    async def _prepare(self, path: Path, synchronous: str, read_only: bool) -> None:
        """Check that the file is a database of ours that this program knows; then set it up for writing."""
        await self._db.execute("PRAGMA busy_timeout=5000")
        self.schema_version = await self._pragma("user_version")
        if self.schema_version == 0 and (await self._rows("SELECT 1 FROM sqlite_master LIMIT 1")):
            raise Refused(f"{path} is another program's SQLite database, not dilemmabot's: "
                          "check the path (--db or DILEMMABOT_DB)")
        if self.schema_version > len(MIGRATIONS):
            raise Refused(f"{path} was written by a newer dilemmabot (schema version {self.schema_version}, "
                          f"this one knows up to {len(MIGRATIONS)}): upgrade dilemmabot, or restore a backup "
                          "made with this version")
        if await self._damaged(path):
            raise Refused(f"{path} is damaged (cut short, or a table cannot be read): restore it from a backup")
        if read_only:
            return
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute(f"PRAGMA synchronous={synchronous}")
        await self._db.execute("PRAGMA foreign_keys=ON")
        await self._migrate()
        # Rewriting the version proves now, not at the first vote, that the file can be written.
        await self._db.execute(f"PRAGMA user_version = {self.schema_version}")

    async def _damaged(self, path: Path) -> bool:
        """A check whose cost does not grow with history (SQLite's quick_check reads the whole file): the file
        is as long as its header says, and every table's first pages can be read.  Damage deeper inside is
        reported by SQLite when it is read, and a commit that meets it is answered "not saved"."""
        if str(path) != ":memory:" and path.exists():
            with path.open("rb") as file:
                header = file.read(100)
            if len(header) == 100 and header[24:28] == header[92:96]:  # the header's page count is valid
                page_size = int.from_bytes(header[16:18], "big")
                page_size = 65536 if page_size == 1 else page_size  # how the header writes 65,536
                if path.stat().st_size < int.from_bytes(header[28:32], "big") * page_size:
                    return True
        try:
            for (table,) in await self._rows("SELECT name FROM sqlite_master WHERE type = 'table'"):
                await self._rows(f'SELECT * FROM "{table}" LIMIT 1')
        except sqlite3.DatabaseError:
            return True
        return False

    async def _pragma(self, name: str) -> Any:
        rows = await self._rows(f"PRAGMA {name}")
        return rows[0][0] if rows else None

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
        for number, script in enumerate(MIGRATIONS[self.schema_version:], start=self.schema_version + 1):
            await self._db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
            self.schema_version = number
            log.info("store schema migrated to version %d", number)

    # ---- writes -----------------------------------------------------------

    async def commit(self, records: Iterable[StoreRecord]) -> None:
        """Persist ``records`` in order; return once they are committed, or raise :class:`CommitFailed`.

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
            raise CommitFailed(str(batch.error)) from batch.error

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
            except Exception as exc:  # nothing in it was acknowledged
                self._failed(batch, exc)
            else:
                self._succeeded()
            finally:
                self._flushing = None
                batch.done.set()

    def _failed(self, batch: _Batch, exc: Exception) -> None:
        """Fail ``batch`` and the batch queued behind it: its records may build on what was just lost (a vote
        in a round whose start was not saved).  Counted at once, so the runner knows its engine is stale."""
        self.failures += 1
        self.failing = True
        batch.error = exc
        queued, self._batch, self._buffer = self._batch, None, []
        if queued is not None:
            queued.error = exc
            queued.done.set()
        held = self.failure_reports.due()
        if held is not None:
            more = f"; {held} more failed since the last report" if held else ""
            log.error("could not save to the database: %s (nothing in it was acknowledged%s)", exc, more)

    def _succeeded(self) -> None:
        self.batches += 1
        if self.failing:
            self.failing = False
            log.warning("the database can be written again")

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

    async def backup(self, dest: Path) -> None:
        """Copy the database to ``dest``, a new file (mode 0600), in one step of SQLite's online backup: a
        consistent snapshot, however the bot keeps writing meanwhile."""
        os.close(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        target = sqlite3.connect(dest, check_same_thread=False)  # written by aiosqlite's thread
        try:
            await self._db.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            target.close()

    async def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[aiosqlite.Row]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def load(self) -> Snapshot:
        """Everything the engine needs to carry on where it stopped; its cost follows what is live, not history."""
        rounds = await self._rounds("WHERE finished_at IS NULL")
        settings = {chat: ChatSettings(lang, zone)
                    for chat, lang, zone in await self._rows("SELECT chat, lang, timezone FROM chat_settings")}
        schedules = [ScheduledRound(sid, chat, case_id, datetime.fromisoformat(opens), _dt(closes), SchedulePhase(state),
                                    bool(reminded), round_id)
                     for sid, chat, case_id, opens, closes, state, reminded, round_id in await self._rows(
                         "SELECT id, chat, case_id, opens_at, closes_at, state, reminded, round_id FROM schedules "
                         "WHERE state IN ('pending', 'open')")]
        (last_schedule,), = await self._rows("SELECT COALESCE(MAX(id), 0) FROM schedules")
        (last_round,), = await self._rows("SELECT COALESCE(MAX(id), 0) FROM rounds")
        kept = await self.get_value(LAST_ROUND_ID)
        return Snapshot(rounds, settings, schedules, await self.overall(), max(last_round, int(kept or 0)),
                        last_schedule)

    async def latest_round(self, chat: str) -> Round | None:
        """The newest round played in ``chat``, finished or not."""
        found = await self._rounds("WHERE id = (SELECT MAX(id) FROM rounds WHERE chat = ?)", (chat,))
        return found[0] if found else None

    async def _rounds(self, where: str, params: tuple[Any, ...] = ()) -> list[Round]:
        """Rounds with their parts and votes, for the rounds selected by ``where`` (on ``rounds``)."""
        rounds: dict[int, Round] = {}
        for rid, chat, case_id, lang, selftest_of, started, timer, sched, advance, finished in await self._rows(
                "SELECT id, chat, case_id, lang, selftest_of, started_at, timer_seconds, schedule_id, advance_at, "
                f"finished_at FROM rounds {where} ORDER BY id", params):
            rounds[rid] = Round(rid, chat, case_id, lang, datetime.fromisoformat(started), selftest_of,
                                timedelta(seconds=timer) if timer else None, sched, [], _dt(advance), _dt(finished))
        # Reads share the connection with the writer, so a round may be committed between these queries: its
        # parts and votes are left out then, with the round itself (it was not there when the reading began).
        selected = f"(SELECT id FROM rounds {where})"
        for rid, _part, opened, closes, closed, counts in await self._rows(
                "SELECT round_id, part, opened_at, closes_at, closed_at, counts FROM parts "
                f"WHERE round_id IN {selected} ORDER BY round_id, part", params):
            if rid in rounds:
                rounds[rid].parts.append(PartState(datetime.fromisoformat(opened), _dt(closes), _dt(closed),
                                                   counts=json.loads(counts) if counts else None))
        for rid, part, user, option in await self._rows(
                f"SELECT round_id, part, user, option FROM votes WHERE round_id IN {selected}", params):
            if rid in rounds and part <= len(rounds[rid].parts):
                rounds[rid].parts[part - 1].votes[user] = option
        for rnd in rounds.values():
            rnd.restore_phase()
        return list(rounds.values())

    async def overall(self, case_id: str | None = None, part: int | None = None) -> dict[tuple[str, int], dict[str, int]]:
        """The shown overall split (see :mod:`bot.overall`), of one part or of all."""
        where, params = ("WHERE case_id = ? AND part = ?", (case_id, part)) if case_id is not None else ("", ())
        shown: dict[tuple[str, int], dict[str, int]] = {}
        for case, number, option, count in await self._rows(
                f"SELECT case_id, part, option, shown FROM overall {where}", params):
            shown.setdefault((case, number), {})[option] = count
        return shown

    async def unsent(self) -> list[Unsent]:
        """The messages still to be sent, oldest first (each to the chat as it is called now)."""
        rows = await self._rows("SELECT id, chat, message FROM unsent ORDER BY id")
        return [Unsent(seq, replace(decode(message), chat=chat)) for seq, chat, message in rows]

    async def last_unsent(self) -> int:
        rows = await self._rows("SELECT COALESCE(MAX(id), 0) FROM unsent")
        return int(rows[0][0])

    async def message_id(self, chat: str, key: str) -> str | None:
        rows = await self._rows("SELECT platform_id FROM messages WHERE chat = ? AND key = ?", (chat, key))
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

    async def holds_data(self) -> bool:
        """True once anything is stored that was made with the pseudonym key: rounds, chat settings, schedules,
        posted messages (a vote always belongs to a round)."""
        rows = await self._rows("SELECT EXISTS (SELECT 1 FROM rounds) OR EXISTS (SELECT 1 FROM chat_settings) "
                                "OR EXISTS (SELECT 1 FROM schedules) OR EXISTS (SELECT 1 FROM messages)")
        return bool(rows[0][0])

    async def web_link(self, chat: str, page: Page) -> WebLink | None:
        rows = await self._rows("SELECT nonce FROM web_links WHERE chat = ? AND page = ?", (chat, page))
        return WebLink(chat, page, rows[0][0]) if rows else None

    async def web_link_by_digest(self, digest: str) -> WebLink | None:
        rows = await self._rows("SELECT chat, page, nonce FROM web_links WHERE digest = ?", (digest,))
        return WebLink(*rows[0]) if rows else None

    async def round_chats(self) -> list[str]:
        """Every chat a group round was played in."""
        return [chat for chat, in await self._rows("SELECT DISTINCT chat FROM rounds WHERE selftest_of IS NULL")]

    async def vote_count(self) -> int:
        rows = await self._rows("SELECT COUNT(*) FROM votes")
        return int(rows[0][0])

    async def export_rows(self, since: datetime | None = None, case_id: str | None = None,
                          chat: str | None = None) -> list[dict[str, Any]]:
        """Group rounds, oldest first, each closed part with the split its group saw; no user ids, no self-tests."""
        where, params = ["r.selftest_of IS NULL"], []
        for clause, value in (("r.started_at >= ?", _ts(since)), ("r.case_id = ?", case_id), ("r.chat = ?", chat)):
            if value is not None:
                where.append(clause)
                params.append(value)
        selected = f"FROM rounds r WHERE {' AND '.join(where)}"
        rounds = await self._rows(f"SELECT r.id, r.chat, r.case_id, r.lang, r.started_at, r.finished_at {selected} "
                                  "ORDER BY r.id", tuple(params))
        by_round: dict[int, list[dict[str, Any]]] = {}
        for rid, part, opened, closed, counts in await self._rows(
                "SELECT round_id, part, opened_at, closed_at, counts FROM parts "
                f"WHERE closed_at IS NOT NULL AND round_id IN (SELECT r.id {selected}) ORDER BY round_id, part",
                tuple(params)):
            by_round.setdefault(rid, []).append(
                {"index": part, "opened_at": opened, "closed_at": closed, "counts": json.loads(counts or "{}")})
        return [{"id": rid, "chat": chat_id, "case": case, "lang": lang, "started_at": started,
                 "finished_at": finished, "parts": by_round.get(rid, [])}
                for rid, chat_id, case, lang, started, finished in rounds]
