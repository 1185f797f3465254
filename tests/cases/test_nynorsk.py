"""Every shipped case text in real nynorsk: present, not bokmål with a few words changed (the check is
tests/nynorsk.py, shared with the bot's own texts)."""

from __future__ import annotations

import pytest

from tests.cases.library import DILEMMAS, READERS, C, case_texts
from tests.nynorsk import nynorsk_problems

MIN_WORDS_FOR_COPY = 10  # short texts such as «Er Peder Ås habil eller inhabil?» read the same in both


def check_nynorsk(cases: dict[str, C]) -> list[str]:
    texts = (text for case in cases.values() for text in case_texts(case))
    return nynorsk_problems(texts, lambda where, nb: len(nb.split()) < MIN_WORDS_FOR_COPY)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_every_case_text_is_in_nynorsk(reader):
    assert check_nynorsk(READERS[reader](DILEMMAS)) == []


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("old,new,expected", [
    ('nn: "Kva for habilitetsspørsmål kan ei slik sak reise', 'nn: "Hvilke habilitetsspørsmål kan ei slik sak reise',
     "bokmål 'Hvilke' in nynorsk"),
    ('        nn: "Kven blir elles råka:', '        xx: "Kven blir elles råka:', "no nynorsk"),
])
def test_a_broken_nynorsk_text_is_caught(tmp_path, reader, old, new, expected):
    import shutil

    from tests.cases.library import Refused

    target = tmp_path / "dilemmas"
    shutil.copytree(DILEMMAS, target)
    path = target / "lmb.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    try:
        cases = READERS[reader](target)
    except Refused as refused:  # the loader holds the file to its declared languages itself
        assert "lmb.yaml" in str(refused)
        return
    assert any(expected in p for p in check_nynorsk(cases)), check_nynorsk(cases)


def test_a_copied_bokmal_text_is_caught():
    cases = READERS["yaml"](DILEMMAS)
    part = cases["lmb"].parts[0]
    part.text["nn"] = part.text["nb"]
    assert any("the nynorsk is the bokmål text" in p for p in check_nynorsk(cases))
