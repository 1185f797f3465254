"""The command table: every command, declared once.

The parser (:meth:`CommandTable.parse`), the engine's dispatch and its checks
of who may run what where, ``/help``, usage lines, the adapters' command menus
and the adapters' admin look-ups all read this list.  Adding a command means
adding an entry here and its handler.
"""

from __future__ import annotations

from bot.commands import CommandSpec, CommandTable, Where
from bot.engine import chats, pages, rounds, schedules, selftest
from bot.i18n import LANGUAGES

COMMANDS = CommandTable([
    CommandSpec("help", chats.Help, chats.help,
                help={"nb": "hjelp", "en": "help"}),
    CommandSpec("cases", chats.ListCases, chats.list_cases,
                help={"nb": "vis dilemmaene", "en": "list the dilemmas"}),
    CommandSpec("start", rounds.StartRound, rounds.start, parse=rounds.parse_start, control=True,
                help={"nb": "start et dilemma i denne chatten", "en": "start a dilemma in this chat"},
                usage={"nb": "ID [timer 3m]", "en": "ID [timer 3m]"}, example="jubileum timer 3m"),
    CommandSpec("vote", rounds.Vote, rounds.vote, parse=rounds.parse_vote,
                help={"nb": "stem (eller trykk på knappene)", "en": "vote (or press the buttons)"},
                usage={"nb": "VALG", "en": "OPTION"}, example="1"),
    CommandSpec("close", rounds.CloseVoting, rounds.close, control=True, where=Where.GROUP,
                help={"nb": "lukk avstemningen: resultat og diskusjonspunkter",
                      "en": "close the vote: result and discussion points"}),
    CommandSpec("next", rounds.NextPart, rounds.next_part, control=True,
                help={"nb": "neste del", "en": "next part"}),
    CommandSpec("stop", rounds.StopRound, rounds.stop, control=True,
                help={"nb": "avslutt runden", "en": "end the round"}),
    CommandSpec("results", rounds.ShowResults, rounds.results, recalls_latest=True,
                help={"nb": "resultatene fra siste runde", "en": "results of the latest round"}),
    CommandSpec("refs", rounds.ShowReferences, rounds.references, recalls_latest=True,
                help={"nb": "lovhenvisninger for delen", "en": "legal references for the part"}),
    CommandSpec("selftest", selftest.SelfTest, selftest.selftest, parse=selftest.parse_selftest, where=Where.PRIVATE,
                help={"nb": "test deg selv på et dilemma", "en": "test yourself on a dilemma"},
                usage={"nb": "[ID]", "en": "[ID]"}, example="lmb"),
    CommandSpec("schedule", schedules.Schedule, schedules.schedule, parse=schedules.parse_schedule, control=True,
                where=Where.GROUP,
                help={"nb": "planlegg et dilemma før en samling", "en": "schedule a dilemma before a session"},
                usage={"nb": "ID NÅR [until NÅR]", "en": "ID WHEN [until WHEN]"},
                example="jubileum 2026-11-24 18:00 until 2026-11-25 09:00"),
    CommandSpec("schedules", schedules.ListSchedules, schedules.list_schedules, where=Where.GROUP,
                help={"nb": "vis planlagte runder", "en": "list scheduled rounds"}),
    CommandSpec("unschedule", schedules.Unschedule, schedules.unschedule, parse=schedules.parse_unschedule,
                control=True, where=Where.GROUP,
                help={"nb": "fjern en planlagt runde", "en": "remove a scheduled round"},
                usage={"nb": "NR", "en": "NO"}, example="2"),
    CommandSpec("present", pages.Present, pages.present, parse=pages.parse_present, control=True, where=Where.GROUP,
                help={"nb": "lenke til presentasjonssiden for prosjektoren (new: ny lenke, den gamle slutter å virke)",
                      "en": "link to the presenter page for the projector (new: a new link, the old one stops working)"},
                usage={"nb": "[new]", "en": "[new]"}, example="new"),
    CommandSpec("report", pages.Report, pages.report, parse=pages.parse_report, control=True, where=Where.GROUP,
                help={"nb": "lenke til resultatene fra alle rundene i denne chatten, med CSV og JSON (new: ny lenke)",
                      "en": "link to the results of every round in this chat, with CSV and JSON (new: a new link)"},
                usage={"nb": "[new]", "en": "[new]"}, example="new"),
    CommandSpec("lang", chats.SetLanguage, chats.set_language, parse=chats.parse_language, control=True,
                help={"nb": "språket i chatten", "en": "the language of the chat"},
                usage={lang: "|".join(LANGUAGES) for lang in LANGUAGES}, example="en"),
    CommandSpec("tz", chats.SetTimezone, chats.set_timezone, parse=chats.parse_zone, control=True,
                help={"nb": "tidssonen i chatten", "en": "the time zone of the chat"},
                usage={"nb": "SONE", "en": "ZONE"}, example="Europe/Oslo"),
    CommandSpec("forget", chats.Forget, chats.forget, where=Where.PRIVATE,
                help={"nb": "slett stemmene og selvtestene dine", "en": "delete your votes and self-tests"}),
    CommandSpec("privacy", chats.Privacy, chats.privacy,
                help={"nb": "hva som lagres", "en": "what is stored"}),
])
