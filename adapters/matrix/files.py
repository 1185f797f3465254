"""Files the Matrix adapter keeps beside the database: private to the bot's user, written atomically.

Every file is written to a fresh temporary file (``mkstemp``: mode 0600 from
the start, whatever an older file or a leftover temporary had), flushed to
disk, then renamed over the old one, so a crash leaves the old or the new
file, never half of one.  Directories are 0700.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed; make it 0700 even if it existed with another mode."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)
    return path


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text``, mode 0600 (``mkstemp`` makes its file so, whatever the umask)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def make_private(directory: Path) -> None:
    """0600 for every file in ``directory`` (files a library created there with the default umask)."""
    for entry in directory.iterdir():
        if entry.is_file() and entry.stat().st_mode & 0o777 != FILE_MODE:
            os.chmod(entry, FILE_MODE)
