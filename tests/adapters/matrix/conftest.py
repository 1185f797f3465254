"""Fixtures for end-to-end tests against a real Synapse on 127.0.0.1.

Fixtures:
    synapse          session  started Synapse (loose rate limits), stopped at the end
    synapse_strict   session  a second Synapse with tight rc_message (started on first use)
    synapse_factory  function make private Synapse instances: ``synapse_factory(**Synapse kwargs)``
                              -> started Synapse, stopped and deleted after the test
    matrix_user      function async factory of logged-in nio AsyncClients, see MatrixUsers

Synapse comes from its own venv (scripts/install-synapse.sh). If that venv is
missing the fixtures fail (not skip) and say how to install it.

Tests here should carry ``@pytest.mark.e2e`` (registered below).
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from nio import AsyncClient, AsyncClientConfig, LoginResponse

from .harness import BotUnderTest
from .synapse import Synapse, SynapseError, synapse_python, synapse_venv


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: end-to-end test against a real local homeserver (slow-ish, needs .venv-synapse)"
    )


def _make_synapse(**kwargs) -> Synapse:
    try:
        synapse_python(kwargs.get("venv") or synapse_venv())
        return Synapse(**kwargs)
    except SynapseError as e:
        error = str(e)
    pytest.fail(error, pytrace=False)  # outside `except`: no chained traceback in the report


def _start(hs: Synapse) -> None:
    try:
        hs.start()
        return
    except SynapseError as e:
        error = str(e)
    except BaseException:  # e.g. Ctrl-C while waiting: no fixture teardown will follow
        hs.cleanup()
        raise
    hs.cleanup()
    pytest.fail(error, pytrace=False)


@pytest.fixture(scope="session")
def synapse() -> Iterator[Synapse]:
    """A running Synapse (server name ``localhost``), shared by the whole session."""
    hs = _make_synapse()
    _start(hs)
    try:
        yield hs
    finally:
        hs.cleanup()


@pytest.fixture(scope="session")
def synapse_strict() -> Iterator[Synapse]:
    """A running Synapse whose rc_message is tight (burst 2, then 1 message / 2 s)."""
    hs = _make_synapse(strict_rate_limits=True)
    _start(hs)
    try:
        yield hs
    finally:
        hs.cleanup()


@pytest.fixture
def synapse_factory():
    """Make private Synapse instances for one test (e.g. to stop/restart them freely)."""
    made: list[Synapse] = []

    def make(**kwargs) -> Synapse:
        hs = _make_synapse(**kwargs)
        made.append(hs)
        _start(hs)
        return hs

    try:
        yield make
    finally:
        for hs in made:
            hs.cleanup()


_serial = itertools.count(1)


class MatrixUsers:
    """Async factory of logged-in nio clients; everything is closed at teardown.

    ``client = await matrix_user("alice")`` registers a user on the session
    ``synapse`` (localpart ``alice-<n>``, unique per call, so tests never see
    each other's rooms and invites), logs in with nio, does one
    ``sync(timeout=0, full_state=True)`` so that later syncs only bring new
    events, and returns the ``AsyncClient``. Keyword arguments:

    - ``homeserver``: another ``Synapse`` (e.g. ``synapse_strict``)
    - ``unique=False``: use the localpart as given (logs in again if it exists)
    - ``password``, ``admin``
    - ``config``: an ``nio.AsyncClientConfig``. Note nio's default retries
      429 M_LIMIT_EXCEEDED forever (sleeping retry_after_ms); pass
      ``AsyncClientConfig(max_limit_exceeded=0)`` to get the RoomSendError.
    - ``initial_sync=False`` to skip the first sync
    - ``encrypted=True``: end-to-end encryption on (a crypto store in a temp dir,
      keys uploaded), as Element has it

    ``matrix_user.sync_forever(client, timeout_ms=500)`` runs
    ``client.sync_forever`` in a task that is cancelled at teardown; if that
    task died with an exception (e.g. one raised in an event callback), the
    test errors at teardown with it.
    """

    def __init__(self, default_homeserver: Synapse) -> None:
        self.default_homeserver = default_homeserver
        self.clients: list[AsyncClient] = []
        self.tasks: list[asyncio.Task] = []
        self.stores: list[str] = []

    async def __call__(
        self,
        name: str,
        *,
        homeserver: Synapse | None = None,
        password: str | None = None,
        unique: bool = True,
        admin: bool = False,
        config: AsyncClientConfig | None = None,
        initial_sync: bool = True,
        encrypted: bool = False,
    ) -> AsyncClient:
        hs = homeserver or self.default_homeserver
        localpart = f"{name}-{next(_serial)}" if unique else name
        password = password or f"{localpart}-pass"
        user_id = await asyncio.to_thread(hs.register, localpart, password, admin)
        store = None
        if encrypted:
            store = tempfile.mkdtemp(prefix=f"nio-{localpart}-")
            self.stores.append(store)
            config = config or AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True)
        client = AsyncClient(hs.url, user_id, device_id=f"TEST-{localpart}".upper(), config=config, store_path=store)
        self.clients.append(client)
        resp = await client.login(password, device_name=f"test {localpart}")
        if not isinstance(resp, LoginResponse):
            pytest.fail(f"login of {user_id} on {hs.url} failed: {resp}")
        if initial_sync:
            await client.sync(timeout=0, full_state=True)
        if encrypted and client.should_upload_keys:
            await client.keys_upload()
        return client

    def sync_forever(self, client: AsyncClient, timeout_ms: int = 500, **kwargs) -> asyncio.Task:
        task = asyncio.create_task(
            client.sync_forever(timeout=timeout_ms, **kwargs), name=f"sync_forever {client.user_id}"
        )
        self.tasks.append(task)
        return task

    async def aclose(self) -> None:
        errors = []
        for task in self.tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                errors.append(task.exception())
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await asyncio.gather(*(c.close() for c in self.clients), return_exceptions=True)
        for store in self.stores:
            shutil.rmtree(store, ignore_errors=True)
        if errors:
            raise errors[0]


@pytest_asyncio.fixture
async def matrix_user(synapse: Synapse) -> AsyncIterator[MatrixUsers]:
    users = MatrixUsers(synapse)
    try:
        yield users
    finally:
        await users.aclose()


@pytest_asyncio.fixture
async def make_bot(synapse: Synapse, tmp_path):
    """``make_bot(hs=None, **config)``: the dilemmabot on its own account and database; stopped at teardown."""
    made: list[BotUnderTest] = []

    def make(hs: Synapse | None = None, **config) -> BotUnderTest:
        harness = BotUnderTest(hs or synapse, tmp_path / f"bot{len(made)}", **config)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        await harness.stop()
