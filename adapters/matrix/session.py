"""Logging the bot in, and keeping its device and access token across restarts.

With a configured access token the bot uses it as it is.  With a password it
logs in once and keeps the session (user id, device id, access token) in a
file beside the database, mode 0600, like the pseudonym secret: the database
never holds a credential.  Later starts reuse that session, so the device
stays the same and no new access tokens pile up on the server; if the server
has forgotten the token, the bot logs in again on the same device.

Nothing here logs a token or a password.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from nio import AsyncClient, LoginResponse, WhoamiResponse

from bot.config import Config
from bot.logs import add_secret

log = logging.getLogger(__name__)

DEVICE_NAME = "dilemmabot"


class LoginFailed(RuntimeError):
    """The homeserver refused the configured credentials."""


@dataclass(frozen=True)
class Session:
    user_id: str
    device_id: str
    access_token: str = field(repr=False)


def session_file(config: Config) -> Path:
    return config.db_path.with_name(config.db_path.name + ".matrix-session")


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
    """Write atomically, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"user_id": session.user_id, "device_id": session.device_id,
                   "access_token": session.access_token}, out)
    os.replace(temporary, path)


async def log_in(client: AsyncClient, config: Config, fresh: bool = False) -> None:
    """Give ``client`` a working session: the configured token, the saved one, or a new password login.

    ``fresh`` skips the saved session (after the server said the token is no longer valid).
    """
    if config.matrix_access_token:
        client.restore_login(config.matrix_user_id or "", "", config.matrix_access_token)
        who = await client.whoami()
        if not isinstance(who, WhoamiResponse):
            raise LoginFailed(f"the configured access token was refused: {who.status_code}")
        client.restore_login(who.user_id, who.device_id or "", config.matrix_access_token)
        return
    path = session_file(config)
    saved = load_session(path)
    if saved is not None and saved.user_id != config.matrix_user_id:
        saved = None  # another account than the one configured now
    if saved is not None and not fresh:
        add_secret(saved.access_token)
        client.restore_login(saved.user_id, saved.device_id, saved.access_token)
        who = await client.whoami()
        if isinstance(who, WhoamiResponse):
            return
        log.info("the saved Matrix session is no longer valid (%s); logging in again", who.status_code)
    if not config.matrix_password:
        raise LoginFailed("no Matrix password configured, and no valid session")
    client.access_token = ""
    client.device_id = saved.device_id if saved is not None else None
    resp = await client.login(config.matrix_password, device_name=DEVICE_NAME)
    if not isinstance(resp, LoginResponse):
        raise LoginFailed(f"Matrix login failed: {resp.status_code}")
    add_secret(resp.access_token)
    save_session(path, Session(resp.user_id, resp.device_id, resp.access_token))
    log.info("logged in to Matrix as %s, device %s", resp.user_id, resp.device_id)
