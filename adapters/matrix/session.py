"""Logging the bot in, and keeping its device, access token and crypto store across restarts.

With a configured access token the bot uses it as it is.  With a password it
logs in once and keeps the session (user id, device id, access token) in a
file beside the database, mode 0600, like the pseudonym secret: the database
never holds a credential.  Later starts reuse that session, so the device
stays the same and no new access tokens pile up on the server; if the server
has forgotten the token, the bot logs in again on the same device.

The device's end-to-end keys (olm account, megolm sessions, other users'
devices) live in matrix-nio's crypto store, the directory ``<db>.matrix-store/``
(0700), encrypted with a random pickle key kept there (0600).  The device and
its store belong together: a device whose store is gone cannot be used for
encryption again (its one-time keys are already on the server), so then the
bot logs in as a new device.

Nothing here logs a token, a password or a key.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse

from adapters.matrix.files import make_private, private_dir, write_private
from bot.config import Config
from bot.logs import add_secret

log = logging.getLogger(__name__)

DEVICE_NAME = "dilemmabot"
PICKLE_KEY_FILE = "pickle-key"


class LoginFailed(RuntimeError):
    """The homeserver refused the configured credentials."""


@dataclass(frozen=True)
class Session:
    user_id: str
    device_id: str
    access_token: str = field(repr=False)


def session_file(config: Config) -> Path:
    return config.db_path.with_name(config.db_path.name + ".matrix-session")


def store_dir(config: Config) -> Path:
    """matrix-nio's crypto store for the bot's device(s)."""
    return config.db_path.with_name(config.db_path.name + ".matrix-store")


def pickle_key(directory: Path) -> str:
    """The key that encrypts the crypto store, made on first use."""
    path = directory / PICKLE_KEY_FILE
    if not path.exists():
        write_private(path, secrets.token_urlsafe(32))
    key = path.read_text(encoding="utf-8").strip()
    add_secret(key)
    return key


def new_client(config: Config, client_config: AsyncClientConfig) -> AsyncClient:
    """An AsyncClient with encryption, whose crypto store is ``<db>.matrix-store/``."""
    assert config.matrix_homeserver and config.matrix_user_id
    directory = private_dir(store_dir(config))
    return AsyncClient(config.matrix_homeserver, config.matrix_user_id, store_path=str(directory),
                       config=replace(client_config, pickle_key=pickle_key(directory)))


def has_crypto_store(client: AsyncClient, user_id: str, device_id: str) -> bool:
    """Whether this device's keys are in the store (nio names the file after the user and device)."""
    return bool(client.store_path) and (Path(client.store_path) / f"{user_id}_{device_id}.db").exists()


def load_session(path: Path) -> Session | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Session(data["user_id"], data["device_id"], data["access_token"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("ignoring an unreadable Matrix session file %s", path)
        return None


def save_session(path: Path, session: Session) -> None:
    """Write atomically, readable by the owner only (also when an older file had another mode)."""
    write_private(path, json.dumps({"user_id": session.user_id, "device_id": session.device_id,
                                    "access_token": session.access_token}))


async def log_in(client: AsyncClient, config: Config, fresh: bool = False) -> None:
    """Give ``client`` a working session: the configured token, the saved one, or a new password login.

    ``fresh`` skips the saved session (after the server said the token is no longer valid).
    """
    try:
        await _log_in(client, config, fresh)
    finally:
        if client.store_path:
            make_private(Path(client.store_path))


async def _log_in(client: AsyncClient, config: Config, fresh: bool) -> None:
    if config.matrix_access_token:
        client.user_id, client.access_token = config.matrix_user_id or "", config.matrix_access_token
        who = await client.whoami()
        if not isinstance(who, WhoamiResponse):
            raise LoginFailed(f"the configured access token was refused: {who.status_code}")
        if not who.device_id:
            raise LoginFailed("the configured access token belongs to no device; encryption needs one")
        client.restore_login(who.user_id, who.device_id, config.matrix_access_token)  # loads the crypto store
        return
    path = session_file(config)
    saved = load_session(path)
    if saved is not None and saved.user_id != config.matrix_user_id:
        saved = None  # another account than the one configured now
    if saved is not None and not has_crypto_store(client, saved.user_id, saved.device_id):
        log.warning("the crypto store of device %s is missing; logging in as a new device", saved.device_id)
        saved = None
    if saved is not None and not fresh:
        add_secret(saved.access_token)
        client.user_id, client.access_token = saved.user_id, saved.access_token
        who = await client.whoami()
        if isinstance(who, WhoamiResponse):
            client.restore_login(saved.user_id, saved.device_id, saved.access_token)
            return
        log.info("the saved Matrix session is no longer valid (%s); logging in again", who.status_code)
    if not config.matrix_password:
        raise LoginFailed("no Matrix password configured, and no valid session")
    client.access_token = ""
    client.device_id = saved.device_id if saved is not None else None
    resp = await client.login(config.matrix_password, device_name=DEVICE_NAME)  # loads (or creates) the crypto store
    if not isinstance(resp, LoginResponse):
        raise LoginFailed(f"Matrix login failed: {resp.status_code}")
    add_secret(resp.access_token)
    save_session(path, Session(resp.user_id, resp.device_id, resp.access_token))
    log.info("logged in to Matrix as %s, device %s", resp.user_id, resp.device_id)
