"""What the presenter page shows, straight from the engine (no server): every scene and what it may hold."""

from __future__ import annotations

from datetime import timedelta

from adapters.web.stage import SelfTest, build
from bot.engine.rounds import CloseVoting, NextPart, StartRound, StopRound
from bot.engine.schedules import Schedule
from bot.events import OverallChanged
from bot.i18n import LANGUAGES
from bot.model import ChatSettings
from bot.platforms import Capabilities

from ...engine.conftest import Driver, new_engine

GROUP = "test:g"


def driver(**caps: object) -> Driver:
    drive = Driver(new_engine())
    drive.engine.platforms.register("test", Capabilities(typed_votes=True, **caps))  # type: ignore[arg-type]
    return drive


def test_a_chat_without_rounds_waits_and_names_the_next_scheduled_one() -> None:
    drive = driver()
    shown, votes = build(drive.engine, GROUP)
    assert (shown.scene, votes, shown.scheduled) == ("waiting", 0, "")
    drive.cmd(GROUP, "trainer", Schedule("tre", "2026-11-25 09:00"), controller=True)
    shown, _ = build(drive.engine, GROUP)
    assert shown.scene == "waiting" and shown.scheduled == "Neste: «Tre deler» åpner 25.11.2026 09:00."


def test_voting_shows_the_count_and_the_options_never_the_split() -> None:
    drive = driver()
    drive.cmd(GROUP, "trainer", StartRound("tre", timedelta(minutes=3)), controller=True)
    rnd = drive.engine.running(GROUP)
    assert rnd is not None
    for user, option in (("a", "red"), ("b", "green"), ("c", "red")):
        drive.vote(GROUP, user, rnd.id, 1, option)
    shown, votes = build(drive.engine, GROUP)
    assert shown.scene == "voting" and votes == 3
    assert shown.heading == "Del 1 av 3: En" and shown.text == "Tekst en" and shown.question == "Greit?"
    assert [c.label for c in shown.choices] == ["Rødt lys", "Grønt lys"]
    assert shown.closes_at == "Avstemningen lukkes kl. 15:03."
    assert shown.bars == () and shown.points == () and shown.selftest is None


def test_results_show_the_split_the_points_and_the_references() -> None:
    drive = driver(selftest_link="https://t.me/bot?start={case}")
    drive.cmd(GROUP, "trainer", StartRound("tre"), controller=True)
    rnd = drive.engine.running(GROUP)
    assert rnd is not None
    for user, option in (("a", "red"), ("b", "green"), ("c", "red")):
        drive.vote(GROUP, user, rnd.id, 1, option)
    drive.cmd(GROUP, "trainer", CloseVoting(), controller=True)
    drive.vote(GROUP, "late", rnd.id, 1, "green")  # refused: the split stays as it closed
    shown, votes = build(drive.engine, GROUP)
    assert shown.scene == "results" and votes == 0
    assert [(b.key, b.count, b.percent, b.share) for b in shown.bars] == [("red", 2, 67, 100.0), ("green", 1, 33, 50.0)]
    assert shown.total == "Totalt 3 stemmer"
    assert shown.points == ("en punkt 1", "en punkt 2", "en punkt 3")
    assert shown.references == ("Forvaltningsloven § 6",)
    assert shown.selftest == SelfTest("https://t.me/bot?start=tre")


def test_a_part_without_a_vote_shows_its_points_at_once() -> None:
    drive = driver(selftest_link="https://matrix.to/#/@bot:example.org", prefix="!")
    drive.cmd(GROUP, "trainer", StartRound("blandet"), controller=True)
    shown, votes = build(drive.engine, GROUP)
    assert shown.scene == "reflection" and votes == 0 and shown.text == "Tekst kontekst"
    assert len(shown.points) == 3 and shown.bars == ()
    # Matrix: the link opens a chat with the bot, the page says what to send there
    assert shown.selftest == SelfTest("https://matrix.to/#/@bot:example.org", "Send !selftest blandet til boten")


def test_the_summary_shows_each_split_and_the_overall_only_from_five_answers() -> None:
    drive = driver()
    drive.cmd(GROUP, "trainer", StartRound("blandet"), controller=True)
    drive.cmd(GROUP, "trainer", NextPart(), controller=True)
    rnd = drive.engine.running(GROUP)
    assert rnd is not None
    drive.vote(GROUP, "a", rnd.id, 2, "inhabil")
    drive.engine.handle(OverallChanged("blandet", 2, {"habil": 4, "inhabil": 2}))
    drive.cmd(GROUP, "trainer", StopRound(), controller=True)
    shown, _ = build(drive.engine, GROUP)
    assert shown.scene == "summary" and shown.case_title == "Blandet"
    first, second = shown.summary
    assert first.bars == () and first.title == "Kontekst"
    assert [(b.key, b.count) for b in second.bars] == [("habil", 0), ("inhabil", 1)]
    assert [(b.key, b.count) for b in second.overall] == [("habil", 4), ("inhabil", 2)] and second.overall_total == 6
    drive.engine.handle(OverallChanged("blandet", 2, {"habil": 3, "inhabil": 1}))
    assert build(drive.engine, GROUP)[0].summary[1].overall == ()


def test_the_stage_speaks_the_chats_language() -> None:
    for lang in LANGUAGES:
        drive = driver()
        drive.engine.settings[GROUP] = ChatSettings(lang)
        drive.cmd(GROUP, "trainer", StartRound("tre"), controller=True)
        shown, _ = build(drive.engine, GROUP)
        assert shown.lang == lang
        assert shown.case_title == drive.engine.library.cases["tre"].title.get(lang)
