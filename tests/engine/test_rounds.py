"""Group rounds: start, vote, change, close, next, summary; refusals."""

from __future__ import annotations

from bot.effects import Edit, PartClosed, PartOpened, Post, RoundFinished, RoundStarted, TallyChanged, VoteRecorded
from bot.engine.rounds import CloseVoting, NextPart, ShowReferences, ShowResults, StartRound, StopRound, Vote
from bot.engine.chats import Help, ListCases, SetLanguage
from bot.events import OverallChanged, Unknown
from bot.platforms import Capabilities
from bot.richtext import to_plain

from .conftest import Driver, of, paragraph, replies, tally_line, tally_lines, texts

G = "test:group"
G2 = "test:other"


def start(drive: Driver, chat: str = G, case: str = "tre") -> int:
    effects = drive.cmd(chat, "trainer", StartRound(case), controller=True)
    return of(effects, RoundStarted)[0].round_id


def test_start_posts_intro_and_first_part_with_buttons(drive: Driver) -> None:
    effects = drive.cmd(G, "trainer", StartRound("tre"), controller=True)
    assert [type(e) for e in effects] == [RoundStarted, Post, PartOpened, Post]
    part = effects[-1]
    assert part.key == "r1p1" and [b.option for b in part.buttons] == ["red", "green"]
    assert "Tekst en" in texts(effects)[1]


def test_vote_is_recorded_acknowledged_and_tallied(drive: Driver) -> None:
    rid = start(drive)
    effects = drive.vote(G, "alice", rid, 1, "red")
    assert of(effects, VoteRecorded) == [VoteRecorded(rid, 1, "alice", "red", drive.now)]
    assert "Stemme registrert" in replies(effects)[0].text[0].text
    assert of(effects, TallyChanged) == [TallyChanged(G, rid, "r1p1")]
    edit = drive.engine.tally(rid)  # rendered only when the outbox lets an edit go out
    assert not edit.final and "Stemmer så langt: 1" in "".join(s.text for s in edit.text)


def test_the_live_count_shows_how_many_voted_and_never_the_split(drive: Driver) -> None:
    rid = start(drive)
    for user in ("alice", "bob", "carol"):
        drive.vote(G, user, rid, 1, "red")  # all alike: a split would read 3 (100 %)
    live = to_plain(drive.engine.tally(rid).text)
    assert "Stemmer så langt: 3" in live.splitlines()
    assert "%" not in live and "█" not in live and "░" not in live and tally_lines(live, "Rødt lys") == []


def test_double_vote_counts_once(drive: Driver) -> None:
    rid = start(drive)
    drive.vote(G, "alice", rid, 1, "red")
    again = drive.vote(G, "alice", rid, 1, "red")
    assert of(again, VoteRecorded) == [] and "allerede" in replies(again)[0].text[0].text
    assert drive.engine.round(rid).parts[0].votes == {"alice": "red"}


def test_vote_change_replaces_the_vote(drive: Driver) -> None:
    rid = start(drive)
    drive.vote(G, "alice", rid, 1, "red")
    effects = drive.vote(G, "alice", rid, 1, "green")
    assert of(effects, VoteRecorded)[0].option == "green"
    assert "endret" in replies(effects)[0].text[0].text
    assert drive.engine.round(rid).parts[0].tally(("red", "green")) == {"red": 0, "green": 1}


def test_vote_after_close_is_refused_and_not_counted(drive: Driver) -> None:
    rid = start(drive)
    drive.vote(G, "alice", rid, 1, "red")
    drive.cmd(G, "trainer", CloseVoting(), controller=True)
    late = drive.vote(G, "bob", rid, 1, "green")
    assert of(late, VoteRecorded) == [] and replies(late)[0].refused
    assert drive.engine.round(rid).parts[0].votes == {"alice": "red"}


def test_close_posts_final_tally_results_and_points(drive: Driver) -> None:
    rid = start(drive)
    drive.vote(G, "alice", rid, 1, "red")
    drive.vote(G, "bob", rid, 1, "red")
    drive.vote(G, "carol", rid, 1, "green")
    effects = drive.cmd(G, "trainer", CloseVoting(), controller=True)
    assert of(effects, PartClosed)[0].part == 1
    final = of(effects, Edit)[0]
    assert final.final and final.buttons == ()
    results = texts(effects)[0]
    assert tally_line(results, "Rødt lys") == "2 (67 %)" and tally_line(results, "Grønt lys") == "1 (33 %)"
    assert "• en punkt 1" in results.splitlines()
    chart = of(effects, Post)[0].chart
    assert [(b.label, b.count) for b in chart.bars] == [("Rødt lys", 2), ("Grønt lys", 1)]


def test_non_controller_cannot_start_close_next_or_stop(drive: Driver) -> None:
    for command in (StartRound("tre"),):
        assert replies(drive.cmd(G, "bob", command))[0].refused
    rid = start(drive)
    for command in (CloseVoting(), NextPart(), StopRound()):
        effects = drive.cmd(G, "bob", command)
        assert len(effects) == 1 and effects[0].refused and "Beklager" in effects[0].text[0].text
    assert drive.engine.round(rid).voting_open and drive.engine.round(rid).current == 1


def test_next_closes_then_advances_through_all_parts_to_summary(drive: Driver) -> None:
    rid = start(drive)
    drive.vote(G, "alice", rid, 1, "red")
    effects = drive.cmd(G, "trainer", NextPart(), controller=True)
    assert [type(e).__name__ for e in effects][:3] == ["PartClosed", "Edit", "Post"]
    assert of(effects, PartOpened)[0].part == 2
    drive.cmd(G, "trainer", NextPart(), controller=True)
    effects = drive.cmd(G, "trainer", NextPart(), controller=True)  # closes part 3 -> summary
    assert of(effects, RoundFinished) and "Oppsummering" in texts(effects)[-1]
    assert drive.engine.running(G) is None and drive.engine.latest(G).id == rid
    assert replies(drive.cmd(G, "trainer", NextPart(), controller=True))[0].refused


def test_two_chats_run_independently(drive: Driver) -> None:
    a, b = start(drive, G), start(drive, G2, "blandet")
    drive.vote(G, "alice", a, 1, "red")
    assert replies(drive.vote(G2, "alice", b, 1, "red"))[0].refused  # part 1 of 'blandet' has no vote
    drive.cmd(G2, "trainer", NextPart(), controller=True)
    drive.vote(G2, "alice", b, 2, "habil")
    assert drive.engine.round(a).parts[0].votes == {"alice": "red"}
    assert drive.engine.round(b).parts[1].votes == {"alice": "habil"}


def test_one_active_round_per_chat(drive: Driver) -> None:
    start(drive)
    effects = drive.cmd(G, "trainer", StartRound("blandet"), controller=True)
    assert replies(effects)[0].refused and "tre" in replies(effects)[0].text[0].text


def test_unknown_case_id_is_refused(drive: Driver) -> None:
    effects = drive.cmd(G, "trainer", StartRound("finnes-ikke"), controller=True)
    assert replies(effects)[0].refused and "finnes-ikke" in replies(effects)[0].text[0].text
    assert drive.engine.running(G) is None and drive.engine.live_rounds() == []


def test_part_without_options_posts_points_and_refuses_votes(drive: Driver) -> None:
    effects = drive.cmd(G, "trainer", StartRound("blandet"), controller=True)
    posts = of(effects, Post)
    assert posts[1].buttons == () and "kontekst punkt 1" in texts(effects)[2]
    assert replies(drive.cmd(G, "alice", Vote("1")))[0].refused
    assert replies(drive.cmd(G, "trainer", CloseVoting(), controller=True))[0].refused


def test_vote_command_by_number_key_and_label(drive: Driver) -> None:
    rid = start(drive)
    drive.cmd(G, "a", Vote("1"))
    drive.cmd(G, "b", Vote("green"))
    drive.cmd(G, "c", Vote("Grønt lys"))
    assert drive.engine.round(rid).parts[0].votes == {"a": "red", "b": "green", "c": "green"}
    bad = drive.cmd(G, "d", Vote("blue"))
    assert replies(bad)[0].refused and "1 = Rødt lys (red)" in replies(bad)[0].text[0].text


def test_the_options_line_names_a_key_only_where_the_label_lacks_it(drive: Driver) -> None:
    rid = start(drive, G, "blandet")
    drive.cmd(G, "trainer", NextPart(), controller=True)
    bad = to_plain(replies(drive.cmd(G, "d", Vote("blue")))[0].text)
    assert "1 = Habil, 2 = Inhabil." in bad
    drive.cmd(G, "trainer", SetLanguage("en"), controller=True)
    english = to_plain(replies(drive.cmd(G, "d", Vote("blue")))[0].text)
    assert "1 = Not disqualified (habil), 2 = Disqualified (inhabil)." in english and rid


def test_stop_ends_the_round_with_a_summary(drive: Driver) -> None:
    rid = start(drive)
    drive.vote(G, "alice", rid, 1, "green")
    effects = drive.cmd(G, "trainer", StopRound(), controller=True)
    assert of(effects, RoundFinished) and drive.engine.round(rid).finished
    summary = texts(effects)[-1]
    assert summary.startswith("Oppsummering – Tre deler")
    assert summary.endswith("Runden er ferdig. Takk for at dere deltok!")
    assert tally_line(paragraph(summary, "En"), "Grønt lys") == "1 (100 %)"  # /stop closed the open part first
    assert "To" not in summary.splitlines()  # parts never opened are not listed


def test_results_of_an_open_part_show_only_how_many_voted(drive: Driver) -> None:
    assert "Ingen runder" in replies(drive.cmd(G, "x", ShowResults()))[0].text[0].text
    rid = start(drive)
    drive.vote(G, "alice", rid, 1, "green")
    summary = to_plain(replies(drive.cmd(G, "x", ShowResults()))[0].text)
    assert "Grønt lys" not in summary and "%" not in summary  # the split stays hidden until /close
    assert "avstemningen pågår (1 har stemt)" in summary
    assert summary.endswith("Runden pågår: del 1 av 3.") and "ferdig" not in summary
    drive.cmd(G, "trainer", CloseVoting(), controller=True)
    closed = to_plain(replies(drive.cmd(G, "x", ShowResults()))[0].text)
    assert tally_line(closed, "Grønt lys") == "1 (100 %)"


def test_the_summary_shows_the_overall_split_only_where_five_or_more_answered(drive: Driver) -> None:
    drive.engine.handle(OverallChanged("tre", 1, {"red": 3, "green": 1}))  # four answers: could identify people
    drive.engine.handle(OverallChanged("tre", 2, {"red": 3, "green": 2}))  # five: shown
    rid = start(drive)
    drive.vote(G, "alice", rid, 1, "red")
    for _ in range(3):
        effects = drive.cmd(G, "trainer", NextPart(), controller=True)
    for summary in (texts(effects)[-1], to_plain(replies(drive.cmd(G, "x", ShowResults()))[0].text)):
        first, second = paragraph(summary, "En"), paragraph(summary, "To")
        assert tally_lines(first, "Rødt lys") == ["1 (100 %)"]  # the group's split, and no overall one
        assert first.endswith("Samlet fordeling vises når minst 5 har svart.")
        assert tally_lines(second, "Rødt lys") == ["0 (0 %)", "3 (60 %)"]  # the group's, then the overall split
        assert "Alle grupper og selvtester (5)" in second.splitlines()


def test_help_lists_commands(drive: Driver) -> None:
    assert "/start ID [timer 3m]" in to_plain(replies(drive.cmd(G, "x", Help()))[0].text)
    listing = to_plain(replies(drive.cmd(G, "x", ListCases()))[0].text).splitlines()
    assert listing[1:3] == ["• blandet – Blandet (2 deler)", "• tre – Tre deler (3 deler)"]


def test_references_on_request(drive: Driver) -> None:
    start(drive)
    text = "".join(s.text for s in replies(drive.cmd(G, "x", ShowReferences()))[0].text)
    assert "Forvaltningsloven § 6" in text


def test_unknown_command_points_to_help(drive: Driver) -> None:
    effects = drive.cmd(G, "x", Unknown("frobnicate"))
    assert replies(effects)[0].refused and "/help" in replies(effects)[0].text[0].text


def test_a_platform_with_another_prefix_gets_its_commands_written_so(drive: Driver) -> None:
    drive.engine.platforms.register("bang", Capabilities(prefix="!"))
    help_text = to_plain(replies(drive.cmd("bang:!room:localhost", "x", Help()))[0].text)
    assert "!start ID" in help_text and "/start" not in help_text


def test_results_point_to_what_comes_next_only_when_something_does(drive: Driver) -> None:
    rid = start(drive)
    drive.vote(G, "alice", rid, 1, "red")
    closed = texts(drive.cmd(G, "trainer", CloseVoting(), controller=True))[0]
    assert closed.endswith("Neste del: /next")  # the trainer discusses, then moves on
    drive.cmd(G, "trainer", NextPart(), controller=True)
    drive.vote(G, "alice", rid, 2, "red")
    moved_on = texts(drive.cmd(G, "trainer", NextPart(), controller=True))  # closes part 2, opens part 3 at once
    assert "/next" not in moved_on[0] and "Del 3 av 3" in moved_on[1]
    stopped = texts(drive.cmd(G, "trainer", StopRound(), controller=True))  # closes part 3 and ends the round
    assert "/next" not in stopped[0] and stopped[-1].startswith("Oppsummering")
