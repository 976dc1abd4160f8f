"""The Prometheus provider against a real Prometheus, and its credentials against a local server."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest

from effects.metrics import FailureKind, NoData, PrometheusProvider, QueryError, Value
from tests.fixtures.httpservers import RecordingServer
from tests.fixtures.openmetrics import OpenMetricsBuilder
from tests.fixtures.prometheus import LivePrometheus
from tests.metrics.conftest import AT, AT_S, config

SERIES = 'sum(rate(http_requests_total{app="podinfo"}[1m]))'
VECTOR_ONE = {
    "status": "success",
    "data": {"resultType": "vector", "result": [{"metric": {}, "value": [AT_S, "1"]}]},
}


def traffic() -> OpenMetricsBuilder:
    start = AT_S - 600
    return OpenMetricsBuilder().requests(
        "podinfo", start=start, end=AT_S, per_step={"200": 190, "500": 10}
    )


@pytest.fixture
def prometheus(prometheus_backfilled: Callable[[OpenMetricsBuilder], str]) -> PrometheusProvider:
    return PrometheusProvider(config("prometheus", prometheus_backfilled(traffic())))


def test_a_query_answers_the_exact_value_at_the_given_time(prometheus: PrometheusProvider) -> None:
    outcome = prometheus.run_query(SERIES, at=AT)

    assert outcome == Value(pytest.approx(20.0))  # 200 requests per 10 s step


def test_whitespace_in_the_query_is_collapsed(prometheus: PrometheusProvider) -> None:
    query = 'sum(\n    rate(http_requests_total{app="podinfo",status="500"}[1m])\n)'

    assert prometheus.run_query(query, at=AT) == Value(pytest.approx(1.0))


def test_an_empty_answer_is_no_data(prometheus: PrometheusProvider) -> None:
    outcome = prometheus.run_query('sum(rate(http_requests_total{app="absent"}[1m]))', at=AT)

    assert isinstance(outcome, NoData)
    assert "no values found" in outcome.reason


def test_a_broken_query_is_a_bad_query_with_prometheus_message(
    prometheus: PrometheusProvider,
) -> None:
    outcome = prometheus.run_query("sum(rate(http_requests_total[1m]", at=AT)

    assert isinstance(outcome, QueryError)
    assert outcome.kind is FailureKind.BAD_QUERY
    assert "bad_data" in outcome.reason and "parse error" in outcome.reason
    assert not outcome.retryable


def test_a_range_vector_is_an_error(prometheus: PrometheusProvider) -> None:
    outcome = prometheus.run_query("http_requests_total[1m]", at=AT)

    assert outcome == QueryError(FailureKind.BAD_RESPONSE, "query returned multiple values")


def test_a_real_prometheus_is_online(prometheus: PrometheusProvider) -> None:
    assert prometheus.is_online(at=AT) is None


def test_the_success_rate_of_live_traffic(prometheus_live: LivePrometheus) -> None:
    query = (
        'sum(rate(http_requests_total{status!~"5.."}[5s])) / sum(rate(http_requests_total[5s]))'
        " * 100"
    )
    prometheus_live.app.set_traffic(success_ratio=0.8)
    try:
        prometheus_live.wait_for(
            query,
            until=lambda r: bool(r.vector) and abs(float(r.vector[0]["value"][1]) - 80) < 2,
            timeout=60,
        )
        provider = PrometheusProvider(config("prometheus", prometheus_live.url))

        outcome = provider.run_query(query, at=datetime.now(UTC))
    finally:
        prometheus_live.app.set_traffic(success_ratio=1.0)

    assert isinstance(outcome, Value)
    assert outcome.value == pytest.approx(80, abs=3)


def test_basic_auth_and_extra_headers(recording_server: RecordingServer) -> None:
    recording_server.respond("/api/v1/query", 200, VECTOR_ONE)
    provider = PrometheusProvider(
        config(
            "prometheus",
            recording_server.url,
            {"username": "flagger", "password": "s3cret"},
            headers={"X-Scope-OrgID": ["tenant-1"]},
        )
    )

    assert provider.run_query("vector(1)", at=AT) == Value(1.0)

    (request,) = recording_server.requests_to("/api/v1/query")
    expected = base64.b64encode(b"flagger:s3cret").decode()
    assert request.headers["authorization"] == f"Basic {expected}"
    assert request.headers["x-scope-orgid"] == "tenant-1"
    assert parse_qs(request.query) == {"query": ["vector(1)"], "time": [f"{AT_S}.000"]}


def test_a_bearer_token(recording_server: RecordingServer) -> None:
    recording_server.respond("/api/v1/query", 200, VECTOR_ONE)
    provider = PrometheusProvider(config("prometheus", recording_server.url, {"token": "t0k"}))

    assert provider.is_online(at=AT) is None

    (request,) = recording_server.requests_to("/api/v1/query")
    assert request.headers["authorization"] == "Bearer t0k"


@pytest.mark.parametrize(("status", "kind"), [(401, FailureKind.AUTH), (503, FailureKind.SERVER)])
def test_error_statuses_are_classified(
    recording_server: RecordingServer, status: int, kind: FailureKind
) -> None:
    recording_server.respond("/api/v1/query", status, {"error": "nope"})
    provider = PrometheusProvider(config("prometheus", recording_server.url, {"token": "bad"}))

    outcome = provider.run_query("up", at=AT)

    assert isinstance(outcome, QueryError)
    assert outcome.kind is kind
    assert f"Status {status}" in outcome.reason and "nope" in outcome.reason


def test_an_unreachable_server(unused_port: int) -> None:
    provider = PrometheusProvider(config("prometheus", f"http://127.0.0.1:{unused_port}"))

    outcome = provider.run_query("up", at=AT)

    assert isinstance(outcome, QueryError)
    assert outcome.kind is FailureKind.UNREACHABLE
    assert outcome.retryable


def test_insecure_skip_verify_accepts_a_self_signed_certificate(
    recording_https_server: RecordingServer,
) -> None:
    recording_https_server.respond("/api/v1/query", 200, VECTOR_ONE)
    url = recording_https_server.url
    verifying = PrometheusProvider(config("prometheus", url))
    skipping = PrometheusProvider(config("prometheus", url, insecureSkipVerify=True))

    refused = verifying.run_query("vector(1)", at=AT)

    assert isinstance(refused, QueryError) and refused.kind is FailureKind.UNREACHABLE
    assert "CERTIFICATE_VERIFY_FAILED" in refused.reason
    assert skipping.run_query("vector(1)", at=AT) == Value(1.0)
