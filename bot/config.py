"""Configuration from the environment (and an optional YAML file), read once at start.

Secrets (tokens, passwords) are kept out of ``repr`` so they never reach a log.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from bot.i18n import LANGUAGES
from bot.refusal import Refused
from bot.store import SYNCHRONOUS_MODES

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CASES = PACKAGE_ROOT / "dilemmas"

# environment variable -> config field
_ENV = {
    "DILEMMABOT_DB": "db_path",
    "DILEMMABOT_CASES": "cases_dir",
    "DILEMMABOT_SECRET_FILE": "secret_path",
    "DILEMMABOT_LANG": "lang",
    "DILEMMABOT_SQLITE_SYNCHRONOUS": "synchronous",
    "DILEMMABOT_TRAINERS": "trainers",
    "DILEMMABOT_LOG_LEVEL": "log_level",
    "TELEGRAM_BOT_TOKEN": "telegram_token",
    "TELEGRAM_BASE_URL": "telegram_base_url",
    "TELEGRAM_WEBHOOK_URL": "telegram_webhook_url",
    "TELEGRAM_WEBHOOK_LISTEN": "telegram_webhook_listen",
    "MATRIX_HOMESERVER": "matrix_homeserver",
    "MATRIX_USER_ID": "matrix_user_id",
    "MATRIX_PASSWORD": "matrix_password",
    "MATRIX_ACCESS_TOKEN": "matrix_access_token",
    "MATRIX_INVITE_ALLOW": "matrix_invite_allow",
    "MATRIX_POWER_LEVEL": "matrix_power_level",
    "MATRIX_MAX_ROOMS": "matrix_max_rooms",
    "DILEMMABOT_WEB_LISTEN": "web_listen",
    "DILEMMABOT_WEB_URL": "web_url",
}
WEB_OFF = "off"
CONSOLE_WEB_LISTEN = "127.0.0.1:0"  # the console's web pages: this machine only, on a free port


@dataclass(frozen=True)
class Config:
    db_path: Path = Path("data/dilemmabot.db")
    cases_dir: Path = DEFAULT_CASES
    secret_path: Path | None = None
    lang: str = "nb"
    synchronous: str = "NORMAL"
    trainers: frozenset[str] = frozenset()  # platform ids: "telegram:123", "matrix:@anne:example.org"
    log_level: str = "INFO"
    telegram_token: str | None = field(default=None, repr=False)
    telegram_base_url: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_listen: str = "0.0.0.0:8443"
    matrix_homeserver: str | None = None
    matrix_user_id: str | None = None
    matrix_password: str | None = field(default=None, repr=False)
    matrix_access_token: str | None = field(default=None, repr=False)
    matrix_invite_allow: frozenset[str] = frozenset()  # user ids or ":server" suffixes; empty = nobody
    matrix_power_level: int = 50
    matrix_max_rooms: int = 50  # invites beyond this many joined rooms are declined
    web_listen: str | None = None  # host:port of the web pages (presenter, report); "off" for none
    web_url: str | None = None  # their public base URL, when a reverse proxy serves them

    @property
    def secret_file(self) -> Path:
        return self.secret_path or self.db_path.with_name(self.db_path.name + ".secret")

    @property
    def platforms(self) -> list[str]:
        """The platforms ``dilemmabot run`` serves: each whose credentials are set (none: the console)."""
        found = []
        if self.telegram_token:
            found.append("telegram")
        if self.matrix_homeserver and self.matrix_user_id and (self.matrix_password or self.matrix_access_token):
            found.append("matrix")
        return found

    def web_address(self, console: bool) -> tuple[str, int] | None:
        """Where the web pages listen: ``DILEMMABOT_WEB_LISTEN``; for the console 127.0.0.1 on a free port unless
        that says ``off``; otherwise none."""
        listen = self.web_listen or (CONSOLE_WEB_LISTEN if console else None)
        if listen is None or listen.strip().casefold() == WEB_OFF:
            return None
        return parse_listen(listen, "DILEMMABOT_WEB_LISTEN")

    def secrets(self) -> list[str]:
        """Values that must never appear in a log line."""
        return [s for s in (self.telegram_token, self.matrix_password, self.matrix_access_token) if s]

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Config:
        """Defaults, then the YAML file named by ``DILEMMABOT_CONFIG``, then the environment, then ``overrides``."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        if env.get("DILEMMABOT_CONFIG"):
            values.update(_read_file(Path(env["DILEMMABOT_CONFIG"])))
        values.update({name: env[var] for var, name in _ENV.items() if env.get(var)})
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise Refused(f"unknown configuration keys: {', '.join(sorted(unknown))} (see the README's settings)")
        return cls(**{k: _convert(k, v) for k, v in values.items()})


def _read_file(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise Refused(f"cannot read the settings file {path} (DILEMMABOT_CONFIG): {exc}") from None
    if not isinstance(loaded, dict):
        raise Refused(f"the settings file {path} (DILEMMABOT_CONFIG) must hold field: value lines")
    return loaded


def parse_listen(listen: str, setting: str) -> tuple[str, int]:
    """``127.0.0.1:8080`` or ``[::]:8443`` -> host and port; ``setting`` names the value in the error."""
    host, _, port = listen.strip().rpartition(":")
    if not host or not port.isdigit():
        raise Refused(f"{setting} must be host:port (such as 127.0.0.1:8080), not {listen!r}")
    return host.strip("[]"), int(port)


def _convert(name: str, value: Any) -> Any:
    if name == "lang" and value not in LANGUAGES:
        raise Refused(f"DILEMMABOT_LANG (lang) is {value!r}: choose one of {', '.join(LANGUAGES)}")
    if name == "synchronous" and str(value).upper() not in SYNCHRONOUS_MODES:
        raise Refused(f"DILEMMABOT_SQLITE_SYNCHRONOUS is {value!r}: choose one of {', '.join(SYNCHRONOUS_MODES)}")
    if name in ("matrix_power_level", "matrix_max_rooms") and not str(value).strip().isdecimal():
        raise Refused(f"{name.upper()} is {value!r}: give a whole number such as 50")
    if name in ("db_path", "cases_dir", "secret_path"):
        return Path(value)
    if name in ("trainers", "matrix_invite_allow"):
        items = value.split(",") if isinstance(value, str) else value
        return frozenset(str(i).strip() for i in items if str(i).strip())
    if name in ("matrix_power_level", "matrix_max_rooms"):
        return int(value)
    if name == "synchronous":
        return str(value).upper()
    return value
