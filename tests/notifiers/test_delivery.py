"""Failures become outcomes; the registry rejects unknown names; global flags pick a notifier."""

from __future__ import annotations

import pytest

from effects.notifiers import (
    NOTIFIERS,
    GlobalNotifierSettings,
    NotifierConfig,
    NotifierConfigError,
    NullNotifier,
    deliver_alert,
    global_notifier,
    make_notifier,
)
from effects.notifiers.msteams import TeamsNotifier
from effects.notifiers.slack import SlackNotifier
from reducers.events import EffectResult, Severity
from reducers.spec import AlertProviderType
from tests.fixtures.httpservers import RecordingServer
from tests.notifiers.conftest import AT, alert, canary_spec, provider


def test_registry_covers_every_provider_type_and_rejects_others() -> None:
    assert set(NOTIFIERS) == {t.value for t in AlertProviderType}
    with pytest.raises(NotifierConfigError, match="provider pager not supported"):
        make_notifier("pager", NotifierConfig(address="http://x.example/"))


def test_empty_address_posts_nothing() -> None:
    assert isinstance(make_notifier("slack", NotifierConfig(address="")), NullNotifier)


@pytest.mark.parametrize("kind", ["slack", "discord", "rocket"])
def test_slack_like_need_channel_and_user(kind: str) -> None:
    with pytest.raises(NotifierConfigError, match="empty channel"):
        make_notifier(kind, NotifierConfig(address="http://x.example/", channel=""))
    with pytest.raises(NotifierConfigError, match="absolute URL"):
        make_notifier(kind, NotifierConfig(address="x.example/hook"))


def test_outcomes_for_each_failure(recording_server: RecordingServer) -> None:
    recording_server.respond("/busy", 503, "try later")
    recording_server.respond("/bad", 400, "invalid_payload")
    spec = canary_spec(
        [
            {"name": "busy", "providerRef": {"name": "busy"}},
            {"name": "bad", "providerRef": {"name": "bad"}},
            {"name": "gone", "providerRef": {"name": "gone"}},
            {"name": "nosecret", "providerRef": {"name": "nosecret"}},
        ]
    )
    providers = {
        ("test", "busy"): provider(type="slack", address=f"{recording_server.url}/busy"),
        ("test", "bad"): provider(type="msteams", address=f"{recording_server.url}/bad"),
        ("test", "nosecret"): provider(type="gchat", secretRef={"name": "missing"}),
    }
    outcomes = deliver_alert(
        alert(Severity.ERROR, ("busy", "bad", "gone", "nosecret")),
        name="podinfo",
        namespace="test",
        spec=spec,
        providers=providers,
        secrets={},
        global_notifier=NullNotifier(),
        at=AT,
    )
    assert [(o.effect, o.result, o.retryable, o.detail) for o in outcomes] == [
        (
            "alert/busy",
            EffectResult.ERROR,
            True,
            'sending notification bad response 503: "try later"',
        ),
        (
            "alert/bad",
            EffectResult.ERROR,
            False,
            'sending notification bad response 400: "invalid_payload"',
        ),
        ("alert/gone", EffectResult.ERROR, False, "alert provider test/gone not found"),
        ("alert/nosecret", EffectResult.ERROR, False, "secret test/missing not found"),
    ]


def test_global_settings_pick_the_notifier() -> None:
    assert isinstance(global_notifier(GlobalNotifierSettings()), NullNotifier)
    # A Slack URL without a channel cannot post: Flagger's no-op notifier.
    no_channel = GlobalNotifierSettings(slack_url="http://slack.example/h")
    assert isinstance(global_notifier(no_channel), NullNotifier)
    slack = global_notifier(
        GlobalNotifierSettings(slack_url="http://s.example/", slack_channel="c")
    )
    assert isinstance(slack, SlackNotifier)
    both = GlobalNotifierSettings(
        slack_url="http://s.example/", slack_channel="c", msteams_url="http://t.example/"
    )
    assert isinstance(global_notifier(both), TeamsNotifier)


def test_environment_wins_over_flags() -> None:
    settings = GlobalNotifierSettings(slack_url="http://flag.example/", slack_channel="c")
    found = settings.with_environment({"SLACK_URL": "http://env.example/", "MSTEAMS_URL": ""})
    assert found.slack_url == "http://env.example/"
    assert found.msteams_url == ""
    assert found.slack_channel == "c"
