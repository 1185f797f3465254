"""Results for trainers, as CSV or JSON: what groups saw, never what one person answered.

- Group rounds, each closed part with the split its group saw at close (every option, zeros included).
  Chats appear as keyed pseudonyms.
- Self-tests never appear one by one: only inside the overall split per case and part, the shown
  snapshot of :mod:`bot.overall` (moves in steps, hidden below :data:`bot.overall.MINIMUM` answers).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.cases import Library
from bot.overall import MINIMUM
from bot.pseudonym import Pseudonymizer
from bot.store import Store


@dataclass(frozen=True)
class Export:
    rounds: list[dict[str, Any]]
    overall: list[dict[str, Any]]


def _keys(library: Library, case_id: str, part: int, counts: dict[str, int]) -> list[str]:
    case = library.get(case_id)
    if case is None or part > len(case.parts):
        return sorted(counts)
    return [o.key for o in case.parts[part - 1].options]


async def collect(store: Store, library: Library, pseudonyms: Pseudonymizer, *, since: datetime | None = None,
                  case_id: str | None = None, chat: str | None = None) -> Export:
    """The export; for one ``chat`` (its report page) only that chat's rounds, without the overall split."""
    rounds = await store.export_rows(since, case_id, chat)
    for row in rounds:
        row["chat"] = pseudonyms.export_chat(row["chat"])
        for part in row["parts"]:
            part["counts"] = {key: part["counts"].get(key, 0) for key in _keys(library, row["case"], part["index"],
                                                                              part["counts"])}
            part["total"] = sum(part["counts"].values())
    overall: list[dict[str, Any]] = []
    if chat is None:
        for (case, number), counts in sorted((await store.overall()).items()):
            total = sum(counts.values())
            if total >= MINIMUM and (case_id is None or case == case_id):
                ordered = {key: counts.get(key, 0) for key in _keys(library, case, number, counts)}
                overall.append({"case": case, "part": number, "counts": ordered, "total": total})
    return Export(rounds, overall)


def to_json(export: Export) -> str:
    return json.dumps({"rounds": export.rounds, "overall": export.overall}, ensure_ascii=False, indent=2) + "\n"


def to_csv(export: Export) -> str:
    """One row per closed part of a group round (``kind`` group), then one per overall split (``kind`` overall)."""
    options = sorted({key for row in export.rounds for part in row["parts"] for key in part["counts"]}
                     | {key for row in export.overall for key in row["counts"]})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["kind", "round", "case", "chat", "started_at", "finished_at", "part", "opened_at", "closed_at",
                     "total", *options])
    for row in export.rounds:
        for part in row["parts"]:
            writer.writerow(["group", row["id"], row["case"], row["chat"], row["started_at"], row["finished_at"] or "",
                             part["index"], part["opened_at"], part["closed_at"], part["total"],
                             *(part["counts"].get(key, "") for key in options)])
    for row in export.overall:
        writer.writerow(["overall", "", row["case"], "", "", "", row["part"], "", "", row["total"],
                         *(row["counts"].get(key, "") for key in options)])
    return buffer.getvalue()
