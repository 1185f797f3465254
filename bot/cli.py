"""``dilemmabot``: run the bot, validate cases, list them, export results, back up the database."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from bot.backup import backup
from bot.cases import CaseError, Library, case_files, load_case, load_library
from bot.config import Config
from bot.export import Export, collect, to_csv, to_json
from bot.i18n import LANGUAGES
from bot.logs import setup_logging
from bot.preflight import open_for_bot, open_for_reading
from bot.pseudonym import Pseudonymizer
from bot.refusal import Refused
from bot.runner import Runner
from bot.serve import Service, serve, stop_on_signals
from bot.store import Store

log = logging.getLogger("dilemmabot")


REFUSED = 2  # exit code when the database or its key file cannot be used as they are


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(0o077)  # everything the bot writes (database, key, sessions) is its user's alone
    args = _parser().parse_args(argv)
    command = args.command or "run"
    try:
        config = Config.load(db_path=getattr(args, "db", None), lang=getattr(args, "lang", None))
        setup_logging(config.log_level, config.secrets())
        if command == "validate":
            return validate(args.paths or [str(config.cases_dir)])
        if command == "cases":
            return list_cases(config, args.lang or config.lang)
        if command == "export":
            return asyncio.run(export(config, args.format, args.since, args.case, args.chat, sys.stdout))
        if command == "backup":
            asyncio.run(backup(config, Path(args.dest)))
            return 0
        controllers = args.controllers if command == "console" else "you"
        return asyncio.run(run(config, command == "console", frozenset(controllers.split(","))))
    except Refused as refusal:
        print(f"dilemmabot: {refusal}", file=sys.stderr)
        return REFUSED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dilemmabot", description="Ethics dilemmas for local councillors, in chat.")
    sub = parser.add_subparsers(dest="command")
    run_parser = sub.add_parser("run", help="start the bot: Telegram or Matrix if configured, else the console")
    run_parser.add_argument("--db", help="SQLite database (default data/dilemmabot.db)")
    console = sub.add_parser("console", help="play in this terminal; '@name ' speaks as another user")
    console.add_argument("--db", help="SQLite database (default data/dilemmabot.db)")
    console.add_argument("--lang", choices=LANGUAGES, help="language of new chats")
    console.add_argument("--controllers", default="you", help="comma-separated names that may run rounds (default: you)")
    validate_parser = sub.add_parser("validate", help="check dilemma files; prints FILE:LINE: FIELD: message")
    validate_parser.add_argument("paths", nargs="*", help="files or folders (default: the dilemmas folder)")
    cases = sub.add_parser("cases", help="list the dilemmas")
    cases.add_argument("--lang", choices=LANGUAGES)
    export_parser = sub.add_parser("export", help="per-round, per-part counts; never user ids")
    export_parser.add_argument("--db", help="SQLite database (default data/dilemmabot.db)")
    export_parser.add_argument("--format", choices=["json", "csv"], default="json")
    export_parser.add_argument("--since", type=_date, help="only rounds started on or after this date (YYYY-MM-DD)")
    export_parser.add_argument("--case", help="only rounds of this case id")
    backup_parser = sub.add_parser("backup", help="copy the database and its key file, also while the bot runs")
    backup_parser.add_argument("--db", help="SQLite database (default data/dilemmabot.db)")
    backup_parser.add_argument("dest", help="the copy; its key file is written beside it as DEST.secret")
    export_parser.add_argument("--chat", help="only this chat's rounds, as its report page has them: the chat as an "
                                              "export shows it (c1a2b...), or its id (telegram:-100123)")
    return parser


def _date(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def validate(paths: list[str]) -> int:
    files = case_files(paths)
    problems = []
    for path in files:
        try:
            load_case(path)
        except CaseError as exc:
            problems.extend(exc.problems)
    for problem in problems:
        print(problem)
    if not files:
        print("no case files found", file=sys.stderr)
        return 1
    print(f"{len(files)} file(s), {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


def _library(config: Config) -> Library:
    library = load_library(config.cases_dir)
    for problem in library.problems:
        log.error("skipped broken case: %s", problem)
    return library


def list_cases(config: Config, lang: str) -> int:
    for case in sorted(_library(config).cases.values(), key=lambda c: c.id):
        print(f"{case.id}\t{case.title.get(lang)}\t{len(case.parts)}")
    return 0


async def export(config: Config, fmt: str, since: datetime | None, case_id: str | None, chat: str | None,
                 out: Any) -> int:
    async with open_for_reading(config) as (store, pseudonyms):
        # no key file only where nothing was ever recorded (open_for_reading refuses anything else)
        if pseudonyms is None:
            result = Export([], [])
        else:
            chat_id = None
            if chat is not None:
                chat_id = await _chat_named(store, pseudonyms, chat)
                if chat_id is None:
                    raise Refused(f"no group round was played in a chat {chat!r}: give the chat as an export "
                                  "shows it (c1a2b...) or its id (telegram:-100123)")
            result = await collect(store, _library(config), pseudonyms, since=since, case_id=case_id,
                                   chat=chat_id)
    out.write(to_json(result) if fmt == "json" else to_csv(result))
    return 0


async def _chat_named(store: Store, pseudonyms: Pseudonymizer, name: str) -> str | None:
    """The chat an operator names: by its id, or by the pseudonym an export shows for it."""
    chats = await store.round_chats()
    if name in chats:
        return name
    return next((chat for chat in chats if pseudonyms.export_chat(chat) == name), None)


def tune_gc() -> None:
    """The bot keeps its state for a long time and makes many short-lived objects per vote: move what is
    loaded at start out of the collector's way, and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


async def run(config: Config, console: bool, controllers: frozenset[str]) -> int:
    """Serve every configured platform (the console when none is, or when asked for) until stopped."""
    async with open_for_bot(config) as (store, pseudonyms):
        library = _library(config)
        tune_gc()
        runner = await Runner.create(library, store, default_lang=config.lang)
        services = await _services(config, runner, store, pseudonyms, console, controllers)
        stop = asyncio.Event()
        with stop_on_signals(stop):
            await serve(runner, services, stop)
    return 0


async def _services(config: Config, runner: Runner, store: Store, pseudonyms: Pseudonymizer, console: bool,
                    controllers: frozenset[str]) -> list[Service]:
    platforms = [] if console else config.platforms
    services: list[Service] = []
    if "telegram" in platforms:
        from adapters.telegram.application import build_telegram

        services.append(await build_telegram(config, runner, pseudonyms))
    if "matrix" in platforms:
        from adapters.matrix import MatrixBot

        services.append(await MatrixBot.create(config, runner, store, pseudonyms))
    on_console = not services
    if on_console:
        from adapters.console import Console, stdin_lines

        trainers = {t.removeprefix("console:") for t in config.trainers if t.startswith("console:")}
        if sys.stdin.isatty():
            print(f"dilemmabot – {len(runner.engine.library.cases)} dilemmas. /help for commands, Ctrl-D to quit. "
                  "'@name ' speaks as another user; '@name dm ' in that user's private chat. "
                  "/present gives the link to a live page for the projector.")
        services.append(Console(runner, sys.stdout, pseudonyms, controllers | trainers, stdin_lines(sys.stdin)))
    web = config.web_address(console=on_console)
    if web is not None:
        from adapters.web import WebService

        services.append(WebService(runner, pseudonyms, web, config.web_url))
    log.info("serving %s", ", ".join(platforms) or "the console")
    return services


if __name__ == "__main__":
    sys.exit(main())
