"""The case library against its sources (KS Folkevalgtprogram slides, legal brief v3, issue 14).

Every check is a function that returns a list of problems and runs on both readings of ``dilemmas/``
(see ``library.py``). ``test_checks_can_fail`` breaks copies of the files on purpose and makes sure each
check notices. ``test_plays_to_the_end`` runs every case through the engine, in each language the bot
speaks, as a group round and as a self-test.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from bot.i18n import LANGUAGES as BOT_LANGUAGES  # the languages the bot speaks; the cases carry LANGS
from tests.cases.library import DILEMMAS, LANGS, READERS, SEEDS, C, Refused, case_texts, read_yaml

EXPECTED_IDS = {
    "jubileum", "arealdel", "lmb", "institusjonsbesok",
    "kritikk-av-ansatte", "ombudsrollen", "hets", "sosiale-medier",
    "innbyggerdialog", "idealet", "tillit",  # new in issue 14, built on the slides' prompts
}
NEW_CASES = {"innbyggerdialog", "idealet", "tillit"}

RG, HI, NONE = ("red", "green"), ("habil", "inhabil"), ()
OPTION_KEYS = {
    "jubileum": [RG, RG, RG],
    "arealdel": [HI],
    "lmb": [NONE, HI, HI],
    "institusjonsbesok": [("refuse", "admit"), ("free", "clear")],  # custom labels: red/green reads wrong here
    "kritikk-av-ansatte": [RG, RG],
    "ombudsrollen": [RG, RG],
    "hets": [NONE],
    "sosiale-medier": [NONE, NONE, NONE, NONE],
    "innbyggerdialog": [RG, ("wait", "decide"), RG],
    "idealet": [RG, RG, ("own", "group")],
    "tillit": [RG, ("back", "decide"), RG],
}

# Parts where the seed asks a yes/no question (issue 14, item 11): each must have a vote.
SEED_YES_NO = {
    ("jubileum", 1): "Er det greit eller ikke greit?",
    ("jubileum", 2): "Er det greit eller ikke greit?",
    ("jubileum", 3): "Er det greit eller ikke greit?",
    ("arealdel", 1): "Er vedkommende habil ved behandlingen av kommuneplanens arealdel?",
    ("lmb", 2): "Er Peder Ås habil eller inhabil?",
    ("lmb", 3): "Er Kåre Sand habil eller inhabil?",
    ("institusjonsbesok", 2): "Kan folkevalgte besøke institusjoner og andre tjenestetilbud uten tillatelse?",
    ("kritikk-av-ansatte", 2): "Kan en folkevalgt tre ut av rollen som folkevalgt …?",
}

# (part number, 1-based; text that must appear in that part's bokmål case text)
SEED_FACTS: dict[str, list[tuple[int, str]]] = {
    "jubileum": [
        (1, "jubileum"), (1, "festmiddag"), (1, "samarbeidspartnere"), (1, "tar regningen"),
        (1, "formannskap"), (1, "ledsagere"), (1, "Ordføreren, varaordføreren og flere andre"),
        (2, "Oslo"), (2, "næringslivsledere"), (2, "en times orientering"), (2, "landskamp"),
        (2, "Ullevål"), (2, "VIP"), (2, "betaler selv for reisen"),
        (3, "Uka etter Oslo-turen"), (3, "dyrkbar mark"), (3, "dispensasjon"), (3, "kommuneplanen"),
        (3, "jordlova"), (3, "omdisponeres"), (3, "bedriften, administrasjonen og hun selv"),
    ],
    "arealdel": [
        (1, "Sandvik"), (1, "kommunestyret"), (1, "arealdelen"), (1, "ny kommuneplan"),
        (1, "et par større områder"), (1, "boligbygging"), (1, "LNF"), (1, "grunneier"),
    ],
    "lmb": [
        (1, "LMB AS"), (1, "rutetransport"), (1, "Lillevik"), (1, "Mellomvik"), (1, "like store andeler"),
        (1, "anbud"), (1, "Sandvikbussene"), (1, "avvikles"), (1, "bortsett fra daglig leder"),
        (2, "Peder Ås"), (2, "daglig leder"), (2, "Mens kommunestyret behandler saken"),
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
        (1, "klassekamerat"), (1, "hjemme"), (1, "Facebook"), (1, "barnevernstjeneste"),
        (2, "Snapchat"), (2, "lukket"), (2, "maktsyk"), (2, "inkompetent"), (2, "barnevernslederen"),
        (2, "Facebook"), (2, "brutalt inngrep"), (2, "full sympati"),
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
    # the three new cases: the key facts of each invented situation
    "innbyggerdialog": [
        (1, "Sandvik"), (1, "aktivitetspark"), (1, "sentrumsparken"), (1, "folkemøte"), (1, "900 medlemmer"),
        (1, "Ingen under 20 år"), (1, "Ungdomsrådet"), (1, "Eva Lund"), (1, "Folket har talt"),
        (2, "et halvt år"), (2, "ungdomsskolen"), (2, "ungdomsklubben"), (2, "Naboene vil ha svar nå"),
        (3, "Ola Strand"), (3, "administrator"), (3, "den andre siden av kommunen"), (3, "barnehage"),
    ],
    "idealet": [
        (1, "gruppelederne"), (1, "flertall"), (1, "endringsforslag fra opposisjonen"), (1, "biblioteket"),
        (1, "bakrommet"),
        (2, "strømmes"), (2, "Jonas Berg"), (2, "klipp"), (2, "ny i kommunestyret"),
        (3, "ungdomsklubben"), (3, "Maria Holm"), (3, "gruppemøtet"), (3, "ungdomsrådet"), (3, "én stemme"),
    ],
    "tillit": [
        (1, "korttidsavdelingen"), (1, "Sandviktunet"), (1, "Ikke stol på kommunedirektøren"),
        (1, "økonomiavdelingen"), (1, "sjefen sin"),
        (2, "ett alternativ"), (2, "sende den tilbake"), (2, "færre plasser"), (2, "fagfolkene"),
        (3, "ukemøte"), (3, "gruppelederne i posisjonen"), (3, "en uke senere"),
    ],
}

# The hets case carries the slides' advice lists as discussion points (bokmål).
POINT_FACTS: dict[str, list[tuple[int, str]]] = {
    "hets": [
        (1, "Råd til meg selv"), (1, "politikerprofiler"), (1, "melde fra om hets"),
        (1, "Råd til kommunen"), (1, "bedriftshelsetjeneste"), (1, "Valgløftet 2023"),
        (1, "lokalaviser og politiet"), (1, "Råd til partiene"), (1, "ressursgruppe"), (1, "debattkultur"),
    ],
}

# Law a text may state only in this form; the brief corrects these.
FORBIDDEN = [
    ("særlege grunnar", "jordlova § 9 says «særlege høve»"),
    ("LOV-2025-06-20-81", "the new forvaltningslov is not in force"),
    ("§ 7-11", "suspension is kl § 7-12 since 2023"),
    ("mot offentlig tjenestemann", "strl § 155 heading now says «offentlig tjenesteperson»"),
    ("jordloven", "the statute's own name is «jordlova» (issue 14, item 9)"),
    ("Det er ikke avklart", "whether strl § 155 covers folkevalgte is unverified: «vi har ikke funnet noen avklaring»"),
    ("impartial enough", "habilitet is yes or no (issue 14, item 10)"),
]


# ---- the corrections of issue 14, items 1-10 ------------------------------------------


@dataclass(frozen=True)
class Fact:
    """What one correction left in (or took out of) one part of a case, language by language.

    ``part`` 0 is the case's title and intro; ``field`` is "text", "points", "references", "notes", "discussion"
    (text, question, points and notes) or "all".
    """

    item: int
    case: str
    part: int
    field: str
    texts: dict[str, str]
    present: bool = True


def _field_texts(case: C, part: int, field: str, lang: str) -> str:
    if part == 0:
        return " ".join(t.get(lang, "") for t in (case.title, case.intro or {}))
    p = case.parts[part - 1]
    chosen = {
        "text": [p.text],
        "points": [pt for pt, _ in p.points],
        "references": [summary for _, _, summary in p.references],
        "notes": [p.notes],
        "discussion": [p.text, p.question, p.notes, *(pt for pt, _ in p.points)],
        "all": [p.title, p.text, p.question, p.notes, *(pt for pt, _ in p.points),
                *(summary for _, _, summary in p.references)],
    }[field]
    return " ".join(t.get(lang, "") for t in chosen)


def _all_parts(case: str, field: str, texts: dict[str, str], item: int, present: bool = False) -> list[Fact]:
    return [Fact(item, case, n, field, texts, present) for n in range(0, PARTS[case] + 1)]


PARTS = {"jubileum": 3, "lmb": 3, "ombudsrollen": 2, "hets": 1, "institusjonsbesok": 2, "arealdel": 1,
         "sosiale-medier": 4, "kritikk-av-ansatte": 2}

CORRECTIONS: list[Fact] = [
    # 1. pbl § 19-2: a dispensation from a kommuneplan is tested under annet ledd; tredje ledd (jordvern) is for
    #    dispensations from the Act and its regulations.
    Fact(1, "jubileum", 3, "points", {"nb": "annet ledd i plan- og bygningsloven § 19-2", "nn": "andre ledd i plan-",
                                      "en": "second paragraph of Planning and Building Act s. 19-2"}),
    Fact(1, "jubileum", 3, "points", {"nb": "«vesentlig tilsidesatt»", "nn": "«vesentlig tilsidesatt»",
                                      "en": "‘significantly disregarded’"}),
    Fact(1, "jubileum", 3, "references", {"nb": "«fra loven og forskriften til loven» – ikke fra en kommuneplan",
                                          "nn": "«fra loven og forskriften til loven» – ikkje frå ein kommuneplan",
                                          "en": "‘from the Act and its regulations’ – not from a municipal master plan"}),
    # 2. LMB: Peder spoke up during the meeting – not «i god tid» (fvl § 8 tredje ledd); two members in one case.
    Fact(2, "lmb", 2, "points", {"nb": "skal «i god tid» si fra", "nn": "skal «i god tid» seie frå",
                                 "en": "must give notice ‘in good time’"}),
    Fact(2, "lmb", 2, "points", {"nb": "§ 8 tredje ledd", "nn": "§ 8 tredje ledd", "en": "s. 8, third paragraph"}),
    Fact(2, "lmb", 2, "all", {"nb": "slik han skal gjøre i god tid", "en": "as he should, in good time"}, False),
    Fact(2, "lmb", 3, "points", {"nb": "ingen av dem delta når kommunestyret avgjør hans egen eller den andres",
                                 "nn": "ingen av dei vere med når kommunestyret avgjer hans eigen eller den andre",
                                 "en": "Neither of them may then take part"}),
    Fact(2, "lmb", 3, "references", {"nb": "ellers ikke ville være vedtaksført", "nn": "elles ikkje ville vere vedtaksført",
                                     "en": "would otherwise lack a quorum"}),
    # 3. bvl § 13-1: no comment on the individual case, but the service may speak about its work.
    Fact(3, "ombudsrollen", 1, "points", {"nb": "kan ikke kommentere enkeltsaken", "nn": "kan ikkje kommentere enkeltsaka",
                                          "en": "cannot comment on the individual case"}),
    Fact(3, "ombudsrollen", 1, "points", {"nb": "arbeidet sitt i alminnelighet", "nn": "arbeidet sitt generelt",
                                          "en": "its work in general"}),
    Fact(3, "ombudsrollen", 1, "all", {"nb": "kan ikke svare offentlig", "en": "cannot respond in public"}, False),
    *_all_parts("ombudsrollen", "all", {"nb": "barneverntjenest"}, 3),  # statute spelling: «barnevernstjenesten»
    # 4. strl § 388: quoted with «eller noen annen … verv» (see check_388); out of the VIP-ticket points.
    Fact(4, "jubileum", 2, "points", {"nb": "§ 388", "nn": "§ 388", "en": "s. 388"}, False),
    Fact(4, "jubileum", 2, "points", {"nb": "offentlig tjenestemann", "en": "public official"}, False),
    Fact(4, "jubileum", 2, "notes", {"nb": "«av eller overfor en offentlig tjenestemann eller noen annen ved brudd",
                                     "nn": "«av eller overfor en offentlig tjenestemann eller noen annen ved brudd",
                                     "en": "‘by or towards a public official or anyone else in breach"}),
    # 5. strl § 389: no advantage «for å påvirke» in the facts – not a point.
    Fact(5, "jubileum", 3, "points", {"nb": "§ 389", "nn": "§ 389", "en": "s. 389"}, False),
    # 6. Ruter: Høyesterett rejected the prosecution's appeal; no decision was pending.
    Fact(6, "jubileum", 1, "points", {"nb": "forkastet Høyesterett påtalemyndighetens anke over frifinnelsen",
                                      "nn": "forkasta Høgsterett anken frå påtalemakta over frifinninga",
                                      "en": "rejected the prosecution's appeal against the acquittal"}),
    Fact(6, "jubileum", 1, "points", {"nb": "ikke knyttet til noen avgjørelse han hadde til behandling",
                                      "nn": "ikkje knytte til noka avgjerd han hadde til handsaming",
                                      "en": "not tied to any decision he had pending"}),
    Fact(6, "jubileum", 1, "all", {"nb": "Høyesterett frifant", "en": "Supreme Court acquitted"}, False),
    Fact(6, "jubileum", 3, "points", {"nb": "i motsetning til i Ruter-saken", "nn": "i motsetnad til i Ruter-saka",
                                      "en": "unlike in the Ruter case"}),
    # 7. hets: § 155 unverified; § 263 only «egnet til å fremkalle alvorlig frykt»; mailbox and car = § 351.
    Fact(7, "hets", 1, "points", {"nb": "Vi har ikke funnet noen avklaring", "nn": "Vi har ikkje funne noka avklaring",
                                  "en": "We have found no clarification"}),
    Fact(7, "hets", 1, "all", {"en": "That is not settled"}, False),
    Fact(7, "hets", 1, "points", {"nb": "«egnet til å fremkalle alvorlig frykt» (straffeloven § 263)",
                                  "nn": "«egnet til å fremkalle alvorlig frykt» (straffeloven § 263)",
                                  "en": "‘likely to cause serious fear’ (Penal Code s. 263)"}),
    Fact(7, "hets", 1, "points", {"nb": "skadeverk (§ 351)", "nn": "skadeverk (§ 351)", "en": "criminal damage (s. 351)"}),
    # 8. institusjonsbesok: helsepersonelloven § 21 beside fvl § 13; nothing in part 1 assumes part 2's guidelines.
    Fact(8, "institusjonsbesok", 1, "points", {"nb": "(helsepersonelloven § 21)", "nn": "(helsepersonelloven § 21)",
                                               "en": "(Health Personnel Act s. 21)"}),
    Fact(8, "institusjonsbesok", 1, "discussion", {"nb": "rutine", "nn": "rutine", "en": "procedure"}, False),
    Fact(8, "institusjonsbesok", 1, "discussion", {"nb": "retningslinje", "nn": "retningslinje", "en": "guideline"},
         False),
    Fact(8, "institusjonsbesok", 2, "points", {"nb": "fulgte altså retningslinjene", "nn": "følgde altså retningslinjene",
                                               "en": "was following the guidelines"}),
    # 9. faithful to the seed, the same in every language
    Fact(9, "ombudsrollen", 2, "text", {"nb": "har full sympati med familiene", "nn": "har full sympati med familiane",
                                        "en": "has full sympathy for the families"}),
    Fact(9, "ombudsrollen", 2, "all", {"nb": "tar parti", "en": "every sympathy"}, False),
    Fact(9, "jubileum", 3, "text", {"nb": "vil prøve å få til et møte", "nn": "vil prøve å få til eit møte",
                                    "en": "will try to set up a meeting"}),
    Fact(9, "jubileum", 3, "text", {"nb": "lover å kalle inn", "en": "promises"}, False),
    Fact(9, "institusjonsbesok", 1, "text", {"nb": "Som politiker må jeg", "nn": "Som politikar må eg",
                                             "en": "As a politician I must"}),
    Fact(9, "institusjonsbesok", 1, "text", {"nb": "En folkevalgt må"}, False),
    Fact(9, "sosiale-medier", 4, "text", {"nb": "døgnet rundt – hva innebærer det for oss?",
                                          "nn": "heile døgeret – kva inneber det for oss?",
                                          "en": "around the clock – what does that mean for us?"}),
    Fact(9, "jubileum", 3, "text", {"nb": "jordlova", "nn": "jordlova", "en": "jordlova"}),
    # 10. language
    Fact(10, "arealdel", 1, "text", {"nb": "LNF-områder (", "nn": "LNF-område (", "en": "LNF areas"}),
    Fact(10, "arealdel", 0, "all", {"en": "an easy way out"}),
    Fact(10, "arealdel", 0, "all", {"en": "flag of convenience"}, False),
    Fact(10, "hets", 1, "text", {"en": "(fire skoler)"}, False),
    Fact(10, "institusjonsbesok", 1, "text", {"en": "she wrote on her Facebook page"}),
    Fact(10, "institusjonsbesok", 1, "text", {"en": " she writes"}, False),
    Fact(10, "ombudsrollen", 0, "all", {"en": "ombudspersons"}),
    Fact(10, "sosiale-medier", 3, "points", {"en": "culture of public debate"}),
    Fact(10, "sosiale-medier", 3, "points", {"en": "take the heat"}),
    *_all_parts("sosiale-medier", "all", {"en": "take the blow"}, 10),
    *_all_parts("lmb", "all", {"en": "impartial enough"}, 10),
    *_all_parts("jubileum", "all", {"en": "impartial enough"}, 10),
]


def check_corrections(cases: dict[str, C]) -> list[str]:
    problems = []
    for fact in CORRECTIONS:
        case = cases.get(fact.case)
        if case is None:
            problems.append(f"item {fact.item}: case {fact.case!r} missing")
            continue
        if fact.part > len(case.parts):
            problems.append(f"item {fact.item}: {fact.case} has no part {fact.part}")
            continue
        for lang, text in fact.texts.items():
            found = text in _field_texts(case, fact.part, fact.field, lang)
            if found != fact.present:
                where = f"{fact.case} part {fact.part} {fact.field} ({lang})"
                problems.append(f"item {fact.item}: {where} {'lacks' if fact.present else 'still has'} {text!r}")
    return problems


def check_388(cases: dict[str, C]) -> list[str]:
    """Item 4: wherever § 388 is mentioned, its factor is quoted with «eller noen annen» – never implying that a
    mayor is an «offentlig tjenestemann» (in fvl § 2 that term means an employee)."""
    problems = []
    for case in cases.values():
        for where, text in case_texts(case):
            for lang, value in text.items():
                if re.search(r"\b388\b", value) and not re.search(r"(eller noen annen|or anyone else)", value):
                    problems.append(f"{where} ({lang}): § 388 without «eller noen annen … verv»")
    return problems


def check_jordvern(cases: dict[str, C]) -> list[str]:
    """Item 1: no sentence gives jordvern «særlig vekt» in a dispensation without saying it is a dispensation from
    the Act and its regulations."""
    weight = re.compile(r"særlig vekt|særleg vekt|particular weight", re.IGNORECASE)
    farmland = re.compile(r"jordvern|farmland", re.IGNORECASE)
    limited = re.compile(r"fra loven og forskriften|from the Act and its regulations", re.IGNORECASE)
    problems = []
    for case in cases.values():
        for where, text in case_texts(case):
            for lang, value in text.items():
                for sentence in re.split(r"(?<=[.;:?!])\s+", value):
                    if weight.search(sentence) and farmland.search(sentence) and not limited.search(sentence):
                        problems.append(f"{where} ({lang}): «særlig vekt» on jordvern without «fra loven og forskriften»")
    return problems


# ---- checks: each returns a list of problems ------------------------------------


def check_ids(cases: dict[str, C]) -> list[str]:
    found = set(cases)
    return [f"missing case {i!r}" for i in sorted(EXPECTED_IDS - found)] + \
           [f"unexpected case {i!r}" for i in sorted(found - EXPECTED_IDS)]


def check_source(cases: dict[str, C]) -> list[str]:
    problems = [f"{c.id}: source does not credit KS Folkevalgtprogram" for c in cases.values()
                if "KS Folkevalgtprogram" not in (c.source or "")]
    problems += [f"{i}: source does not say the case is built on the slides' prompts" for i in sorted(NEW_CASES)
                 if i in cases and "bygd på spørsmålene" not in cases[i].source]
    return problems


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
            ref_ids = {r[0] for r in part.references}
            for i, (_, refs) in enumerate(part.points, 1):
                problems += [f"{where} point {i}: ref {r!r} not in references" for r in refs if r not in ref_ids]
            cited = {r for _, refs in part.points for r in refs}
            problems += [f"{where}: reference {r!r} is cited by no point" for r in sorted(ref_ids - cited)]
    return problems


def check_english(cases: dict[str, C]) -> list[str]:
    """Every text of every shipped case in bokmål and English (nynorsk: test_nynorsk.py)."""
    problems = []
    for case in cases.values():
        for where, text in case_texts(case):
            problems += [f"{where}: no {lang}" for lang in ("nb", "en") if not (text.get(lang) or "").strip()]
    return problems


def check_notes(cases: dict[str, C]) -> list[str]:
    """Every part has trainer notes: aim, the case for each answer, what the law settles and leaves open."""
    problems = []
    for case in cases.values():
        for n, part in enumerate(case.parts, 1):
            for lang in LANGS:
                note = part.notes.get(lang) or ""
                if not note.strip():
                    problems.append(f"{case.id} part {n}: no trainer notes in {lang}")
                elif len(note.split()) > 120:
                    problems.append(f"{case.id} part {n}: notes ({lang}) over 120 words")
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


_OPEN_QUESTION = re.compile(r"^(hva|hvem|hvor|hvordan|hvorfor|hvilke|hvilken|hvilket|når)\b", re.IGNORECASE)


def check_votes(cases: dict[str, C]) -> list[str]:
    """A vote wherever the seed asks a yes/no question (issue 14, item 11); a part without a vote asks only open
    questions (a bokmål yes/no question starts with its verb: «Er …», «Kan …», «Bør …»)."""
    problems = [f"{case_id} part {n}: the seed asks «{question}» but the part has no vote"
                for (case_id, n), question in SEED_YES_NO.items()
                if case_id in cases and not cases[case_id].parts[n - 1].options]
    for case in cases.values():
        for n, part in enumerate(case.parts, 1):
            if part.options:
                continue
            for question in re.findall(r"[^?]+\?", part.question.get("nb", "")):
                if not _OPEN_QUESTION.match(question.strip()):
                    problems.append(f"{case.id} part {n}: yes/no question without a vote: {question.strip()!r}")
        if case.id in NEW_CASES and sum(bool(p.options) for p in case.parts) < 2:
            problems.append(f"{case.id}: a new case needs at least two parts with a vote")
    return problems


def check_wording(cases: dict[str, C]) -> list[str]:
    """Rules the legal brief corrected must not come back in any text."""
    problems = []
    for case in cases.values():
        blob = " ".join(v for _, t in case_texts(case) for v in t.values())
        problems += [f"{case.id}: {bad!r} – {why}" for bad, why in FORBIDDEN if bad in blob]
    return problems


def _shingles(text: str, n: int) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", re.sub(r"«[^»]*»", " ", text).casefold())  # quoted titles and words are fine
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def check_retold(cases: dict[str, C], seed_text: str, n: int = 6) -> list[str]:
    """The cases retell the slides: no run of ``n`` words copied from them into an intro, a case text, a
    discussion point or a note. Titles and questions may keep the seed's own wording, and reference summaries
    paraphrase the statutes, as the slides sometimes do."""
    seed = _shingles(seed_text, n)
    problems = []
    for case in cases.values():
        for where, text in case_texts(case):
            if not re.search(r" (intro|text|notes|point \d+)$", where):
                continue
            for lang in ("nb", "nn"):
                copied = _shingles(text.get(lang, ""), n) & seed
                problems += [f"{where} ({lang}): copied from the slides: {' '.join(c)!r}" for c in sorted(copied)]
    return problems


CHECKS = [check_ids, check_source, check_seed_facts, check_points, check_english, check_notes, check_options,
          check_votes, check_wording, check_corrections, check_388, check_jordvern]


# ---- tests -------------------------------------------------------------------------


@pytest.fixture(params=sorted(READERS))
def cases(request) -> dict[str, C]:
    return READERS[request.param](DILEMMAS)


@pytest.mark.parametrize("check", CHECKS, ids=lambda f: f.__name__)
def test_library(cases, check):
    assert check(cases) == []


def _seed() -> str:
    seed_files = [SEEDS / "folkevalgtprogram-slides.txt", SEEDS / "sosiale-medier-slides.txt"]
    if not all(f.exists() for f in seed_files):
        pytest.skip(f"seed slides not found under {SEEDS}")
    return "\n".join(f.read_text(encoding="utf-8") for f in seed_files)


def test_paraphrased_not_copied():
    assert check_retold(read_yaml(DILEMMAS), _seed()) == []


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
    ("tillit.yaml", "korttidsavdelingen på Sandviktunet", "sykehjemmet", check_seed_facts),
    ("arealdel.yaml", "source: \"KS Folkevalgtprogram", "source: \"KS", check_source),
    ("idealet.yaml", "nytt case bygd på spørsmålene i", "etter", check_source),
    ("kritikk-av-ansatte.yaml", "options: [red, green]", "options: [habil, inhabil]", check_options),
    ("institusjonsbesok.yaml", "      - key: free", "      - key: fri", check_options),
    ("lmb.yaml", 'en: "Kåre Sand"', 'en: ""', check_english),
    ("jubileum.yaml", "«i særlege høve»", "«i særlege grunnar»", check_wording),
    ("ombudsrollen.yaml", "    notes:\n      nb: \"Mål: skille ombudsrollen", "    tags:\n      nb: \"Mål: skille ombudsrollen",
     check_notes),
    ("arealdel.yaml", "        refs: [fvl-41]\n", "", check_points),
    # each correction, undone
    ("jubileum.yaml", "Her gjelder det dispensasjon fra en plan, ikke fra loven. Da kommer jordvernet inn gjennom annet ledd i plan- og bygningsloven § 19-2:",
     "Dispensasjon krever med særlig vekt på jordvern (plan- og bygningsloven § 19-2):", check_jordvern),
    ("lmb.yaml", "Peder tok opp habiliteten sin først mens saken var til behandling.",
     "Peder tok selv opp spørsmålet, slik han skal gjøre i god tid.", check_corrections),
    ("lmb.yaml", "ingen av dem delta når", "alle delta når", check_corrections),
    ("ombudsrollen.yaml", "Barnevernstjenesten kan ikke kommentere enkeltsaken:", "Barneverntjenesten kan ikke svare offentlig:",
     check_corrections),
    ("jubileum.yaml", "Noen kommuner har skrevet det inn i sine etiske retningslinjer.",
     "Grov korrupsjon (§ 388) gjelder handlinger av en offentlig tjenestemann.", check_388),
    ("jubileum.yaml", "Andre særegne forhold som svekker tilliten til upartiskheten, gir inhabilitet",
     "Påvirkningshandel (straffeloven § 389) kan være aktuelt. Andre særegne forhold gir inhabilitet", check_corrections),
    ("jubileum.yaml", "I Ruter-saken forkastet Høyesterett påtalemyndighetens anke over frifinnelsen av",
     "Høyesterett frifant i 2014", check_corrections),
    ("hets.yaml", "Vi har ikke funnet noen avklaring.", "Det er ikke avklart.", check_wording),
    ("hets.yaml", "og en knust postkasse og en tagget bil er skadeverk (§ 351)", "og hærverk er straffbart", check_corrections),
    ("institusjonsbesok.yaml", "og med virksomhetslederen, som ble stående i skuddlinjen?", "og med den ansatte som fulgte rutinen?",
     check_corrections),
    ("ombudsrollen.yaml", "har full sympati med familiene", "fullt og helt tar parti med familiene", check_corrections),
    ("sosiale-medier.yaml", "Vi er folkevalgte døgnet rundt – hva innebærer det for oss?", "Vervet har ingen fritid.",
     check_corrections),
    ("arealdel.yaml", "an easy way out of difficult cases", "a flag of convenience for avoiding difficult cases",
     check_corrections),
])
def test_checks_can_fail(tmp_path, reader, file, old, new, check):
    broken = _break(tmp_path, file, old, new)
    try:
        cases = READERS[reader](broken)
    except Refused:
        return  # the loader refuses the file before any check runs (e.g. a declared language is missing)
    assert check(cases) != []


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_yes_no_question_needs_a_vote(tmp_path, reader):
    target = tmp_path / "dilemmas"
    shutil.copytree(DILEMMAS, target)
    path = target / "institusjonsbesok.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["parts"][1]["options"] = []  # the seed asks «Kan folkevalgte besøke … uten tillatelse?»
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    problems = check_votes(READERS[reader](target))
    assert any("the seed asks" in p for p in problems) and any("yes/no question without a vote" in p for p in problems)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_too_few_points_is_caught(tmp_path, reader):
    target = tmp_path / "dilemmas"
    shutil.copytree(DILEMMAS, target)
    path = target / "arealdel.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["parts"][0]["points"] = data["parts"][0]["points"][:2]
    data["parts"][0]["references"] = [r for r in data["parts"][0]["references"]
                                      if any(r["id"] in pt.get("refs", ()) for pt in data["parts"][0]["points"])]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert any("discussion points" in p for p in check_points(READERS[reader](target)))


@pytest.mark.parametrize("field", ["text", "points", "notes"])
def test_copied_slide_text_is_caught(field):
    seed = "Bedriften inviterer også kommunens formannskap med ledsagere til middagen."
    cases = read_yaml(DILEMMAS)
    part = cases["jubileum"].parts[0]
    target = {"text": part.text, "points": part.points[0][0], "notes": part.notes}[field]
    target["nb"] += " " + seed
    assert check_retold(cases, seed) != []


# ---- the engine plays every case to the end ----------------------------------------


@pytest.mark.parametrize("lang", BOT_LANGUAGES)
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
        group_saw = " ".join([shown, points_text, to_plain(refs[0].text)])
        assert part.notes is not None and part.notes.get(lang)[:60] not in group_saw  # notes are for the trainer
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
