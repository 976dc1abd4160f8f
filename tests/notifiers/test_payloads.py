"""Each chat service gets Flagger's payload, posted to a real local server."""

from __future__ import annotations

from typing import Any

import pytest

from effects.notifiers import GLOBAL_RECIPIENT, NullNotifier, deliver_alert
from reducers.events import EffectResult, Severity
from reducers.spec import AlertProviderSpec
from tests.fixtures.httpservers import RecordingServer
from tests.notifiers.conftest import AT, alert, canary_spec, provider


def _deliver_to(kind: str, address: str, severity: Severity, **extra: Any) -> tuple[Any, ...]:
    spec = canary_spec([{"name": "chat", "severity": "info", "providerRef": {"name": "p"}}])
    providers = {("test", "p"): provider(type=kind, address=address, **extra)}
    return deliver_alert(
        alert(severity, ("chat",)),
        name="podinfo",
        namespace="test",
        spec=spec,
        providers=providers,
        secrets={},
        global_notifier=NullNotifier(),
        at=AT,
    )


def _slack_body(color: str, channel: str = "general", username: str = "flagger") -> Any:
    return {
        "channel": channel,
        "username": username,
        "icon_url": "",
        "icon_emoji": ":rocket:",
        "attachments": [
            {
                "color": color,
                "author_name": "podinfo.test",
                "text": "Canary analysis completed successfully, promotion finished.",
                "mrkdwn_in": ["text"],
                "fields": [
                    {"title": "Target", "value": "Deployment/podinfo.test", "short": False},
                    {"title": "Failed checks threshold", "value": "5", "short": False},
                ],
            }
        ],
    }


@pytest.mark.parametrize(
    ("kind", "severity", "color"),
    [
        ("slack", Severity.INFO, "good"),
        ("slack", Severity.ERROR, "danger"),
        ("rocket", Severity.WARN, "#0076D7"),
        ("rocket", Severity.ERROR, "#FF0000"),
    ],
)
def test_slack_and_rocket(
    recording_server: RecordingServer, kind: str, severity: Severity, color: str
) -> None:
    [outcome] = _deliver_to(
        kind, f"{recording_server.url}/hook", severity, channel="deploys", username="roost"
    )
    assert (outcome.effect, outcome.result) == ("alert/chat", EffectResult.APPLIED)
    [request] = recording_server.requests_to("/hook")
    assert request.headers["content-type"] == "application/json"
    assert "authorization" not in request.headers
    assert request.json() == _slack_body(color, "deploys", "roost")


def test_discord_gets_the_slack_path(recording_server: RecordingServer) -> None:
    _deliver_to("discord", f"{recording_server.url}/api/webhooks/1/abc", Severity.INFO)
    _deliver_to("discord", f"{recording_server.url}/api/webhooks/2/abc/slack", Severity.INFO)
    assert [r.path for r in recording_server.requests] == [
        "/api/webhooks/1/abc/slack",
        "/api/webhooks/2/abc/slack",
    ]
    assert recording_server.requests[0].json() == _slack_body("good")


@pytest.mark.parametrize(
    ("severity", "theme"), [(Severity.WARN, "0076D7"), (Severity.ERROR, "FF0000")]
)
def test_msteams(recording_server: RecordingServer, severity: Severity, theme: str) -> None:
    _deliver_to("msteams", f"{recording_server.url}/teams", severity)
    assert recording_server.requests_to("/teams")[0].json() == {
        "@type": "MessageCard",
        "@context": "http://schema.org/extensions",
        "themeColor": theme,
        "summary": "podinfo.test",
        "sections": [
            {
                "activityTitle": "Canary analysis completed successfully, promotion finished.",
                "activitySubtitle": "podinfo.test",
                "facts": [
                    {"name": "Target", "value": "Deployment/podinfo.test"},
                    {"name": "Failed checks threshold", "value": "5"},
                ],
            }
        ],
    }


DONE = "Canary analysis completed successfully, promotion finished."


def test_gchat(recording_server: RecordingServer) -> None:
    _deliver_to("gchat", f"{recording_server.url}/chat", Severity.INFO)
    grey = "<font color=#848484><strong>{}</strong></font>"
    assert recording_server.requests_to("/chat")[0].json() == {
        "cards": [
            {
                "header": {
                    "title": "Flagger",
                    "subtitle": "podinfo.test",
                    "imageUrl": "https://flagger.app/favicon.png",
                },
                "sections": [
                    {"widgets": [{"textParagraph": {"text": grey.format(DONE)}}]},
                    {
                        "widgets": [
                            {
                                "textParagraph": {
                                    "text": "Target<br>" + grey.format("Deployment/podinfo.test")
                                }
                            }
                        ]
                    },
                    {
                        "widgets": [
                            {
                                "textParagraph": {
                                    "text": "Failed checks threshold<br>" + grey.format("5")
                                }
                            }
                        ]
                    },
                ],
            }
        ]
    }


def test_address_and_token_from_the_secret(recording_server: RecordingServer) -> None:
    spec = canary_spec([{"name": "chat", "providerRef": {"name": "p", "namespace": "ops"}}])
    providers: dict[tuple[str, str], AlertProviderSpec] = {
        ("ops", "p"): provider(type="slack", secretRef={"name": "slack-url"})
    }
    secrets = {("ops", "slack-url"): {"address": f"{recording_server.url}/s", "token": "t0k"}}
    [outcome] = deliver_alert(
        alert(Severity.WARN, ("chat",)),
        name="podinfo",
        namespace="test",
        spec=spec,
        providers=providers,
        secrets=secrets,
        global_notifier=NullNotifier(),
        cluster_name="eu-1",
        at=AT,
    )
    assert outcome.result is EffectResult.APPLIED
    [request] = recording_server.requests_to("/s")
    assert request.headers["authorization"] == "Bearer t0k"
    assert request.json()["attachments"][0]["fields"][0] == {
        "title": "Cluster",
        "value": "eu-1",
        "short": False,
    }


def test_proxy_carries_the_call(recording_server: RecordingServer) -> None:
    _deliver_to("msteams", "http://chat.invalid/teams", Severity.INFO, proxy=recording_server.url)
    [request] = recording_server.requests
    assert request.path == "/teams"
    assert request.headers["host"] == "chat.invalid"


def test_recipients_only_as_decided_and_global(recording_server: RecordingServer) -> None:
    from effects.notifiers import GlobalNotifierSettings, global_notifier

    spec = canary_spec()
    notifier = global_notifier(
        GlobalNotifierSettings(slack_url=f"{recording_server.url}/g", slack_channel="ops")
    )
    outcomes = deliver_alert(
        alert(Severity.WARN, (), global_notifier=True),
        name="podinfo",
        namespace="test",
        spec=spec,
        providers={},
        secrets={},
        global_notifier=notifier,
        at=AT,
    )
    assert [(o.effect, o.result) for o in outcomes] == [
        (f"alert/{GLOBAL_RECIPIENT}", EffectResult.APPLIED)
    ]
    assert recording_server.requests_to("/g")[0].json()["channel"] == "ops"
