"""Google Chat: a card with a header and one section per field (flagger-core §5.3)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from effects.notifiers.base import Message, NotifierConfig, NotifierConfigError
from effects.notifiers.posting import post_json

HEADER_IMAGE = "https://flagger.app/favicon.png"


def _paragraph(text: str) -> dict[str, Any]:
    return {"widgets": [{"textParagraph": {"text": text}}]}


def gchat_payload(message: Message) -> dict[str, Any]:
    """The card for one alert (a JSON edge: nested lists of widgets, so ``Any`` here)."""
    sections = [_paragraph(f"<font color=#848484><strong>{message.text}</strong></font>")]
    sections += [
        _paragraph(f"{name}<br><font color=#848484><strong>{value}</strong></font>")
        for name, value in message.fields
    ]
    header = {"title": "Flagger", "subtitle": message.subject, "imageUrl": HEADER_IMAGE}
    return {"cards": [{"header": header, "sections": sections}]}


class GChatNotifier:
    """Posts cards to a Google Chat incoming webhook."""

    def __init__(self, config: NotifierConfig) -> None:
        if not urlsplit(config.address).scheme or not urlsplit(config.address).netloc:
            raise NotifierConfigError("gchat: address must be an absolute URL")
        self.config = config

    def post(self, message: Message) -> None:
        """Deliver one alert."""
        post_json(self.config.address, gchat_payload(message), proxy=self.config.proxy)
