"""Graphite's render API and InfluxDB's Flux query API against local servers."""

from __future__ import annotations

import base64

from pytest_httpserver import HTTPServer

from effects.metrics import FailureKind, NoData, QueryError, Value, make_provider
from tests.metrics.conftest import AT, config


def test_graphite_last_non_null_point_across_targets(httpserver: HTTPServer, base_url: str) -> None:
    httpserver.expect_request(
        "/render",
        query_string={"target": "sumSeries(app.podinfo.errors)", "from": "-5min", "format": "json"},
    ).respond_with_json(
        [
            {"target": "a", "datapoints": [[1.0, 10], [2.0, 20], [None, 30]]},
            {"target": "b", "datapoints": [[7.0, 10], [None, 20]]},
        ]
    )
    provider = make_provider("graphite", config("graphite", base_url))

    outcome = provider.run_query("target=sumSeries(app.podinfo.errors)\n   &from=-5min", at=AT)

    assert outcome == Value(7.0)


def test_graphite_basic_auth_and_no_data(httpserver: HTTPServer, base_url: str) -> None:
    token = base64.b64encode(b"graphite:pw").decode()
    httpserver.expect_request(
        "/render", headers={"Authorization": f"Basic {token}"}
    ).respond_with_json([{"target": "a", "datapoints": [[None, 10]]}])
    creds = {"username": "graphite", "password": "pw"}
    provider = make_provider("graphite", config("graphite", base_url, creds))

    assert isinstance(provider.run_query("target=x", at=AT), NoData)
    assert provider.is_online(at=AT) is None  # no data still means online


def test_graphite_bad_target_is_a_bad_query(httpserver: HTTPServer, base_url: str) -> None:
    httpserver.expect_request("/render").respond_with_data("ParseError: invalid syntax", status=400)
    provider = make_provider("graphite", config("graphite", base_url))

    outcome = provider.run_query("target=sum(", at=AT)

    assert isinstance(outcome, QueryError) and outcome.kind is FailureKind.BAD_QUERY
    assert "ParseError" in outcome.reason


INFLUX = {"token": "influx-token", "org": "acme"}
FLUX = 'from(bucket: "app") |> range(start: -1m) |> mean()'
CSV = (
    "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,double,string\r\n"
    ",result,table,_start,_stop,_value,_field\r\n"
    ",_result,0,2023-11-14T22:12:20Z,2023-11-14T22:13:20Z,0.25,latency\r\n"
    ",_result,1,2023-11-14T22:12:20Z,2023-11-14T22:13:20Z,0.75,latency\r\n"
    "\r\n"
)


def test_influxdb_posts_flux_and_reads_the_first_value(
    httpserver: HTTPServer, base_url: str
) -> None:
    httpserver.expect_request(
        "/api/v2/query",
        method="POST",
        query_string={"org": "acme"},
        headers={"Authorization": "Token influx-token", "Accept": "application/csv"},
        json={"query": FLUX, "type": "flux", "dialect": {"annotations": ["datatype"]}},
    ).respond_with_data(CSV, content_type="text/csv")
    provider = make_provider("influxdb", config("influxdb", base_url, INFLUX))

    assert provider.run_query(FLUX, at=AT) == Value(0.25)


def test_influxdb_empty_result_and_flux_error(httpserver: HTTPServer, base_url: str) -> None:
    httpserver.expect_ordered_request("/api/v2/query").respond_with_data(
        "\r\n", content_type="text/csv"
    )
    httpserver.expect_ordered_request("/api/v2/query").respond_with_json(
        {"code": "invalid", "message": "compilation failed: error at @1:6-1:7: invalid expression"},
        status=400,
    )
    httpserver.expect_ordered_request("/api/v2/query").respond_with_json(
        {"code": "unauthorized", "message": "unauthorized access"}, status=401
    )
    provider = make_provider("influxdb", config("influxdb", base_url, INFLUX))

    assert isinstance(provider.run_query(FLUX, at=AT), NoData)
    bad = provider.run_query("from(", at=AT)
    assert isinstance(bad, QueryError) and bad.kind is FailureKind.BAD_QUERY
    assert "compilation failed" in bad.reason
    offline = provider.is_online(at=AT)
    assert offline is not None and offline.kind is FailureKind.AUTH
