"""One webhook call: POST, retry with backoff, classify, and report a ``WebhookResult``.

This is the choke point where transport errors become outcomes: nothing raised by httpx leaves
this module, every call ends in a ``WebhookResult`` whose ``verdict`` says whether the hook answered
2xx (Roost's reading of success, docs/compatibility.md quirk 11) and whose ``error`` carries what a
Kubernetes event would show. Retry rules follow flagger-core §4.2: transport errors, 429 and 5xx
except 501 are retried ``retries`` times, waiting ``1s * 2**k`` (capped at 30 s, ``Retry-After``
honoured for 429/503). Sleeping and the clock are injected (``Pacing``) so tests never wait and
the time of the result (``at``) always comes from the caller.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import orjson

from effects.webhooks.payloads import CanaryRef, EventPayload, WebhookPayload, payload_of
from reducers.canary.checks import webhook_retryable, webhook_succeeded
from reducers.events import WebhookResult, WebhookVerdict
from reducers.spec import CanaryWebhook
from reducers.spec.defaults import webhook_retries, webhook_timeout

BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 30.0
ERROR_TEXT_LIMIT = 1000
"""Response bodies are truncated to this many characters before they reach an event."""


@dataclass(frozen=True, slots=True)
class Pacing:
    """How a call waits between attempts and measures its duration (injected by tests)."""

    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


def hook_timeout(hook: CanaryWebhook) -> float:
    """Per-attempt timeout in seconds; a value shorter than 2 characters means 10 s."""
    limit: timedelta = webhook_timeout(hook.timeout)
    return limit / timedelta(seconds=1)


def backoff(attempt: int, retry_after: str | None) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based)."""
    if retry_after is not None and retry_after.strip().isdigit():
        return min(float(retry_after.strip()), BACKOFF_CAP_SECONDS)
    return min(BACKOFF_BASE_SECONDS * (1 << min(attempt, 16)), BACKOFF_CAP_SECONDS)


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int | None
    body: str
    retry_after: str | None
    transport_error: str = ""


def _attempt(client: httpx.Client, url: str, content: bytes) -> _Answer:
    try:
        response = client.post(url, content=content, headers={"Content-Type": "application/json"})
    except httpx.HTTPError as e:
        return _Answer(None, "", None, transport_error=f"{type(e).__name__}: {e}")
    retry_after = None
    if response.status_code in (429, 503):
        retry_after = response.headers.get("Retry-After")
    return _Answer(response.status_code, response.text[:ERROR_TEXT_LIMIT], retry_after)


def post_json(
    hook: CanaryWebhook,
    body: WebhookPayload | EventPayload | Mapping[str, object],
    *,
    pacing: Pacing,
) -> tuple[int | None, int, str]:
    """POST ``body`` with the hook's retries; returns (final status, attempts, error text)."""
    content = orjson.dumps(body)
    url = str(hook.url)
    attempts_allowed = webhook_retries(hook.retries) + 1
    timeout = hook_timeout(hook)
    with httpx.Client(
        verify=not hook.disable_tls, timeout=timeout, follow_redirects=True
    ) as client:
        answer = _Answer(None, "", None)
        for attempt in range(attempts_allowed):
            if attempt:
                pacing.sleep(backoff(attempt - 1, answer.retry_after))
            answer = _attempt(client, url, content)
            if not webhook_retryable(answer.status):
                break
    attempts = attempt + 1
    if webhook_succeeded(answer.status):
        return answer.status, attempts, ""
    if webhook_retryable(answer.status):
        error = f"POST {url} giving up after {attempts} attempt(s)"
        if answer.transport_error:
            # Flagger stops at "giving up"; the cause (refused, TLS verification) saves a
            # debugging session, so Roost appends it.
            error = f"{error}: {answer.transport_error[:ERROR_TEXT_LIMIT]}"
        return answer.status, attempts, error
    return answer.status, attempts, answer.body


def call_webhook(
    hook: CanaryWebhook,
    ref: CanaryRef,
    phase: str,
    *,
    at: datetime,
    pacing: Pacing | None = None,
) -> WebhookResult:
    """Call ``hook`` about ``ref`` with payload phase ``phase``; never raises for I/O."""
    pacing = pacing or Pacing()
    started = pacing.clock()
    status, attempts, error = post_json(hook, payload_of(ref, phase, hook.metadata), pacing=pacing)
    elapsed = timedelta(seconds=max(pacing.clock() - started, 0.0))
    return WebhookResult(
        at=at,
        name=hook.name,
        type=hook.effective_type().value,
        url=str(hook.url),
        phase=phase,
        status=status,
        attempts=attempts,
        duration_ms=int(elapsed.total_seconds() * 1000),
        verdict=WebhookVerdict.SUCCESS if webhook_succeeded(status) else WebhookVerdict.FAILURE,
        error=error,
    )
