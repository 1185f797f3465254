"""A whole group round of the real case `jubileum` through the Telegram adapter and the emulator."""

from __future__ import annotations

import json

import pytest

from bot.engine.table import COMMANDS
from bot.i18n import LANGUAGES

from ...engine.conftest import tally_line
from .bot_harness import PNG_SIGNATURE, errors_logged, has_buttons, invalid_html, png_of, running_bot, sent_html
from .emulator_client import Chat, User, button_data

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

# Distinctive ids, so a leak into the database would be found by a plain search.
ADMIN = User(700000001, "Anne", "anne")
OWNER = User(700000002, "Ola", "ola")
BJORN = User(700000003, "Bjørn", "bjorn")
CARI = User(700000004, "Cari", "cari")
DAG = User(700000005, "Dag", "dag")
GROUP = Chat.group(-4101, "Kommunestyret")

RED, GREEN = "🔴 Rødt lys", "🟢 Grønt lys"


def buttons(message: dict) -> list[list[str]]:
    return [[b["text"] for b in row] for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])]


async def test_group_round_start_vote_close_next_results(telegram_sandbox, tmp_path, caplog):
    async with running_bot(telegram_sandbox, tmp_path) as h:
        await h.emu.set_admins(GROUP.id, [ADMIN.id], owner_id=OWNER.id)

        start_id = await h.command(GROUP, ADMIN, "/start jubileum")
        part1 = await h.wait_message(GROUP, has_buttons)
        intro = (await h.messages(GROUP))[0]
        assert intro["text"].startswith("<b>Nytt dilemma: Rødt eller grønt lys: jubileet</b>")
        assert intro["params"]["parse_mode"] == "HTML"
        assert "<b>Del 1 av 3: Jubileumsmiddagen</b>" in part1["text"]
        assert buttons(part1) == [[RED, GREEN]]
        assert button_data(part1) == ["v:1:1:red", "v:1:1:green"]
        assert "reply_to_message" not in part1  # round messages are posts, not replies

        # Votes are button presses; each is answered with a toast, one changes their mind.
        assert await h.vote(GROUP, BJORN, part1, "v:1:1:red") == f"Stemme registrert: {RED}"
        assert await h.vote(GROUP, CARI, part1, "v:1:1:green") == f"Stemme registrert: {GREEN}"
        assert await h.vote(GROUP, DAG, part1, "v:1:1:red") == f"Stemme registrert: {RED}"
        assert await h.vote(GROUP, CARI, part1, "v:1:1:red") == f"Du endret stemmen til {RED}"
        assert await h.vote(GROUP, CARI, part1, "v:1:1:red") == f"Du har allerede stemt {RED}"
        await h.emu.wait_for(lambda: any("Stemmer så langt: 3" in e["text"] for e in h.emu.sync.edits()))
        assert buttons((await h.messages(GROUP))[1]) == [[RED, GREEN]]  # tally edits keep the keyboard

        # A member may not close; a command for another bot is not ours.
        other_bot_id = await h.command(GROUP, ADMIN, "/close@SomeOtherBot")
        refused_id = await h.command(GROUP, BJORN, "/close")
        refusal = await h.reply_to(GROUP, refused_id)
        assert refusal["text"] == "Beklager, bare administratorer og kursledere kan gjøre det her."

        close_id = await h.command(GROUP, ADMIN, "/close@TestNameBot")
        results = await h.wait_text(GROUP, "Resultat – Jubileumsmiddagen")
        final = [e for e in await h.emu.edits() if e["message_id"] == part1["message_id"]][-1]
        assert final["reply_markup"] is None and "Avstemningen er lukket." in final["text"]
        assert "🔴 Rødt lys   ██████████  3 (100 %)" in results["text"]
        assert "🟢 Grønt lys  ░░░░░░░░░░  0 (0 %)" in results["text"]
        assert "Totalt 3 stemmer" in results["text"] and "<b>Til diskusjon</b>" in results["text"]
        assert "Straffeloven § 387" in results["text"] and "Neste del: /next" in results["text"]
        [photo] = await h.emu.photos()
        assert png_of(photo).startswith(PNG_SIGNATURE) and (photo["width"], photo["height"]) == (800, 450)
        assert photo["message_id"] < results["message_id"]  # the chart first, then the text to read
        assert photo["caption"] == "<b>Rødt eller grønt lys: jubileet</b>\nJubileumsmiddagen – Totalt 3 stemmer"

        # A vote on the closed part is refused and not counted.
        assert await h.vote(GROUP, OWNER, part1["message_id"], "v:1:1:green") == "Avstemningen er lukket."

        # /next through the other two parts; the owner (creator) controls as well as the admin.
        await h.command(GROUP, OWNER, "/next")
        part2 = await h.wait_message(GROUP, lambda m: "v:1:2:red" in button_data(m))
        assert await h.vote(GROUP, DAG, part2, "v:1:2:green") == f"Stemme registrert: {GREEN}"
        await h.command(GROUP, ADMIN, "/next")
        await h.wait_text(GROUP, "Resultat – Oslo-turen og landskampen")
        part3 = await h.wait_message(GROUP, lambda m: "v:1:3:red" in button_data(m))
        assert "<b>Del 3 av 3: Henvendelsen om nybygget</b>" in part3["text"]
        await h.command(GROUP, ADMIN, "/next")  # closes the last part: its results, then the summary at once
        last = await h.wait_text(GROUP, "Resultat – Henvendelsen om nybygget")
        assert "/next" not in last["text"]
        summary = await h.wait_text(GROUP, "Runden er ferdig. Takk for at dere deltok!")
        assert "<b>Oppsummering – Rødt eller grønt lys: jubileet</b>" in summary["text"]

        results_id = await h.command(GROUP, BJORN, "/results")
        shown = await h.reply_to(GROUP, results_id)
        assert shown["text"] == summary["text"]

        html = await sent_html(h.emu)
        photos = await h.emu.photos()
        edits = await h.emu.edits()
        member_checks = await h.emu.calls("getChatMember")
        messages = await h.messages(GROUP)

    assert html and invalid_html(html) == {}
    assert len(photos) == 3 and all(png_of(p).startswith(PNG_SIGNATURE) for p in photos)
    # Every part message ends without a keyboard.
    for part in (part1, part2, part3):
        assert [e for e in edits if e["message_id"] == part["message_id"]][-1]["reply_markup"] is None
    # Membership was asked once per person who used a controlling command (cached), never for votes or /results.
    assert sorted(int(c["params"]["user_id"]) for c in member_checks) == sorted([ADMIN.id, BJORN.id, OWNER.id])
    replied_to = {(m.get("reply_to_message") or {}).get("message_id") for m in messages}
    assert other_bot_id not in replied_to
    assert start_id not in replied_to and close_id not in replied_to  # rounds post; only refusals reply
    assert h.errors == [] and errors_logged(caplog) == []
    # Only pseudonyms reach the store: no Telegram user id is in the database.
    data = b"".join(p.read_bytes() for p in h.db_path.parent.glob(h.db_path.name + "*"))
    assert not [u.id for u in (ADMIN, OWNER, BJORN, CARI, DAG) if str(u.id).encode() in data]


async def test_a_group_round_carries_on_after_a_restart(telegram_sandbox, tmp_path, caplog):
    async with running_bot(telegram_sandbox, tmp_path) as h:
        await h.emu.set_admins(GROUP.id, [ADMIN.id])
        await h.command(GROUP, ADMIN, "/start jubileum")
        part = await h.wait_message(GROUP, has_buttons)
        await h.vote(GROUP, BJORN, part, "v:1:1:red")
    async with running_bot(telegram_sandbox, tmp_path) as h:
        assert await h.vote(GROUP, CARI, part, "v:1:1:green") == f"Stemme registrert: {GREEN}"
        await h.emu.wait_for(lambda: any("Stemmer så langt: 2" in e["text"] for e in h.emu.sync.edits()))
        await h.command(GROUP, ADMIN, "/close")
        results = await h.wait_text(GROUP, "Resultat – Jubileumsmiddagen")
        edits = [e for e in await h.emu.edits() if e["message_id"] == part["message_id"]]
    assert "Totalt 2 stemmer" in results["text"]
    assert edits[-1]["reply_markup"] is None  # the same message as before the restart was closed
    assert h.errors == [] and errors_logged(caplog) == []


async def test_group_admins_set_the_language_and_time_zone_and_members_may_not(telegram_sandbox, tmp_path, caplog):
    """/lang and /tz need control: the adapter asks Telegram who administers the group (from the command table)."""
    async with running_bot(telegram_sandbox, tmp_path) as h:
        await h.emu.set_admins(GROUP.id, [ADMIN.id])
        answers = {}
        for user, line in ((BJORN, "/lang en"), (BJORN, "/tz America/New_York"), (ADMIN, "/tz America/New_York"),
                           (ADMIN, "/lang en")):
            answers[(user.first_name, line)] = (await h.reply_to(GROUP, await h.command(GROUP, user, line)))["text"]
    refused = "Beklager, bare administratorer og kursledere kan gjøre det her."
    assert answers == {
        ("Bjørn", "/lang en"): refused,
        ("Bjørn", "/tz America/New_York"): refused,
        ("Anne", "/tz America/New_York"): "Tidssonen i denne chatten er nå America/New_York.",
        ("Anne", "/lang en"): "The language of this chat is now English.",
    }
    assert h.errors == [] and errors_logged(caplog) == []


async def test_command_menus_by_scope_in_every_language_come_from_the_command_table(telegram_sandbox, tmp_path):
    async with running_bot(telegram_sandbox, tmp_path) as h:
        log = await h.emu.commands_log()
    menus: dict[tuple[str, str], dict[str, str]] = {}
    for entry in log:
        scope = json.loads(entry["scope"]) if isinstance(entry["scope"], str) else entry["scope"]
        menus[(scope["type"], entry["language_code"] or "nb")] = {c["command"]: c["description"]
                                                                  for c in entry["commands"]}
    for lang in LANGUAGES:
        members, admins = menus[("all_group_chats", lang)], menus[("all_chat_administrators", lang)]
        private = menus[("all_private_chats", lang)]
        for spec in COMMANDS:
            in_groups, in_private = spec.where.allows(private=False), spec.where.allows(private=True)
            assert (spec.name in admins) is in_groups and (spec.name in private) is in_private, spec.name
            assert (spec.name in members) is (in_groups and not spec.control), spec.name
            for menu in (members, admins, private):
                assert menu.get(spec.name, spec.help[lang]) == spec.help[lang]
    assert "close" in menus[("all_chat_administrators", "nb")] and "close" not in menus[("all_group_chats", "nb")]
    assert menus[("all_group_chats", "en")]["results"] == "results of the latest round"
    assert menus[("all_group_chats", "nn")]["results"] == "resultata frå den siste runden"


async def test_a_round_carries_on_when_the_group_becomes_a_supergroup(telegram_sandbox, tmp_path, caplog):
    """Telegram gives the group a new id; the open round, its votes, schedules and settings move with it."""
    supergroup = Chat.supergroup(-1004301, "Bystyret")
    async with running_bot(telegram_sandbox, tmp_path) as h:
        await h.emu.set_admins(GROUP.id, [ADMIN.id])
        await h.emu.set_admins(supergroup.id, [ADMIN.id])
        await h.command(GROUP, ADMIN, "/lang en")
        await h.command(GROUP, ADMIN, "/schedule lmb in 30h")
        await h.command(GROUP, ADMIN, "/start jubileum")
        part = await h.wait_message(GROUP, has_buttons)
        await h.vote(GROUP, BJORN, part, "v:1:1:red")
        await h.emu.send_update({"message": {  # the old group's last message names its new id
            "message_id": 999_001, "date": 0, "chat": GROUP.to_api(), "from": ADMIN.to_api(),
            "migrate_to_chat_id": supergroup.id}})
        await h.emu.wait_for(lambda: h.bot.runner.engine.running(f"telegram:{supergroup.id}") is not None)
        await h.vote(supergroup, CARI, part, "v:1:1:green")  # the same buttons, pressed in the supergroup
        schedules = await h.reply_to(supergroup, await h.command(supergroup, ADMIN, "/schedules"))
        await h.command(supergroup, ADMIN, "/close")
        results = await h.wait_text(supergroup, "Result – The jubilee dinner")
    assert "Scheduled rounds" in schedules["text"] and "lmb" in schedules["text"]  # settings and schedules moved
    assert "2 votes in all" in results["text"]  # the vote from before is kept
    assert tally_line(results["text"], "Red light") == tally_line(results["text"], "Green light") == "1 (50 %)"
    assert h.errors == [] and errors_logged(caplog) == []


async def test_leave_says_goodbye_and_leaves_but_not_mid_round_nor_for_a_member(telegram_sandbox, tmp_path):
    async with running_bot(telegram_sandbox, tmp_path) as h:
        await h.emu.set_admins(GROUP.id, [ADMIN.id])
        await h.command(GROUP, ADMIN, "/start jubileum")
        await h.wait_message(GROUP, has_buttons)
        busy = await h.reply_to(GROUP, await h.command(GROUP, ADMIN, "/leave"))
        assert busy["text"].startswith("Jeg blir til runden er over")
        refused = await h.reply_to(GROUP, await h.command(GROUP, BJORN, "/leave"))
        assert refused["text"] == "Beklager, bare administratorer og kursledere kan gjøre det her."
        assert h.emu.sync.calls("leaveChat") == []

        await h.command(GROUP, ADMIN, "/stop")
        bye = await h.reply_to(GROUP, await h.command(GROUP, ADMIN, "/leave"))
        assert bye["text"].startswith("Takk for nå! Jeg forlater gruppen.")
        left = await h.emu.wait_for(lambda: h.emu.sync.calls("leaveChat"))
        assert [str(c["params"]["chat_id"]) for c in left] == [str(GROUP.id)]
