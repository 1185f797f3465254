"""Trainer push (schedules, deadlines, reminders, timers), self-test, /forget, /lang — all on a fake clock."""

from __future__ import annotations

from datetime import timedelta

from bot.effects import (
    ChatSettingsChanged, Edit, Leave, PartClosed, PartOpened, Post, Reply, RoundFinished, RoundStarted, ScheduleDeleted,
    ScheduleSaved, TallyChanged, UserForgotten, VoteRecorded,
)
from bot.engine import Engine
from bot.engine.chats import Forget, LeaveChat, SetLanguage, SetTimezone
from bot.engine.rounds import CloseVoting, NextPart, ShowResults, StartRound, StopRound, Vote
from bot.engine.schedules import ListSchedules, Schedule, Unschedule
from bot.engine.selftest import SelfTest
from bot.events import NextPressed, OverallChanged, Sender
from bot.richtext import to_plain

from .conftest import Driver, new_engine, of, paragraph, replies, tally_line, tally_lines, texts

G = "test:group"
G2 = "test:other"
DM = "test:p:alice"


def schedule(drive: Driver, when: str, until: str | None = None) -> list:
    return drive.cmd(G, "trainer", Schedule("tre", when, until), controller=True)


def test_schedule_opens_at_when_and_closes_at_until_with_results(drive: Driver) -> None:
    effects = schedule(drive, "in 2h", "in 4h")
    saved = of(effects, ScheduleSaved)[0]
    assert saved.opens_at == drive.now + timedelta(hours=2) and saved.closes_at == drive.now + timedelta(hours=4)
    assert "åpner" in replies(effects)[0].text[0].text
    assert drive.engine.next_wakeup() == saved.opens_at

    drive.advance(hours=1, minutes=59)
    assert drive.tick() == []
    drive.advance(minutes=1)
    opened = drive.tick()
    assert of(opened, RoundStarted) and of(opened, PartOpened)[0].closes_at == saved.closes_at
    assert not any("frakoblet" in t for t in texts(opened))  # on time: no "late" note
    rid = of(opened, RoundStarted)[0].round_id
    drive.vote(G, "alice", rid, 1, "red")

    drive.advance(hours=2)
    closed = drive.tick()
    assert of(closed, PartClosed) and texts(closed)[0].startswith("Fristen er ute")
    assert tally_line(texts(closed)[0], "Rødt lys") == "1 (100 %)"
    assert drive.engine.round(rid).voting_open is False


def test_reminder_half_way_is_posted_once_with_the_vote_count(drive: Driver) -> None:
    schedule(drive, "in 1h", "in 3h")
    drive.advance(hours=1)
    rid = of(drive.tick(), RoundStarted)[0].round_id
    for user in ("a", "b", "c"):
        drive.vote(G, user, rid, 1, "green")
    drive.advance(minutes=59)
    assert drive.tick() == []
    drive.advance(minutes=1)  # half-way between 1h and 3h
    reminder = drive.tick()
    assert len(texts(reminder)) == 1 and "3 har stemt" in texts(reminder)[0]
    drive.advance(minutes=10)
    assert drive.tick() == []  # once only


def test_restart_after_missed_deadline_acts_on_start_and_says_it_was_late(drive: Driver) -> None:
    schedule(drive, "in 1h", "in 2h")
    drive.advance(hours=1)
    rid = of(drive.tick(), RoundStarted)[0].round_id
    drive.vote(G, "alice", rid, 1, "red")
    # The bot goes down; a new engine is built from the same state (as the store would restore it).
    old = drive.engine
    restarted = Engine(old.library, platforms=old.platforms, rounds=old.live_rounds(), settings=old.settings,
                       schedules=old.schedules_of(G), user_limit=old.user_limit, chat_limit=old.chat_limit)
    drive.engine = restarted
    drive.advance(hours=3)  # deadline was 2 hours ago
    effects = drive.tick()
    assert of(effects, PartClosed)
    assert "frakoblet" in texts(effects)[0] and tally_line(texts(effects)[0], "Rødt lys") == "1 (100 %)"


def test_missed_opening_and_deadline_opens_without_deadline(drive: Driver) -> None:
    schedule(drive, "in 1h", "in 2h")
    drive.advance(hours=5)
    effects = drive.tick()
    assert of(effects, RoundStarted) and of(effects, PartOpened)[0].closes_at is None
    assert "frakoblet" in texts(effects)[0]
    assert of(effects, ScheduleSaved)[0].phase == "missed" and drive.engine.schedules_of(G) == []


def test_late_opening_says_so(drive: Driver) -> None:
    schedule(drive, "in 1h", "in 3h")
    drive.advance(hours=1, minutes=20)
    effects = drive.tick()
    assert of(effects, RoundStarted) and "frakoblet" in texts(effects)[0]


def test_bad_times_get_a_clear_message_with_an_example(drive: Driver) -> None:
    effects = schedule(drive, "neste tirsdag")
    assert replies(effects)[0].refused and "Eksempel" in replies(effects)[0].text[0].text
    effects = schedule(drive, "in 2h", "in 1h")
    assert replies(effects)[0].refused and "etter starten" in replies(effects)[0].text[0].text
    assert drive.engine.schedules_of(G) == []


def test_schedules_belong_in_groups(drive: Driver) -> None:
    effects = drive.cmd(DM, "alice", Schedule("tre", "in 1h"), private=True)
    assert replies(effects)[0].refused and drive.engine.schedules_of(DM) == []
    assert "brukes i en gruppe" in replies(effects)[0].text[0].text


def test_list_and_unschedule(drive: Driver) -> None:
    number = of(schedule(drive, "2026-11-25 09:00"), ScheduleSaved)[0].schedule_id
    listing = replies(drive.cmd(G, "x", ListSchedules()))[0]
    assert "25.11.2026 09:00" in "".join(s.text for s in listing.text)
    assert replies(drive.cmd(G, "x", Unschedule(number)))[0].refused  # not a controller
    effects = drive.cmd(G, "trainer", Unschedule(number), controller=True)
    assert of(effects, ScheduleDeleted) and drive.engine.schedules_of(G) == []
    assert replies(drive.cmd(G, "trainer", Unschedule(number), controller=True))[0].refused


def test_a_trainer_cannot_cancel_another_groups_schedule(drive: Driver) -> None:
    """Schedule numbers are global: a trainer in one group must not reach another group's by its number."""
    number = of(schedule(drive, "in 2h"), ScheduleSaved)[0].schedule_id
    effects = drive.cmd(G2, "other-trainer", Unschedule(number), controller=True)
    assert not of(effects, ScheduleDeleted)
    assert [to_plain(r.text) for r in replies(effects) if r.refused] == [
        f"Fant ingen planlagt runde nr. {number}. Se /schedules."]
    assert [s.id for s in drive.engine.schedules_of(G)] == [number]
    drive.advance(hours=2)
    assert of(drive.tick(), RoundStarted)  # and it opens as planned


def test_a_scheduled_round_leaves_the_list_when_it_finishes(drive: Driver) -> None:
    number = of(schedule(drive, "in 1h", "in 3h"), ScheduleSaved)[0].schedule_id
    drive.advance(hours=1)
    drive.tick()
    listed = to_plain(replies(drive.cmd(G, "x", ListSchedules()))[0].text)
    assert f"{number}. tre" in listed  # open: still listed while its round runs
    effects = drive.cmd(G, "trainer", StopRound(), controller=True)
    assert of(effects, RoundFinished)
    assert [(s.schedule_id, s.phase) for s in of(effects, ScheduleSaved)] == [(number, "done")]
    assert drive.engine.schedules_of(G) == [] and drive.engine.schedule(number) is None
    assert to_plain(replies(drive.cmd(G, "x", ListSchedules()))[0].text) == "Ingen planlagte runder."
    assert replies(drive.cmd(G, "trainer", Unschedule(number), controller=True))[0].refused


def test_schedule_uses_the_chat_time_zone(drive: Driver) -> None:
    drive.cmd(G, "trainer", SetTimezone("America/New_York"), controller=True)
    saved = of(schedule(drive, "2026-11-25 09:00"), ScheduleSaved)[0]
    assert saved.opens_at.hour == 14  # 09:00 in New York is 14:00 UTC in November


def test_timer_closes_each_part_and_advances_unattended(drive: Driver) -> None:
    effects = drive.cmd(G, "trainer", StartRound("tre", timedelta(minutes=3)), controller=True)
    rid = of(effects, RoundStarted)[0].round_id
    assert of(effects, PartOpened)[0].closes_at == drive.now + timedelta(minutes=3)
    drive.vote(G, "alice", rid, 1, "red")
    drive.advance(minutes=3)
    closed = drive.tick()
    assert of(closed, PartClosed)[0].advance_at == drive.now + timedelta(minutes=3)
    assert "Neste del kommer" in texts(closed)[0]
    drive.advance(minutes=3)
    assert of(drive.tick(), PartOpened)[0].part == 2
    for _ in range(4):  # part 2 closes, part 3 opens, part 3 closes, summary
        drive.advance(minutes=3)
        drive.tick()
    assert drive.engine.round(rid).finished


def test_selftest_only_in_private_chat(drive: Driver) -> None:
    assert replies(drive.cmd(G, "alice", SelfTest("tre")))[0].refused
    listing = replies(drive.cmd(DM, "alice", SelfTest(), private=True))[0]
    assert "/selftest tre" in "".join(s.text for s in listing.text)


def _group_votes(drive: Driver, voters: int, option: str = "red") -> None:
    rid = of(drive.cmd(G, "trainer", StartRound("tre"), controller=True), RoundStarted)[0].round_id
    for i in range(voters):
        drive.vote(G, f"g{i}", rid, 1, option)
    drive.cmd(G, "trainer", CloseVoting(), controller=True)


def test_selftest_hides_the_overall_split_below_five_and_shows_it_at_five() -> None:
    for answers, shown in ((4, False), (5, True)):
        drive = Driver(new_engine())
        drive.engine.handle(OverallChanged("tre", 1, {"red": answers - 1, "green": 1}))  # as the store reports it
        rid = of(drive.cmd(DM, "alice", SelfTest("tre"), private=True), RoundStarted)[0].round_id
        effects = drive.vote(DM, "alice", rid, 1, "green")
        result = texts(effects)[0]
        assert ("Slik har alle svart så langt (5)" in result) is shown
        assert (tally_lines(result, "Rødt lys") == ["4 (80 %)"]) is shown
        assert ("vises når minst 5 har svart (nå 4)" in result) is not shown
        assert "en punkt 1" in result  # discussion points after each vote
        assert of(effects, Post)[0].buttons[0].label.startswith("Neste del")


def press_next(drive: Driver, round_id: int, part: int) -> list:
    return drive.engine.handle(NextPressed(DM, Sender("alice"), round_id, part, drive.now))


def refused_with(effects: list, text: str) -> bool:
    """The event was refused with ``text`` alone, and nothing moved."""
    return [(to_plain(e.text), e.refused) for e in effects] == [(text, True)]


STALE = "Denne knappen gjelder ikke lenger."
ANSWER_FIRST = "Svar på denne delen først, eller bruk /stop."


def test_selftest_plays_at_own_pace_to_a_summary(drive: Driver) -> None:
    rid = of(drive.cmd(DM, "alice", SelfTest("tre"), private=True), RoundStarted)[0].round_id
    assert refused_with(press_next(drive, rid, 1), ANSWER_FIRST)
    for part in (1, 2, 3):
        drive.vote(DM, "alice", rid, part, "red" if part != 2 else "green")
        effects = press_next(drive, rid, part)
        # a second press of the same button is stale, not a double advance
        assert refused_with(press_next(drive, rid, part), STALE)
    summary = texts(effects)[-1]
    assert of(effects, RoundFinished) and "du: 🟢 Grønt lys" in summary and "Selvtesten er ferdig" in summary


def test_an_earlier_parts_next_button_never_skips_a_part(drive: Driver) -> None:
    """Part 2 answered, its own "next" not pressed yet: part 1's old button must not open part 3."""
    rid = of(drive.cmd(DM, "alice", SelfTest("tre"), private=True), RoundStarted)[0].round_id
    drive.vote(DM, "alice", rid, 1, "red")
    assert of(press_next(drive, rid, 1), PartOpened)[0].part == 2
    drive.vote(DM, "alice", rid, 2, "green")
    assert refused_with(press_next(drive, rid, 1), STALE)
    assert drive.engine.round(rid).current == 2 and not drive.engine.round(rid).voting_open
    assert of(press_next(drive, rid, 2), PartOpened)[0].part == 3


def test_forget_deletes_votes_everywhere_and_shows_nothing_to_any_group(drive: Driver) -> None:
    rid = of(drive.cmd(G, "trainer", StartRound("tre"), controller=True), RoundStarted)[0].round_id
    drive.vote(G, "alice", rid, 1, "red")
    drive.vote(G, "bob", rid, 1, "red")
    drive.cmd(G, "trainer", NextPart(), controller=True)
    drive.vote(G, "alice", rid, 2, "green")
    st = of(drive.cmd(DM, "alice", SelfTest("tre"), private=True), RoundStarted)[0].round_id
    drive.vote(DM, "alice", st, 1, "red")

    refused = drive.cmd(G, "alice", Forget())  # in the group: not here, and nothing deleted
    assert replies(refused)[0].refused and not of(refused, UserForgotten)
    effects = drive.cmd(DM, "alice", Forget(), private=True)
    assert of(effects, UserForgotten) == [UserForgotten("alice", DM)]
    assert [m.chat for m in effects if isinstance(m, (Post, Edit, Reply, TallyChanged))] == [DM]  # no group sees it
    assert drive.engine.round(rid).parts[0].votes == {"bob": "red"}
    assert drive.engine.round(rid).parts[0].tally(("red", "green")) == {"red": 2, "green": 0}  # as the group saw it
    assert drive.engine.round(rid).parts[1].votes == {}  # the open part lost her vote, silently
    assert drive.engine.round(st) is None and drive.engine.running(DM) is None  # her self-test is gone too


def test_language_switch_changes_every_text(drive: Driver) -> None:
    assert replies(drive.cmd(G, "bob", SetLanguage("en")))[0].refused
    effects = drive.cmd(G, "trainer", SetLanguage("en"), controller=True)
    assert of(effects, ChatSettingsChanged)[0].lang == "en"
    effects = drive.cmd(G, "trainer", StartRound("tre"), controller=True)
    assert "Text en" in texts(effects)[1] and "Part 1 of 3" in texts(effects)[1]
    rid = of(effects, RoundStarted)[0].round_id
    assert "Vote recorded" in replies(drive.vote(G, "a", rid, 1, "red"))[0].text[0].text
    assert "Result" in texts(drive.cmd(G, "trainer", CloseVoting(), controller=True))[0]
    assert replies(drive.cmd(G, "trainer", SetLanguage("de"), controller=True))[0].refused


def test_vote_withdrawn_removes_only_the_matching_vote(drive: Driver) -> None:
    from bot.events import VoteWithdrawn

    rid = of(drive.cmd(G, "trainer", StartRound("tre"), controller=True), RoundStarted)[0].round_id
    drive.vote(G, "alice", rid, 1, "red")
    drive.vote(G, "alice", rid, 1, "green")  # changed by reacting with another emoji
    assert drive.engine.handle(VoteWithdrawn(G, Sender("alice"), rid, 1, "red", drive.now)) == []
    effects = drive.engine.handle(VoteWithdrawn(G, Sender("alice"), rid, 1, "green", drive.now))
    assert of(effects, VoteRecorded)[0].option is None
    assert drive.engine.round(rid).parts[0].votes == {}


def test_results_after_selftest_show_the_person_and_overall(drive: Driver) -> None:
    drive.engine.handle(OverallChanged("tre", 1, {"red": 4, "green": 1}))  # as the store reports it
    drive.engine.handle(OverallChanged("tre", 2, {"red": 2, "green": 2}))  # four: too few to show
    rid = of(drive.cmd(DM, "alice", SelfTest("tre"), private=True), RoundStarted)[0].round_id
    drive.vote(DM, "alice", rid, 1, "red")
    press_next(drive, rid, 1)
    drive.vote(DM, "alice", rid, 2, "green")
    text = to_plain(replies(drive.cmd(DM, "alice", ShowResults(), private=True))[0].text)
    first, second = paragraph(text, "En"), paragraph(text, "To")
    assert first.splitlines()[1:3] == ["du: 🔴 Rødt lys", "Alle grupper og selvtester (5)"]
    assert tally_line(first, "Rødt lys") == "4 (80 %)" and tally_line(first, "Grønt lys") == "1 (20 %)"
    assert second.splitlines()[1:] == ["du: 🟢 Grønt lys", "Samlet fordeling vises når minst 5 har svart."]


def test_vote_command_in_selftest_and_next_command(drive: Driver) -> None:
    rid = of(drive.cmd(DM, "alice", SelfTest("tre"), private=True), RoundStarted)[0].round_id
    assert replies(drive.cmd(DM, "alice", NextPart(), private=True))[0].refused
    drive.cmd(DM, "alice", Vote("2"), private=True)
    assert drive.engine.round(rid).parts[0].votes == {"alice": "green"}
    assert of(drive.cmd(DM, "alice", NextPart(), private=True), PartOpened)[0].part == 2


def test_leave_comes_after_the_goodbye_and_never_while_a_round_runs_or_waits(drive: Driver) -> None:
    drive.cmd(G, "trainer", StartRound("tre"), controller=True)
    busy = drive.cmd(G, "trainer", LeaveChat(), controller=True)
    assert not of(busy, Leave) and replies(busy)[0].refused
    drive.cmd(G, "trainer", StopRound(), controller=True)
    schedule(drive, "in 2h")
    assert not of(drive.cmd(G, "trainer", LeaveChat(), controller=True), Leave)
    drive.cmd(G, "trainer", Unschedule(1), controller=True)
    bye = drive.cmd(G, "trainer", LeaveChat(), controller=True)
    assert [type(e) for e in bye] == [Reply, Leave] and of(bye, Leave)[0].chat == G
    assert to_plain(replies(bye)[0].text).startswith("Takk for nå!")
