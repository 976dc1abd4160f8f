"""Datadog, New Relic and Dynatrace against local servers speaking their documented APIs."""

from __future__ import annotations

from datetime import timedelta

from pytest_httpserver import HTTPServer

from effects.metrics import FailureKind, NoData, QueryError, Value, make_provider
from tests.metrics.conftest import AT, AT_S, config

DD_CREDS = {"datadog_api_key": "api-key", "datadog_application_key": "app-key"}
DD_HEADERS = {"DD-API-KEY": "api-key", "DD-APPLICATION-KEY": "app-key"}


def test_datadog_reads_the_first_point_of_the_window(httpserver: HTTPServer, base_url: str) -> None:
    httpserver.expect_request(
        "/api/v1/query",
        query_string={"from": str(AT_S - 600), "to": str(AT_S), "query": "avg:req.errors{*}"},
        headers=DD_HEADERS,
    ).respond_with_json(
        {"status": "ok", "series": [{"pointlist": [[AT_S * 1000 - 60_000, 1.5], [AT_S, 9.0]]}]}
    )
    provider = make_provider("datadog", config("datadog", base_url, DD_CREDS))

    assert provider.run_query("avg:req.errors{*}", at=AT) == Value(1.5)
    httpserver.check_assertions()


def test_datadog_without_series_is_no_data(httpserver: HTTPServer, base_url: str) -> None:
    httpserver.expect_request("/api/v1/query").respond_with_json({"status": "ok", "series": []})
    provider = make_provider("datadog", config("datadog", base_url, DD_CREDS))

    assert isinstance(provider.run_query("q", at=AT), NoData)


def test_datadog_bad_query_and_refused_keys(httpserver: HTTPServer, base_url: str) -> None:
    httpserver.expect_ordered_request("/api/v1/query").respond_with_json(
        {"errors": ["Error parsing query: unable to parse avg:: "]}, status=400
    )
    httpserver.expect_ordered_request("/api/v1/validate").respond_with_json(
        {"errors": ["Forbidden"]}, status=403
    )
    provider = make_provider("datadog", config("datadog", base_url, DD_CREDS))

    bad = provider.run_query("avg::", at=AT)
    offline = provider.is_online(at=AT)

    assert isinstance(bad, QueryError) and bad.kind is FailureKind.BAD_QUERY
    assert "Error parsing query" in bad.reason
    assert offline is not None and offline.kind is FailureKind.AUTH


def test_datadog_validate(httpserver: HTTPServer, base_url: str) -> None:
    httpserver.expect_request("/api/v1/validate", headers=DD_HEADERS).respond_with_json(
        {"valid": True}
    )
    provider = make_provider("datadog", config("datadog", base_url, DD_CREDS))

    assert provider.is_online(at=AT) is None


NR_CREDS = {"newrelic_account_id": "1234", "newrelic_query_key": "nr-key"}


def test_newrelic_appends_the_window_and_reads_result(
    httpserver: HTTPServer, base_url: str
) -> None:
    httpserver.expect_request(
        "/v1/accounts/1234/query",
        query_string={
            "nrql": "SELECT percentage(count(*), WHERE error) AS result FROM Tx"
            " SINCE 120 seconds ago"
        },
        headers={"X-Query-Key": "nr-key"},
    ).respond_with_json({"results": [{"result": 2.5}]})
    cfg = config("newrelic", base_url, NR_CREDS, interval=timedelta(minutes=2))
    provider = make_provider("newrelic", cfg)

    outcome = provider.run_query(
        "SELECT percentage(count(*), WHERE error) AS result FROM Tx", at=AT
    )

    assert outcome == Value(2.5)


def test_newrelic_null_result_is_no_data_and_errors_are_bad_queries(
    httpserver: HTTPServer, base_url: str
) -> None:
    httpserver.expect_ordered_request("/v1/accounts/1234/query").respond_with_json(
        {"results": [{"result": None}]}
    )
    httpserver.expect_ordered_request("/v1/accounts/1234/query").respond_with_json(
        {"error": "NRQL Syntax Error: Error at line 1 position 7"}, status=400
    )
    provider = make_provider("newrelic", config("newrelic", base_url, NR_CREDS))

    assert isinstance(provider.run_query("SELECT x", at=AT), NoData)
    bad = provider.run_query("SELECT", at=AT)
    assert isinstance(bad, QueryError) and "NRQL Syntax Error" in bad.reason


def test_newrelic_online_probe(httpserver: HTTPServer, base_url: str) -> None:
    httpserver.expect_request(
        "/v1/accounts/1234/query", query_string={"nrql": "SELECT * FROM Metric"}
    ).respond_with_json({"results": [{"events": []}]})
    provider = make_provider("newrelic", config("newrelic", base_url, NR_CREDS))

    assert provider.is_online(at=AT) is None


DT_CREDS = {"dynatrace_token": "dt0c01.abc"}


def test_dynatrace_reads_the_last_data_entry(httpserver: HTTPServer, base_url: str) -> None:
    httpserver.expect_request(
        "/api/v2/metrics/query",
        query_string={
            "metricSelector": "builtin:service.response.time:avg",
            "resolution": "Inf",
            "from": str((AT_S - 600) * 1000),
            "to": str(AT_S * 1000),
        },
        headers={"Authorization": "Api-Token dt0c01.abc"},
    ).respond_with_json(
        {
            "totalCount": 1,
            "result": [
                {
                    "metricId": "builtin:service.response.time:avg",
                    "data": [
                        {"dimensions": [], "timestamps": [1], "values": [10.0]},
                        {"dimensions": [], "timestamps": [2], "values": [12.5]},
                    ],
                }
            ],
        }
    )
    provider = make_provider("dynatrace", config("dynatrace", base_url, DT_CREDS))

    assert provider.run_query("builtin:service.response.time:avg", at=AT) == Value(12.5)


def test_dynatrace_empty_data_and_auth_failure(httpserver: HTTPServer, base_url: str) -> None:
    httpserver.expect_ordered_request("/api/v2/metrics/query").respond_with_json(
        {"totalCount": 0, "result": [{"metricId": "m", "data": []}]}
    )
    httpserver.expect_ordered_request("/api/v2/metrics").respond_with_json(
        {"error": {"code": 401, "message": "Token Authentication failed"}}, status=401
    )
    provider = make_provider("dynatrace", config("dynatrace", base_url, DT_CREDS))

    assert isinstance(provider.run_query("m", at=AT), NoData)
    offline = provider.is_online(at=AT)
    assert offline is not None and offline.kind is FailureKind.AUTH
    assert "Token Authentication failed" in offline.reason
