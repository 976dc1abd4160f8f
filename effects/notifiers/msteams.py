"""Microsoft Teams: an Office 365 connector ``MessageCard`` (flagger-core §5.3)."""

from __future__ import annotations

from typing import TypedDict
from urllib.parse import urlsplit

from effects.notifiers.base import Message, NotifierConfig, NotifierConfigError
from effects.notifiers.posting import post_json
from reducers.events import Severity


class TeamsFact(TypedDict):
    name: str
    value: str


class TeamsSection(TypedDict):
    activityTitle: str
    activitySubtitle: str
    facts: list[TeamsFact]


TeamsCard = TypedDict(
    "TeamsCard",
    {
        "@type": str,
        "@context": str,
        "themeColor": str,
        "summary": str,
        "sections": list[TeamsSection],
    },
)


def teams_payload(message: Message) -> TeamsCard:
    """The MessageCard for one alert."""
    return {
        "@type": "MessageCard",
        "@context": "http://schema.org/extensions",
        "themeColor": "FF0000" if message.severity is Severity.ERROR else "0076D7",
        "summary": message.subject,
        "sections": [
            {
                "activityTitle": message.text,
                "activitySubtitle": message.subject,
                "facts": [{"name": n, "value": v} for n, v in message.fields],
            }
        ],
    }


class TeamsNotifier:
    """Posts MessageCards to a Teams incoming webhook."""

    def __init__(self, config: NotifierConfig) -> None:
        if not urlsplit(config.address).scheme or not urlsplit(config.address).netloc:
            raise NotifierConfigError("msteams: address must be an absolute URL")
        self.config = config

    def post(self, message: Message) -> None:
        """Deliver one alert."""
        post_json(self.config.address, teams_payload(message), proxy=self.config.proxy)
