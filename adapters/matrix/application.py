"""Building, starting and stopping the Matrix bot; the sync loop.

The bot runs its own ``/sync`` loop (not nio's callbacks) so it controls the
order of everything and when a batch counts as done:

- The sync token (``next_batch``) is saved in the store after each batch is
  handled, and the next start syncs from it: whatever happened while the bot
  was down (reactions, commands) is handled on restart, nothing twice.
  Within a batch, the id of the last event acted on in each room is saved
  as well, so a batch cut short (crash, lost connection) is not replayed.
- A timeline the server cut short (``limited``) is completed from
  ``/messages`` back to the saved token, so no reaction is lost after a
  long absence.
- The very first sync only accepts pending invites; it acts on no history.
  In a room just joined, events before the bot's own join are ignored.
- Lost connections and rate limits are retried by matrix-nio
  (:data:`CLIENT_CONFIG`); other sync errors are retried with backoff; a
  token the server no longer knows leads to a new password login.
- An event whose handling fails is tried again at once, then skipped and
  logged (its id, never its content): one bad event never makes the bot
  fetch and replay the batch, nor wait.

End-to-end encryption is matrix-nio's (``matrix-nio[e2e]``, vodozemac):
``sync`` decrypts what arrives; between syncs the bot does what nio's
``sync_forever`` would (upload its keys, query new devices, claim one-time
keys, send queued to-device messages).  The crypto store and the session
live beside the database (:mod:`adapters.matrix.session`); the device is
cross-signed once (:mod:`adapters.matrix.crosssigning`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

from nio import (
    AsyncClient, AsyncClientConfig, ErrorResponse, Event, InviteInfo, InviteMemberEvent, JoinError, MessageDirection,
    RoomInfo, RoomLeaveError, RoomMemberEvent, RoomMessagesResponse, SyncResponse,
)

from adapters.matrix.crosssigning import CrossSigning
from adapters.matrix.reactions import ReactionBook
from adapters.matrix.rooms import PLATFORM, Rooms
from adapters.matrix.session import LoginFailed, log_in, new_client, store_dir
from adapters.matrix.transport import UNREACHABLE, MatrixTransport
from adapters.matrix.updates import Updates
from bot.config import Config
from bot.platforms import Capabilities
from bot.pseudonym import Pseudonymizer
from bot.runner import Runner
from bot.store import Store

log = logging.getLogger(__name__)

#: Retry rate limits after the server's ``retry_after_ms`` without end, and a lost connection a few times with
#: backoff: then a send is PlatformDown (the runner's backlog sends it when the homeserver is back, without holding
#: any other platform meanwhile) and a sync is tried again by the sync loop.
#: Encryption on; the sync token is the bot's own (saved in the database once a batch is handled), not nio's.
CLIENT_CONFIG = AsyncClientConfig(max_limit_exceeded=None, max_timeouts=3, backoff_factor=0.25,
                                  max_timeout_retry_wait_time=30, encryption_enabled=True, store_sync_tokens=False)
TALLY_INTERVAL = timedelta(seconds=2)  # at most one live tally edit per room this often
# Votes are poll answers and reactions under the part, which every member of the room can see; Element claims "/".
CAPABILITIES = Capabilities(prefix="!", buttons=True, votes_visible=True, typed_votes=False,
                            edit_interval=TALLY_INTERVAL, max_length=30_000)
POLL_MS = 30_000
TIMELINE_LIMIT = 50
GAP_PAGE = 100
MAX_GAP_PAGES = 100
RETRY_FIRST, RETRY_MAX = 0.5, 30.0
MAX_ATTEMPTS = 3  # an event is tried this often (at once), an invite or gap this many batches, before it is skipped
STOP_GRACE = 10.0  # seconds the batch being handled, and the last edits, may take when stopping


def _retry_delay(attempt: int) -> float:
    return min(RETRY_MAX, RETRY_FIRST * 2 ** attempt)


def _own_join(events: list[Event], user_id: str) -> int | None:
    """Index of the bot's own (newest) join in ``events``, if it is there."""
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if (isinstance(event, RoomMemberEvent) and event.state_key == user_id and event.membership == "join"
                and event.prev_membership != "join"):
            return index
    return None


class MatrixBot:
    """One logged-in bot account: ``create``, ``start``, then ``stop`` (or :func:`run_matrix`)."""

    def __init__(self, config: Config, client: AsyncClient, store: Store, runner: Runner,
                 transport: MatrixTransport, rooms: Rooms, updates: Updates, timeline_limit: int):
        self.config = config
        self.client = client
        self.store = store
        self.runner = runner
        self.transport = transport
        self.rooms = rooms
        self.updates = updates
        self.sync_filter: dict[str, Any] = {"room": {"timeline": {"limit": timeline_limit}},
                                            "presence": {"not_types": ["*"]}}
        self._since: str | None = None
        self._progress: dict[str, Any] = {"since": None, "rooms": {}}
        self._failures: dict[str, int] = {}
        self._busy = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def create(cls, config: Config, runner: Runner, store: Store, pseudonyms: Pseudonymizer,
                     tally_interval: timedelta = TALLY_INTERVAL, timeline_limit: int = TIMELINE_LIMIT) -> MatrixBot:
        """Log in, attach to ``runner``; nothing is received until :meth:`start` (or ``async with``)."""
        if not (config.matrix_homeserver and config.matrix_user_id):
            raise ValueError("MATRIX_HOMESERVER and MATRIX_USER_ID are needed")
        # nio logs whole responses at DEBUG (the login's access token too) and every event at INFO; peewee, under
        # nio's crypto store, logs every query with its parameters at DEBUG: the pickled olm account and sessions.
        for noisy in ("nio", "peewee"):
            logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().getEffectiveLevel()))
        client = new_client(config, CLIENT_CONFIG)
        try:
            await log_in(client, config)
        except BaseException:
            await client.close()
            raise
        book = ReactionBook(store)
        transport = MatrixTransport(client, pseudonyms, book)
        runner.attach(PLATFORM, transport, replace(CAPABILITIES, edit_interval=tally_interval,
                                                   selftest_link=f"https://matrix.to/#/{client.user_id}"))
        rooms = Rooms(store, client.user_id, config.trainers, config.matrix_power_level,
                      lambda user_id: pseudonyms.user(PLATFORM, user_id))
        await rooms.load()
        for room_id in rooms.direct:  # so messages to direct chats find their room after a restart
            pseudonyms.chat(PLATFORM, room_id, private=True)
        updates = Updates(client, runner, transport, rooms, book, pseudonyms)
        return cls(config, client, store, runner, transport, rooms, updates, timeline_limit)

    # ---- keys in the store -------------------------------------------------

    @property
    def _token_key(self) -> str:
        return f"matrix.next_batch:{self.client.user_id}"

    @property
    def _progress_key(self) -> str:
        return f"matrix.progress:{self.client.user_id}"

    # ---- lifecycle ----------------------------------------------------------

    async def catch_up(self) -> None:
        """Handle what happened while the bot was away (the runner's clock is not needed for that)."""
        self._since = await self.store.get_value(self._token_key)
        saved = await self.store.get_value(self._progress_key)
        if saved:
            self._progress = json.loads(saved)
        if not self.config.matrix_invite_allow:
            log.warning("MATRIX_INVITE_ALLOW is not set: invites from anyone but a trainer are declined, and the bot "
                        "leaves rooms without a trainer (set it to user ids or :servers, e.g. "
                        "MATRIX_INVITE_ALLOW=@anne:example.org,:kommune.no)")
        await self._step(timeout=0, full_state=True)
        await self._cross_sign()

    async def start(self) -> None:
        """Catch up, then keep syncing in the background (the runner is started by its owner)."""
        await self.catch_up()
        self._task = asyncio.create_task(self._loop(), name="matrix-sync")
        log.info("Matrix bot %s is running", self.client.user_id)

    async def __aenter__(self) -> MatrixBot:
        await self.catch_up()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def serve(self) -> None:
        """Sync until cancelled (``dilemmabot run``); a cancel lets the batch in hand finish first."""
        log.info("Matrix bot %s is running", self.client.user_id)
        self._task = asyncio.create_task(self._loop(), name="matrix-sync")
        try:
            await asyncio.shield(self._task)
        except asyncio.CancelledError:
            await self.stop_syncing()
            raise

    async def stop(self) -> None:
        """Stop syncing, then close the connection."""
        await self.stop_syncing()
        await self.client.close()

    async def stop_syncing(self) -> None:
        """Let the batch being handled finish, then stop syncing; the connection stays for the last edits."""
        self._stopping.set()
        if self._task is not None:
            try:
                async with asyncio.timeout(STOP_GRACE), self._busy:
                    self._task.cancel()
            except TimeoutError:
                log.warning("stopping in the middle of a batch; it is handled again on the next start")
                self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)  # serve() reported how it ended
            self._task = None

    # ---- syncing ------------------------------------------------------------

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            await self._step(timeout=POLL_MS)

    async def _step(self, timeout: int, full_state: bool = False) -> None:
        """Sync and handle the batch, until that works once; a failed batch is fetched and handled again."""
        attempt = 0
        while True:
            try:
                response = await self._sync(timeout, full_state)
                await self._exchange_keys()
                if full_state:  # the first sync after a start: every room's members are known now
                    await self.rooms.adopt_legacy(self.client.rooms)
                async with self._busy:
                    await self._apply(response)
                return
            except LoginFailed:
                raise
            except UNREACHABLE as exc:
                log.warning("the homeserver cannot be reached (%s); trying again in %.1f s", type(exc).__name__,
                            _retry_delay(attempt))
            except Exception:
                log.exception("could not sync or handle a batch; it is fetched and handled again")
            if self._stopping.is_set():
                return
            await asyncio.sleep(_retry_delay(attempt))
            attempt += 1

    def _may_retry(self, what: str) -> bool:
        """Count a failure of ``what``; False once it failed :data:`MAX_ATTEMPTS` times (then it is skipped)."""
        self._failures[what] = self._failures.get(what, 0) + 1
        return self._failures[what] < MAX_ATTEMPTS

    async def _sync(self, timeout: int, full_state: bool = False) -> SyncResponse:
        attempt = 0
        while True:
            response = await self.client.sync(timeout=timeout, sync_filter=self.sync_filter, since=self._since,
                                              full_state=full_state or None)
            if isinstance(response, SyncResponse):
                return response
            if response.status_code == "M_UNKNOWN_TOKEN":
                if not self.config.matrix_password:
                    raise LoginFailed("the homeserver no longer accepts the configured access token")
                await log_in(self.client, self.config, fresh=True)
                continue
            delay = _retry_delay(attempt)
            attempt += 1
            log.warning("sync failed (%s); trying again in %.1f s", response.status_code, delay)
            await asyncio.sleep(delay)

    async def _exchange_keys(self) -> None:
        """What nio's ``sync_forever`` does between syncs: keys up, new devices and one-time keys down, to-device out."""
        client = self.client
        answers = []
        if client.should_upload_keys:
            answers.append(await client.keys_upload())
        if client.should_query_keys:
            answers.append(await client.keys_query())
        if client.should_claim_keys:
            answers.append(await client.keys_claim(client.get_users_for_key_claiming()))
        answers.extend(await client.send_to_device_messages())
        for answer in answers:
            if isinstance(answer, ErrorResponse):
                log.warning("key exchange: %s %s", type(answer).__name__, answer.status_code)

    async def _cross_sign(self) -> None:
        try:
            await CrossSigning(self.client, self.config.matrix_password, store_dir(self.config)).ensure()
        except Exception as exc:  # the bot works without it; Element shows its messages as unverified
            log.error("could not cross-sign the bot's device: %s", exc)

    async def _apply(self, response: SyncResponse) -> None:
        """Handle one batch; only then is its token saved."""
        since = self._since
        for room_id, invite in response.rooms.invite.items():
            await self._invited(room_id, invite)
        for room_id, info in response.rooms.join.items():
            self.rooms.note_state(room_id, [*info.state, *info.timeline.events])
            if not await self._stays(room_id):
                continue
            if since is not None:  # the first sync ever brings history, not news
                await self._timeline(room_id, info, since)
        self._since = response.next_batch
        await self.store.set_value(self._token_key, response.next_batch)
        self._failures.clear()

    async def _timeline(self, room_id: str, info: RoomInfo, since: str) -> None:
        events = list(info.timeline.events)
        if _own_join(events, self.client.user_id) is None and info.timeline.limited and info.timeline.prev_batch:
            known = {event.event_id for event in events}
            gap, complete = await self._gap(room_id, info.timeline.prev_batch, since)
            events = [event for event in gap if event.event_id not in known] + events
            if not complete:
                events = await self.updates.missed_poll_answers(room_id, events) + events
        joined = _own_join(events, self.client.user_id)
        if joined is not None:
            events = events[joined + 1:]
        if self._progress["since"] != since:
            self._progress = {"since": since, "rooms": {}}
        done = self._progress["rooms"].get(room_id)
        ids = [event.event_id for event in events]
        if done in ids:
            events = events[ids.index(done) + 1:]
        for event in events:
            if await self._handle(room_id, event):
                self._progress["rooms"][room_id] = event.event_id
                await self.store.set_value(self._progress_key, json.dumps(self._progress))

    async def _handle(self, room_id: str, event: Event) -> bool:
        """Hand one event to :class:`Updates`; one that keeps failing is logged (ids only) and skipped."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return await self.updates.handle(room_id, event)
            except Exception as exc:
                log.debug("event %s in %s failed", event.event_id, room_id, exc_info=True)
                if attempt == MAX_ATTEMPTS:
                    log.error("skipping event %s in %s: it failed %d times (%s)", event.event_id, room_id,
                              attempt, type(exc).__name__)
        return True

    async def _gap(self, room_id: str, start: str, since: str) -> tuple[list[Event], bool]:
        """The events between the saved token and a timeline the server cut short, oldest first; and whether
        that is all of them."""
        older: list[Event] = []
        complete = False
        for _ in range(MAX_GAP_PAGES):
            page = await self.client.room_messages(room_id, start=start, end=since, direction=MessageDirection.back,
                                                   limit=GAP_PAGE)
            if not isinstance(page, RoomMessagesResponse):
                if self._may_retry(f"gap {room_id}"):
                    raise RuntimeError(f"could not fill a timeline gap in {room_id}: {page.status_code}")
                log.error("could not fill a timeline gap in %s (%s); older events are skipped", room_id,
                          page.status_code)
                break
            older.extend(page.chunk)
            joined = _own_join(page.chunk, self.client.user_id) is not None
            if joined or not page.chunk or not page.end or page.end == start:
                complete = True  # reached the bot's join (nothing older is for it) or the saved token
                break
            start = page.end
        else:
            log.warning("a timeline gap in %s is longer than %d events; the oldest are skipped", room_id,
                        MAX_GAP_PAGES * GAP_PAGE)
        older.reverse()
        return older, complete

    # ---- rooms --------------------------------------------------------------

    async def _invited(self, room_id: str, invite: InviteInfo) -> None:
        me = self.client.user_id
        member = next((e for e in invite.invite_state if isinstance(e, InviteMemberEvent)
                       and e.state_key == me and e.membership == "invite"), None)
        if member is None:
            return
        refusal = None
        if not self.rooms.allowed(member.sender, self.config.matrix_invite_allow):
            refusal = "the inviter is neither on MATRIX_INVITE_ALLOW nor a trainer"
        elif len(self.client.rooms) >= self.config.matrix_max_rooms:
            refusal = f"the bot is in {len(self.client.rooms)} rooms, MATRIX_MAX_ROOMS"
        if refusal is None:
            await self.rooms.set_direct(room_id, member.sender if member.content.get("is_direct") else None)
        answer = await (self.client.join(room_id) if refusal is None else self.client.room_leave(room_id))
        if isinstance(answer, (JoinError, RoomLeaveError)):
            if self._may_retry(f"invite {room_id}"):
                raise RuntimeError(f"could not answer the invite to {room_id}: {answer.status_code}")
            log.error("giving up on the invite to %s: %s", room_id, answer.status_code)
            return
        if refusal is None:
            log.info("joined %s", room_id)
        else:
            log.warning("declined an invite to %s: %s", room_id, refusal)

    async def _stays(self, room_id: str) -> bool:
        """Leave a room where nobody on the allow-list (nor a trainer) is a member any more; False if left."""
        room = self.client.rooms.get(room_id)
        if room is None or self.rooms.wanted(room, self.config.matrix_invite_allow):
            return True
        log.warning("leaving %s: nobody on MATRIX_INVITE_ALLOW, and no trainer, is in it", room_id)
        answer = await self.client.room_leave(room_id)
        if isinstance(answer, RoomLeaveError):
            log.error("could not leave %s: %s", room_id, answer.status_code)
        await self.rooms.set_direct(room_id, None)
        return False

