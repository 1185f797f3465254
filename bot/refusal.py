"""How a command says no to the files it was given (exit code 2 from ``dilemmabot``)."""

from __future__ import annotations


class Refused(Exception):
    """The database, its key file or a backup's destination cannot be used as they are.

    The message is one line: which file, what is wrong, and what to do.
    """
