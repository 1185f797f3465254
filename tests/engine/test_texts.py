"""Every language is complete, and every text formats with the same placeholders as its bokmål."""

from __future__ import annotations

import string

from bot.i18n import LANGUAGES, TEXTS, t


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_exists_in_every_language_with_the_same_placeholders() -> None:
    keys = set(TEXTS["nb"])
    for lang in LANGUAGES:
        assert set(TEXTS[lang]) == keys, lang
    for lang in LANGUAGES:
        for key in keys:
            assert placeholders(TEXTS[lang][key]) == placeholders(TEXTS["nb"][key]), (lang, key)


def test_unknown_language_falls_back_to_bokmal() -> None:
    assert t("de", "refuse.stale") == TEXTS["nb"]["refuse.stale"]
