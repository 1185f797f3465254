"""A throwaway Synapse homeserver on 127.0.0.1 for end-to-end tests.

No pytest in here, so it can be driven from a script or a REPL too::

    from tests.adapters.matrix.synapse import Synapse
    hs = Synapse()            # generates a config in a temp dir
    hs.start()                # waits for /health
    alice = hs.register("alice", "alicepass")   # -> "@alice:localhost"
    ...
    hs.restart()              # same data dir, same port: users/rooms/tokens survive
    hs.stop()
    hs.cleanup()              # removes the temp dir (if this object made it)

Synapse is not installed in the project's venv (its pins would fight ours).
It lives in its own venv, made by ``scripts/install-synapse.sh``: by default
``<repo>/.venv-synapse``, or wherever the env var SYNAPSE_VENV points.

The config is the one ``--generate-config`` writes (server name ``localhost``,
sqlite, random secrets) plus a second config file, ``test-overrides.yaml``,
given after it with ``-c``. Synapse merges config files at the top level, so
the overrides replace whole keys: one HTTP listener on 127.0.0.1 serving only
the client API (which includes /_synapse/admin), no federation, no key
servers, open registration, loose rate limits (or tight ``rc_message`` with
``strict_rate_limits=True``). The log goes to ``<dir>/homeserver.log``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
SERVER_NAME = "localhost"
INSTALL_HINT = "run `bash scripts/install-synapse.sh` (from the repo root) to install it"

#: Limits that never get in a test's way.
LOOSE_LIMIT = {"per_second": 1000, "burst_count": 1000}
#: rc_message for ``strict_rate_limits=True``: a burst of 3+ messages gets 429 M_LIMIT_EXCEEDED.
STRICT_MESSAGE_LIMIT = {"per_second": 0.5, "burst_count": 2}


class SynapseError(RuntimeError):
    """Synapse could not be installed, started, or asked something."""


def synapse_venv() -> Path:
    """The venv that holds matrix-synapse (env SYNAPSE_VENV, else <repo>/.venv-synapse)."""
    return Path(os.environ.get("SYNAPSE_VENV") or REPO_ROOT / ".venv-synapse")


def synapse_python(venv: Path | None = None) -> Path:
    """Path of the synapse venv's python; raises SynapseError with the install hint if missing."""
    venv = venv or synapse_venv()
    py = venv / "bin" / "python"
    if not py.exists():
        raise SynapseError(f"no Synapse venv at {venv} ({py} missing): {INSTALL_HINT}")
    return py


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"({path} not readable)"
    return "\n".join(text.splitlines()[-lines:]) or f"({path} is empty)"


def _set_pdeathsig() -> None:  # runs in the child, before exec
    """Linux: have the kernel SIGTERM Synapse if the test process dies without stopping it."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except Exception:
        pass


class Synapse:
    """One Synapse process with its own data dir and port.

    Args:
        data_dir: where config, sqlite DB, signing key, media and logs go.
            Default: a new temp dir, removed by ``cleanup()``. An existing dir
            that already holds ``homeserver.yaml`` is reused as it is (no new
            config is generated), so a second ``Synapse(data_dir=same)`` sees
            the same users and rooms.
        port: TCP port on 127.0.0.1; default a free one (kept across restarts).
        strict_rate_limits: tight ``rc_message`` (STRICT_MESSAGE_LIMIT) so a
            test can provoke M_LIMIT_EXCEEDED; all other limits stay loose.
        extra_config: top-level keys merged over the test overrides (e.g.
            ``{"rc_message": {...}}`` or ``{"default_room_version": "11"}``).
        venv: the synapse venv (default ``synapse_venv()``).
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        port: int | None = None,
        strict_rate_limits: bool = False,
        extra_config: dict | None = None,
        venv: str | os.PathLike[str] | None = None,
    ) -> None:
        self.venv = Path(venv) if venv else synapse_venv()
        self.python = synapse_python(self.venv)
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="synapse-test-")).resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.server_name = SERVER_NAME
        self.strict_rate_limits = strict_rate_limits
        self.config_path = self.data_dir / "homeserver.yaml"
        self.overrides_path = self.data_dir / "test-overrides.yaml"
        self.log_path = self.data_dir / "homeserver.log"
        self.stdout_path = self.data_dir / "stdout.log"
        self._proc: subprocess.Popen | None = None
        self._passwords: dict[str, str] = {}
        self._lock = threading.Lock()

        if self.overrides_path.exists():  # reuse an existing data dir as it is
            overrides = json.loads(self.overrides_path.read_text())
            self.port = int(overrides["listeners"][0]["port"])
            self.registration_shared_secret = overrides["registration_shared_secret"]
            if port is not None and port != self.port:
                raise SynapseError(f"{self.data_dir} is configured for port {self.port}, not {port}")
        else:
            self.port = port or free_port()
            self.registration_shared_secret = secrets.token_hex(16)
            self._generate_config(extra_config or {})

    # ------------------------------------------------------------------ config

    def _generate_config(self, extra_config: dict) -> None:
        cmd = [
            str(self.python), "-m", "synapse.app.homeserver",
            "--server-name", self.server_name,
            "--config-path", str(self.config_path),
            "--generate-config", "--report-stats=no",
            "--data-directory", str(self.data_dir),
        ]  # fmt: skip
        res = subprocess.run(cmd, cwd=self.data_dir, capture_output=True, text=True)
        if res.returncode != 0:
            raise SynapseError(f"synapse --generate-config failed ({res.returncode}):\n{res.stderr[-3000:]}")

        # The generated log config writes homeserver.log into the *current* dir.
        log_config = self.data_dir / f"{self.server_name}.log.config"
        text = log_config.read_text()
        text, n = re.subn(r"(?m)^(\s*filename:).*$", rf"\1 {self.log_path}", text)
        if n == 0:
            raise SynapseError(f"no 'filename:' in {log_config}; the generated log config changed")
        log_config.write_text(text)

        loose = LOOSE_LIMIT
        overrides = {
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "public_baseurl": self.url + "/",
            "registration_shared_secret": self.registration_shared_secret,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "federation_domain_whitelist": [],
            "presence": {"enabled": False},
            "enable_metrics": False,
            "url_preview_enabled": False,
            "report_stats": False,
            "bcrypt_rounds": 4,  # fast password hashing: register/login in ms, not ~0.2 s
            "enable_registration": True,
            "enable_registration_without_verification": True,
            "rc_message": STRICT_MESSAGE_LIMIT if self.strict_rate_limits else loose,
            "rc_registration": loose,
            "rc_registration_token_validity": loose,
            "rc_login": {"address": loose, "account": loose, "failed_attempts": loose},
            "rc_joins": {"local": loose, "remote": loose},
            "rc_joins_per_room": loose,
            "rc_invites": {"per_room": loose, "per_user": loose, "per_issuer": loose},
            "rc_3pid_validation": loose,
            "rc_room_creation": loose,
            "rc_admin_redaction": loose,
        }
        overrides.update(extra_config)
        # JSON is YAML; this keeps the project's venv free of a PyYAML need.
        self.overrides_path.write_text(json.dumps(overrides, indent=2) + "\n")

    # --------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        """Base URL for clients, e.g. ``http://127.0.0.1:40123``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 30.0) -> None:
        """Start Synapse (no-op if running) and wait until GET /health answers OK."""
        if self.is_running():
            return
        cmd = [str(self.python), "-m", "synapse.app.homeserver",
               "-c", str(self.config_path), "-c", str(self.overrides_path)]  # fmt: skip
        with open(self.stdout_path, "ab") as out:
            self._proc = subprocess.Popen(
                cmd,
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C at the terminal goes to pytest, which stops us
                # only from the main thread: PDEATHSIG fires when the *thread* that forked exits
                preexec_fn=_set_pdeathsig
                if sys.platform == "linux" and threading.current_thread() is threading.main_thread()
                else None,
            )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        last_err: object = None
        while True:
            if self._proc is not None and self._proc.poll() is not None:
                raise SynapseError(
                    f"Synapse exited with code {self._proc.returncode} before it was ready" + self._diagnostics()
                )
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as r:
                    if r.status == 200:
                        return
                    last_err = f"HTTP {r.status}"
            except (OSError, urllib.error.URLError) as e:
                last_err = e
            if time.monotonic() > deadline:
                self.stop()
                raise SynapseError(
                    f"Synapse not ready on {self.url}/health after {timeout:.0f}s (last: {last_err})"
                    + self._diagnostics()
                )
            time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within ``timeout`` s. No-op if not running."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def kill(self) -> None:
        """SIGKILL at once (a crash, not a shutdown). Committed data survives (sqlite)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(5)

    def restart(self, timeout: float = 30.0) -> None:
        """stop() + start() on the same data dir and port."""
        self.stop()
        self.start(timeout)

    def cleanup(self) -> None:
        """stop(), and remove the data dir if this object created it."""
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> Synapse:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    def __repr__(self) -> str:
        state = f"pid={self.pid}" if self.is_running() else "stopped"
        return f"<Synapse {self.url} {state} dir={self.data_dir}>"

    def _diagnostics(self) -> str:
        return (
            f"\n--- tail of {self.log_path} ---\n{_tail(self.log_path)}"
            f"\n--- tail of {self.stdout_path} ---\n{_tail(self.stdout_path, 20)}"
        )

    # ------------------------------------------------------------------- users

    def user_id(self, username: str) -> str:
        return f"@{username}:{self.server_name}"

    def register(self, username: str, password: str, admin: bool = False) -> str:
        """Create a user with the shared-secret admin API; returns the user id.

        Pure HTTP (GET nonce, POST with HMAC-SHA1), a few ms per user. Registering
        a name again with the same password just returns its id; with another
        password it raises SynapseError (M_USER_IN_USE).
        """
        with self._lock:
            if self._passwords.get(username) == password:
                return self.user_id(username)
        url = self.url + "/_synapse/admin/v1/register"
        nonce = self._request("GET", url)["nonce"]
        parts = (nonce, username, password, "admin" if admin else "notadmin")
        mac = hmac.new(
            self.registration_shared_secret.encode(),
            b"\x00".join(p.encode() for p in parts),
            hashlib.sha1,
        )
        body = {"nonce": nonce, "username": username, "password": password,
                "admin": admin, "mac": mac.hexdigest()}  # fmt: skip
        user_id = self._request("POST", url, body)["user_id"]
        with self._lock:
            self._passwords[username] = password
        return user_id

    def login(self, username: str, password: str) -> dict:
        """Password login over plain HTTP: {user_id, access_token, device_id, ...}."""
        body = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": username},
                "password": password}  # fmt: skip
        return self._request("POST", self.url + "/_matrix/client/v3/login", body)

    def _request(self, method: str, url: str, body: dict | None = None, token: str | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")
            raise SynapseError(f"{method} {url} -> HTTP {e.code}: {detail}") from None

    def api(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
        """Raw client/admin API call, e.g. ``hs.api("GET", "/_matrix/client/v3/rooms/...", token=t)``."""
        return self._request(method, self.url + path, body, token)


if __name__ == "__main__":  # quick manual check: python tests/adapters/matrix/synapse.py
    t0 = time.monotonic()
    with Synapse() as hs:
        print(f"ready in {time.monotonic() - t0:.2f}s: {hs!r}")
        t1 = time.monotonic()
        ids = [hs.register(f"user{i}", "pw") for i in range(5)]
        print(f"registered {ids} in {time.monotonic() - t1:.2f}s")
