"""The one place notifiers touch the network: POST JSON, translate every failure.

Flagger's delivery contract (flagger-core §5.3): JSON body, 5 s timeout, an optional proxy, a
bearer token only when the notifier passes one, and any non-2xx answer is a failure whose text
carries the status and (truncated) body. httpx errors never leave this module; they become
:class:`DeliveryError` with a retryable flag so the recorded outcome says whether trying again
could help.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from effects.notifiers.base import DeliveryError

TIMEOUT_SECONDS = 5.0
BODY_LIMIT = 500


def post_json(
    url: str, payload: Any, *, proxy: str | None = None, token: str | None = None
) -> None:
    """POST ``payload`` to ``url``; raise :class:`DeliveryError` unless the answer is 2xx."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with httpx.Client(timeout=TIMEOUT_SECONDS, proxy=proxy) as client:
            response = client.post(url, content=orjson.dumps(payload), headers=headers)
    except httpx.HTTPError as e:
        raise DeliveryError(f"sending notification failed: {e}", retryable=True) from e
    if not 200 <= response.status_code <= 299:
        status = response.status_code
        raise DeliveryError(
            f"sending notification bad response {status}: {response.text[:BODY_LIMIT]}",
            retryable=status == 429 or status >= 500,
        )
