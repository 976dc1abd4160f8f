"""A backfilled Prometheus answers queries at a fixed time with exact values."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fixtures.openmetrics import OpenMetricsBuilder
from tests.fixtures.prometheus import prom_query

AT = 1_700_000_000
START = AT - 600

SUCCESS_RATE = (
    'sum by (app) (rate(http_requests_total{status!~"5.."}[1m]))'
    " / sum by (app) (rate(http_requests_total[1m]))"
)
P99 = "histogram_quantile(0.99, sum by (app, le) (rate(http_request_duration_seconds_bucket[1m])))"


def traffic() -> OpenMetricsBuilder:
    """Per 10 s step: the canary fails 5% and is slow in its tail; the primary is healthy."""
    return (
        OpenMetricsBuilder()
        .requests("podinfo-canary", start=START, end=AT, per_step={"200": 190, "500": 10})
        .latencies("podinfo-canary", start=START, end=AT, per_step={0.1: 190, 0.25: 5, 0.5: 5})
        .requests("podinfo-primary", start=START, end=AT, per_step={"200": 200})
        .latencies("podinfo-primary", start=START, end=AT, per_step={0.1: 200})
    )


@pytest.fixture
def prometheus_url(prometheus_backfilled: Callable[[str | OpenMetricsBuilder], str]) -> str:
    return prometheus_backfilled(traffic())


def test_success_rate_per_app_is_exact(prometheus_url: str) -> None:
    rates = prom_query(prometheus_url, SUCCESS_RATE, at=AT).by_label("app")

    assert rates == {
        "podinfo-canary": pytest.approx(0.95, abs=1e-9),
        "podinfo-primary": pytest.approx(1.0, abs=1e-9),
    }


def test_p99_latency_per_app_is_exact(prometheus_url: str) -> None:
    p99 = prom_query(prometheus_url, P99, at=AT).by_label("app")

    # Canary: rank 198 of 200 lies 3/5 into the (0.25, 0.5] bucket. Primary: 99% into (0, 0.1].
    assert p99 == {
        "podinfo-canary": pytest.approx(0.4, abs=1e-9),
        "podinfo-primary": pytest.approx(0.099, abs=1e-9),
    }


def test_a_query_without_data_answers_an_empty_vector(prometheus_url: str) -> None:
    absent_app = prom_query(
        prometheus_url, 'sum(rate(http_requests_total{app="absent"}[1m]))', at=AT
    )
    before_data = prom_query(prometheus_url, SUCCESS_RATE, at=START - 3600)

    assert absent_app.status_code == 200
    assert absent_app.vector == []
    assert before_data.vector == []


def test_broken_promql_gets_prometheus_own_error(prometheus_url: str) -> None:
    response = prom_query(prometheus_url, "sum(rate(http_requests_total[1m])", at=AT)

    assert response.status_code == 400
    assert response.body["status"] == "error"
    assert response.body["errorType"] == "bad_data"


def test_text_promtool_rejects_fails_the_test_with_its_reason(
    prometheus_backfilled: Callable[[str | OpenMetricsBuilder], str],
) -> None:
    with pytest.raises(pytest.fail.Exception, match="promtool rejected"):
        prometheus_backfilled('http_requests_total{app="x"} 1 1700000000\n')  # no "# EOF"
