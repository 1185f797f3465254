"""Cross-signing of the bot's own device, which matrix-nio 0.26 does not do.

Element marks every message from a device its owner has not cross-signed
with a red shield, and members who turn on "exclude insecure devices" share
no room keys with such a device at all, so the bot could not read their
commands.  So, once per account, the bot makes a master key and a
self-signing key (ed25519), signs the self-signing key with the master key,
uploads both (``/keys/device_signing/upload``, which asks for the account's
password through user-interactive auth), and signs its device's keys with
the self-signing key (``/keys/signatures/upload``).  A new device of the same
account (after a lost crypto store) is signed with the same keys.

The private keys stay in ``<db>.matrix-store/cross-signing.json`` (0600),
beside the crypto store; they never leave the machine and are never logged.
No user-signing key is made: the bot verifies nobody (see the README's
trust policy).  Signatures are over canonical JSON as the spec's "Signing
JSON" section says.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from Crypto.PublicKey import ECC
from Crypto.Signature import eddsa
from nio import AsyncClient

from adapters.matrix.files import write_private

log = logging.getLogger(__name__)

KEYS_FILE = "cross-signing.json"
KEYS_PATH = "/_matrix/client/v3/keys"

JSON = dict[str, Any]


class CrossSigningFailed(RuntimeError):
    """The homeserver did not take the keys or the signature."""


def canonical_json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def unpadded_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class SigningKey:
    """An ed25519 key pair made from a 32-byte seed."""

    seed: bytes = field(repr=False)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(secrets.token_bytes(32))

    @property
    def _key(self) -> ECC.EccKey:
        return ECC.construct(curve="ed25519", seed=self.seed)

    @property
    def public(self) -> str:
        return unpadded_base64(self._key.public_key().export_key(format="raw"))

    @property
    def key_id(self) -> str:
        return f"ed25519:{self.public}"

    def sign(self, user_id: str, value: JSON) -> JSON:
        """``value`` with this key's signature added (over everything but ``signatures`` and ``unsigned``)."""
        unsigned = {k: v for k, v in value.items() if k not in ("signatures", "unsigned")}
        signature = unpadded_base64(eddsa.new(self._key, "rfc8032").sign(canonical_json(unsigned)))
        signatures = {user: dict(keys) for user, keys in value.get("signatures", {}).items()}
        signatures.setdefault(user_id, {})[self.key_id] = signature
        return {**unsigned, "signatures": signatures}

    def public_key(self, user_id: str, usage: str) -> JSON:
        return {"user_id": user_id, "usage": [usage], "keys": {self.key_id: self.public}}


@dataclass(frozen=True)
class CrossSigningKeys:
    master: SigningKey
    self_signing: SigningKey

    @classmethod
    def generate(cls) -> CrossSigningKeys:
        return cls(SigningKey.generate(), SigningKey.generate())

    @classmethod
    def load(cls, path: Path) -> CrossSigningKeys | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(SigningKey(base64.b64decode(data["master"])), SigningKey(base64.b64decode(data["self_signing"])))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("ignoring an unreadable cross-signing key file %s", path)
            return None

    def save(self, path: Path) -> None:
        write_private(path, json.dumps({"master": base64.b64encode(self.master.seed).decode(),
                                        "self_signing": base64.b64encode(self.self_signing.seed).decode()}))

    def uploads(self, user_id: str) -> JSON:
        """The body of ``/keys/device_signing/upload``: the master key, and the self-signing key it signed."""
        return {"master_key": self.master.public_key(user_id, "master"),
                "self_signing_key": self.master.sign(user_id, self.self_signing.public_key(user_id, "self_signing"))}


class CrossSigning:
    """Makes sure the bot's device is cross-signed by its account (once per account, once per device)."""

    def __init__(self, client: AsyncClient, password: str | None, directory: Path):
        self.client = client
        self.password = password
        self.path = directory / KEYS_FILE

    async def _call(self, method: str, path: str, body: JSON) -> tuple[int, JSON]:
        headers = {"Authorization": f"Bearer {self.client.access_token}", "Content-Type": "application/json"}
        async with await self.client.send(method, path, json.dumps(body), headers) as resp:
            return resp.status, await resp.json(content_type=None)

    async def ensure(self) -> bool:
        """Upload the keys if the account has none of ours, sign this device if it is not signed; True when done."""
        me, device = self.client.user_id, self.client.device_id
        status, known = await self._call("POST", f"{KEYS_PATH}/query", {"device_keys": {me: [device]}})
        if status != 200:
            raise CrossSigningFailed(f"keys/query answered {status}")
        on_server = next(iter(known.get("master_keys", {}).get(me, {}).get("keys", {}).values()), None)
        keys = CrossSigningKeys.load(self.path)
        if keys is None or keys.master.public != on_server:
            if not self.password:
                log.warning("cannot cross-sign the bot's device without MATRIX_PASSWORD: Element will show its "
                            "messages as from an unverified device")
                return False
            if on_server is not None:
                log.warning("the account's cross-signing keys are not the ones kept in %s; replacing them", self.path)
            keys = keys if keys is not None and on_server is None else CrossSigningKeys.generate()
            keys.save(self.path)  # before the upload: keys on the server are never lost here
            await self._upload_keys(keys)
            log.info("uploaded cross-signing keys for %s", me)
        device_keys = known.get("device_keys", {}).get(me, {}).get(device)
        if device_keys is None:
            raise CrossSigningFailed(f"the keys of device {device} are not on the server yet")
        if keys.self_signing.key_id in device_keys.get("signatures", {}).get(me, {}):
            return True
        signed = keys.self_signing.sign(me, device_keys)
        status, answer = await self._call("POST", f"{KEYS_PATH}/signatures/upload", {me: {device: signed}})
        if status != 200 or answer.get("failures"):
            raise CrossSigningFailed(f"signatures/upload answered {status}: {answer.get('failures')}")
        log.info("cross-signed device %s", device)
        return True

    async def _upload_keys(self, keys: CrossSigningKeys) -> None:
        """``/keys/device_signing/upload``, with the password if the server asks for user-interactive auth."""
        body = keys.uploads(self.client.user_id)
        path = f"{KEYS_PATH}/device_signing/upload"
        status, answer = await self._call("POST", path, body)
        if status == 401 and "session" in answer:
            auth = {"type": "m.login.password", "session": answer["session"], "password": self.password,
                    "identifier": {"type": "m.id.user", "user": self.client.user_id}}
            status, answer = await self._call("POST", path, {**body, "auth": auth})
        if status != 200:
            raise CrossSigningFailed(f"device_signing/upload answered {status} {answer.get('errcode')}")
