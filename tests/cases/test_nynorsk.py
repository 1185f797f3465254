"""Every shipped case text in real nynorsk: present, not bokmål with a few words changed.

The word list holds bokmål forms that the official nynorsk norm does not allow, chosen so that correct
nynorsk never trips it: no word that is also a nynorsk word (such as «også», «nå» 'reach', «ham» 'skin',
«si», «sa», «burde», «blitt», «enkelte», «bare», «disse» 'swing', «mens» as a noun), only forms that nynorsk spells differently. Quotations
in «» are left out: statutes and reports are quoted as they are written, in bokmål.
"""

from __future__ import annotations

import re

import pytest

from tests.cases.library import DILEMMAS, READERS, C, case_texts

# bokmål form -> the nynorsk form a writer wants instead
BOKMAL_FORMS = {
    "ikke": "ikkje", "jeg": "eg", "hva": "kva", "hvem": "kven", "hvor": "kvar/kor", "hvordan": "korleis",
    "hvorfor": "kvifor", "hvilke": "kva for", "hvilken": "kva for", "hvilket": "kva for", "hvis": "viss/dersom",
    "hver": "kvar", "hvert": "kvart", "noen": "nokon/nokre", "noe": "noko", "mye": "mykje", "ble": "vart/blei",
    "selv": "sjølv", "uten": "utan", "være": "vere", "vært": "vore", "deres": "deira/dykkar",
    "hennes": "hennar", "hun": "ho", "dere": "de/dykk", "sier": "seier", "gjør": "gjer", "kommer": "kjem",
    "flere": "fleire", "fikk": "fekk", "gikk": "gjekk", "fra": "frå", "tror": "trur", "mener": "meiner",
    "vet": "veit", "gjelder": "gjeld", "hjemme": "heime", "sammen": "saman", "ennå": "enno",
    "dessuten": "dessutan", "ifølge": "ifølgje", "da": "då", "tjeneste": "teneste", "tjenesten": "tenesta",
    "tjenester": "tenester", "mulig": "mogleg", "vanskelig": "vanskeleg", "særlig": "særleg",
    "offentlig": "offentleg", "egentlig": "eigentleg", "tydelig": "tydeleg", "personlig": "personleg",
}
_WORD = re.compile(r"\w+")
_QUOTED = re.compile(r"«[^»]*»")
MIN_WORDS_FOR_COPY = 10  # short texts such as «Er Peder Ås habil eller inhabil?» read the same in both


def bokmal_forms(text: str) -> list[str]:
    """The bokmål forms in a nynorsk text, outside «quotations»."""
    return [w for w in _WORD.findall(_QUOTED.sub(" ", text)) if w.casefold() in BOKMAL_FORMS]


def check_nynorsk(cases: dict[str, C]) -> list[str]:
    problems = []
    for case in cases.values():
        for where, text in case_texts(case):
            nn, nb = (text.get("nn") or "").strip(), (text.get("nb") or "").strip()
            if not nn:
                problems.append(f"{where}: no nynorsk")
                continue
            problems += [f"{where}: bokmål {w!r} in nynorsk (write {BOKMAL_FORMS[w.casefold()]!r})"
                         for w in bokmal_forms(nn)]
            if nn == nb and len(nb.split()) >= MIN_WORDS_FOR_COPY:
                problems.append(f"{where}: the nynorsk is the bokmål text")
    return problems


@pytest.mark.parametrize("reader", sorted(READERS))
def test_every_case_text_is_in_nynorsk(reader):
    assert check_nynorsk(READERS[reader](DILEMMAS)) == []


def test_correct_nynorsk_does_not_trip_the_check():
    text = ("Eg har òg lese saka, og vi har også blitt samde. Ho vil nå målet før dei enkelte medlemene seier "
            "noko. Han sa at si eiga meining burde kome fram; då skifte han ham. Kven veit kvar dei bur? "
            "Korleis kan de vere sikre, viss ingen har vore der? Det er berre eitt val, sjølv om mykje står att. "
            "Dei som ikkje kjem, får vite det frå oss medan vi gjer oss ferdige, og dessutan er det mogleg. "
            "Eit offentleg møte. «Det er ikke avklart», skreiv dei.")
    assert bokmal_forms(text) == []


@pytest.mark.parametrize("word", sorted(BOKMAL_FORMS))
def test_each_bokmal_form_is_caught(word):
    assert bokmal_forms(f"Dette er ein tekst med {word.capitalize()} i seg.") == [word.capitalize()]


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
