"""Event webhooks: every Kubernetes event the decider records, forwarded as JSON (§4.6).

Targets are the canary's ``event`` hooks or, when it has none, the operator-wide
``--event-webhook`` as a hook named ``events`` with default settings. Flagger only logs a failed
event delivery; Roost returns a ``WebhookResult`` per target so the failure is on record too —
the controller appends them as outcomes, they are never decide inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from effects.webhooks.calling import Pacing, post_json
from effects.webhooks.payloads import CanaryRef, event_payload_of
from reducers.events import KubeEventRecorded, WebhookResult, WebhookVerdict
from reducers.spec import CanarySpec, CanaryWebhook, WebhookType

GLOBAL_EVENT_HOOK = "events"
"""Name of the hook made from the operator-wide ``--event-webhook``."""


def event_hooks(spec: CanarySpec, global_url: str | None) -> tuple[CanaryWebhook, ...]:
    """Where a canary's Kubernetes events go: its own event hooks, else the global one."""
    own = spec.analysis.webhooks_of(WebhookType.EVENT)
    if own or not global_url:
        return own
    return (
        CanaryWebhook.model_validate(
            {"name": GLOBAL_EVENT_HOOK, "url": global_url, "type": WebhookType.EVENT.value}
        ),
    )


def send_event(
    hooks: Sequence[CanaryWebhook],
    ref: CanaryRef,
    event: KubeEventRecorded,
    *,
    at: datetime,
    pacing: Pacing | None = None,
) -> tuple[WebhookResult, ...]:
    """Post ``event`` to every hook in order; one result per hook, failures included."""
    pacing = pacing or Pacing()
    results = []
    for hook in hooks:
        started = pacing.clock()
        body = event_payload_of(ref, event, hook.metadata)
        status, attempts, error = post_json(hook, body, pacing=pacing)
        results.append(
            WebhookResult(
                at=at,
                name=hook.name,
                type=WebhookType.EVENT.value,
                url=str(hook.url),
                phase=event.phase,
                status=status,
                attempts=attempts,
                duration_ms=int(max(pacing.clock() - started, 0.0) * 1000),
                verdict=WebhookVerdict.SUCCESS if not error else WebhookVerdict.FAILURE,
                error=error,
            )
        )
    return tuple(results)
