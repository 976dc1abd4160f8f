"""Webhook tests: hooks are built from spec documents and called against local servers.

``RecordedSleep`` stands in for ``time.sleep`` so retries are checked by the waits they asked
for, never by waiting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from effects.webhooks import CanaryRef, Pacing
from reducers.spec import CanarySpec, CanaryWebhook

AT = datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)
REF = CanaryRef(name="podinfo", namespace="test", checksum="5f1c0ad2b9e8d7c6")


def hook(url: str, **fields: Any) -> CanaryWebhook:
    """A webhook as it would be written in a Canary."""
    return CanaryWebhook.model_validate({"name": fields.pop("name", "hook"), "url": url, **fields})


def canary_spec(webhooks: list[dict[str, Any]]) -> CanarySpec:
    return CanarySpec.model_validate(
        {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898},
            "analysis": {
                "interval": "1m",
                "threshold": 5,
                "stepWeight": 10,
                "webhooks": webhooks,
            },
        }
    )


@dataclass
class RecordedSleep:
    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> RecordedSleep:
    return RecordedSleep()


@pytest.fixture
def pacing(sleeps: RecordedSleep) -> Pacing:
    return Pacing(sleep=sleeps)
