"""Event webhooks: targets, Flagger's event payload, and failures kept on record."""

from __future__ import annotations

from datetime import UTC, datetime

from effects.webhooks import GLOBAL_EVENT_HOOK, Pacing, event_hooks, send_event
from reducers.events import EventType, KubeEventRecorded, WebhookVerdict
from tests.fixtures.httpservers import RecordingServer
from tests.webhooks.conftest import AT, REF, canary_spec

EVENT = KubeEventRecorded(
    at=datetime(2026, 11, 23, 9, 0, 1, 500000, tzinfo=UTC),
    type=EventType.NORMAL,
    message="New revision detected! Scaling up podinfo.test",
    phase="Progressing",
)


def test_canary_event_hooks_win_over_the_global_one() -> None:
    spec = canary_spec(
        [
            {"name": "gate", "type": "confirm-rollout", "url": "http://a.example/"},
            {"name": "ev", "type": "event", "url": "http://b.example/"},
        ]
    )
    assert [h.name for h in event_hooks(spec, "http://global.example/")] == ["ev"]


def test_global_event_hook_when_the_canary_has_none() -> None:
    spec = canary_spec([{"name": "gate", "type": "confirm-rollout", "url": "http://a.example/"}])
    [only] = event_hooks(spec, "http://global.example/events")
    assert (only.name, str(only.url)) == (GLOBAL_EVENT_HOOK, "http://global.example/events")
    assert event_hooks(spec, None) == ()
    assert event_hooks(spec, "") == ()


def test_event_payload(recording_server: RecordingServer, pacing: Pacing) -> None:
    spec = canary_spec(
        [
            {
                "name": "ev",
                "type": "event",
                "url": f"{recording_server.url}/events",
                "metadata": {"team": "web", "eventType": "overridden?"},
            }
        ]
    )
    [result] = send_event(event_hooks(spec, None), REF, EVENT, at=AT, pacing=pacing)
    [request] = recording_server.requests_to("/events")
    assert request.json() == {
        "name": "podinfo",
        "namespace": "test",
        "phase": "Progressing",
        "checksum": REF.checksum,
        "metadata": {
            "team": "web",
            "eventType": "Normal",
            "eventMessage": "New revision detected! Scaling up podinfo.test",
            "timestamp": "1795424401500",
        },
    }
    assert (result.type, result.verdict, result.phase) == (
        "event",
        WebhookVerdict.SUCCESS,
        "Progressing",
    )


def test_failed_event_delivery_is_reported_not_raised(
    recording_server: RecordingServer, pacing: Pacing
) -> None:
    recording_server.respond("/events", 400, "no")
    recording_server.respond("/other", 200)
    spec = canary_spec(
        [
            {"name": "a", "type": "event", "url": f"{recording_server.url}/events"},
            {"name": "b", "type": "event", "url": f"{recording_server.url}/other"},
        ]
    )
    results = send_event(event_hooks(spec, None), REF, EVENT, at=AT, pacing=pacing)
    assert [(r.name, r.verdict, r.status) for r in results] == [
        ("a", WebhookVerdict.FAILURE, 400),
        ("b", WebhookVerdict.SUCCESS, 200),
    ]


def test_global_event_hook_is_called(recording_server: RecordingServer, pacing: Pacing) -> None:
    spec = canary_spec([])
    hooks = event_hooks(spec, f"{recording_server.url}/global")
    [result] = send_event(hooks, REF, EVENT, at=AT, pacing=pacing)
    [request] = recording_server.requests_to("/global")
    assert request.json()["metadata"]["eventMessage"] == EVENT.message
    assert (result.name, result.verdict) == (GLOBAL_EVENT_HOOK, WebhookVerdict.SUCCESS)
