"""The bot's own texts in real nynorsk: every i18n text and every command's help and usage line (the check is
tests/nynorsk.py, shared with the case texts)."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Iterator, Mapping

from bot.commands import CommandSpec
from bot.engine.table import COMMANDS
from bot.i18n import TEXTS
from tests.nynorsk import nynorsk_problems

ByLanguage = Mapping[str, Mapping[str, str]]  # {lang: {key: text}}, the shape of bot.i18n.TEXTS

# Texts that read the same in nynorsk and bokmål: short headings, buttons and usage lines (argument names)
SAME_IN_BOTH = {
    "cases.line_one", "round.started", "part.heading", "results.heading", "results.next_hint", "summary.you",
    "next.button", "selftest.line", "web.present_title", "web.selftest_send",
    "/help help", "/next help", "/stop help", "/lang help",
    "/start usage", "/selftest usage", "/schedule usage", "/unschedule usage", "/tz usage", "/lang usage",
    "/present usage", "/report usage",
}


def bot_texts(texts: ByLanguage = TEXTS, commands: Iterable[CommandSpec] = COMMANDS) -> Iterator[tuple[str, dict]]:
    """Every text the bot has of its own, with where it is: (where, {lang: text})."""
    for key in texts["nb"]:
        yield key, {lang: by_key.get(key) for lang, by_key in texts.items()}
    for spec in commands:
        yield f"/{spec.name} help", dict(spec.help)
        if spec.usage:
            yield f"/{spec.name} usage", dict(spec.usage)


def check_bot_nynorsk(texts: ByLanguage = TEXTS, commands: Iterable[CommandSpec] = COMMANDS) -> list[str]:
    return nynorsk_problems(bot_texts(texts, commands), lambda where, nb: where in SAME_IN_BOTH)


def test_every_bot_text_is_in_nynorsk() -> None:
    assert check_bot_nynorsk() == []


def test_what_may_read_the_same_still_does() -> None:
    """A text on the list that now differs is taken off it, so that the list stays short and true."""
    texts = dict(bot_texts())
    assert {where for where in SAME_IN_BOTH if texts[where]["nn"] != texts[where]["nb"]} == set()


def test_a_bokmal_form_or_a_copy_in_the_bot_texts_is_caught() -> None:
    broken = {lang: dict(by_key) for lang, by_key in TEXTS.items()}
    broken["nn"]["refuse.stale"] = "Denne knappen gjelder ikkje lenger."
    broken["nn"]["part.closed"] = broken["nb"]["part.closed"]
    del broken["nn"]["cases.none"]
    assert check_bot_nynorsk(broken) == [
        "cases.none: no nynorsk",
        "part.closed: bokmål 'Avstemningen' in nynorsk (write 'avstemminga')",
        "part.closed: the nynorsk is the bokmål text",
        "refuse.stale: bokmål 'gjelder' in nynorsk (write 'gjeld')",
    ]


def test_a_copied_command_help_is_caught() -> None:
    commands = [replace(spec, help={**spec.help, "nn": spec.help["nb"]}) if spec.name == "privacy" else spec
                for spec in COMMANDS]
    assert check_bot_nynorsk(commands=commands) == ["/privacy help: bokmål 'hva' in nynorsk (write 'kva')",
                                                    "/privacy help: bokmål 'lagres' in nynorsk (write 'blir lagra')",
                                                    "/privacy help: the nynorsk is the bokmål text"]
