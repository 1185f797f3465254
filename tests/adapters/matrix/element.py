"""A Matrix user on Element's own stack: matrix-js-sdk 37.5.0 with its Rust crypto, in Node (jsclient/client.mjs).

Each user is cross-signed and has Element's "exclude insecure devices" on (device isolation: room keys go
only to devices their owner cross-signed), as a careful Element user would.  ``make test-setup`` installs
the pinned packages (``npm ci`` in jsclient/).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Callable

JSCLIENT = Path(__file__).resolve().parent / "jsclient"
INSTALL_HINT = "run `make test-setup` (npm ci in tests/adapters/matrix/jsclient)"
ANSWER_MARK = b"@@answer "  # the SDK prints to stdout too; answers are the lines with this mark


class ElementError(RuntimeError):
    """The JS client answered a request with an error."""


class ElementUser:
    def __init__(self, process: asyncio.subprocess.Process, user_id: str, device_id: str):
        self.process = process
        self.user_id = user_id
        self.device_id = device_id
        self._lock = asyncio.Lock()

    @classmethod
    async def log_in(cls, homeserver: str, user: str, password: str) -> ElementUser:
        if not (JSCLIENT / "node_modules" / "matrix-js-sdk").exists():
            raise ElementError(f"matrix-js-sdk is not installed: {INSTALL_HINT}")
        process = await asyncio.create_subprocess_exec(
            "node", str(JSCLIENT / "client.mjs"), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL, cwd=JSCLIENT, limit=2**24)
        me = cls(process, "", "")
        session = await me.call("login", hs=homeserver, user=user, password=password)
        if not session["crossSigned"]:
            raise ElementError(f"{user} did not get cross-signing")
        me.user_id, me.device_id = session["userId"], session["deviceId"]
        return me

    async def call(self, op: str, **args: Any) -> Any:
        async with self._lock:
            assert self.process.stdin is not None and self.process.stdout is not None
            self.process.stdin.write((json.dumps({"op": op, **args}) + "\n").encode())
            await self.process.stdin.drain()
            line = b""
            while not line.startswith(ANSWER_MARK):
                line = await asyncio.wait_for(self.process.stdout.readline(), 60)
                if not line:
                    raise ElementError(f"the JS client exited during {op}")
        answer = json.loads(line[len(ANSWER_MARK):])
        if "error" in answer:
            raise ElementError(answer["error"])
        return answer["ok"]

    async def timeline(self, room_id: str) -> list[dict[str, Any]]:
        return await self.call("timeline", room=room_id)

    async def wait_for(self, room_id: str, match: Callable[[dict[str, Any]], bool], what: str,
                       timeout: float = 30.0) -> dict[str, Any]:
        """The newest event in ``room_id`` (decrypted) for which ``match`` holds, once there is one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = [e for e in await self.timeline(room_id) if match(e)]
            if found:
                return found[-1]
            if loop.time() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        if self.process.returncode is None:
            try:
                await self.call("stop")
                await asyncio.wait_for(self.process.wait(), 10)
            except Exception:
                self.process.kill()
                await self.process.wait()

