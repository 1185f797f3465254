"""The nynorsk check itself (tests/nynorsk.py): its word list catches each bokmål form and leaves correct nynorsk
alone, and a copied bokmål text is caught unless it may be the same in both."""

from __future__ import annotations

import pytest

from tests.nynorsk import BOKMAL_FORMS, bokmal_forms, nynorsk_problems


def test_correct_nynorsk_does_not_trip_the_check():
    text = ("Eg har òg lese saka, og vi har også blitt samde. Ho vil nå målet før dei enkelte medlemene seier "
            "noko. Han sa at si eiga meining burde kome fram; då skifte han ham. Kven veit kvar dei bur? "
            "Korleis kan de vere sikre, viss ingen har vore der? Det er berre eitt val, sjølv om mykje står att. "
            "Dei som ikkje kjem, får vite det frå oss medan vi gjer oss ferdige, og dessutan er det mogleg. "
            "Eit offentleg møte. «Det er ikke avklart», skreiv dei. Avstemminga blir lukka kl. 10, og "
            "fordelinga blir vist; vel eitt av vala. Røysta di er endra, sjølvtesten er sletta, og ingenting "
            "anna blir lagra under den hemmelege nøkkelen.")
    assert bokmal_forms(text) == []


@pytest.mark.parametrize("word", sorted(BOKMAL_FORMS))
def test_each_bokmal_form_is_caught(word):
    assert bokmal_forms(f"Dette er ein tekst med {word.capitalize()} i seg.") == [word.capitalize()]


def test_a_missing_or_copied_text_is_caught_unless_allowed():
    texts = [("title", {"nb": "Nytt dilemma", "nn": "Nytt dilemma"}), ("hint", {"nb": "Neste del", "nn": ""}),
             ("heading", {"nb": "Del 1", "nn": "Del 1"})]
    assert nynorsk_problems(texts, lambda where, nb: where == "heading") == [
        "title: the nynorsk is the bokmål text", "hint: no nynorsk"]
