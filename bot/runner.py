"""The glue between the adapters, the engine, the store and the outbox.

For each event: the engine decides, the store commits the records, and only
then are the messages handed to the adapter serving their chat (so an
acknowledged vote is a committed vote); a request for a web page's link goes
to the web service (:class:`Pages`), which answers through the same adapter.
Read-side adapters (the web pages) listen to what was committed
(:attr:`Runner.listeners`).  Several adapters can be attached to
one runner: one engine and one store serve every platform at once.  A clock
task feeds :class:`~bot.events.Tick` events and releases tally edits the
outbox held back.

When a commit fails (a full disk), the person is told it was not saved and
the engine, which already counted it, is rebuilt from the store before it
sees anything else: it never shows what was not committed.

Posts and the final edits of parts are committed with their records and
sent again after a restart until the platform took them (:mod:`bot.unsent`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, defaultdict, deque
from datetime import datetime, timedelta, timezone
from typing import Awaitable, Callable, Protocol, Sequence

from bot.backlog import Backlog
from bot.cases import Library
from bot.effects import (
    Edit, Effect, Leave, LinkRequested, Message, PartClosed, PartOpened, Post, Reply, RoundFinished, RoundStarted,
    ScheduleDeleted, ScheduleSaved, TallyChanged, UserForgotten, VoteRecorded, requests, split,
)
from bot.engine import Engine
from bot.engine.rounds import Vote
from bot.events import (
    CommandIssued, Event, NextPressed, OverallChanged, RoundRecalled, Sender, Tick, VoteCast, VoteWithdrawn,
)
from bot.i18n import t
from bot.outbox import Outbox
from bot.overall import Overall
from bot.platforms import Capabilities, Platforms
from bot.richtext import plain
from bot.store import CommitFailed, MessageBound, Store
from bot.unsent import Sent, Unsent, lasting

log = logging.getLogger(__name__)

ReplyHandler = Callable[[Reply], Awaitable[None]]
Listener = Callable[[list[Effect]], None]
Clock = Callable[[], datetime]
IDLE_WAKEUP = timedelta(seconds=30)
MESSAGE_IDS_KEPT = 10_000  # platform ids of recent keyed messages; older ones are read from the store
SENT_FLUSH = timedelta(seconds=1)  # a sent message's row is deleted within this, with or without another commit
STORE_RETRY = timedelta(seconds=10)  # while commits fail, timers are tried again this often, not in a busy loop
# Records after which Engine.next_wakeup may answer differently (a vote never does).
CHANGES_TIMERS = (RoundStarted, PartOpened, PartClosed, RoundFinished, ScheduleSaved, ScheduleDeleted)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class MessageGone(Exception):
    """The message to edit is no longer there (deleted, or left behind in a chat that got a new id)."""


class PlatformDown(Exception):
    """The platform could not be reached: the message waits in the backlog and goes out when it can."""


class Transport(Protocol):
    """What an adapter does with messages.  Small on purpose."""

    async def post(self, message: Post) -> str | None:
        """Send a new message; return its platform id (needed to edit it later)."""

    async def edit(self, message: Edit, platform_id: str) -> None:
        """Replace the text (and buttons) of an earlier message; raise :class:`MessageGone` if it is gone."""

    async def reply(self, message: Reply) -> None:
        """Answer one user when there is no better way (e.g. no button press to answer)."""

    async def leave(self, chat: str) -> None:
        """Leave the group ``chat``."""


class Pages(Protocol):
    """The web service (``adapters/web``): it holds the secrets behind the chats' page links."""

    async def link(self, request: LinkRequested) -> Reply:
        """Issue (or reuse) the link ``request`` asks for; the answer to the user who asked."""


class Runner:
    def __init__(self, engine: Engine, store: Store, clock: Clock = utc_now, last_unsent: int = 0):
        self.engine = engine
        self.store = store
        self.clock = clock
        self.outbox = Outbox(lambda chat: engine.platforms.of(chat).edit_interval)
        self.backlog: Backlog[ReplyHandler | None] = Backlog()
        self._draining: dict[str, asyncio.Task[None]] = {}
        self.listeners: list[Listener] = []  # called with an event's effects once they are committed
        self.pages: Pages | None = None
        self._transports: dict[str, Transport] = {}
        self._message_ids: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._wake = asyncio.Event()
        self._clock_task: asyncio.Task[None] | None = None
        self._failures_seen = store.failures  # the engine holds exactly what was committed up to this failure
        self._reloading: asyncio.Task[None] | None = None
        self._recount = False  # live counts are to be shown again, from the reloaded engine
        self._last_unsent = last_unsent
        self._unsent: defaultdict[Message, deque[int]] = defaultdict(deque)  # kept messages on their way out
        self._sent: list[Sent] = []  # kept messages now sent: they leave the store with the next commit
        self._flush_at = 0.0  # the event loop's time by which _sent is committed if no event's commit took it

    @classmethod
    async def create(cls, library: Library, store: Store, clock: Clock = utc_now,
                     **engine_options: object) -> Runner:
        """An engine restored from the store (what is live only), ready to carry on where it stopped."""
        snapshot = await store.load()
        engine = Engine(library, platforms=Platforms(), rounds=snapshot.rounds, settings=snapshot.settings,
                        schedules=snapshot.schedules, overall=Overall(snapshot.overall),
                        last_round_id=snapshot.last_round_id, last_schedule_id=snapshot.last_schedule_id,
                        **engine_options)  # type: ignore[arg-type]
        return cls(engine, store, clock, await store.last_unsent())

    def attach(self, namespace: str, transport: Transport, capabilities: Capabilities) -> None:
        """Serve the chats whose ids start with ``namespace:`` through ``transport``."""
        self.engine.platforms.register(namespace, capabilities)
        self._transports[namespace] = transport

    # ---- events -----------------------------------------------------------

    async def handle(self, event: Event, on_reply: ReplyHandler | None = None) -> list[Effect]:
        """Apply ``event``; deliver its messages once its records are committed."""
        if self._failures_seen != self.store.failures and not await self._catch_up():
            await self._not_saved(event, on_reply)
            return []
        if isinstance(event, CommandIssued):
            await self._recall_latest(event)
        try:
            effects = self.engine.handle(event)
        except Exception:
            log.exception("engine failed on %s", type(event).__name__)
            return []
        to_commit, to_send = split(effects)
        a_vote = len(to_commit) == 1 and type(to_commit[0]) is VoteRecorded  # the hot path: no post, no timer
        kept = [] if a_vote else self._keep(to_send)
        sent, self._sent = self._sent, []
        try:
            await self.store.commit([*sent, *to_commit, *kept] if kept or sent else to_commit)
        except CommitFailed:  # logged by the store
            self._sent[:0] = sent
            await self._not_saved(event, on_reply)
            await self._catch_up()  # now, so the counts shown are right again without waiting for another event
            return []
        for unsent in kept:
            self._unsent[unsent.message].append(unsent.seq)
        timers_moved, asked = False, []
        if not a_vote:
            timers_moved = any(isinstance(r, CHANGES_TIMERS) for r in to_commit)
            asked = requests(effects)
            await self._refresh_overall(to_commit)
        holds = self.outbox.holds
        await self._deliver(self.outbox.submit(to_send, self.clock()), on_reply)
        if timers_moved or self.outbox.holds > holds:
            self._wake.set()  # the clock's next moment may have moved
        for request in asked:
            try:
                answer = await self._link(request)
            except Exception:
                log.exception("could not answer a %s", type(request).__name__)
                continue
            await self._deliver([answer], on_reply)
        for listener in self.listeners:
            listener(effects)
        return effects

    async def _recall_latest(self, event: CommandIssued) -> None:
        """Read the chat's latest finished round back from the store, if the command is about it."""
        spec = self.engine.commands.spec(event.command)
        if spec is not None and spec.recalls_latest:
            await self.recall(event.chat)

    async def recall(self, chat: str) -> None:
        """Read the chat's latest round back from the store, if the engine no longer holds it."""
        if self.engine.latest(chat) is not None:
            return
        rnd = await self.store.latest_round(chat)
        # A round may have started while the store was read: the engine's own is the one that counts.
        if rnd is not None and self.engine.latest(chat) is None:
            self.engine.handle(RoundRecalled(rnd))

    async def _link(self, request: LinkRequested) -> Reply:
        if self.pages is None:
            return self.engine.chat(request.chat).reply(Sender(request.user), "link.off")
        return await self.pages.link(request)

    async def _refresh_overall(self, committed: Sequence[object]) -> None:
        """Give the engine the overall snapshots the commit may have moved (see :mod:`bot.overall`)."""
        if any(isinstance(r, UserForgotten) for r in committed):
            changed = await self.store.overall()
        else:
            changed = {}
            for record in committed:
                if isinstance(record, PartClosed) and record.counts:
                    changed.update(await self.store.overall(record.case_id, record.part))
        for (case_id, part), counts in changed.items():
            self.engine.handle(OverallChanged(case_id, part, counts))

    async def _not_saved(self, event: Event, on_reply: ReplyHandler | None) -> None:
        """Tell the person behind ``event`` that it was not saved, in their chat's language."""
        if not isinstance(event, (CommandIssued, VoteCast, VoteWithdrawn, NextPressed)):
            return  # the clock or the store itself: the engine still holds the timer, the next tick tries again
        voted = isinstance(event, (VoteCast, VoteWithdrawn)) or (isinstance(event, CommandIssued)
                                                                 and isinstance(event.command, Vote))
        text = t(self.engine.lang(event.chat), "fault.vote_not_saved" if voted else "fault.not_saved")
        await self._deliver([Reply(event.chat, event.sender.user, plain(text), refused=True)], on_reply)

    async def _catch_up(self) -> bool:
        """After a failed commit the engine holds records the store does not: rebuild it from the store (once,
        however many events wait) before it sees anything else, then show every live count again, as one may
        have counted votes that were then lost.  False if the store cannot even be read."""
        try:
            while self._failures_seen != self.store.failures:
                if self._reloading is None:
                    self._reloading = asyncio.create_task(self._reload())
                await asyncio.shield(self._reloading)
        except Exception as exc:
            if self.store.failure_reports.due() is not None:
                log.error("could not reload the state from the database: %s", exc)
            return False
        if self._recount:
            self._recount = False
            await self._deliver(self.outbox.submit(self.engine.refresh(), self.clock()))
            self._wake.set()
        return True

    async def _reload(self) -> None:
        try:
            failures = self.store.failures
            snapshot = await self.store.load()
            old = self.engine
            self.engine = Engine(old.library, platforms=old.platforms, rounds=snapshot.rounds,
                                 settings=snapshot.settings, schedules=snapshot.schedules,
                                 overall=Overall(snapshot.overall), last_round_id=snapshot.last_round_id,
                                 last_schedule_id=snapshot.last_schedule_id, commands=old.commands,
                                 default_lang=old.default_lang, user_limit=old.user_limit,
                                 chat_limit=old.chat_limit, command_limit=old.command_limit)
            self._failures_seen = failures
            self._recount = True
        finally:
            self._reloading = None

    def _keep(self, messages: list[Message]) -> list[Unsent]:
        kept = []
        for message in messages:
            if lasting(message):
                self._last_unsent += 1
                kept.append(Unsent(self._last_unsent, message))
        return kept

    def _gone_out(self, message: Message) -> None:
        """``message`` was sent, or refused for good: if it was kept, it no longer waits."""
        if not self._unsent:  # most of the time, and always for a vote's answer
            return
        waiting = self._unsent.get(message)
        if waiting is None:
            return
        if not self._sent:
            self._flush_at = asyncio.get_running_loop().time() + SENT_FLUSH.total_seconds()
            self._wake.set()  # the clock loop's next wait ends by then
        self._sent.append(Sent(waiting.popleft()))
        if not waiting:
            del self._unsent[message]

    async def _flush_sent(self) -> None:
        """Commit what was sent, if no event's commit took it along meanwhile (the clock loop calls this within
        :data:`SENT_FLUSH`).  A message sent since the last commit is sent again after a crash, at worst."""
        sent, self._sent = self._sent, []
        if sent:
            try:
                await self.store.commit(sent)
            except CommitFailed:  # logged by the store; tried again with the next commit, or after a pause
                self._sent[:0] = sent
                self._flush_at = asyncio.get_running_loop().time() + STORE_RETRY.total_seconds()

    async def _deliver(self, messages: list[Message], on_reply: ReplyHandler | None = None) -> None:
        for message in messages:
            namespace = Platforms.namespace(message.chat)
            transport = self._transports.get(namespace)
            if transport is None:  # a kept message waits in the store for a start with its adapter
                log.warning("no adapter serves %s; dropping a %s", message.chat, type(message).__name__)
                self._unsent.pop(message, None)
                continue
            if self.backlog.is_down(namespace):  # behind what already waits, in order
                self.backlog.hold(namespace, message, on_reply, self.clock())
                continue
            try:
                await self._send(transport, message, on_reply)
            except PlatformDown as exc:
                log.warning("%s cannot be reached (%s); messages wait until it can", namespace, exc)
                self.backlog.hold(namespace, message, on_reply, self.clock())
                self._wake.set()
                continue
            except Exception:
                log.exception("could not deliver %s to %s", type(message).__name__, message.chat)
            self._gone_out(message)

    async def _send(self, transport: Transport, message: Message, on_reply: ReplyHandler | None) -> None:
        if isinstance(message, Reply):
            await (on_reply or transport.reply)(message)
        elif isinstance(message, Post):
            await self._post(transport, message)
        elif isinstance(message, TallyChanged):
            edit = self.engine.tally(message.round_id)  # the count as it is now
            if edit is not None:
                await self._edit(transport, edit)
        elif isinstance(message, Leave):
            log.info("leaving %s on a trainer's request", message.chat)
            await transport.leave(message.chat)
        else:
            await self._edit(transport, message)

    async def _drain(self, namespace: str) -> None:
        """Send what waited for ``namespace``, in order, until it is all out or the platform fails again."""
        transport = self._transports[namespace]
        try:
            while (waiting := self.backlog.first(namespace)) is not None:
                message, on_reply = waiting
                try:
                    await self._send(transport, message, on_reply)
                except PlatformDown:
                    self.backlog.failed(namespace, self.clock())
                    return
                except Exception:
                    log.exception("could not deliver %s to %s", type(message).__name__, message.chat)
                self.backlog.sent(namespace)
                self._gone_out(message)
            log.warning("%s can be reached again; what waited has been sent", namespace)
        finally:
            del self._draining[namespace]
            self._wake.set()

    async def _post(self, transport: Transport, message: Post) -> None:
        platform_id = await transport.post(message)
        if message.key and platform_id is not None:
            self._keep_message_id(message.chat, message.key, platform_id)
            with contextlib.suppress(CommitFailed):  # logged by the store; the id is known until a restart
                await self.store.commit([MessageBound(message.chat, message.key, platform_id)])

    async def _edit(self, transport: Transport, message: Edit) -> None:
        platform_id = self._message_ids.get((message.chat, message.key))
        if platform_id is None:
            platform_id = await self.store.message_id(message.chat, message.key)
        if platform_id is None:
            log.warning("no message to edit for %s in %s", message.key, message.chat)
            return
        self._keep_message_id(message.chat, message.key, platform_id)
        try:
            await transport.edit(message, platform_id)
        except MessageGone:
            log.info("the message %s in %s is gone; posting it again", message.key, message.chat)
            await self._post(transport, Post(message.chat, message.text, message.buttons, key=message.key))

    def _keep_message_id(self, chat: str, key: str, platform_id: str) -> None:
        self._message_ids[(chat, key)] = platform_id
        self._message_ids.move_to_end((chat, key))
        if len(self._message_ids) > MESSAGE_IDS_KEPT:
            self._message_ids.popitem(last=False)

    # ---- time -------------------------------------------------------------

    async def tick(self) -> None:
        """Act on everything due now: timers, schedules, held-back tally edits."""
        now = self.clock()
        await self.handle(Tick(now))
        await self._deliver(self.outbox.due(now))
        for namespace in self.backlog.due(now):  # each in its own task: one platform's outage never holds another
            if namespace not in self._draining:
                self._draining[namespace] = asyncio.create_task(self._drain(namespace), name=f"drain-{namespace}")

    def seconds_to_next(self) -> float:
        now = self.clock()
        moments = [m for m in (self.engine.next_wakeup(), self.outbox.next_due(), self.backlog.next_due())
                   if m is not None]
        wake = min(moments, default=now + IDLE_WAKEUP)
        if self.store.failing:
            wake = max(wake, now + STORE_RETRY)
        return max((wake - now).total_seconds(), 0.0)

    async def start(self) -> None:
        """Catch up (messages not sent before the last stop, missed schedules, lost tally edits), then keep the
        clock running."""
        waiting = await self.store.unsent()
        for unsent in waiting:
            self._unsent[unsent.message].append(unsent.seq)
        await self._deliver([unsent.message for unsent in waiting])
        await self.handle(Tick(self.clock()))
        await self._deliver(self.outbox.submit(self.engine.refresh(), self.clock()))
        self._clock_task = asyncio.create_task(self._clock_loop(), name="runner-clock")

    async def stop(self) -> None:
        for task in list(self._draining.values()):
            task.cancel()
        await asyncio.gather(*self._draining.values(), return_exceptions=True)
        if self._clock_task is not None:
            self._clock_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._clock_task
            self._clock_task = None
        await self._deliver(self.outbox.due(self.clock() + timedelta(days=1)))
        await self._flush_sent()

    async def _clock_loop(self) -> None:
        while True:
            self._wake.clear()
            wait = self.seconds_to_next()
            if self._sent:
                wait = min(wait, max(self._flush_at - asyncio.get_running_loop().time(), 0.0))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()
            try:
                if self._sent and asyncio.get_running_loop().time() >= self._flush_at:
                    await self._flush_sent()
                if self.seconds_to_next() <= 0:
                    await self.tick()
            except Exception:
                log.exception("clock tick failed")
