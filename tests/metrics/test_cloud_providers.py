"""CloudWatch, Google Cloud Monitoring and Splunk SignalFlow against local servers."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from effects.metrics import FailureKind, NoData, QueryError, Value, make_provider
from effects.metrics.splunk import stream_address
from tests.metrics.conftest import AT, AT_S, config

AWS = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "secret"}
CW_QUERY = json.dumps(
    [
        {
            "Id": "e1",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/ApplicationELB",
                    "MetricName": "HTTPCode_Target_5XX_Count",
                    "Dimensions": [{"Name": "LoadBalancer", "Value": "app/podinfo"}],
                },
                "Period": 60,
                "Stat": "Sum",
            },
            "ReturnData": True,
        }
    ]
)
CW_OK = """<GetMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
  <GetMetricDataResult>
    <MetricDataResults>
      <member><Id>e1</Id><Label>5xx</Label><StatusCode>Complete</StatusCode>
        <Timestamps><member>2023-11-14T22:12:00Z</member></Timestamps>
        <Values><member>42.0</member><member>7.0</member></Values>
      </member>
    </MetricDataResults>
  </GetMetricDataResult>
</GetMetricDataResponse>"""
CW_EMPTY = CW_OK.replace("<member>42.0</member><member>7.0</member>", "")
CW_ERROR = """<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>
<Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"""


def form(request: Request) -> dict[str, list[str]]:
    return parse_qs(request.get_data(as_text=True))


def test_cloudwatch_signs_a_get_metric_data_request(httpserver: HTTPServer, base_url: str) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return Response(CW_OK, content_type="text/xml")

    httpserver.expect_request("/", method="POST").respond_with_handler(handler)
    provider = make_provider("cloudwatch", config("cloudwatch", base_url, AWS, region="eu-west-1"))

    assert provider.run_query(CW_QUERY, at=AT) == Value(42.0)

    (request,) = seen
    params = form(request)
    assert params["Action"] == ["GetMetricData"] and params["Version"] == ["2010-08-01"]
    assert params["StartTime"] == ["2023-11-14T22:03:20Z"]
    assert params["EndTime"] == ["2023-11-14T22:13:20Z"] and params["MaxDatapoints"] == ["20"]
    prefix = "MetricDataQueries.member.1."
    assert params[prefix + "MetricStat.Metric.Dimensions.member.1.Value"] == ["app/podinfo"]
    assert params[prefix + "MetricStat.Period"] == ["60"]
    assert params[prefix + "ReturnData"] == ["true"]
    assert request.headers["X-Amz-Date"] == "20231114T221320Z"
    auth = request.headers["Authorization"]
    assert auth.startswith(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/eu-west-1/monitoring/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, Signature="
    )


def test_cloudwatch_empty_values_and_errors(httpserver: HTTPServer, base_url: str) -> None:
    httpserver.expect_ordered_request("/").respond_with_data(CW_EMPTY, content_type="text/xml")
    httpserver.expect_ordered_request("/").respond_with_data(
        CW_ERROR.format(code="ValidationError", message="The parameter Period must be set"),
        status=400,
    )
    httpserver.expect_ordered_request("/").respond_with_data(
        CW_ERROR.format(code="InvalidClientTokenId", message="The security token is invalid"),
        status=403,
    )
    provider = make_provider("cloudwatch", config("cloudwatch", base_url, AWS, region="eu-west-1"))

    assert isinstance(provider.run_query(CW_QUERY, at=AT), NoData)
    bad = provider.run_query(CW_QUERY, at=AT)
    assert isinstance(bad, QueryError) and bad.kind is FailureKind.BAD_QUERY
    assert "ValidationError: The parameter Period must be set" in bad.reason
    offline = provider.is_online(at=AT)
    assert offline is not None and offline.kind is FailureKind.AUTH


def test_cloudwatch_online_when_an_empty_request_is_refused(
    httpserver: HTTPServer, base_url: str
) -> None:
    httpserver.expect_request("/").respond_with_data(
        CW_ERROR.format(code="MissingParameter", message="MetricDataQueries"), status=400
    )
    provider = make_provider("cloudwatch", config("cloudwatch", base_url, AWS, region="eu-west-1"))

    assert provider.is_online(at=AT) is None
    assert isinstance(provider.run_query("not json", at=AT), QueryError)


# ------------------------------------------------------------------ stackdriver


@pytest.fixture(scope="module")
def service_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def key_file(key: rsa.RSAPrivateKey, token_uri: str) -> str:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return json.dumps(
        {
            "type": "service_account",
            "private_key_id": "k1",
            "private_key": pem,
            "client_email": "flagger@proj.iam.gserviceaccount.com",
            "token_uri": token_uri,
        }
    )


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_stackdriver_exchanges_a_signed_grant_then_queries(
    httpserver: HTTPServer, base_url: str, service_key: rsa.RSAPrivateKey
) -> None:
    grants: list[dict[str, list[str]]] = []

    def token(request: Request) -> Response:
        grants.append(form(request))
        return Response(json.dumps({"access_token": "ya29.t", "expires_in": 3600}))

    httpserver.expect_request("/token", method="POST").respond_with_handler(token)
    mql = "fetch k8s_container | metric 'x' | within 5m"
    httpserver.expect_request(
        "/v3/projects/proj/timeSeries:query",
        method="POST",
        headers={"Authorization": "Bearer ya29.t"},
        json={"query": mql},
    ).respond_with_json({"timeSeriesData": [{"pointData": [{"values": [{"doubleValue": 0.97}]}]}]})
    creds = {"project": "proj", "serviceAccountKey": key_file(service_key, f"{base_url}/token")}
    provider = make_provider("stackdriver", config("stackdriver", base_url, creds))

    assert provider.run_query(mql, at=AT) == Value(0.97)

    (grant,) = grants
    assert grant["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    head, claims, signature = grant["assertion"][0].split(".")
    body: dict[str, Any] = json.loads(unb64(claims))
    assert body["iss"] == "flagger@proj.iam.gserviceaccount.com"
    assert body["aud"] == f"{base_url}/token" and body["iat"] == AT_S
    assert body["scope"] == "https://www.googleapis.com/auth/monitoring.read"
    service_key.public_key().verify(
        unb64(signature), f"{head}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_stackdriver_empty_invalid_and_online(
    httpserver: HTTPServer, base_url: str, service_key: rsa.RSAPrivateKey
) -> None:
    httpserver.expect_request("/token").respond_with_json({"access_token": "ya29.t"})
    path = "/v3/projects/proj/timeSeries:query"
    invalid = {
        "error": {"code": 400, "message": "Query must not be empty", "status": "INVALID_ARGUMENT"}
    }
    httpserver.expect_oneshot_request(path).respond_with_json({})
    httpserver.expect_oneshot_request(path).respond_with_json(invalid, status=400)
    httpserver.expect_oneshot_request(path).respond_with_json(invalid, status=400)
    creds = {"project": "proj", "serviceAccountKey": key_file(service_key, f"{base_url}/token")}
    provider = make_provider("stackdriver", config("stackdriver", base_url, creds))

    assert isinstance(provider.run_query("fetch x", at=AT), NoData)
    bad = provider.run_query("", at=AT)
    assert isinstance(bad, QueryError) and bad.kind is FailureKind.BAD_QUERY
    assert "INVALID_ARGUMENT: Query must not be empty" in bad.reason
    assert provider.is_online(at=AT) is None


def test_stackdriver_refused_grant_is_an_auth_failure(
    httpserver: HTTPServer, base_url: str, service_key: rsa.RSAPrivateKey
) -> None:
    httpserver.expect_request("/token").respond_with_json(
        {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}, status=400
    )
    creds = {"project": "proj", "serviceAccountKey": key_file(service_key, f"{base_url}/token")}
    provider = make_provider("stackdriver", config("stackdriver", base_url, creds))

    outcome = provider.run_query("fetch x", at=AT)

    assert isinstance(outcome, QueryError) and outcome.kind is FailureKind.AUTH
    assert "Invalid JWT Signature" in outcome.reason


# ------------------------------------------------------------------ splunk

SSE = (
    "event: control-message\n"
    'data: {"event": "STREAM_START"}\n\n'
    "event: metadata\n"
    'data: {"tsId": "AAAAAKxx", "properties": {"sf_metric": "errors"}}\n\n'
    "event: data\n"
    'data: {"data": [{"tsId": "AAAAAKxx", "value": 3.0}], "logicalTimestampMs": 1}\n\n'
    "event: data\n"
    'data: {"data": [{"tsId": "AAAAAKxx", "value": 4.5}], "logicalTimestampMs": 2}\n\n'
    "event: data\n"
    'data: {"data": [{"tsId": "AAAAAKxx", "value": null}], "logicalTimestampMs": 3}\n\n'
    "event: control-message\n"
    'data: {"event": "END_OF_CHANNEL"}\n\n'
)
SPLUNK = {"sf_token_key": "sf-token"}
PROGRAM = "data('errors').sum().publish()"


def test_splunk_executes_signalflow_and_reads_the_last_value(
    httpserver: HTTPServer, base_url: str
) -> None:
    httpserver.expect_request(
        "/v2/signalflow/execute",
        method="POST",
        query_string={
            "start": str((AT_S - 600) * 1000),
            "stop": str(AT_S * 1000),
            "immediate": "true",
        },
        headers={"X-SF-Token": "sf-token"},
        data=PROGRAM,
    ).respond_with_data(SSE, content_type="text/event-stream")
    provider = make_provider("splunk", config("splunk", base_url, SPLUNK))

    assert provider.run_query(PROGRAM, at=AT) == Value(4.5)


def test_splunk_no_data_several_series_and_errors(httpserver: HTTPServer, base_url: str) -> None:
    empty = 'event: control-message\ndata: {"event": "END_OF_CHANNEL"}\n\n'
    two = SSE.replace('"value": 4.5', '"value": 4.5}, {"tsId": "BBBB", "value": 1.0')
    path = "/v2/signalflow/execute"
    httpserver.expect_ordered_request(path).respond_with_data(empty)
    httpserver.expect_ordered_request(path).respond_with_data(two)
    httpserver.expect_ordered_request(path).respond_with_json(
        {"code": 400, "message": "Unable to parse program"}, status=400
    )
    provider = make_provider("splunk", config("splunk", base_url, SPLUNK))

    assert isinstance(provider.run_query(PROGRAM, at=AT), NoData)
    assert provider.run_query(PROGRAM, at=AT) == QueryError(
        FailureKind.BAD_RESPONSE, "query returned multiple values"
    )
    bad = provider.run_query("data(", at=AT)
    assert isinstance(bad, QueryError) and "Unable to parse program" in bad.reason


def test_splunk_online_probe(httpserver: HTTPServer, base_url: str) -> None:
    httpserver.expect_request(
        "/v2/metric", query_string={"limit": "1"}, headers={"X-SF-Token": "sf-token"}
    ).respond_with_json({"count": 1, "results": []})
    provider = make_provider("splunk", config("splunk", base_url, SPLUNK))

    assert provider.is_online(at=AT) is None


def test_splunk_stream_host() -> None:
    assert stream_address("https://api.us1.signalfx.com") == "https://stream.us1.signalfx.com"
    assert stream_address("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
