"""What must hold before the bot, an export or a backup uses a database.

- One bot per database: the bot holds a lock on ``<db>.lock`` for the life of its process, and the OS
  releases it if the process dies.  Exports and backups only read, and take no lock.
- The file is a dilemmabot database this program knows and, for the bot, can write (:meth:`Store.open`).
- The key file is the one the database's pseudonyms were made with.  The database keeps a fingerprint of
  its key (written when it is first used with that key); without one, a database that lost its key file
  would silently get a new key, and every returning person a new pseudonym and a second vote.

Every failure is a :class:`~bot.refusal.Refused`: one line naming the file and what to do.
"""

from __future__ import annotations

import contextlib
import fcntl
import hmac
import os
from pathlib import Path
from typing import AsyncIterator, Iterator

from bot.config import Config
from bot.pseudonym import Pseudonymizer
from bot.refusal import Refused
from bot.store import MIGRATIONS, Store

KEY_FINGERPRINT = "pseudonym.key_fingerprint"


def beside(db: Path, suffix: str) -> Path:
    """``data/bot.db``, ``.lock`` -> ``data/bot.db.lock``."""
    return db.with_name(db.name + suffix)


@contextlib.contextmanager
def exclusive(db: Path) -> Iterator[None]:
    """Hold ``<db>.lock`` until the block ends; refuse if another process holds it."""
    path = beside(db, ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise Refused(f"cannot create {exc.filename} ({exc.strerror}): make the folder {path.parent} "
                      "and the files in it writable for the user running dilemmabot") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 20, 0).decode(errors="replace").strip()
            which = f" (process {holder})" if holder.isdigit() else ""
            raise Refused(f"{db} is in use by another dilemmabot{which}: stop that one first, "
                          "or give this one another database (--db or DILEMMABOT_DB)") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)  # only to name the holder in the refusal above
        yield
    finally:
        os.close(fd)


@contextlib.asynccontextmanager
async def open_for_bot(config: Config) -> AsyncIterator[tuple[Store, Pseudonymizer]]:
    """The bot's own store (locked, checked, writable) and the key its pseudonyms are made with."""
    with exclusive(config.db_path):
        store = await Store.open(config.db_path, config.synchronous)
        try:
            yield store, await bind_key(store, config.db_path, config.secret_file)
        finally:
            await store.close()


@contextlib.asynccontextmanager
async def open_for_reading(config: Config, *,
                           current_schema: bool = True) -> AsyncIterator[tuple[Store, Pseudonymizer | None]]:
    """The store, read-only (a running bot may keep writing), and its key; None for a database that holds
    nothing made with a key and has none.  ``current_schema``: refuse a database the bot has not upgraded."""
    store = await Store.open(config.db_path, config.synchronous, read_only=True)
    try:
        if current_schema and store.schema_version < len(MIGRATIONS):
            raise Refused(f"{config.db_path} has schema version {store.schema_version}, and this dilemmabot "
                          f"reads version {len(MIGRATIONS)}: start the bot on it once to upgrade it")
        yield store, (await _checked_key(store, config.db_path, config.secret_file))[0]
    finally:
        await store.close()


async def bind_key(store: Store, db: Path, key_file: Path) -> Pseudonymizer:
    """The key the database's fingerprint names, or a new one for a database that holds nothing yet.

    The database records the fingerprint of the first key it is used with (a database made before
    fingerprints adopts the key file beside it).
    """
    pseudonyms, recorded = await _checked_key(store, db, key_file)
    if pseudonyms is None:
        pseudonyms = _create_key(key_file)
    if recorded is None:
        await store.set_value(KEY_FINGERPRINT, pseudonyms.fingerprint)
    return pseudonyms


async def _checked_key(store: Store, db: Path, key_file: Path) -> tuple[Pseudonymizer | None, str | None]:
    """The key in ``key_file`` (None if there is none, which only a database holding nothing may lack),
    checked against the fingerprint the database recorded; and that fingerprint."""
    recorded = await store.get_value(KEY_FINGERPRINT)
    if not key_file.exists():
        if recorded is not None or await store.holds_data():
            raise Refused(f"the key file {key_file} is missing, and {db} holds pseudonyms made with it: put it "
                          "back (from the backup of this database), or point DILEMMABOT_SECRET_FILE at it; a new "
                          "key would give everyone a new pseudonym and a second vote")
        return None, recorded
    pseudonyms = _read_key(key_file, db)
    if recorded is not None and not hmac.compare_digest(recorded, pseudonyms.fingerprint):
        raise Refused(f"the key file {key_file} is not the one {db} was made with: put the right one there "
                      "(from the same backup as the database), or point DILEMMABOT_SECRET_FILE at it")
    return pseudonyms, recorded


def _read_key(key_file: Path, db: Path) -> Pseudonymizer:
    try:
        return Pseudonymizer.from_file(key_file)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not a key"
        raise Refused(f"cannot read the key file {key_file} ({reason}): restore it from the backup of "
                      f"{db}") from None


def _create_key(key_file: Path) -> Pseudonymizer:
    try:
        return Pseudonymizer.create_file(key_file)
    except OSError as exc:
        raise Refused(f"cannot create the key file {key_file} ({exc.strerror}): make its folder writable "
                      "for the user running dilemmabot") from None
