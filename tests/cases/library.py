"""Two readings of ``dilemmas/`` in one shape, for the tests of the case library.

* ``yaml``   – plain ``yaml.safe_load``; needs nothing from ``bot``;
* ``loader`` – ``bot.cases.load_library``, the reader the bot itself uses.

Every check in these tests takes ``dict[str, C]`` and returns a list of problems, so the same check runs on
both readings: a check cannot pass because the loader happens to hide what is in the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import yaml

ROOT = Path(__file__).resolve().parents[2]
DILEMMAS = ROOT / "dilemmas"
SEEDS = ROOT.parent / "shared" / "seeds"
LANGS = ("nb", "nn", "en")  # every shipped case text is in all three

BUILTIN_OPTIONS = {"red", "green", "habil", "inhabil"}


@dataclass
class P:
    title: dict
    text: dict
    question: dict
    options: tuple[str, ...]
    option_labels: list[dict]
    points: list[tuple[dict, tuple[str, ...]]]
    references: list[tuple[str, dict, dict]]  # id, law, summary
    notes: dict


@dataclass
class C:
    id: str
    source: str
    title: dict
    intro: dict | None
    parts: list[P]


def _tr(value) -> dict:
    """A localized value as {lang: text}, from a YAML mapping or a loader object."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k in LANGS}
    return {lang: getattr(value, lang, None) for lang in LANGS if getattr(value, lang, None)}


def read_yaml(directory: Path) -> dict[str, C]:
    cases = {}
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        parts = []
        for part in data.get("parts") or []:
            raw_options = part.get("options", ["red", "green"])
            keys = tuple(o if isinstance(o, str) else o.get("key") for o in raw_options)
            labels = [o.get("label") or {} for o in raw_options if isinstance(o, dict)]
            parts.append(P(
                _tr(part.get("title")), _tr(part.get("text")), _tr(part.get("question")), keys, labels,
                [(_tr(pt), tuple(pt.get("refs", ()))) for pt in part.get("points") or []],
                [(r.get("id"), _tr(r.get("law")), _tr(r.get("summary"))) for r in part.get("references") or []],
                _tr(part.get("notes")),
            ))
        cases[data.get("id") or path.stem] = C(data.get("id"), data.get("source", ""), _tr(data.get("title")),
                                                _tr(data.get("intro")) if data.get("intro") else None, parts)
    return cases


class Refused(Exception):
    """The loader itself refused a file: the bot would skip that case."""


def read_loader(directory: Path) -> dict[str, C]:
    from bot.cases import load_library

    library = load_library(directory)
    if library.problems:
        raise Refused("\n".join(map(str, library.problems)))
    cases = {}
    for case in library.cases.values():
        parts = [
            P(_tr(p.title), _tr(p.text), _tr(p.question), tuple(o.key for o in p.options),
              [_tr(o.label) for o in p.options if o.key not in BUILTIN_OPTIONS],
              [(_tr(pt.text), tuple(pt.refs)) for pt in p.points],
              [(r.id, _tr(r.law), _tr(r.summary)) for r in p.references],
              _tr(p.notes))
            for p in case.parts
        ]
        cases[case.id] = C(case.id, case.source, _tr(case.title), _tr(case.intro) if case.intro else None, parts)
    return cases


READERS = {"yaml": read_yaml, "loader": read_loader}


def case_texts(case: C) -> Iterator[tuple[str, dict]]:
    """Every text of a case that a reader sees, with where it is: (where, {lang: text})."""
    yield f"{case.id} title", case.title
    if case.intro is not None:
        yield f"{case.id} intro", case.intro
    for n, part in enumerate(case.parts, 1):
        yield from part_texts(f"{case.id} part {n}", part)


def part_texts(where: str, part: P) -> Iterator[tuple[str, dict]]:
    for name in ("title", "text", "question", "notes"):
        yield f"{where} {name}", getattr(part, name)
    for i, label in enumerate(part.option_labels, 1):
        yield f"{where} option label {i}", label
    for i, (point, _) in enumerate(part.points, 1):
        yield f"{where} point {i}", point
    for ref_id, law, summary in part.references:
        yield f"{where} reference {ref_id} law", law
        yield f"{where} reference {ref_id} summary", summary
