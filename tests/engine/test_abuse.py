"""Abuse: forged and stale buttons, floods, odd input, commands from people who may not give them."""

from __future__ import annotations

import copy
import re
from datetime import timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot import buttons
from bot.cases import Case, Library, Localized
from bot.commands import MAX_LINE
from bot.engine.table import COMMANDS
from bot.effects import Edit, NextButton, Post, Reply, TallyChanged, VoteButton, VoteRecorded
from bot.engine import Engine
from bot.engine.context import MAX_ECHO
from bot.engine.chats import ListCases, SetLanguage, SetTimezone
from bot.engine.rounds import CloseVoting, NextPart, ShowResults, StartRound, StopRound, Vote
from bot.engine.schedules import Schedule, Unschedule
from bot.events import BadUsage, CommandIssued, NextPressed, Sender, Unknown, VoteCast, VoteWithdrawn
from bot.i18n import t
from bot.outbox import Outbox
from bot.platforms import Platforms
from bot.ratelimit import RateLimiter
from bot.richtext import Span, clean, plain, to_html, to_plain

from .conftest import T0, TEST_PLATFORM, _part, make_library, of, replies

G, G2 = "test:group", "test:other"
TRAINER = Sender("trainer", controller=True)
SHORT = 200  # a refusal is one short sentence


def engine(limits: bool = False) -> Engine:
    """Production rate limits when ``limits``, else generous ones (set after construction, see below)."""
    e = Engine(make_library(), platforms=Platforms({"test": TEST_PLATFORM}))
    if not limits:
        e.user_limit = RateLimiter(1000, 1000)
        e.chat_limit = RateLimiter(1000, 1000)
    return e


def start(e: Engine, chat: str = G, case: str = "tre") -> int:
    e.handle(CommandIssued(chat, TRAINER, StartRound(case), T0))
    return e.running(chat).id


def state(e: Engine) -> tuple:
    """Everything a refused event must leave as it was."""
    return (copy.deepcopy(e.live), dict(e.running_in), copy.deepcopy(dict(e.finished)), copy.deepcopy(e.settings),
            copy.deepcopy(e.waiting), e.next_round_id, e.next_schedule_id)


def refused_briefly(effects: list, key: str | None = None) -> Reply:
    assert len(effects) == 1 and isinstance(effects[0], Reply) and effects[0].refused, effects
    text = to_plain(effects[0].text)
    assert 0 < len(text) < SHORT, text
    if key is not None:
        assert text == t("nb", key, p="/"), text
    return effects[0]


def no_votes_counted(effects: list) -> None:
    assert not of(effects, VoteRecorded) and not [e for e in effects if isinstance(e, Edit)]


# ---- forged and stale button data ---------------------------------------------------------------------


@pytest.mark.parametrize("data", [
    None, "", " ", "garbage", "v:", "v:1", "v:1:1", "v:1:1:", "v:x:1:red", "v:1:x:red", "v:-1:1:red", "v:1:-1:red",
    "v:1:1:RED", "v:1:1:-red", "v:1:1:red:extra", "v:1:1:red ", " v:1:1:red", "V:1:1:red", "v:1:1:r\u00e9d",
    "v:1:1:red;DROP TABLE votes", "v:1234567890123:1:red", "v:1:1234:red", "v:1:1:" + "a" * 42,
    "n:", "n:1", "n:1:", "n:1:1:red", "n:x:1", "x:1:1", "v:1:1:red\x00", "<b>v:1:1:red</b>",
    "v:1:1:" + "a" * 60,  # over 64 characters
    "v" * 65, "n:1:1" + " " * 100,
])
def test_decode_rejects_garbage_oversized_and_odd_data(data: str | None) -> None:
    assert buttons.decode(data) is None


@pytest.mark.parametrize("data", ["v:1:1:red\n", "n:1:1\n", "v:\u0661:1:red", "n:1:\u0661", "v:1:\uff11:red"])
def test_decode_rejects_newline_and_non_ascii_digits(data: str) -> None:
    assert buttons.decode(data) is None


# Button data as we make it ("v:12:1:red", "n:3:2"), and with each piece a little off.
_number = st.one_of(st.integers(0, 999).map(str), st.integers(0, 10**13).map(str),
                    st.sampled_from(["", "-1", "+1", " 1", "01", "١", "1.0"]))
_option = st.one_of(st.from_regex(r"[a-z0-9][a-z0-9-]{0,40}", fullmatch=True), st.text(max_size=45),
                    st.sampled_from(["", "RED", "red;", "réd", "-red", "red\n"]))
near_button_data = st.builds(lambda kind, round_id, part, option: f"{kind}:{round_id}:{part}"
                             + ("" if option is None else f":{option}"),
                             st.sampled_from("vnV"), _number, _number, st.none() | _option)


@given(st.one_of(near_button_data, st.text(max_size=100)))
@example("v:-1:1:red")
@example("n:1:-1")
@example("v:1:1:red;x")
@example("v:01:002:red")
@settings(max_examples=300, deadline=None)
def test_decode_never_raises_and_only_accepts_what_encode_could_make(data: str) -> None:
    pressed = buttons.decode(data)
    if pressed is not None:
        assert pressed.round_id >= 0 and pressed.part >= 0 and len(data.encode()) <= 64
        made = (VoteButton("", "", pressed.round_id, pressed.part, pressed.option) if pressed.option is not None
                else NextButton("", pressed.round_id, pressed.part))
        assert buttons.encode(made) == re.sub(r"(?<=:)0+(?=[0-9])", "", data)  # the same, up to leading zeros


@given(st.integers(0, 10**12 - 1), st.integers(1, 999), st.from_regex(r"[a-z0-9][a-z0-9-]{0,40}", fullmatch=True))
@settings(max_examples=200, deadline=None)
def test_encode_decode_round_trip_fits_telegram(round_id: int, part: int, option: str) -> None:
    vote = buttons.encode(VoteButton("Rødt lys", "🔴", round_id, part, option))
    nxt = buttons.encode(NextButton("Neste", round_id, part))
    assert len(vote.encode()) <= 64 and len(nxt.encode()) <= 64
    assert buttons.decode(vote) == buttons.Pressed(round_id, part, option)
    assert buttons.decode(nxt) == buttons.Pressed(round_id, part, None)


def test_press_naming_another_chats_round_is_refused_and_not_counted() -> None:
    e = engine()
    rid = start(e, G)
    start(e, G2)
    before = state(e)
    effects = e.handle(VoteCast(G2, Sender("mallory"), rid, 1, "red", T0))
    refused_briefly(effects, "refuse.stale")
    no_votes_counted(effects)
    withdrawn = e.handle(VoteWithdrawn(G2, Sender("mallory"), rid, 1, "red", T0))
    assert not of(withdrawn, VoteRecorded)
    assert state(e) == before


@pytest.mark.parametrize("round_id, part", [(999, 1), (0, 1), (-1, 1), (1, 0), (1, -5), (1, 4), (1, 10**6)])
def test_press_naming_an_unknown_round_or_part_is_refused(round_id: int, part: int) -> None:
    e = engine()
    start(e)
    before = state(e)
    effects = e.handle(VoteCast(G, Sender("mallory"), round_id, part, "red", T0))
    refused_briefly(effects, "refuse.stale")
    no_votes_counted(effects)
    assert state(e) == before


@pytest.mark.parametrize("option", ["blue", "habil", "RED", "", "red ", "r" * 1000, "<b>red</b>", "1"])
def test_press_naming_an_unknown_option_is_refused(option: str) -> None:
    e = engine()
    rid = start(e)
    before = state(e)
    effects = e.handle(VoteCast(G, Sender("mallory"), rid, 1, option, T0))
    refused_briefly(effects, "refuse.stale")
    no_votes_counted(effects)
    assert state(e) == before


def test_press_on_a_closed_part_is_refused_and_the_part_stays_as_it_was() -> None:
    e = engine()
    rid = start(e)
    e.handle(VoteCast(G, Sender("alice"), rid, 1, "red", T0))
    e.handle(CommandIssued(G, TRAINER, CloseVoting(), T0))
    before = state(e)
    for user, option in (("bob", "green"), ("alice", "green")):  # a late vote, a late change
        effects = e.handle(VoteCast(G, Sender(user), rid, 1, option, T0))
        refused_briefly(effects, "refuse.voting_closed")
        no_votes_counted(effects)
    assert e.handle(VoteWithdrawn(G, Sender("alice"), rid, 1, "red", T0)) == []  # a late withdrawal does nothing
    e.handle(CommandIssued(G, TRAINER, NextPart(), T0))
    effects = e.handle(VoteCast(G, Sender("bob"), rid, 1, "green", T0))  # a stale button of part 1 during part 2
    refused_briefly(effects, "refuse.voting_closed")
    assert e.round(rid).parts[0].votes == before[0][rid].parts[0].votes == {"alice": "red"}


def test_press_on_a_finished_round_is_refused() -> None:
    e = engine()
    rid = start(e)
    e.handle(CommandIssued(G, TRAINER, StopRound(), T0))
    before = state(e)
    effects = e.handle(VoteCast(G, Sender("alice"), rid, 1, "red", T0))
    refused_briefly(effects)
    no_votes_counted(effects)
    assert state(e) == before


def test_press_on_someone_elses_selftest_is_refused() -> None:
    e = engine()
    e.handle(CommandIssued("test:dm-alice", Sender("alice"), StartRound("tre"), T0, private=True))
    rid = e.running("test:dm-alice").id
    before = state(e)
    effects = e.handle(VoteCast("test:dm-alice", Sender("mallory"), rid, 1, "red", T0))
    refused_briefly(effects, "refuse.not_your_selftest")
    assert state(e) == before


@pytest.mark.parametrize("case", ["tre", "blandet"])
def test_next_button_cannot_move_a_group_round(case: str) -> None:
    e = engine()
    rid = start(e, G, case)
    if case == "tre":
        e.handle(CommandIssued(G, TRAINER, CloseVoting(), T0))  # part 1 closed: the trainer discusses it
    before = state(e)
    for sender in (Sender("mallory"), TRAINER):  # "next" buttons exist only in self-tests; /next is the way
        effects = e.handle(NextPressed(G, sender, rid, 1, T0))
        refused_briefly(effects, "refuse.stale")
        assert state(e) == before


# ---- floods -----------------------------------------------------------------------------------------


def _too_fast(effects: list) -> bool:
    return any(r.refused and to_plain(r.text) == t("nb", "refuse.too_fast") for r in replies(effects))


@pytest.mark.parametrize("alternate", [False, True])
def test_a_flood_of_presses_costs_one_vote_and_one_refusal_per_run(alternate: bool) -> None:
    e = engine(limits=True)  # the production limits
    rid = start(e)
    presses, seconds = 10_000, 3.0
    records, warnings, answered_others = 0, 0, 0
    warned_in_run = False
    for i in range(presses):
        now = T0 + timedelta(seconds=seconds * i / presses)
        option = ("red", "green")[i % 2] if alternate else "red"
        effects = e.handle(VoteCast(G, Sender("flooder"), rid, 1, option, now))
        records += len(of(effects, VoteRecorded))
        if _too_fast(effects):
            assert not warned_in_run, f"a second 'too fast' in one run at press {i}"
            warned_in_run, warnings = True, warnings + 1
        elif effects:  # an answered press ends the run
            assert not any(r.refused for r in replies(effects))
            warned_in_run = False
        if i % 1000 == 0:  # the rest of the chat is still answered
            other = e.handle(VoteCast(G, Sender(f"other{i}"), rid, 1, "green", now))
            assert [r.refused for r in replies(other)] == [False] and of(other, VoteRecorded)
            answered_others += 1
    votes = e.round(rid).parts[0].votes
    assert votes["flooder"] in ("red", "green") and len(votes) == 1 + answered_others  # one counted vote
    allowed = 10 + 3 * seconds + 1  # burst + refill over the flood
    assert records == 1 if not alternate else 1 <= records <= allowed
    assert 1 <= warnings <= allowed  # nearly every press went unanswered
    assert len(e.user_limit) == 2 + answered_others  # one bucket per sender (trainer, flooder, others)


def test_a_flood_of_presses_does_not_silence_the_rest_of_the_chat() -> None:
    e = engine(limits=True)
    rid = start(e)
    for i in range(30_000):
        now = T0 + timedelta(seconds=30.0 * i / 30_000)
        e.handle(VoteCast(G, Sender("flooder"), rid, 1, "red", now))
        if i % 1000 == 500:
            effects = e.handle(VoteCast(G, Sender(f"member{i}"), rid, 1, "green", now))
            assert [r.refused for r in replies(effects)] == [False] and of(effects, VoteRecorded)
            effects = e.handle(CommandIssued(G, Sender(f"member{i}"), ShowResults(), now))
            assert replies(effects) and not replies(effects)[0].refused


def test_a_flood_of_commands_does_not_silence_the_rest_of_the_chat() -> None:
    e = engine(limits=True)
    start(e)
    refused = []
    for i in range(30_000):
        now = T0 + timedelta(seconds=30.0 * i / 30_000)
        e.handle(CommandIssued(G, Sender("flooder"), Vote("red"), now))
        if i % 1000 == 137:  # one member asks once a second (at x.5 s the phase happens to let them through)
            effects = e.handle(CommandIssued(G, Sender(f"member{i}"), ShowResults(), now))
            refused += [i for r in replies(effects) if r.refused] + ([] if effects else [i])
    assert refused == []


def test_rate_limiter_memory_stays_bounded_under_many_senders() -> None:
    e = engine(limits=True)
    e.user_limit = RateLimiter(rate=3, burst=10, max_keys=1_000)
    rid = start(e)
    for i in range(20_000):
        now = T0 + timedelta(seconds=i / 20_000)
        e.handle(VoteCast(G, Sender(f"sock{i}"), rid, 1, "red", now))
        assert len(e.user_limit) <= 1_000
    assert len(e.round(rid).parts[0].votes) == 20_000  # each distinct voter still counted once


def test_a_flood_of_voters_gives_few_tally_edits() -> None:
    e = engine()
    rid = start(e)
    outbox = Outbox(lambda chat: timedelta(seconds=4))
    sent = 0
    for i in range(10_000):
        now = T0 + timedelta(seconds=10.0 * i / 10_000)
        sent += len([m for m in outbox.submit(e.handle(VoteCast(G, Sender(f"v{i}"), rid, 1, "red", now)), now)
                     if isinstance(m, TallyChanged)])
        sent += len(outbox.due(now))
    sent += len(outbox.due(T0 + timedelta(minutes=1)))
    assert sent <= 10 / 4 + 2  # one edit per 4 s per chat, whatever the number of votes


def test_rate_limiters_given_to_the_engine_are_used() -> None:
    user, chat = RateLimiter(1000, 1000), RateLimiter(1000, 1000)
    e = Engine(make_library(), user_limit=user, chat_limit=chat)
    assert e.user_limit is user and e.chat_limit is chat


# ---- odd input --------------------------------------------------------------------------------------

NASTY = [
    "<b>bold</b>", "<script>alert(1)</script>", "&amp; &lt;", "a & b < c > d", "<a href='http://x'>x</a>",
    "*bold* _italic_ `code` [link](http://example.com) ~~s~~ ||spoiler||", "\x00\x07\x1b[31mred\x1b[0m\x7f",
    "\u202eevil\u202c", "\u2066iso\u2069", "line\nbreak\ttab", "'; DROP TABLE votes; --", "💥" * 50,
]


CONTROLS = "\x00\x07\x1b\x7f\u202e\u202c\u2066\u2069"  # terminal controls and bidi overrides in NASTY


@pytest.mark.parametrize("text", NASTY)
def test_to_html_escapes_markup_and_strips_control_characters(text: str) -> None:
    out = to_html(plain(text))
    assert "<" not in out and ">" not in out  # nothing the platform could read as a tag
    assert not any(ch in out for ch in CONTROLS)
    assert out == to_html(plain(clean(text)))
    styled = to_html((Span(text, "b"), Span(text, "code")))
    assert styled.startswith("<b>") and styled.count("<b>") == 1 and styled.count("<code>") == 1


@pytest.mark.parametrize("text", NASTY)
def test_to_plain_strips_control_characters(text: str) -> None:
    """Plain text is what Matrix bodies, Telegram toasts and the console show."""
    out = to_plain((Span("«"), Span(text, "b"), Span("»")))
    assert not any(ch in out for ch in CONTROLS)
    assert out == f"«{clean(text)}»"


@given(st.text(max_size=200), st.sampled_from(["", "b", "i", "code"]))
@settings(max_examples=300, deadline=None)
def test_to_html_never_lets_markup_or_controls_through(text: str, style: str) -> None:
    out = to_html((Span(text, style),), newline="<br>")
    body = out.removeprefix(f"<{style}>").removesuffix(f"</{style}>") if style else out
    assert "<" not in body.replace("<br>", "") and ">" not in body.replace("<br>", "")
    assert not any(ch in body for ch in "\x00\x01\x1b\x7f\u202a\u202e\u2066\u2069")
    assert "&" not in body.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")


def test_very_long_command_lines_are_cut() -> None:
    command = COMMANDS.parse("/vote " + "x" * 100_000)
    assert isinstance(command, Vote) and len(command.choice) <= MAX_LINE
    assert isinstance(COMMANDS.parse("/start " + "a" * 100_000), StartRound)
    assert COMMANDS.parse("/" + "a" * 100_000) is not None  # an unknown command, not a crash


@pytest.mark.parametrize("text", NASTY + ["x" * 10_000])
def test_odd_arguments_are_echoed_short_escaped_and_clean(text: str) -> None:
    e = engine()
    start(e)
    lines = [f"/start {text}", f"/vote {text}", f"/lang {text}", f"/schedule tre {text}", f"/start {text} timer 5m",
             f"/tz {text}"]
    for line in lines:
        command = COMMANDS.parse(line)
        assert command is not None
        controller = not line.startswith("/vote")
        effects = e.handle(CommandIssued(G2 if line.startswith("/start") else G, Sender("trainer", controller),
                                         command, T0))
        reply = replies(effects)[0]
        html = to_html(reply.text)
        assert reply.refused, (line, html)
        assert len(to_plain(reply.text)) < SHORT + MAX_ECHO * 2, html  # the echo is cut
        assert "<b>" not in html and "<script" not in html and "<a " not in html
        assert not any(ch in html or ch in to_plain(reply.text) for ch in CONTROLS)




@pytest.mark.parametrize("zone", [
    "Mars/Olympus", "", " ", ".", "..", "../../etc/passwd", "/etc/passwd", "Europe/../Europe/Oslo", "Europe/",
    "__init__.py", "zone1970.tab", "Europe/Oslo\x00", "<b>Europe/Oslo</b>",
    "Europe", "America", pytest.param("x" * 300, id="x*300"),
])
def test_odd_timezones_are_refused_and_nothing_escapes(zone: str) -> None:
    e = engine()
    before = state(e)
    effects = e.handle(CommandIssued(G, TRAINER, SetTimezone(zone), T0))
    refused_briefly(effects)
    assert state(e) == before


def test_case_texts_with_markup_are_shown_not_interpreted() -> None:
    part = _part("en")
    odd = Case("odd-case", "<i>KS</i> & co", Localized("<b>Tittel</b> *fet*", "<b>Title</b>"), (part,))
    e = Engine(Library({odd.id: odd}))
    effects = e.handle(CommandIssued(G, TRAINER, ListCases(), T0))
    html = to_html(replies(effects)[0].text)
    assert "&lt;b&gt;Tittel&lt;/b&gt; *fet*" in html and "<b>Tittel" not in html
    effects = e.handle(CommandIssued(G, TRAINER, StartRound("odd-case"), T0))
    for post in of(effects, Post):
        html = to_html(post.text)
        assert "<i>KS" not in html and "<b>Tittel" not in html
    assert "&lt;i&gt;KS&lt;/i&gt; &amp; co" in to_html(of(effects, Post)[0].text)


# ---- authorisation ----------------------------------------------------------------------------------

CONTROLLER_ONLY = [
    pytest.param(StartRound("blandet"), id="start"),
    pytest.param(StartRound("tre", timedelta(minutes=5)), id="start-timer"),
    pytest.param(CloseVoting(), id="close"),
    pytest.param(NextPart(), id="next"),
    pytest.param(StopRound(), id="stop"),
    pytest.param(Schedule("tre", "2026-12-01 09:00"), id="schedule"),
    pytest.param(Schedule("tre", "2026-12-01 09:00", "2026-12-02 09:00"), id="schedule-until"),
    pytest.param(Unschedule(1), id="unschedule"),
    pytest.param(Unschedule(99), id="unschedule-unknown"),
    pytest.param(SetLanguage("en"), id="lang"),
    pytest.param(SetTimezone("America/New_York"), id="tz"),
]


@pytest.mark.parametrize("command", CONTROLLER_ONLY)
@pytest.mark.parametrize("running", [True, False], ids=["round-running", "no-round"])
def test_controller_only_commands_from_members_are_refused_and_change_nothing(command, running: bool) -> None:
    e = engine()
    e.handle(CommandIssued(G, TRAINER, Schedule("tre", "2026-12-01 09:00"), T0))  # schedule no. 1
    if running:
        rid = start(e)
        e.handle(VoteCast(G, Sender("alice"), rid, 1, "red", T0))
    before = state(e)
    effects = e.handle(CommandIssued(G, Sender("member"), command, T0))
    refused_briefly(effects, "refuse.not_controller")  # who may is checked first, from the command table
    assert state(e) == before


@pytest.mark.parametrize("command", CONTROLLER_ONLY)
def test_the_same_commands_work_for_a_controller(command) -> None:
    """The refusals above are about who asks, not about the commands being broken."""
    e = engine()
    e.handle(CommandIssued(G, TRAINER, Schedule("tre", "2026-12-01 09:00"), T0))
    if not isinstance(command, StartRound):
        start(e)
    effects = e.handle(CommandIssued(G, TRAINER, command, T0))
    if isinstance(command, Unschedule) and command.number == 99:
        refused_briefly(effects, None)
    else:
        assert not any(r.refused for r in replies(effects)), effects


@given(st.text(max_size=700), st.sampled_from(["/", "!"]), st.sampled_from([None, "DilemmaBot"]))
@settings(max_examples=500, deadline=None)
def test_no_text_makes_the_parser_or_the_engine_raise(text: str, prefix: str, bot_name: str | None) -> None:
    """Non-ASCII digits, huge whitespace, anything: a command, an Unknown, a BadUsage or None, never an exception."""
    e = engine()
    start(e)
    for line in (text, prefix + text, f"{prefix}unschedule {text}", f"{prefix}start {text}", f"{prefix}vote {text}"):
        command = COMMANDS.parse(line, prefix, bot_name)
        if command is not None:
            for controller, private in ((True, False), (False, False), (False, True)):
                e.handle(CommandIssued(G if not private else "test:dm-x", Sender("x", controller), command, T0,
                                       private))


@pytest.mark.parametrize("line", ["/unschedule ²", "/" + " " * 600 + "x", "/start jubileum timer ²m", "/vote ١",
                                  "/" + "\u3000" * 9, "/close@", "/@DilemmaBot"])
def test_lines_that_once_raised_are_parsed(line: str) -> None:
    command = COMMANDS.parse(line, "/", "DilemmaBot")
    assert command is None or isinstance(command, (BadUsage, Unknown)) or COMMANDS.spec(command) is not None
