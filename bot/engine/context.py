"""A chat as the engine sees it while handling one event: its language, time zone and platform facts."""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands import CommandSpec
from bot.effects import Effect, Reply
from bot.events import Sender
from bot.i18n import t
from bot.platforms import Capabilities
from bot.richtext import Rich, plain

MAX_ECHO = 40  # user input echoed back in a refusal is cut to this length


@dataclass(frozen=True)
class Chat:
    id: str
    lang: str
    zone: str
    caps: Capabilities

    @property
    def prefix(self) -> str:
        return self.caps.prefix

    def say(self, key: str, **params: object) -> str:
        """The text ``key`` in this chat's language, with its command prefix."""
        return t(self.lang, key, p=self.prefix, **params)

    def text(self, key: str, **params: object) -> Rich:
        return plain(self.say(key, **params))

    def reply(self, sender: Sender, key: str, *, refused: bool = False, **params: object) -> Reply:
        return Reply(self.id, sender.user, self.text(key, **params), refused)

    def refuse(self, sender: Sender, key: str, **params: object) -> list[Effect]:
        return [self.reply(sender, key, refused=True, **params)]


def echo(text: str) -> str:
    """User input as it may be quoted back: short."""
    return text[:MAX_ECHO]


def usage(chat: Chat, sender: Sender, spec: CommandSpec) -> list[Effect]:
    """The refusal of bad arguments: the command's usage line and an example, from its table entry."""
    line = f"{chat.prefix}{spec.name} {spec.usage.get(chat.lang, '')}".strip()
    example = f"{chat.prefix}{spec.name} {spec.example}".strip()
    return chat.refuse(sender, "refuse.usage", usage=line, example=example)
