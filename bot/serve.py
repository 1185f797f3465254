"""``dilemmabot run``: every configured platform on one runner (one engine, one store), until SIGINT or SIGTERM.

Each platform is a service: entering it connects, attaches it to the runner
and catches up on what happened while the bot was away; :meth:`Service.serve`
then takes updates until cancelled (the console returns at the end of its
input, which stops everything).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from types import TracebackType
from typing import Iterator, Protocol

from bot.runner import Runner

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
STOP_GRACE = 10.0  # seconds the last held-back edits may take on the way out (a platform may be down)


class Service(Protocol):
    async def __aenter__(self) -> Service: ...

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        traceback: TracebackType | None) -> None: ...

    async def serve(self) -> None:
        """Take updates until cancelled; returning ends the whole bot."""


async def serve(runner: Runner, services: list[Service], stop: asyncio.Event) -> None:
    """Enter every service, start the runner (catch-up, clock), serve until ``stop`` or a service ends or fails."""
    async with contextlib.AsyncExitStack() as stack:
        for service in services:
            await stack.enter_async_context(service)  # type: ignore[arg-type]
        await runner.start()
        stack.push_async_callback(_stop_runner, runner)
        tasks = [asyncio.create_task(service.serve(), name=f"serve-{type(service).__name__}") for service in services]
        stopped = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait([*tasks, stopped], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (*tasks, stopped):
                task.cancel()
            await asyncio.gather(*tasks, stopped, return_exceptions=True)
        for task in done:
            if task is not stopped and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]


async def _stop_runner(runner: Runner) -> None:
    try:
        async with asyncio.timeout(STOP_GRACE):
            await runner.stop()
    except TimeoutError:
        log.warning("gave up sending the last tally edits; they are sent again on the next start")


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    try:
        yield
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
