"""Group rounds: start, vote, change, close, next, summary; refusals."""

from __future__ import annotations

from bot.effects import Edit, PartClosed, PartOpened, Post, RoundFinished, RoundStarted, TallyChanged, VoteRecorded
from bot.events import (
    CloseVoting, Help, ListCases, NextPart, ShowReferences, ShowResults, StartRound, StopRound, Unknown, Vote,
)

from .conftest import Driver, of, replies, texts

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


def test_double_vote_counts_once(drive: Driver) -> None:
    rid = start(drive)
    drive.vote(G, "alice", rid, 1, "red")
    again = drive.vote(G, "alice", rid, 1, "red")
    assert of(again, VoteRecorded) == [] and "allerede" in replies(again)[0].text[0].text
    assert drive.engine.rounds[rid].parts[0].votes == {"alice": "red"}


def test_vote_change_replaces_the_vote(drive: Driver) -> None:
    rid = start(drive)
    drive.vote(G, "alice", rid, 1, "red")
    effects = drive.vote(G, "alice", rid, 1, "green")
    assert of(effects, VoteRecorded)[0].option == "green"
    assert "endret" in replies(effects)[0].text[0].text
    assert drive.engine.rounds[rid].parts[0].counts(("red", "green")) == {"red": 0, "green": 1}


def test_vote_after_close_is_refused_and_not_counted(drive: Driver) -> None:
    rid = start(drive)
    drive.vote(G, "alice", rid, 1, "red")
    drive.cmd(G, "trainer", CloseVoting(), controller=True)
    late = drive.vote(G, "bob", rid, 1, "green")
    assert of(late, VoteRecorded) == [] and replies(late)[0].refused
    assert drive.engine.rounds[rid].parts[0].votes == {"alice": "red"}


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
    assert "2 (67 %)" in results and "1 (33 %)" in results and "en punkt 1" in results
    chart = of(effects, Post)[0].chart
    assert [(b.label, b.count) for b in chart.bars] == [("Rødt lys", 2), ("Grønt lys", 1)]


def test_non_controller_cannot_start_close_next_or_stop(drive: Driver) -> None:
    for command in (StartRound("tre"),):
        assert replies(drive.cmd(G, "bob", command))[0].refused
    rid = start(drive)
    for command in (CloseVoting(), NextPart(), StopRound()):
        effects = drive.cmd(G, "bob", command)
        assert len(effects) == 1 and effects[0].refused and "Beklager" in effects[0].text[0].text
    assert drive.engine.rounds[rid].voting_open and drive.engine.rounds[rid].current == 1


def test_next_closes_then_advances_through_all_parts_to_summary(drive: Driver) -> None:
    rid = start(drive)
    drive.vote(G, "alice", rid, 1, "red")
    effects = drive.cmd(G, "trainer", NextPart(), controller=True)
    assert [type(e).__name__ for e in effects][:3] == ["PartClosed", "Edit", "Post"]
    assert of(effects, PartOpened)[0].part == 2
    drive.cmd(G, "trainer", NextPart(), controller=True)
    effects = drive.cmd(G, "trainer", NextPart(), controller=True)  # closes part 3 -> summary
    assert of(effects, RoundFinished) and "Oppsummering" in texts(effects)[-1]
    assert G not in drive.engine.active
    assert replies(drive.cmd(G, "trainer", NextPart(), controller=True))[0].refused


def test_two_chats_run_independently(drive: Driver) -> None:
    a, b = start(drive, G), start(drive, G2, "blandet")
    drive.vote(G, "alice", a, 1, "red")
    assert replies(drive.vote(G2, "alice", b, 1, "red"))[0].refused  # part 1 of 'blandet' has no vote
    drive.cmd(G2, "trainer", NextPart(), controller=True)
    drive.vote(G2, "alice", b, 2, "habil")
    assert drive.engine.rounds[a].parts[0].votes == {"alice": "red"}
    assert drive.engine.rounds[b].parts[1].votes == {"alice": "habil"}


def test_one_active_round_per_chat(drive: Driver) -> None:
    start(drive)
    effects = drive.cmd(G, "trainer", StartRound("blandet"), controller=True)
    assert replies(effects)[0].refused and "tre" in replies(effects)[0].text[0].text


def test_unknown_case_id_is_refused(drive: Driver) -> None:
    effects = drive.cmd(G, "trainer", StartRound("finnes-ikke"), controller=True)
    assert replies(effects)[0].refused and "finnes-ikke" in replies(effects)[0].text[0].text
    assert drive.engine.rounds == {}


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
    assert drive.engine.rounds[rid].parts[0].votes == {"a": "red", "b": "green", "c": "green"}
    bad = drive.cmd(G, "d", Vote("blue"))
    assert replies(bad)[0].refused and "1 = Rødt lys (red)" in replies(bad)[0].text[0].text


def test_stop_ends_the_round_with_a_summary(drive: Driver) -> None:
    rid = start(drive)
    effects = drive.cmd(G, "trainer", StopRound(), controller=True)
    assert of(effects, RoundFinished) and drive.engine.rounds[rid].finished


def test_results_show_latest_round_and_help_lists_commands(drive: Driver) -> None:
    assert "Ingen runder" in replies(drive.cmd(G, "x", ShowResults()))[0].text[0].text
    rid = start(drive)
    drive.vote(G, "alice", rid, 1, "green")
    summary = "".join(s.text for s in replies(drive.cmd(G, "x", ShowResults()))[0].text)
    assert "Grønt lys" in summary and "1 (100 %)" in summary
    assert "/start" in replies(drive.cmd(G, "x", Help()))[0].text[0].text
    assert "tre" in "".join(s.text for s in replies(drive.cmd(G, "x", ListCases()))[0].text)


def test_references_on_request(drive: Driver) -> None:
    start(drive)
    text = "".join(s.text for s in replies(drive.cmd(G, "x", ShowReferences()))[0].text)
    assert "Forvaltningsloven § 6" in text


def test_unknown_command_points_to_help(drive: Driver) -> None:
    effects = drive.cmd(G, "x", Unknown("frobnicate"))
    assert replies(effects)[0].refused and "/help" in replies(effects)[0].text[0].text


def test_matrix_chats_get_bang_commands(drive: Driver) -> None:
    effects = drive.cmd("matrix:!room:localhost", "x", Help())
    assert "!start" in replies(effects)[0].text[0].text
