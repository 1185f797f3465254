"""The "user" side of the Telegram emulator (tests/adapters/telegram/emulator/server.js).

`Emulator` talks to the emulator's client routes with the stdlib (urllib), synchronously. In async tests,
where the python-telegram-bot Application runs in the same event loop, use `emulator.aio`: the same
methods as coroutines (run in a worker thread), and a `wait_for` that sleeps with asyncio instead of
blocking the loop.

    chat = Chat.group(-1001, "Ethics club")
    alice = User(1, "Alice", "alice")
    await emu.aio.send_command(chat, alice, "/start")
    msg = await emu.aio.wait_for_bot_message(chat.id)
    await emu.aio.press_button(chat, alice, msg, "vote:yes")
    await emu.aio.wait_for(lambda: emu.edits())

Everything is kept per bot token, so a fresh token (`Emulator.with_token`) gives a clean slate.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Iterable

BOT_ID = 666
# How long a wait for something the bot should do may take before it fails: generous, so that only a hang,
# never a busy machine, reaches it (tests wait for events; none asserts on how fast they come).
WAIT = 30.0
BOT_USERNAME = "TestNameBot"
BOT_FIRST_NAME = "Test First name"


class EmulatorError(RuntimeError):
    """The emulator refused a client request (bad input, unknown route, ...)."""


@dataclass(frozen=True)
class User:
    id: int
    first_name: str = "Test"
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("username", "last_name", "language_code"):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        return d


@dataclass(frozen=True)
class Chat:
    id: int
    type: str = "private"  # 'private' | 'group' | 'supergroup' | 'channel'
    title: str | None = None
    first_name: str | None = None
    username: str | None = None

    @classmethod
    def private(cls, user: User) -> "Chat":
        return cls(user.id, "private", first_name=user.first_name, username=user.username)

    @classmethod
    def group(cls, id: int, title: str = "Test group") -> "Chat":
        return cls(id, "group", title=title)

    @classmethod
    def supergroup(cls, id: int, title: str = "Test supergroup", username: str | None = None) -> "Chat":
        return cls(id, "supergroup", title=title, username=username)

    def to_api(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "first_name", "username"):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        return d


def _message_id(bot_message: Any) -> int:
    if isinstance(bot_message, int):
        return bot_message
    if isinstance(bot_message, dict):
        return int(bot_message["message_id"])
    return int(bot_message.message_id)  # e.g. a telegram.Message


def button_data(message: dict[str, Any]) -> list[str]:
    """All callback_data values of a bot message's inline keyboard, row by row."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


class Emulator:
    """Synchronous client for one bot token. Cheap to create; holds no connection."""

    def __init__(self, url: str, token: str, *, request_timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.request_timeout = request_timeout

    def with_token(self, token: str) -> "Emulator":
        return Emulator(self.url, token, request_timeout=self.request_timeout)

    @property
    def aio(self) -> "AsyncEmulator":
        return AsyncEmulator(self)

    # ---------------------------------------------------------------- transport
    def _post(self, route: str, body: dict[str, Any]) -> Any:
        data = json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.url}{route}", data=data, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=self.request_timeout) as resp:
                payload = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            text = exc.read().decode(errors="replace")
            raise EmulatorError(f"{route}: HTTP {exc.code}: {text}") from None
        if not payload.get("ok", False):
            raise EmulatorError(f"{route}: {payload}")
        return payload.get("result")

    # ---------------------------------------------------------------- user actions
    def send_message(
        self,
        chat: Chat,
        user: User,
        text: str,
        *,
        entities: list[dict[str, Any]] | None = None,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, int]:
        """A plain user message. Returns {"message_id", "update_id"}."""
        body: dict[str, Any] = {
            "botToken": self.token,
            "from": user.to_api(),
            "chat": chat.to_api(),
            "date": int(time.time()),
            "text": text,
        }
        if entities:
            body["entities"] = entities
        if reply_to is not None:
            body["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "params"}
        return self._post("/sendMessage", body)

    def send_command(self, chat: Chat, user: User, text: str) -> dict[str, int]:
        """A command such as "/start", "/close@TestNameBot" or "/new Is lying OK?".

        Adds the bot_command entity that PTB's CommandHandler needs. Returns {"message_id", "update_id"}.
        """
        if not text.startswith("/"):
            raise ValueError(f"a command starts with '/': {text!r}")
        command = text.split(maxsplit=1)[0]
        body = {
            "botToken": self.token,
            "from": user.to_api(),
            "chat": chat.to_api(),
            "date": int(time.time()),
            "text": text,
            "entities": [{"offset": 0, "length": len(command.encode("utf-16-le")) // 2, "type": "bot_command"}],
        }
        return self._post("/sendCommand", body)

    def press_button(
        self,
        chat: Chat,
        user: User,
        bot_message: Any,
        data: str,
        *,
        strict: bool = True,
        chat_instance: str | None = None,
    ) -> dict[str, Any]:
        """The user presses an inline button of a bot message (dict from bot_messages(), message_id,
        or a telegram.Message).

        The callback carries the message as it is *now* in the emulator (text/keyboard after edits).
        strict=True checks that the message still exists and that a button with this callback_data is
        on it (as in a real client); strict=False sends the callback anyway (stale-button tests).
        Returns {"callback_query_id", "update_id"}.
        """
        message_id = _message_id(bot_message)
        current = next((m for m in self.bot_messages(chat.id) if m["message_id"] == message_id), None)
        if current is None:
            if strict:
                raise AssertionError(f"bot message {message_id} is not (or no longer) in chat {chat.id}")
            current = dict(bot_message) if isinstance(bot_message, dict) else {
                "message_id": message_id, "date": int(time.time()), "text": ""}
        elif strict and data not in button_data(current):
            raise AssertionError(
                f"message {message_id} has no button with callback_data={data!r}; buttons: {button_data(current)}"
            )
        message = {k: v for k, v in current.items() if k != "params"}
        message["chat"] = chat.to_api()
        message.setdefault("from", {"id": BOT_ID, "is_bot": True, "first_name": BOT_FIRST_NAME,
                                    "username": BOT_USERNAME})
        body = {
            "botToken": self.token,
            "from": user.to_api(),
            "message": message,
            "data": data,
            "chat_instance": chat_instance or f"ci{chat.id}",
        }
        return self._post("/sendCallback", body)

    def send_update(self, update: dict[str, Any]) -> int:
        """Inject any raw Update (edited_message, my_chat_member, poll_answer, ...); returns its update_id."""
        return self._post("/sendUpdate", {"botToken": self.token, "update": update})["update_id"]

    # ---------------------------------------------------------------- what the bot did
    def bot_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Bot messages still present (deleted ones are gone), oldest first, in their current (edited)
        state, as Bot API Message dicts; "params" holds the raw parameters the bot sent."""
        body: dict[str, Any] = {"token": self.token}
        if chat_id is not None:
            body["chatId"] = chat_id
        return self._post("/getBotMessages", body)

    def last_bot_message(self, chat_id: int) -> dict[str, Any] | None:
        msgs = self.bot_messages(chat_id)
        return msgs[-1] if msgs else None

    def history(self) -> list[dict[str, Any]]:
        """The stock /getUpdatesHistory: raw stored user and bot items in time order."""
        return self._post("/getUpdatesHistory", {"token": self.token})

    def edits(self) -> list[dict[str, Any]]:
        """Every successful edit, in order: {method, message_id, chat_id, text, caption, reply_markup, time(ms)}."""
        return self._post("/getEdits", {"token": self.token})

    def callback_answers(self) -> list[dict[str, Any]]:
        """Every answerCallbackQuery: {callback_query_id, text, show_alert, url, cache_time, time}."""
        return self._post("/getCallbackAnswers", {"token": self.token})

    def photos(self) -> list[dict[str, Any]]:
        """Every sendPhoto: {chat_id, message_id, caption, size, width, height, format, sha256, base64, ...}."""
        return self._post("/getPhotos", {"token": self.token})

    def documents(self) -> list[dict[str, Any]]:
        return self._post("/getDocuments", {"token": self.token})

    def deletes(self) -> list[dict[str, Any]]:
        return self._post("/getDeletes", {"token": self.token})

    def commands_log(self) -> list[dict[str, Any]]:
        """Every setMyCommands / deleteMyCommands: {action, commands, scope, language_code, time}."""
        return self._post("/getMyCommandsLog", {"token": self.token})

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        """Every Bot API call the bot made: {method, params, time, status} (file parts as {filename, size})."""
        calls = self._post("/getCalls", {"token": self.token})
        if method is not None:
            calls = [c for c in calls if c["method"].lower() == method.lower()]
        return calls

    # ---------------------------------------------------------------- set-up
    def set_admins(self, chat_id: int, user_ids: Iterable[int], *, owner_id: int | None = None) -> None:
        """getChatMember/getChatAdministrators in chat_id will report these users as administrators
        (owner_id as 'creator'); everybody else is a plain 'member'."""
        self._post("/setAdmins", {"botToken": self.token, "chatId": chat_id, "userIds": list(user_ids),
                                  "ownerId": owner_id})

    def fail_next(
        self,
        method: str,
        count: int = 1,
        retry_after: int = 1,
        *,
        error_code: int = 429,
        description: str | None = None,
    ) -> None:
        """The next `count` calls of Bot API `method` fail: by default with 429 + retry_after (flood
        control); with error_code/description any other error, e.g. 403 "Forbidden: bot was blocked by
        the user". count=0 clears."""
        self._post("/failNext", {"botToken": self.token, "method": method, "count": count,
                                 "retryAfter": retry_after, "errorCode": error_code,
                                 "description": description})

    def reset(self) -> None:
        """Forget all messages and records of this token."""
        self._post("/reset", {"token": self.token})

    # ---------------------------------------------------------------- waiting (sync tests only)
    def wait_for(self, predicate: Callable[[], Any], timeout: float = WAIT, interval: float = 0.02,
                 message: str | None = None) -> Any:
        """Call predicate until it returns something truthy and return that; TimeoutError otherwise.
        Blocks: inside an event loop that runs the bot use `await emu.aio.wait_for(...)`."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(message or f"condition not met within {timeout}s (last value: {value!r})")
            time.sleep(interval)

    def wait_for_bot_message(self, chat_id: int, predicate: Callable[[dict], bool] | None = None, *,
                             after: int = 0, timeout: float = WAIT) -> dict[str, Any]:
        return self.wait_for(_bot_message_probe(self, chat_id, predicate, after), timeout,
                             message=f"no matching bot message in chat {chat_id} within {timeout}s")


def _bot_message_probe(emu: Emulator, chat_id: int, predicate: Callable[[dict], bool] | None,
                       after: int) -> Callable[[], dict[str, Any] | None]:
    def probe() -> dict[str, Any] | None:
        for m in emu.bot_messages(chat_id):
            if m["message_id"] > after and (predicate is None or predicate(m)):
                return m
        return None
    return probe


class AsyncEmulator:
    """`Emulator` for async tests: every method is a coroutine running the sync call in a thread,
    so the event loop (and the bot in it) keeps running. `emu.aio.photos()`, `emu.aio.press_button(...)`."""

    def __init__(self, sync: Emulator) -> None:
        self.sync = sync

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.sync, name)
        if not callable(attr):
            return attr

        @functools.wraps(attr)
        async def call(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(attr, *args, **kwargs)
        return call

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = WAIT, interval: float = 0.02,
                       message: str | None = None) -> Any:
        """Like Emulator.wait_for; predicate may be a plain function (run in a thread, so it may call
        the sync client) or a coroutine function."""
        deadline = time.monotonic() + timeout
        while True:
            if inspect.iscoroutinefunction(predicate):
                value = await predicate()
            else:
                value = await asyncio.to_thread(predicate)
                if inspect.isawaitable(value):
                    value = await value
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(message or f"condition not met within {timeout}s (last value: {value!r})")
            await asyncio.sleep(interval)

    async def wait_for_bot_message(self, chat_id: int, predicate: Callable[[dict], bool] | None = None, *,
                                   after: int = 0, timeout: float = WAIT) -> dict[str, Any]:
        return await self.wait_for(_bot_message_probe(self.sync, chat_id, predicate, after), timeout,
                                   message=f"no matching bot message in chat {chat_id} within {timeout}s")


@contextlib.asynccontextmanager
async def running_application(app: Any, *, poll_interval: float = 0.02, timeout: Any = 0,
                              drop_pending_updates: bool = False) -> AsyncIterator[Any]:
    """Run a python-telegram-bot Application (built with .base_url(f"{url}/bot")) in the current event
    loop, polling the emulator; stops it cleanly afterwards, also when the test body fails.

    timeout=0 with a short poll_interval is the safe choice; the emulator also supports real long polling
    (timeout > 0), which answers at once when an update arrives.
    """
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=poll_interval, timeout=timeout,
                                        drop_pending_updates=drop_pending_updates)
        try:
            yield app
        finally:
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
