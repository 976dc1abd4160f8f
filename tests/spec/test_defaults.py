"""Flagger's defaults: the models keep what was written, effective values apply the defaults."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from reducers.spec import (
    AlertProvider,
    Analysis,
    Canary,
    CanaryMetric,
    CanaryWebhook,
    Provider,
    SessionAffinity,
    Strategy,
    WebhookType,
    validate_document,
)
from reducers.spec import defaults as d


def analysis(**fields: Any) -> Analysis:
    return Analysis.model_validate({"interval": "1m", "threshold": 1, **fields})


def valid_canary(document: dict[str, Any]) -> Canary:
    result = validate_document(document)
    assert isinstance(result, Canary)
    return result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, timedelta(seconds=60)),
        ("", timedelta(seconds=60)),
        ("not-a-duration", timedelta(seconds=60)),
        ("5s", timedelta(seconds=10)),
        ("10s", timedelta(seconds=10)),
        ("1m30s", timedelta(seconds=90)),
        ("500ms", timedelta(seconds=10)),
    ],
)
def test_analysis_interval(text: str | None, expected: timedelta) -> None:
    assert d.analysis_interval(text) == expected


@pytest.mark.parametrize(("written", "expected"), [(None, 1), (0, 1), (-3, 1), (5, 5)])
def test_failed_checks_threshold(written: int | None, expected: int) -> None:
    assert d.failed_checks_threshold(written) == expected


@pytest.mark.parametrize(
    ("written", "ladder", "expected"),
    [
        (None, None, 100),
        (0, None, 100),
        (50, None, 50),
        (150, None, 150),  # kept: Flagger then never promotes
        (30, (1, 5, 10, 80), 80),  # a ladder wins over maxWeight
        (None, (10, 200), 100),
    ],
)
def test_max_weight(written: int | None, ladder: tuple[int, ...] | None, expected: int) -> None:
    assert d.max_weight(written, ladder) == expected


@pytest.mark.parametrize(
    ("current", "step", "ladder", "expected"),
    [
        (0, 10, None, 10),
        (40, 10, None, 10),
        (0, None, None, 0),
        (0, None, (5, 20, 50), 5),
        (5, None, (5, 20, 50), 15),
        (20, None, (5, 20, 50), 30),
        (50, None, (5, 20, 50), 50),  # past the ladder: the rest of the way
        (7, None, (5, 20, 50), 93),  # off the ladder: the rest of the way
        (100, None, (5, 20, 50), 1),
        (90, None, (50, 120), 10),
    ],
)
def test_next_step_weight(
    current: int, step: int | None, ladder: tuple[int, ...] | None, expected: int
) -> None:
    assert d.next_step_weight(current, step, ladder) == expected


@pytest.mark.parametrize(
    ("fields", "weights"),
    [
        ({"stepWeight": 10, "maxWeight": 50}, (10, 20, 30, 40, 50)),
        ({"stepWeight": 20, "maxWeight": 50}, (20, 40, 60)),  # overshoot, as Flagger does
        ({"stepWeight": 30}, (30, 60, 90, 100)),
        ({"stepWeight": 50, "maxWeight": 150}, (50, 100)),
        ({"stepWeights": [1, 2, 10, 80]}, (1, 2, 10, 80)),
        ({"stepWeights": [5, 50], "maxWeight": 20}, (5, 50)),
        ({"stepWeight": 0}, ()),
        ({"iterations": 10}, ()),
    ],
)
def test_effective_step_weights(fields: dict[str, Any], weights: tuple[int, ...]) -> None:
    assert analysis(**fields).effective_step_weights() == weights


@pytest.mark.parametrize(
    ("fields", "strategy"),
    [
        ({"stepWeight": 10}, Strategy.CANARY),
        ({"stepWeight": 10, "match": [{"headers": {"x": {"exact": "y"}}}]}, Strategy.CANARY),
        ({"iterations": 10}, Strategy.BLUE_GREEN),
        ({"iterations": 0}, Strategy.CANARY),
        ({"iterations": 10, "match": [{"headers": {"x": {"exact": "y"}}}]}, Strategy.AB_TESTING),
    ],
)
def test_strategy(fields: dict[str, Any], strategy: Strategy) -> None:
    assert analysis(**fields).strategy() is strategy


def test_analysis_effective_values() -> None:
    given = analysis(stepWeight=5, threshold=0, interval="5s")
    assert given.effective_interval() == timedelta(seconds=10)
    assert given.effective_threshold() == 1
    assert given.effective_max_weight() == 100
    assert given.effective_primary_ready_threshold() == 100
    assert given.effective_canary_ready_threshold() == 100
    assert given.effective_step_weight_promotion() == 0
    assert given.next_step_weight(95) == 5
    tuned = analysis(stepWeight=5, primaryReadyThreshold=50, canaryReadyThreshold=0)
    assert tuned.effective_primary_ready_threshold() == 50
    assert tuned.effective_canary_ready_threshold() == 0


def test_metric_interval_defaults_differ_for_templates() -> None:
    metric = CanaryMetric.model_validate({"name": "latency", "templateRef": {"name": "latency"}})
    assert metric.effective_interval(from_template=False) == timedelta(minutes=1)
    assert metric.effective_interval(from_template=True) is None
    written = CanaryMetric.model_validate({"name": "request-duration", "interval": "30s"})
    assert written.effective_interval(from_template=True) == timedelta(seconds=30)
    assert written.is_builtin


def test_webhook_effective_type_and_timeout() -> None:
    hook = CanaryWebhook.model_validate({"name": "load", "url": "http://loadtester/"})
    assert hook.effective_type() is WebhookType.ROLLOUT
    assert hook.effective_timeout() == timedelta(seconds=10)
    assert d.webhook_retries(hook.retries) == 0
    gate = CanaryWebhook.model_validate(
        {"name": "gate", "url": "http://g/", "type": "confirm-rollout", "timeout": "1m30s"}
    )
    assert gate.effective_type() is WebhookType.CONFIRM_ROLLOUT
    assert gate.effective_timeout() == timedelta(seconds=90)


def test_webhooks_of_reads_the_empty_type_as_rollout() -> None:
    given = analysis(
        stepWeight=5,
        webhooks=[
            {"name": "a", "url": "http://a/"},
            {"name": "b", "url": "http://b/", "type": "pre-rollout"},
            {"name": "c", "url": "http://c/", "type": "rollout"},
            {"name": "d", "url": "http://d/", "type": ""},
        ],
    )
    assert [h.name for h in given.webhooks_of(WebhookType.ROLLOUT)] == ["a", "c", "d"]
    assert [h.name for h in given.webhooks_of(WebhookType.UNSPECIFIED)] == ["a", "c", "d"]
    assert [h.name for h in given.webhooks_of(WebhookType.PRE_ROLLOUT)] == ["b"]


@pytest.mark.parametrize(("written", "expected"), [(None, 86400), (0, 86400), (21600, 21600)])
def test_cookie_max_age(written: int | None, expected: int) -> None:
    affinity = SessionAffinity.model_validate({"cookieName": "c", "maxAge": written})
    assert affinity.effective_max_age() == expected


def test_service_effective_values(canary: dict[str, Any]) -> None:
    spec = valid_canary(canary).spec
    service = spec.service
    assert service is not None
    assert service.effective_name("podinfo") == "podinfo"
    assert spec.effective_service_name() == "podinfo"
    assert service.effective_port_name() == "http"
    assert service.effective_target_port() == 9898
    assert service.effective_hosts("podinfo") == ("podinfo",)
    assert service.effective_gateways() == ("mesh",)
    assert spec.effective_progress_deadline() == timedelta(seconds=600)
    assert spec.effective_provider(Provider.ISTIO) is Provider.ISTIO

    canary["spec"]["service"].update(
        name="web",
        portName="grpc",
        targetPort="h2c",
        hosts=["app.example.com"],
        gateways=["public/gw"],
    )
    canary["spec"].update(progressDeadlineSeconds=60, provider="linkerd")
    spec = valid_canary(canary).spec
    service = spec.service
    assert service is not None
    assert spec.effective_service_name() == "web"
    assert service.effective_port_name() == "grpc"
    assert service.effective_target_port() == "h2c"
    assert service.effective_hosts("podinfo") == ("app.example.com",)
    assert service.effective_gateways() == ("public/gw",)  # mesh is not added to a given list
    assert spec.effective_progress_deadline() == timedelta(seconds=60)
    assert spec.effective_provider(Provider.ISTIO) is Provider.LINKERD


def test_alert_provider_defaults(alert_provider: dict[str, Any]) -> None:
    result = validate_document(alert_provider)
    assert isinstance(result, AlertProvider)
    assert result.spec.effective_channel() == "general"
    assert result.spec.effective_username() == "flagger"
    alert_provider["spec"].update(channel="on-call", username="roost")
    result = validate_document(alert_provider)
    assert isinstance(result, AlertProvider)
    assert result.spec.effective_channel() == "on-call"
    assert result.spec.effective_username() == "roost"


def test_models_keep_what_was_written_so_specs_round_trip(canary: dict[str, Any]) -> None:
    model = valid_canary(canary)
    assert model.spec.analysis.max_weight is None
    assert model.spec.progress_deadline_seconds is None
    assert model.to_document() == canary
    canary["spec"]["analysis"]["maxWeight"] = 0
    model = valid_canary(canary)
    assert model.spec.analysis.max_weight == 0
    assert model.spec.analysis.effective_max_weight() == 100
    assert model.to_document() == canary


def test_models_are_frozen(canary: dict[str, Any]) -> None:
    model = valid_canary(canary)
    with pytest.raises(ValueError, match="frozen"):
        model.spec.analysis.threshold = 3  # type: ignore[misc]
