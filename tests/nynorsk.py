"""Real nynorsk, not bokmål with a few words changed: the check the case texts and the bot's own texts both pass.

The word list holds bokmål forms that the official nynorsk norm does not allow, chosen so that correct
nynorsk never trips it: no word that is also a nynorsk word (such as «også», «nå» 'reach', «ham» 'skin',
«si», «sa», «burde», «blitt», «enkelte», «bare», «disse» 'swing', «mens» as a noun), only forms that nynorsk
spells differently. Quotations in «» are left out: statutes and reports are quoted as they are written, in bokmål.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable, Mapping

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
    "hemmelig": "hemmeleg", "avstemning": "avstemming", "avstemningen": "avstemminga", "velg": "vel",
    "vises": "blir vist", "lukkes": "blir lukka", "lagres": "blir lagra", "slettet": "sletta",
    "endret": "endra", "selvtest": "sjølvtest", "selvtesten": "sjølvtesten", "bruker": "brukar",
}
_WORD = re.compile(r"\w+")
_QUOTED = re.compile(r"«[^»]*»")

Texts = Iterable[tuple[str, Mapping[str, str | None]]]  # (where, {language: text})


def bokmal_forms(text: str) -> list[str]:
    """The bokmål forms in a nynorsk text, outside «quotations»."""
    return [w for w in _WORD.findall(_QUOTED.sub(" ", text)) if w.casefold() in BOKMAL_FORMS]


def nynorsk_problems(texts: Texts, may_equal_bokmal: Callable[[str, str], bool]) -> list[str]:
    """What is wrong with the nynorsk of each text: missing, bokmål forms in it, or the bokmål text itself
    where ``may_equal_bokmal(where, bokmål text)`` does not allow that."""
    problems = []
    for where, text in texts:
        nn, nb = (text.get("nn") or "").strip(), (text.get("nb") or "").strip()
        if not nn:
            problems.append(f"{where}: no nynorsk")
            continue
        problems += [f"{where}: bokmål {w!r} in nynorsk (write {BOKMAL_FORMS[w.casefold()]!r})"
                     for w in bokmal_forms(nn)]
        if nn == nb and not may_equal_bokmal(where, nb):
            problems.append(f"{where}: the nynorsk is the bokmål text")
    return problems
