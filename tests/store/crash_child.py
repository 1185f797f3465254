"""Run by test_crash.py: streams votes through the real runner and store, printing each acknowledgement.

Usage: python crash_child.py DB_PATH VOTERS
Prints "ROUND <id>" once, then "ACK <user> <option>" when the voter is told the vote was recorded.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.cases import load_library
from bot.config import DEFAULT_CASES
from bot.effects import Reply, RoundStarted
from bot.engine.rounds import StartRound
from bot.events import CommandIssued, Sender, VoteCast
from bot.i18n import t
from bot.platforms import Capabilities
from bot.ratelimit import RateLimiter
from bot.richtext import to_plain
from bot.runner import Runner
from bot.store import Store


class NullTransport:
    async def post(self, message):  # noqa: ANN001 - test double
        return "1"

    async def edit(self, message, platform_id):  # noqa: ANN001
        return None

    async def reply(self, message):  # noqa: ANN001
        return None


async def main(db: Path, voters: int) -> None:
    store = await Store.open(db)
    runner = await Runner.create(load_library(DEFAULT_CASES), store, user_limit=RateLimiter(1000, 1000),
                                 chat_limit=RateLimiter(1000, 1000))
    runner.attach("test", NullTransport(), Capabilities(typed_votes=True))
    chat = "test:crash"
    recorded = t("nb", "vote.recorded", option="")
    effects = await runner.handle(CommandIssued(chat, Sender("trainer", True), StartRound("jubileum"), runner.clock()))
    round_id = next(e.round_id for e in effects if isinstance(e, RoundStarted))
    print(f"ROUND {round_id}", flush=True)

    async def vote(i: int) -> None:
        option = "red" if i % 3 else "green"

        async def answered(reply: Reply) -> None:  # the voter's answer is the acknowledgement
            if to_plain(reply.text).startswith(recorded):
                print(f"ACK user{i} {option}", flush=True)

        await runner.handle(VoteCast(chat, Sender(f"user{i}"), round_id, 1, option, runner.clock()), answered)

    # Waves of concurrent voters, like a hall pressing buttons at once.
    for start in range(0, voters, 50):
        await asyncio.gather(*(vote(i) for i in range(start, min(start + 50, voters))))
    print("DONE", flush=True)
    await asyncio.sleep(3600)  # wait to be killed


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
