"""The JSON bodies Flagger's webhooks and event webhooks carry (flagger-core §4.1, §4.6).

Field order is part of the format (receivers that log raw bodies see Flagger's order), so the
bodies are built as ordered ``TypedDict`` s and serialised without sorting. Pure: no I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import NotRequired, TypedDict

from reducers.events import KubeEventRecorded


@dataclass(frozen=True, slots=True)
class CanaryRef:
    """The canary a call is about, as the payload names it."""

    name: str
    namespace: str
    checksum: str
    """Fingerprint of the canary's current revision (flagger-core §2.2.3)."""


class WebhookPayload(TypedDict):
    """Body of every hook type but ``event``."""

    name: str
    namespace: str
    phase: str
    checksum: str
    metadata: NotRequired[dict[str, str]]


class EventPayload(TypedDict):
    """Body of an ``event`` hook: the event text travels in ``metadata``."""

    name: str
    namespace: str
    phase: str
    checksum: str
    metadata: dict[str, str]


def payload_of(ref: CanaryRef, phase: str, metadata: Mapping[str, str] | None) -> WebhookPayload:
    """The body of a hook call; ``metadata`` is left out when empty, as Flagger does."""
    body = WebhookPayload(
        name=ref.name, namespace=ref.namespace, phase=phase, checksum=ref.checksum
    )
    if metadata:
        body["metadata"] = dict(metadata)
    return body


def unix_millis(at: datetime) -> str:
    """Milliseconds since the epoch, as the decimal string Flagger sends."""
    return str(int(at.timestamp() * 1000))


def event_payload_of(
    ref: CanaryRef, event: KubeEventRecorded, metadata: Mapping[str, str] | None
) -> EventPayload:
    """The body of an event hook; the hook's metadata never overrides the three event keys."""
    merged = dict(metadata or {})
    merged.update(
        eventMessage=event.message, eventType=event.type.value, timestamp=unix_millis(event.at)
    )
    return EventPayload(
        name=ref.name,
        namespace=ref.namespace,
        phase=event.phase,
        checksum=ref.checksum,
        metadata=merged,
    )
