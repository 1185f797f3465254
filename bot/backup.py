"""``dilemmabot backup``: a consistent copy of the database, taken while the bot runs, with its key beside it.

The copy is written beside ``DEST`` under a temporary name and then renamed, so ``DEST`` is always a whole
backup: the new one or the one before.  ``DEST.secret`` is the key file; both are mode 0600.  Restoring is
putting both back as ``<db>`` and ``<db>.secret`` (the README says how).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from bot.config import Config
from bot.preflight import beside, open_for_reading
from bot.refusal import Refused


async def backup(config: Config, dest: Path) -> None:
    _check_destination(config, dest)
    dest_key = beside(dest, ".secret")
    partial, partial_key = dest.with_name(f".{dest.name}.partial"), dest.with_name(f".{dest_key.name}.partial")
    async with open_for_reading(config, current_schema=False) as (store, pseudonyms):
        try:
            for stale in (partial, partial_key):
                stale.unlink(missing_ok=True)
            await store.backup(partial)
            if pseudonyms is not None:
                _write_private(partial_key, config.secret_file.read_bytes())
                os.replace(partial_key, dest_key)
            else:  # the database holds nothing made with a key, and has none: nor has its backup
                dest_key.unlink(missing_ok=True)
            os.replace(partial, dest)
        except (OSError, sqlite3.Error) as exc:
            where, why = getattr(exc, "filename", None) or dest, getattr(exc, "strerror", None) or exc
            raise Refused(f"cannot write the backup {where} ({why}): choose a folder this user can write in, "
                          "with room for a copy of the database") from None
        finally:
            for leftover in (partial, partial_key):
                with contextlib.suppress(OSError):
                    leftover.unlink()


def _check_destination(config: Config, dest: Path) -> None:
    if dest.is_dir():
        raise Refused(f"{dest} is a folder: give the backup a file name, e.g. {dest / config.db_path.name}")
    if dest.resolve() == config.db_path.resolve():
        raise Refused(f"{dest} is the database itself: give the backup another name")
    if beside(dest, "-wal").exists():
        raise Refused(f"{beside(dest, '-wal')} exists, so a bot may be using {dest}: stop it, or choose another name")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Refused(f"cannot create the folder {exc.filename} ({exc.strerror}): choose a folder this user can "
                      "write in") from None


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
