"""Load and validate dilemma cases from YAML.

A case file is checked on the YAML node tree, so every problem names the
file, the line and the field (``FILE:LINE: FIELD: message``).  A broken file
never stops the bot: :func:`load_library` reports it and skips it.

Every text is in bokmål; English and nynorsk are optional, text by text, and
fall back to bokmål.  A file that declares ``languages: [nb, nn, en]`` promises
every text in each of them, and the validator holds it to that (the shipped
library declares all three; a user's own file need not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterable

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

LANGUAGES = ("nb", "nn", "en")  # the languages a case text may be written in (the bot's own list is bot.i18n's)
PRIMARY_LANGUAGE = "nb"
MAX_NOTE_WORDS = 120  # trainer notes: what a trainer reads in a minute before the group discusses
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Localized:
    """A text in bokmål (required) and optionally English and nynorsk."""

    nb: str
    en: str | None = None
    nn: str | None = None

    def get(self, lang: str) -> str:
        """The text in ``lang``; bokmål where there is none in that language (bokmål readers and nynorsk
        readers read each other's written standard, and bokmål is the one every file has)."""
        text = getattr(self, lang) if lang in LANGUAGES else None
        return text or self.nb


@dataclass(frozen=True)
class Option:
    key: str
    emoji: str
    label: Localized


BUILTIN_OPTIONS: dict[str, Option] = {
    "red": Option("red", "🔴", Localized("Rødt lys", "Red light", "Raudt lys")),
    "green": Option("green", "🟢", Localized("Grønt lys", "Green light", "Grønt lys")),
    "habil": Option("habil", "✅", Localized("Habil", "Not disqualified (habil)", "Habil")),
    "inhabil": Option("inhabil", "❌", Localized("Inhabil", "Disqualified (inhabil)", "Inhabil")),
}
DEFAULT_OPTIONS = ("red", "green")


@dataclass(frozen=True)
class Reference:
    id: str
    law: Localized
    section: str
    summary: Localized


@dataclass(frozen=True)
class Point:
    text: Localized
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Part:
    title: Localized
    text: Localized
    question: Localized
    options: tuple[Option, ...]
    points: tuple[Point, ...]
    references: tuple[Reference, ...] = ()
    notes: Localized | None = None
    """For the trainer only: what the part is meant to bring out, the strongest argument for each answer,
    and what the law settles and leaves open. Never shown to the group."""

    @property
    def votable(self) -> bool:
        return bool(self.options)

    def option(self, key: str) -> Option | None:
        return self._options_by_key.get(key)

    @cached_property
    def _options_by_key(self) -> dict[str, Option]:
        return {o.key: o for o in self.options}


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    title: Localized
    parts: tuple[Part, ...]
    tags: tuple[str, ...] = ()
    intro: Localized | None = None
    path: str = ""
    languages: tuple[str, ...] = (PRIMARY_LANGUAGE,)
    """The languages the file promises every text in (bokmål always)."""


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class CaseError(Exception):
    """A case file could not be loaded; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


@dataclass
class Library:
    cases: dict[str, Case] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def get(self, case_id: str) -> Case | None:
        return self.cases.get(case_id)


# A part message (text + question + tally) and a results message (tally + points) must fit one chat
# message: Telegram's limit is 4,096 characters.
MAX_TEXT = 2500
MAX_POINTS = 3000

_CASE_FIELDS = {"id", "source", "languages", "tags", "title", "intro", "parts"}
_PART_FIELDS = {"title", "text", "question", "options", "points", "references", "notes"}


class _Reader:
    """Walks one file's node tree, building values and collecting problems."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.languages: tuple[str, ...] = (PRIMARY_LANGUAGE,)  # what every text must have; set by case()

    def problem(self, node: Node | None, where: str, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        self.problems.append(Problem(self.file, line, where, message))

    def mapping(self, node: Node, where: str, allowed: set[str]) -> dict[str, Node] | None:
        if not isinstance(node, MappingNode):
            self.problem(node, where, "expected a mapping")
            return None
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            name = f"{where}.{key}" if where else str(key)
            if key not in allowed:
                self.problem(key_node, name, f"unknown field (allowed: {', '.join(sorted(allowed))})")
            elif key in out:
                self.problem(key_node, name, "field given twice")
            else:
                out[key] = value_node
        return out

    def string(self, node: Node | None, where: str, parent: Node, required: bool = True) -> str | None:
        if node is None:
            if required:
                self.problem(parent, where, "missing required field")
            return None
        if not isinstance(node, ScalarNode) or node.tag.endswith(":null"):
            self.problem(node, where, "expected text")
            return None
        text = str(node.value).strip()
        if required and not text:
            self.problem(node, where, "must not be empty")
            return None
        return text

    def localized(self, node: Node | None, where: str, parent: Node, required: bool = True,
                  max_words: int | None = None) -> Localized | None:
        if node is None:
            if required:
                self.problem(parent, where, "missing required field")
            return None
        fields = self.mapping(node, where, set(LANGUAGES))
        if fields is None:
            return None
        return self.texts(fields, where, node, max_words)

    def texts(self, fields: dict[str, Node], where: str, node: Node, max_words: int | None = None) -> Localized | None:
        """One text in each language of ``fields``: bokmål always, the file's declared languages too."""
        texts: dict[str, str | None] = {}
        for lang in LANGUAGES:
            required = lang in self.languages
            if lang not in fields and required and lang != PRIMARY_LANGUAGE:
                self.problem(node, f"{where}.{lang}", "missing required field "
                             f"(the file declares languages: {', '.join(self.languages)})")
                texts[lang] = None
                continue
            if lang not in fields and not required:
                texts[lang] = None
                continue
            text = texts[lang] = self.string(fields.get(lang), f"{where}.{lang}", node, required=required)
            if text and max_words is not None and (words := len(text.split())) > max_words:
                self.problem(fields[lang], f"{where}.{lang}", f"{words} words (at most {max_words})")
        nb = texts.pop(PRIMARY_LANGUAGE)
        if nb is None or any(texts[lang] is None for lang in self.languages if lang != PRIMARY_LANGUAGE):
            return None
        return Localized(nb, en=texts["en"], nn=texts["nn"])

    def sequence(self, node: Node, where: str) -> list[Node] | None:
        if not isinstance(node, SequenceNode):
            self.problem(node, where, "expected a list")
            return None
        return list(node.value)

    def identifier(self, node: Node | None, where: str, parent: Node) -> str | None:
        value = self.string(node, where, parent)
        if value is not None and not _ID.match(value):
            self.problem(node, where, f"{value!r} is not a valid id (lower-case letters, digits and '-')")
            return None
        return value

    def case(self, root: Node, stem: str) -> Case | None:
        fields = self.mapping(root, "", _CASE_FIELDS)
        if fields is None:
            return None
        case_id = self.identifier(fields.get("id"), "id", root)
        if case_id is not None and case_id != stem:
            self.problem(fields["id"], "id", f"{case_id!r} must match the file name {stem!r}")
        self.languages = self.declared_languages(fields.get("languages"))
        source = self.string(fields.get("source"), "source", root)
        title = self.localized(fields.get("title"), "title", root)
        intro = self.localized(fields.get("intro"), "intro", root, required=False)
        tags = self.tags(fields.get("tags"))
        parts = self.parts(fields.get("parts"), root)
        if case_id is None or source is None or title is None or parts is None:
            return None
        return Case(case_id, source, title, parts, tags, intro, self.file, self.languages)

    def declared_languages(self, node: Node | None) -> tuple[str, ...]:
        if node is None:
            return (PRIMARY_LANGUAGE,)
        declared: list[str] = []
        for i, item in enumerate(self.sequence(node, "languages") or []):
            lang = self.string(item, f"languages[{i + 1}]", node)
            if lang is None:
                continue
            if lang not in LANGUAGES:
                self.problem(item, f"languages[{i + 1}]", f"unknown language {lang!r} (known: {', '.join(LANGUAGES)})")
            elif lang in declared:
                self.problem(item, f"languages[{i + 1}]", f"{lang!r} given twice")
            else:
                declared.append(lang)
        if PRIMARY_LANGUAGE not in declared:
            self.problem(node, "languages", f"must include {PRIMARY_LANGUAGE!r}: every text is in bokmål")
            declared.insert(0, PRIMARY_LANGUAGE)
        return tuple(declared)

    def tags(self, node: Node | None) -> tuple[str, ...]:
        if node is None:
            return ()
        items = self.sequence(node, "tags") or []
        return tuple(t for i, n in enumerate(items) if (t := self.string(n, f"tags[{i}]", node)))

    def parts(self, node: Node | None, root: Node) -> tuple[Part, ...] | None:
        if node is None:
            self.problem(root, "parts", "missing required field")
            return None
        items = self.sequence(node, "parts")
        if items is None:
            return None
        if not items:
            self.problem(node, "parts", "a case needs at least one part")
            return None
        before = len(self.problems)
        parts = [self.part(n, f"parts[{i + 1}]") for i, n in enumerate(items)]
        if len(self.problems) > before:
            return None
        return tuple(p for p in parts if p is not None)

    def part(self, node: Node, where: str) -> Part | None:
        fields = self.mapping(node, where, _PART_FIELDS)
        if fields is None:
            return None
        title = self.localized(fields.get("title"), f"{where}.title", node, required=False)
        text = self.localized(fields.get("text"), f"{where}.text", node)
        question = self.localized(fields.get("question"), f"{where}.question", node)
        options = self.options(fields.get("options"), f"{where}.options")
        references = self.references(fields.get("references"), f"{where}.references")
        points = self.points(fields.get("points"), f"{where}.points", node, {r.id for r in references})
        notes = self.localized(fields.get("notes"), f"{where}.notes", node, required=False, max_words=MAX_NOTE_WORDS)
        if text is None or question is None or options is None or points is None:
            return None
        for lang in LANGUAGES:
            if len(text.get(lang)) + len(question.get(lang)) > MAX_TEXT:
                self.problem(fields["text"], f"{where}.text.{lang}", f"text and question are longer than {MAX_TEXT} characters")
            if sum(len(p.text.get(lang)) for p in points) > MAX_POINTS:
                self.problem(fields["points"], f"{where}.points", f"the points ({lang}) are longer than {MAX_POINTS} characters in all")
        return Part(title or Localized(""), text, question, options, points, references, notes)

    def options(self, node: Node | None, where: str) -> tuple[Option, ...] | None:
        if node is None:
            return tuple(BUILTIN_OPTIONS[k] for k in DEFAULT_OPTIONS)
        items = self.sequence(node, where)
        if items is None:
            return None
        options: list[Option] = []
        for i, item in enumerate(items):
            here = f"{where}[{i + 1}]"
            if isinstance(item, ScalarNode):
                builtin = str(item.value)
                if builtin not in BUILTIN_OPTIONS:
                    self.problem(item, here, f"unknown option key {builtin!r} (built-in: {', '.join(BUILTIN_OPTIONS)}; "
                                 "or give a mapping with key, emoji and label)")
                    continue
                option = BUILTIN_OPTIONS[builtin]
            else:
                fields = self.mapping(item, here, {"key", "emoji", "label"})
                if fields is None:
                    continue
                key = self.identifier(fields.get("key"), f"{here}.key", item)
                emoji = self.string(fields.get("emoji"), f"{here}.emoji", item)
                label = self.localized(fields.get("label"), f"{here}.label", item)
                if key is None or emoji is None or label is None:
                    continue
                option = Option(key, emoji, label)
            if any(o.key == option.key or o.emoji == option.emoji for o in options):
                self.problem(item, here, f"option {option.key!r} repeats a key or emoji")
                continue
            options.append(option)
        if len(options) == 1:
            self.problem(node, where, "a vote needs at least two options (or [] for no vote)")
            return None
        return tuple(options) if len(options) == len(items) else None

    def references(self, node: Node | None, where: str) -> tuple[Reference, ...]:
        if node is None:
            return ()
        refs: list[Reference] = []
        for i, item in enumerate(self.sequence(node, where) or []):
            here = f"{where}[{i + 1}]"
            fields = self.mapping(item, here, {"id", "law", "section", "summary"})
            if fields is None:
                continue
            ref_id = self.identifier(fields.get("id"), f"{here}.id", item)
            law = self.localized(fields.get("law"), f"{here}.law", item)
            section = self.string(fields.get("section"), f"{here}.section", item)
            summary = self.localized(fields.get("summary"), f"{here}.summary", item)
            if ref_id is not None and any(r.id == ref_id for r in refs):
                self.problem(fields["id"], f"{here}.id", f"duplicate reference id {ref_id!r}")
                continue
            if ref_id is not None and law is not None and section is not None and summary is not None:
                refs.append(Reference(ref_id, law, section, summary))
        return tuple(refs)

    def points(self, node: Node | None, where: str, parent: Node, ref_ids: set[str]) -> tuple[Point, ...] | None:
        if node is None:
            self.problem(parent, where, "missing required field")
            return None
        items = self.sequence(node, where)
        if items is None:
            return None
        points: list[Point] = []
        for i, item in enumerate(items):
            here = f"{where}[{i + 1}]"
            fields = self.mapping(item, here, {*LANGUAGES, "refs"})
            if fields is None:
                continue
            refs_node = fields.pop("refs", None)
            text = self.texts(fields, here, item)
            refs: list[str] = []
            for j, ref_node in enumerate(self.sequence(refs_node, f"{here}.refs") or [] if refs_node else []):
                ref = self.string(ref_node, f"{here}.refs[{j + 1}]", refs_node)
                if ref is not None and ref not in ref_ids:
                    self.problem(ref_node, f"{here}.refs[{j + 1}]", f"{ref!r} is not in this part's references")
                elif ref is not None:
                    refs.append(ref)
            if text is not None:
                points.append(Point(text, tuple(refs)))
        return tuple(points) if len(points) == len(items) else None


def load_case(path: str | Path) -> Case:
    """Load one case file; raise :class:`CaseError` naming every problem."""
    path = Path(path)
    reader = _Reader(str(path))
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise CaseError([Problem(str(path), line, "yaml", str(exc.problem or exc).strip())]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseError([Problem(str(path), 1, "file", str(exc))]) from None
    if root is None:
        raise CaseError([Problem(str(path), 1, "file", "the file is empty")])
    case = reader.case(root, path.stem)
    if reader.problems or case is None:
        raise CaseError(reader.problems or [Problem(str(path), 1, "file", "not a valid case")])
    return case


def case_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand directories into their ``*.yaml``/``*.yml`` files, sorted."""
    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted([*p.glob("*.yaml"), *p.glob("*.yml")]) if p.is_dir() else [p])
    return files


def load_library(*paths: str | Path) -> Library:
    """Load every case below ``paths``; broken files go to ``problems``."""
    library = Library()
    for path in case_files(paths):
        try:
            case = load_case(path)
        except CaseError as exc:
            library.problems.extend(exc.problems)
            continue
        if case.id in library.cases:
            library.problems.append(Problem(str(path), 1, "id", f"{case.id!r} is already defined in {library.cases[case.id].path}"))
            continue
        library.cases[case.id] = case
    return library
