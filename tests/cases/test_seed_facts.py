"""The case library against its sources (KS Folkevalgtprogram slides).

Every check is a function that returns a list of problems, so the same check
runs on two readings of ``dilemmas/``:

* ``yaml``   – plain ``yaml.safe_load``; needs nothing from ``bot``;
* ``loader`` – ``bot.cases.load_library``, the reader the bot itself uses.

``test_checks_can_fail`` breaks copies of the files on purpose and makes sure
each check notices.  ``test_plays_to_the_end`` runs every case through the
engine, in both languages, as a group round and as a self-test.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DILEMMAS = ROOT / "dilemmas"
SEEDS = ROOT.parent / "shared" / "seeds"
LANGS = ("nb", "en")

EXPECTED_IDS = {
    "jubileum", "arealdel", "lmb", "institusjonsbesok",
    "kritikk-av-ansatte", "ombudsrollen", "hets", "sosiale-medier",
}

RG, HI, NONE = ("red", "green"), ("habil", "inhabil"), ()
OPTION_KEYS = {
    "jubileum": [RG, RG, RG],
    "arealdel": [HI],
    "lmb": [NONE, HI, HI],
    "institusjonsbesok": [("refuse", "admit"), NONE],  # custom labels: red/green reads wrong for "was it right to refuse?"
    "kritikk-av-ansatte": [RG, RG],
    "ombudsrollen": [RG, RG],
    "hets": [NONE],
    "sosiale-medier": [NONE, NONE, NONE, NONE],
}

# (part number, 1-based; text that must appear in that part's bokmål case text)
SEED_FACTS: dict[str, list[tuple[int, str]]] = {
    "jubileum": [
        (1, "jubileum"), (1, "festmiddag"), (1, "samarbeidspartnere"), (1, "tar regningen"),
        (1, "formannskap"), (1, "ledsagere"), (1, "Ordføreren, varaordføreren og flere andre"),
        (2, "Oslo"), (2, "næringslivsledere"), (2, "en times orientering"), (2, "landskamp"),
        (2, "Ullevål"), (2, "VIP"), (2, "betaler selv for reisen"),
        (3, "Uka etter Oslo-turen"), (3, "dyrkbar mark"), (3, "dispensasjon"), (3, "kommuneplanen"),
        (3, "jordloven"), (3, "omdisponeres"), (3, "bedriften, administrasjonen og hun selv"),
    ],
    "arealdel": [
        (1, "Sandvik"), (1, "kommunestyret"), (1, "arealdelen"), (1, "ny kommuneplan"),
        (1, "et par større områder"), (1, "boligbygging"), (1, "LNF"), (1, "grunneier"),
    ],
    "lmb": [
        (1, "LMB AS"), (1, "rutetransport"), (1, "Lillevik"), (1, "Mellomvik"), (1, "like store andeler"),
        (1, "anbud"), (1, "Sandvikbussene"), (1, "avvikles"), (1, "bortsett fra daglig leder"),
        (2, "Peder Ås"), (2, "daglig leder"),
        (3, "Kåre Sand"), (3, "bussjåfør i LMB"), (3, "Sandvikbussene"),
    ],
    "institusjonsbesok": [
        (1, "valgkampen"), (1, "Sandviktunet"), (1, "demensbolig"), (1, "virksomhetslederen"),
        (1, "ikke komme inn"), (1, "Facebook"), (1, "kommunedirektøren"), (1, "ytringsfrihet"),
        (2, "revidert"), (2, "kommunalsjefen"), (2, "kommunedirektøren"), (2, "folkevalgte"),
    ],
    "kritikk-av-ansatte": [
        (1, "formannskapet"), (1, "kommunestyret"), (1, "leserinnlegg"), (1, "sosiale medier"),
        (1, "nevnt med navn"), (1, "etiske regelverk"), (1, "arbeidsgiveransvar"), (1, "kommunedirektøren"),
        (2, "privatpersonen"), (2, "ytringsfriheten"),
    ],
    "ombudsrollen": [
        (1, "Knut"), (1, "kommunestyret"), (1, "barn og unge"), (1, "talerstolen"), (1, "bekymret forelder"),
        (1, "klassekamerat"), (1, "hjemme"), (1, "Facebook"), (1, "barneverntjeneste"),
        (2, "Snapchat"), (2, "lukket"), (2, "maktsyk"), (2, "inkompetent"), (2, "barnevernslederen"),
        (2, "Facebook"), (2, "brutalt inngrep"),
    ],
    "hets": [
        (1, "Sandvik"), (1, "skolestruktur"), (1, "fire skoler"), (1, "storskole"), (1, "10 millioner"),
        (1, "budsjett"), (1, "kommentarfeltene"), (1, "postkassen"), (1, "sviker"), (1, "bilen"),
    ],
    "sosiale-medier": [
        (1, "2017"), (1, "dagsorden"), (1, "nærmiljøet"), (1, "hjertesakene"),
        (2, "ti ganger"), (2, "fakta"),
        (3, "respekt"), (3, "Valgløftet"),
        (4, "døgnet rundt"), (4, "Meg selv"), (4, "Kommunestyret"), (4, "Partiene"), (4, "No hate"),
        (4, "redaktørplakat"), (4, "oppslagshefte om nettvett"),
    ],
}

# The hets case carries the slides' advice lists as discussion points (bokmål).
POINT_FACTS: dict[str, list[tuple[int, str]]] = {
    "hets": [
        (1, "Råd til meg selv"), (1, "politikerprofiler"), (1, "melde fra om hets og trusler"),
        (1, "Råd til kommunen"), (1, "bedriftshelsetjeneste"), (1, "Valgløftet 2023"),
        (1, "lokalaviser og politiet"), (1, "Råd til partiene"), (1, "ressursgruppe"), (1, "debattkultur"),
    ],
}

# Law a point may cite as a rule only in this form; the brief corrects these.
FORBIDDEN = [
    ("særlege grunnar", "jordlova § 9 says «særlege høve»"),
    ("LOV-2025-06-20-81", "the new forvaltningslov is not in force"),
    ("§ 7-11", "suspension is kl § 7-12 since 2023"),
    ("mot offentlig tjenestemann", "strl § 155 heading now says «offentlig tjenesteperson»"),
]


# ---- one shape for both readings --------------------------------------------


@dataclass
class P:
    title: dict
    text: dict
    question: dict
    options: tuple[str, ...]
    option_labels: list[dict]
    points: list[tuple[dict, tuple[str, ...]]]
    references: list[tuple[str, dict, dict]]  # id, law, summary


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
            ))
        cases[data.get("id") or path.stem] = C(data.get("id"), data.get("source", ""), _tr(data.get("title")),
                                                _tr(data.get("intro")) if data.get("intro") else None, parts)
    return cases


def read_loader(directory: Path) -> dict[str, C]:
    from bot.cases import load_library

    library = load_library(directory)
    assert not library.problems, "\n".join(map(str, library.problems))
    builtin = {"red", "green", "habil", "inhabil"}
    cases = {}
    for case in library.cases.values():
        parts = [
            P(_tr(p.title), _tr(p.text), _tr(p.question), tuple(o.key for o in p.options),
              [_tr(o.label) for o in p.options if o.key not in builtin],
              [(_tr(pt.text), tuple(pt.refs)) for pt in p.points],
              [(r.id, _tr(r.law), _tr(r.summary)) for r in p.references])
            for p in case.parts
        ]
        cases[case.id] = C(case.id, case.source, _tr(case.title), _tr(case.intro) if case.intro else None, parts)
    return cases


READERS = {"yaml": read_yaml, "loader": read_loader}


# ---- checks: each returns a list of problems ------------------------------------


def check_ids(cases: dict[str, C]) -> list[str]:
    found = set(cases)
    return [f"missing case {i!r}" for i in sorted(EXPECTED_IDS - found)] + \
           [f"unexpected case {i!r}" for i in sorted(found - EXPECTED_IDS)]


def check_source(cases: dict[str, C]) -> list[str]:
    return [f"{c.id}: source does not credit KS Folkevalgtprogram" for c in cases.values()
            if "KS Folkevalgtprogram" not in (c.source or "")]


def check_seed_facts(cases: dict[str, C]) -> list[str]:
    problems = []
    for case_id, facts in SEED_FACTS.items():
        case = cases.get(case_id)
        if case is None:
            problems.append(f"{case_id}: case missing")
            continue
        for number, fact in facts:
            if number > len(case.parts):
                problems.append(f"{case_id} part {number}: no such part (fact {fact!r})")
            elif fact not in case.parts[number - 1].text.get("nb", ""):
                problems.append(f"{case_id} part {number}: {fact!r} not in the bokmål text")
    for case_id, facts in POINT_FACTS.items():
        case = cases.get(case_id)
        for number, fact in facts:
            joined = " ".join(pt.get("nb", "") for pt, _ in case.parts[number - 1].points) if case else ""
            if fact not in joined:
                problems.append(f"{case_id} part {number}: {fact!r} not in the bokmål discussion points")
    return problems


def check_points(cases: dict[str, C]) -> list[str]:
    problems = []
    for case in cases.values():
        for n, part in enumerate(case.parts, 1):
            where = f"{case.id} part {n}"
            if not 3 <= len(part.points) <= 6:
                problems.append(f"{where}: {len(part.points)} discussion points (want 3 to 6)")
            complete = [pt for pt, _ in part.points if pt.get("nb", "").strip() and pt.get("en", "").strip()]
            if part.options and len(complete) < 3:
                problems.append(f"{where}: has options but only {len(complete)} points in both nb and en")
            ref_ids = {r[0] for r in part.references}
            for i, (_, refs) in enumerate(part.points, 1):
                problems += [f"{where} point {i}: ref {r!r} not in references" for r in refs if r not in ref_ids]
    return problems


def check_english(cases: dict[str, C]) -> list[str]:
    problems = []

    def need(where: str, value: dict) -> None:
        for lang in LANGS:
            if not (value.get(lang) or "").strip():
                problems.append(f"{where}: no {lang}")

    for case in cases.values():
        need(f"{case.id} title", case.title)
        if case.intro is not None:
            need(f"{case.id} intro", case.intro)
        for n, part in enumerate(case.parts, 1):
            where = f"{case.id} part {n}"
            for name in ("title", "text", "question"):
                need(f"{where} {name}", getattr(part, name))
            for i, label in enumerate(part.option_labels, 1):
                need(f"{where} option label {i}", label)
            for i, (pt, _) in enumerate(part.points, 1):
                need(f"{where} point {i}", pt)
            for ref_id, law, summary in part.references:
                need(f"{where} reference {ref_id} law", law)
                need(f"{where} reference {ref_id} summary", summary)
    return problems


def check_options(cases: dict[str, C]) -> list[str]:
    problems = []
    for case_id, wanted in OPTION_KEYS.items():
        case = cases.get(case_id)
        if case is None:
            continue
        got = [p.options for p in case.parts]
        if got != wanted:
            problems.append(f"{case_id}: options per part {got} (want {wanted})")
    return problems


def check_wording(cases: dict[str, C]) -> list[str]:
    """Rules the legal brief corrected must not come back in any text."""
    problems = []
    for case in cases.values():
        texts = [case.title, case.intro or {}]
        for part in case.parts:
            texts += [part.text, part.question] + [pt for pt, _ in part.points] + [r[2] for r in part.references]
        blob = " ".join(v for t in texts for v in t.values())
        problems += [f"{case.id}: {bad!r} – {why}" for bad, why in FORBIDDEN if bad in blob]
    return problems


def _shingles(text: str, n: int) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", re.sub(r"«[^»]*»", " ", text).casefold())  # quoted titles and words are fine
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def check_retold(cases: dict[str, C], seed_text: str, n: int = 6) -> list[str]:
    """The case texts paraphrase the slides: no run of ``n`` words copied from them."""
    seed = _shingles(seed_text, n)
    problems = []
    for case in cases.values():
        for number, part in enumerate(case.parts, 1):
            copied = _shingles(part.text.get("nb", ""), n) & seed
            problems += [f"{case.id} part {number}: copied from the slides: {' '.join(c)!r}" for c in sorted(copied)]
    return problems


CHECKS = [check_ids, check_source, check_seed_facts, check_points, check_english, check_options, check_wording]


# ---- tests -------------------------------------------------------------------------


@pytest.fixture(params=sorted(READERS))
def cases(request) -> dict[str, C]:
    return READERS[request.param](DILEMMAS)


@pytest.mark.parametrize("check", CHECKS, ids=lambda f: f.__name__)
def test_library(cases, check):
    assert check(cases) == []


def test_paraphrased_not_copied():
    seed_files = [SEEDS / "folkevalgtprogram-slides.txt", SEEDS / "sosiale-medier-slides.txt"]
    if not all(f.exists() for f in seed_files):
        pytest.skip(f"seed slides not found under {SEEDS}")
    seed = "\n".join(f.read_text(encoding="utf-8") for f in seed_files)
    assert check_retold(read_yaml(DILEMMAS), seed) == []


def _break(tmp_path: Path, file: str, old: str, new: str) -> Path:
    target = tmp_path / "dilemmas"
    shutil.copytree(DILEMMAS, target)
    path = target / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("file,old,new,check", [
    ("jubileum.yaml", "Ullevål stadion", "stadion", check_seed_facts),
    ("lmb.yaml", "Kåre Sand ber", "Han ber", check_seed_facts),
    ("hets.yaml", "Råd til partiene", "Partiene", check_seed_facts),
    ("arealdel.yaml", "source: \"KS Folkevalgtprogram", "source: \"KS", check_source),
    ("kritikk-av-ansatte.yaml", "options: [red, green]", "options: [habil, inhabil]", check_options),
    ("lmb.yaml", 'en: "Kåre Sand"', 'en: ""', check_english),
    ("jubileum.yaml", "«i særlege høve»", "«i særlege grunnar»", check_wording),
])
def test_checks_can_fail(tmp_path, reader, file, old, new, check):
    broken = _break(tmp_path, file, old, new)
    assert check(READERS[reader](broken)) != []


@pytest.mark.parametrize("reader", sorted(READERS))
def test_too_few_points_is_caught(tmp_path, reader):
    target = tmp_path / "dilemmas"
    shutil.copytree(DILEMMAS, target)
    path = target / "arealdel.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["parts"][0]["points"] = data["parts"][0]["points"][:2]
    for point in data["parts"][0]["points"]:
        point.pop("refs", None)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert any("discussion points" in p for p in check_points(READERS[reader](target)))


def test_copied_slide_text_is_caught():
    seed = "Bedriften inviterer også kommunens formannskap med ledsagere til middagen."
    cases = read_yaml(DILEMMAS)
    cases["jubileum"].parts[0].text["nb"] += " " + seed
    assert check_retold(cases, seed) != []


# ---- the engine plays every case to the end ----------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case_id", sorted(EXPECTED_IDS))
def test_plays_to_the_end(case_id, lang):
    from bot.cases import load_library
    from bot.effects import Post, Reply, RoundFinished
    from bot.engine import Engine
    from bot.engine.chats import SetLanguage
    from bot.engine.rounds import CloseVoting, NextPart, ShowReferences, StartRound
    from bot.events import CommandIssued, NextPressed, Sender, VoteCast
    from bot.richtext import to_plain

    library = load_library(DILEMMAS)
    case = library.cases[case_id]
    engine = Engine(library)
    chat, trainer = "console:test", Sender("trainer", controller=True)
    clock = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)

    def tick() -> datetime:
        nonlocal clock
        clock += timedelta(seconds=30)  # slow enough for every rate limit
        return clock

    def run(event) -> list:
        effects = engine.handle(event)
        refused = [to_plain(e.text) for e in effects if isinstance(e, Reply) and e.refused]
        assert not refused, refused
        return effects

    run(CommandIssued(chat, trainer, SetLanguage(lang), tick()))
    shown = " ".join(to_plain(e.text) for e in run(CommandIssued(chat, trainer, StartRound(case_id), tick()))
                     if isinstance(e, Post))
    finished = False
    for number, part in enumerate(case.parts, 1):
        assert part.text.get(lang).strip()[:40] in shown
        for voter in range(6):
            if part.options:
                option = part.options[voter % len(part.options)].key
                run(VoteCast(chat, Sender(f"u{voter}"), engine.running(chat).id, number, option, tick()))
        refs = run(CommandIssued(chat, trainer, ShowReferences(), tick()))
        for ref in part.references:
            assert ref.summary.get(lang) in to_plain(refs[0].text)
        effects = []
        if part.options:
            effects += run(CommandIssued(chat, trainer, CloseVoting(), tick()))
        points_text = " ".join(to_plain(e.text) for e in effects if isinstance(e, Post)) if part.options else shown
        for point in part.points:
            assert point.text.get(lang) in points_text
        effects += run(CommandIssued(chat, trainer, NextPart(), tick()))
        finished = any(isinstance(e, RoundFinished) for e in effects)
        shown = " ".join(to_plain(e.text) for e in effects if isinstance(e, Post))
        assert finished == (number == len(case.parts))
    assert finished and engine.running(chat) is None

    # the same case as a private self-test, answered part by part with the buttons
    me, dm = Sender("solo"), "console:dm"
    effects = run(CommandIssued(dm, me, StartRound(case_id), tick(), private=True))
    round_id = engine.running(dm).id
    for number, part in enumerate(case.parts, 1):
        if part.options:
            run(VoteCast(dm, me, round_id, number, part.options[0].key, tick()))
        effects = run(NextPressed(dm, me, round_id, number, tick()))
    assert any(isinstance(e, RoundFinished) for e in effects)
