"""Calling Canary webhooks: the payload, the transport and the outcome as an event.

The decider says which hook to call and with which phase (``WebhookNeeded``); this package calls
it and returns a ``WebhookResult`` for the controller to append. What a success *means* for each
hook type (gate opened, rollback requested, run halted) is the decider's business, not ours.

Public API:
    ``CanaryRef`` (name, namespace, checksum of the canary a call is about);
    ``payload_of(ref, phase, metadata)`` and ``event_payload_of(...)`` (the JSON bodies);
    ``call_webhook(hook, ref, phase, *, at, pacing)`` → ``WebhookResult``;
    ``event_hooks(spec, global_url)`` and ``send_event(hooks, ref, event, *, pacing)`` → results;
    ``Pacing`` (injectable sleep and clock), ``hook_timeout`` (timeout parsing).
"""

from effects.webhooks.calling import Pacing, call_webhook, hook_timeout
from effects.webhooks.events import GLOBAL_EVENT_HOOK, event_hooks, send_event
from effects.webhooks.payloads import (
    CanaryRef,
    EventPayload,
    WebhookPayload,
    event_payload_of,
    payload_of,
)

__all__ = [
    "GLOBAL_EVENT_HOOK",
    "CanaryRef",
    "EventPayload",
    "Pacing",
    "WebhookPayload",
    "call_webhook",
    "event_hooks",
    "event_payload_of",
    "hook_timeout",
    "payload_of",
    "send_event",
]
