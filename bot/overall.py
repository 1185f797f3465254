"""How everyone answered a part, over all groups, platforms and self-tests: the privacy rules of the overall split.

- Only **closed** parts count: a part still open in some group never shows in anybody's overall split.
- **One answer per person** per case and part: their latest closed answer (a group vote or a self-test).
  Repeating a self-test changes that person's answer, never adds another.
- The split people see is a **snapshot** that moves in steps: it is taken again only once at least
  :data:`STEP` more people have answered since the last one.  Comparing any two views therefore never
  isolates one answer.  (``/forget`` takes the snapshot again at once, without the forgotten answers.)
- A snapshot of fewer than :data:`MINIMUM` answers is not shown at all.

The store keeps the answers and both running totals (live and shown) and updates them in the same
transaction as the votes (:mod:`bot.store`); the engine keeps only the shown snapshot, fed to it as
:class:`~bot.events.OverallChanged` after each commit that changed it.  Reading it is O(1), whatever the
history.
"""

from __future__ import annotations

MINIMUM = 5  # fewer answers than this could identify people: keep them hidden
STEP = 5  # the shown snapshot is taken again after at least this many new answers


class Overall:
    """The shown snapshot per case and part: option -> count."""

    def __init__(self, shown: dict[tuple[str, int], dict[str, int]] | None = None):
        self._shown: dict[tuple[str, int], dict[str, int]] = dict(shown or {})

    def set(self, case_id: str, part: int, counts: dict[str, int]) -> None:
        self._shown[(case_id, part)] = dict(counts)

    def split(self, case_id: str, part: int) -> tuple[dict[str, int] | None, int]:
        """The shown split and its size; the split is None below :data:`MINIMUM` answers."""
        counts = self._shown.get((case_id, part), {})
        total = sum(counts.values())
        return (dict(counts) if total >= MINIMUM else None), total
