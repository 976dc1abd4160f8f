"""Slack-shaped notifiers: Slack itself, Discord (through its Slack-compatible path) and Rocket.

The three share one attachment payload (flagger-core §5.3) and differ in colours, the URL and
whether a bearer token is sent, so one class with a small ``Flavour`` serves all three.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict
from urllib.parse import urlsplit, urlunsplit

from effects.notifiers.base import Message, NotifierConfig, NotifierConfigError
from effects.notifiers.posting import post_json
from reducers.events import Severity


class SlackField(TypedDict):
    title: str
    value: str
    short: bool


class SlackAttachment(TypedDict):
    color: str
    author_name: str
    text: str
    mrkdwn_in: list[str]
    fields: list[SlackField]


class SlackPayload(TypedDict):
    channel: str
    username: str
    icon_url: str
    icon_emoji: str
    attachments: list[SlackAttachment]


@dataclass(frozen=True, slots=True)
class Flavour:
    """What distinguishes Slack, Discord and Rocket."""

    name: str
    error_color: str
    other_color: str
    sends_token: bool = False
    slack_path: bool = False
    """Discord takes Slack payloads only under ``…/slack``."""


SLACK = Flavour("slack", "danger", "good", sends_token=True)
DISCORD = Flavour("discord", "danger", "good", slack_path=True)
ROCKET = Flavour("rocket", "#FF0000", "#0076D7")


def _with_slack_path(address: str) -> str:
    parts = urlsplit(address)
    if parts.path.endswith("/slack"):
        return address
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/slack"))


def slack_payload(flavour: Flavour, config: NotifierConfig, message: Message) -> SlackPayload:
    """The attachment body Slack, Discord and Rocket accept."""
    color = flavour.error_color if message.severity is Severity.ERROR else flavour.other_color
    return SlackPayload(
        channel=config.channel,
        username=config.username,
        icon_url="",
        icon_emoji=":rocket:",
        attachments=[
            SlackAttachment(
                color=color,
                author_name=message.subject,
                text=message.text,
                mrkdwn_in=["text"],
                fields=[SlackField(title=n, value=v, short=False) for n, v in message.fields],
            )
        ],
    )


class SlackNotifier:
    """Posts attachments to a Slack-compatible incoming webhook."""

    def __init__(self, flavour: Flavour, config: NotifierConfig) -> None:
        if not urlsplit(config.address).scheme or not urlsplit(config.address).netloc:
            raise NotifierConfigError(f"{flavour.name}: address must be an absolute URL")
        if not config.username:
            raise NotifierConfigError(f"{flavour.name}: empty username")
        if not config.channel:
            raise NotifierConfigError(f"{flavour.name}: empty channel")
        self.flavour = flavour
        self.config = config
        self.url = _with_slack_path(config.address) if flavour.slack_path else config.address

    def post(self, message: Message) -> None:
        """Deliver one alert."""
        token = self.config.token if self.flavour.sends_token else None
        post_json(
            self.url,
            slack_payload(self.flavour, self.config, message),
            proxy=self.config.proxy,
            token=token,
        )


def make_slack(config: NotifierConfig) -> SlackNotifier:
    return SlackNotifier(SLACK, config)


def make_discord(config: NotifierConfig) -> SlackNotifier:
    return SlackNotifier(DISCORD, config)


def make_rocket(config: NotifierConfig) -> SlackNotifier:
    return SlackNotifier(ROCKET, config)
