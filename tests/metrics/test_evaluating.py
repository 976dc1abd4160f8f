"""Evaluating metrics into MetricResult events: builtin queries on real data, templates, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from effects.metrics import (
    FailureKind,
    NoData,
    PrometheusProvider,
    ProviderConfigError,
    QueryError,
    QueryOutcome,
    Subject,
    evaluate,
    failed,
    for_builtins,
    make_provider,
    metrics_server,
    template_config,
)
from reducers.events import MetricSource, MetricVerdict
from reducers.spec import Canary
from tests.fixtures.openmetrics import OpenMetricsBuilder
from tests.metrics.conftest import AT, AT_S, canary, config, template

POD = {"kubernetes_namespace": "test", "kubernetes_pod_name": "podinfo-7d9f8c-x2z4q"}


def traffic() -> OpenMetricsBuilder:
    """Per 10 s: 190 fast successes, 10 slow failures; the same buckets on both series."""
    start = AT_S - 600
    return (
        OpenMetricsBuilder()
        .latencies(
            "podinfo",
            start=start,
            end=AT_S,
            per_step={0.1: 190, 0.5: 0},
            labels={**POD, "status": "200"},
        )
        .latencies(
            "podinfo",
            start=start,
            end=AT_S,
            per_step={0.1: 0, 0.5: 10},
            labels={**POD, "status": "500"},
        )
    )


@pytest.fixture
def prometheus(prometheus_backfilled: Callable[[OpenMetricsBuilder], str]) -> PrometheusProvider:
    return PrometheusProvider(config("prometheus", prometheus_backfilled(traffic())))


def builtin(c: Canary, index: int) -> Subject:
    metrics = c.spec.analysis.metrics or ()
    return Subject(c, metrics[index], MetricSource.BUILTIN, provider_name="kubernetes")


KUBERNETES_METRICS: list[dict[str, Any]] = [
    {"name": "request-success-rate", "thresholdRange": {"min": 99}, "interval": "1m"},
    {"name": "request-duration", "thresholdRange": {"max": 500.9}, "interval": "1m"},
]


def test_builtin_success_rate_is_exact_and_judged(prometheus: PrometheusProvider) -> None:
    result = evaluate(builtin(canary(KUBERNETES_METRICS), 0), prometheus, at=AT)

    assert result.value == pytest.approx(95.0)
    assert result.verdict is MetricVerdict.FAIL
    assert (result.min, result.max) == (99.0, None)
    assert result.source is MetricSource.BUILTIN and result.provider == "kubernetes"
    assert result.interval == "1m" and result.at == AT
    assert 'kubernetes_namespace="test"' in result.query and "[1m]" in result.query


def test_builtin_duration_is_the_p99_in_milliseconds(prometheus: PrometheusProvider) -> None:
    # Rank 198 of 200 lies 8/10 into the (0.1 s, 0.5 s] bucket: 0.42 s.
    result = evaluate(builtin(canary(KUBERNETES_METRICS), 1), prometheus, at=AT)

    assert result.value == pytest.approx(420.0)
    assert result.verdict is MetricVerdict.PASS
    assert result.max == 500.0  # duration bounds are whole milliseconds


def test_builtin_without_traffic_is_no_data(prometheus: PrometheusProvider) -> None:
    other = canary(
        KUBERNETES_METRICS,
        targetRef={"apiVersion": "apps/v1", "kind": "Deployment", "name": "idle"},
    )

    result = evaluate(builtin(other, 0), prometheus, at=AT)

    assert result.verdict is MetricVerdict.NO_DATA
    assert result.value is None and "no values found" in result.error


def test_inline_query_renders_and_uses_the_default_interval(
    prometheus: PrometheusProvider,
) -> None:
    c = canary(
        [
            {
                "name": "errors",
                "thresholdRange": {"max": 2},
                "query": "sum(rate(http_request_duration_seconds_count{kubernetes_namespace="
                '"{{ namespace }}",status="500"}[{{ interval }}]))',
            }
        ]
    )
    metric = (c.spec.analysis.metrics or ())[0]

    result = evaluate(Subject(c, metric, MetricSource.INLINE, "kubernetes"), prometheus, at=AT)

    assert result.query.endswith('status="500"}[1m]))')
    assert result.value == pytest.approx(1.0)
    assert result.verdict is MetricVerdict.PASS


class Answer:
    """A provider double answering every query with one fixed outcome."""

    def __init__(self, outcome: QueryOutcome) -> None:
        self.outcome = outcome
        self.queries: list[str] = []

    def run_query(self, query: str, *, at: Any) -> QueryOutcome:
        self.queries.append(query)
        return self.outcome

    def is_online(self, *, at: Any) -> QueryError | None:
        return None


TEMPLATE_METRIC = [
    {
        "name": "latency-p95",
        "templateRef": {"name": "tmpl"},
        "templateVariables": {"direction": "inbound"},
        "thresholdRange": {"max": 10},
    }
]


def template_subject(query: str) -> Subject:
    c = canary(TEMPLATE_METRIC)
    metric = (c.spec.analysis.metrics or ())[0]
    tmpl = template({"type": "datadog"}, query)
    return Subject(c, metric, MetricSource.TEMPLATE, "datadog", template=tmpl)


def test_a_template_metric_renders_variables_and_has_no_default_interval() -> None:
    answer = Answer(NoData("no series"))

    result = evaluate(
        template_subject(
            "p95:{{ namespace }}.{{ target }}.{{ variables.direction }}|{{ interval }}|"
        ),
        answer,
        at=AT,
    )

    assert answer.queries == ["p95:test.podinfo.inbound||"]
    assert result.verdict is MetricVerdict.NO_DATA and result.error == "no series"
    assert result.interval == "" and result.max == 10.0


def test_a_missing_template_variable_is_an_error_naming_it() -> None:
    answer = Answer(NoData())

    result = evaluate(template_subject("x{{ variables.region }}"), answer, at=AT)

    assert answer.queries == []
    assert result.verdict is MetricVerdict.ERROR
    assert "'region'" in result.error


def test_a_provider_error_is_recorded_with_its_kind() -> None:
    answer = Answer(QueryError(FailureKind.AUTH, "error response: Status 403 Forbidden"))

    result = evaluate(template_subject("q"), answer, at=AT)

    assert result.verdict is MetricVerdict.ERROR
    assert result.error == "auth: error response: Status 403 Forbidden"
    assert result.query == "q"


def test_builtins_run_against_the_canary_prometheus(
    prometheus_backfilled: Callable[[OpenMetricsBuilder], str],
) -> None:
    c = canary(KUBERNETES_METRICS, metricsServer=prometheus_backfilled(traffic()))
    provider = for_builtins(metrics_server(c, "http://unused.invalid:9090"))

    assert evaluate(builtin(c, 0), provider, at=AT).value == pytest.approx(95.0)


def test_spec_metrics_server_overrides_the_operator_default() -> None:
    assert metrics_server(canary(), "http://prometheus:9090") == "http://prometheus:9090"
    own = canary(metricsServer="http://thanos:9090")
    assert metrics_server(own, "http://prometheus:9090") == "http://thanos:9090"


def test_template_config_uses_the_interval_as_written() -> None:
    subject = template_subject("q")
    cfg = template_config(subject, {"datadog_api_key": "a"})

    assert cfg.interval is None  # no default for template metrics (§3.4)
    assert cfg.spec.type == "datadog" and cfg.credentials == {"datadog_api_key": "a"}


def test_a_provider_that_cannot_be_built_is_recorded_as_an_error() -> None:
    subject = template_subject("q")
    try:
        make_provider("datadog", template_config(subject, {}))
    except ProviderConfigError as e:
        result = failed(subject, f"provider datadog error: {e}", at=AT)

    assert result.verdict is MetricVerdict.ERROR
    assert result.error == (
        "provider datadog error: secret is missing datadog_api_key, datadog_application_key"
    )
    assert result.query == "" and result.max == 10.0
