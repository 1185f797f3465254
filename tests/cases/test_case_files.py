"""The case-file format: nynorsk, declared languages and trainer notes, as the loader and `dilemmabot validate`
see them. A user's own file may be bokmål only; a file that declares its languages is held to them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.cases import MAX_NOTE_WORDS, CaseError, Localized, load_case

ROOT = Path(__file__).resolve().parents[2]

BOKMAL_ONLY = """\
id: eget
source: "Vårt eget case"
title: {nb: "Eget case"}
parts:
  - text: {nb: "Tekst"}
    question: {nb: "Greit?"}
    points:
      - nb: "Punkt"
"""

THREE_LANGUAGES = """\
id: tre
source: "KS"
languages: [nb, nn, en]
title: {nb: "Tittel", nn: "Tittel", en: "Title"}
parts:
  - text: {nb: "Tekst", nn: "Tekst", en: "Text"}
    question: {nb: "Greit?", nn: "Greitt?", en: "Acceptable?"}
    options:
      - key: ja
        emoji: "👍"
        label: {nb: "Ja", nn: "Ja", en: "Yes"}
      - no-label-placeholder
    points:
      - nb: "Ikke greit"
        nn: "Ikkje greitt"
        en: "Not acceptable"
      - nb: "Kanskje"
        en: "Perhaps"
    notes:
      nb: "Notat"
      nn: "Notat"
      en: "Note"
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(CaseError) as caught:
        load_case(path)
    return [str(p) for p in caught.value.problems]


def test_a_bokmal_only_file_is_valid_and_reads_in_every_language(tmp_path):
    case = load_case(write(tmp_path, "eget", BOKMAL_ONLY))
    assert case.languages == ("nb",)
    part = case.parts[0]
    assert part.notes is None
    assert [part.text.get(lang) for lang in ("nb", "nn", "en", "xx")] == ["Tekst"] * 4
    assert case.parts[0].options[0].label.get("nn") == "Raudt lys"  # the built-in options speak nynorsk


def test_nynorsk_falls_back_to_bokmal_text_by_text():
    text = Localized("Hva skjer?", en="What happens?")
    assert (text.get("nb"), text.get("nn"), text.get("en")) == ("Hva skjer?", "Hva skjer?", "What happens?")
    assert Localized("Hva skjer?", nn="Kva skjer?").get("nn") == "Kva skjer?"


def test_a_declared_language_is_required_in_every_text(tmp_path):
    path = write(tmp_path, "tre", THREE_LANGUAGES.replace("      - no-label-placeholder\n", ""))
    found = problems(path)
    # the second point (line 16) has no nynorsk; the yes/no vote has a single option
    assert f"{path}:16: parts[1].points[2].nn: missing required field (the file declares languages: nb, nn, en)" \
        in found
    assert len(found) == 2 and any("parts[1].options: a vote needs at least two options" in p for p in found)


def test_a_complete_file_loads_with_its_notes(tmp_path):
    complete = THREE_LANGUAGES.replace("      - no-label-placeholder\n", "      - green\n").replace(
        '        en: "Perhaps"\n', '        nn: "Kanskje"\n        en: "Perhaps"\n')
    case = load_case(write(tmp_path, "tre", complete))
    assert case.languages == ("nb", "nn", "en")
    part = case.parts[0]
    assert part.notes == Localized("Notat", en="Note", nn="Notat")
    assert part.question.get("nn") == "Greitt?" and part.options[0].label.get("nn") == "Ja"


@pytest.mark.parametrize("declared,message", [
    ("[nn, en]", "languages: must include 'nb'"),
    ("[nb, se]", "languages[2]: unknown language 'se' (known: nb, nn, en)"),
    ("[nb, nb]", "languages[2]: 'nb' given twice"),
    ("nb", "languages: expected a list"),
])
def test_a_bad_language_list_is_named(tmp_path, declared, message):
    path = write(tmp_path, "eget", BOKMAL_ONLY.replace('title:', f"languages: {declared}\ntitle:"))
    assert any(message in p for p in problems(path)), problems(path)


def test_notes_longer_than_the_limit_are_refused_at_their_line(tmp_path):
    too_long = " ".join(["ord"] * (MAX_NOTE_WORDS + 1))
    path = write(tmp_path, "eget", BOKMAL_ONLY + f'    notes:\n      nb: "Kort"\n      nn: "{too_long}"\n')
    assert problems(path) == [f"{path}:11: parts[1].notes.nn: {MAX_NOTE_WORDS + 1} words (at most {MAX_NOTE_WORDS})"]
    exactly = " ".join(["ord"] * MAX_NOTE_WORDS)
    path.write_text(BOKMAL_ONLY + f'    notes: {{nb: "{exactly}"}}\n', encoding="utf-8")
    assert load_case(path).parts[0].notes == Localized(exactly)


def test_validate_names_file_line_and_field_for_notes_and_nynorsk(tmp_path):
    write(tmp_path, "tre", THREE_LANGUAGES.replace("      - no-label-placeholder\n", "      - green\n")
          .replace('      nn: "Notat"\n', ""))
    run = subprocess.run([sys.executable, "-m", "bot.cli", "validate", str(tmp_path)], capture_output=True,
                         text=True, cwd=ROOT, timeout=60)
    assert run.returncode == 1
    assert run.stdout.splitlines() == [
        f"{tmp_path / 'tre.yaml'}:17: parts[1].points[2].nn: missing required field "
        "(the file declares languages: nb, nn, en)",
        f"{tmp_path / 'tre.yaml'}:20: parts[1].notes.nn: missing required field "
        "(the file declares languages: nb, nn, en)",
    ]
