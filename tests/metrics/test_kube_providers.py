"""externalmetrics and keptn read the cluster through the official client, here a local server."""

from __future__ import annotations

import json
import re

import kubernetes.client
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from effects.metrics import FailureKind, NoData, QueryError, Value, make_provider
from effects.metrics.keptn import KeptnProvider
from tests.metrics.conftest import AT, config

EXTERNAL = "/apis/external.metrics.k8s.io/v1beta1"


def external_list(*values: str) -> dict[str, object]:
    return {
        "kind": "ExternalMetricValueList",
        "apiVersion": "external.metrics.k8s.io/v1beta1",
        "metadata": {},
        "items": [
            {"metricName": "queue_depth", "metricLabels": {}, "timestamp": "t", "value": v}
            for v in values
        ],
    }


def test_externalmetrics_reads_the_first_quantity(
    httpserver: HTTPServer, kube_client: kubernetes.client.ApiClient
) -> None:
    httpserver.expect_request(
        f"{EXTERNAL}/namespaces/test/queue_depth",
        query_string={"labelSelector": "app=podinfo"},
        headers={"Authorization": "Bearer operator-token"},
    ).respond_with_json(external_list("1500m", "9"))
    provider = make_provider("externalmetrics", config("externalmetrics", api_client=kube_client))

    assert provider.run_query("test/queue_depth?labelSelector=app=podinfo", at=AT) == Value(1.5)


def test_externalmetrics_token_from_the_secret_and_default_namespace(
    httpserver: HTTPServer, kube_client: kubernetes.client.ApiClient
) -> None:
    httpserver.expect_request(
        f"{EXTERNAL}/namespaces/default/queue_depth",
        headers={"Authorization": "Bearer from-secret"},
    ).respond_with_json(external_list())
    cfg = config("externalmetrics", credentials={"token": "from-secret"}, api_client=kube_client)
    provider = make_provider("externalmetrics", cfg)

    assert isinstance(provider.run_query("queue_depth", at=AT), NoData)


def test_externalmetrics_errors_and_online(
    httpserver: HTTPServer, kube_client: kubernetes.client.ApiClient
) -> None:
    status = {"kind": "Status", "status": "Failure", "message": "forbidden: cannot list"}
    httpserver.expect_oneshot_request(f"{EXTERNAL}/namespaces/test/m").respond_with_json(
        status, status=403
    )
    httpserver.expect_request(f"{EXTERNAL}/namespaces/kube-system/dummy-metric").respond_with_json(
        external_list()
    )
    provider = make_provider("externalmetrics", config("externalmetrics", api_client=kube_client))

    outcome = provider.run_query("test/m", at=AT)

    assert isinstance(outcome, QueryError) and outcome.kind is FailureKind.AUTH
    assert "forbidden: cannot list" in outcome.reason
    assert provider.is_online(at=AT) is None


KEPTN = "/apis/metrics.keptn.sh/v1"


def test_keptn_reads_a_keptnmetric_value(
    httpserver: HTTPServer, kube_client: kubernetes.client.ApiClient
) -> None:
    httpserver.expect_oneshot_request(
        f"{KEPTN}/namespaces/test/keptnmetrics/availability"
    ).respond_with_json({"kind": "KeptnMetric", "status": {"value": "99.5", "rawValue": "x"}})
    httpserver.expect_oneshot_request(
        f"{KEPTN}/namespaces/test/keptnmetrics/availability"
    ).respond_with_json({"kind": "KeptnMetric", "status": {}})
    provider = make_provider("keptn", config("keptn", api_client=kube_client))

    assert provider.run_query("keptnmetric/test/availability", at=AT) == Value(99.5)
    assert isinstance(provider.run_query("keptnmetric/test/availability", at=AT), NoData)
    assert provider.is_online(at=AT) is None


def test_keptn_rejects_other_query_forms(kube_client: kubernetes.client.ApiClient) -> None:
    provider = make_provider("keptn", config("keptn", api_client=kube_client))

    for query in ("analysis/test", "keptnmetric/only-namespace", "metric/x/y"):
        outcome = provider.run_query(query, at=AT)
        assert isinstance(outcome, QueryError) and outcome.kind is FailureKind.BAD_QUERY


ANALYSES = f"{KEPTN}/namespaces/test/analyses"


def test_keptn_analysis_is_created_polled_and_deleted(
    httpserver: HTTPServer, kube_client: kubernetes.client.ApiClient
) -> None:
    created: list[dict[str, object]] = []

    def create(request: Request) -> Response:
        created.append(json.loads(request.get_data()))
        return Response(request.get_data(), status=201, content_type="application/json")

    one = re.compile(rf"{re.escape(ANALYSES)}/roost-[0-9a-f]+")
    httpserver.expect_request(ANALYSES, method="POST").respond_with_handler(create)
    httpserver.expect_oneshot_request(one, method="GET").respond_with_json(
        {"status": {"state": "Progressing"}}
    )
    httpserver.expect_oneshot_request(one, method="GET").respond_with_json(
        {"status": {"state": "Completed", "pass": False}}
    )
    httpserver.expect_request(one, method="DELETE").respond_with_json({"kind": "Status"})
    naps: list[float] = []
    provider = KeptnProvider(config("keptn", api_client=kube_client), sleep=naps.append)

    outcome = provider.run_query("analysis/test/error-budget/5m/workload=podinfo;tier=web", at=AT)

    assert outcome == Value(0.0)
    assert naps == [1.0]
    (body,) = created
    assert body["spec"] == {
        "timeframe": {"recent": "5m"},
        "args": {"workload": "podinfo", "tier": "web"},
        "analysisDefinition": {"name": "error-budget", "namespace": "test"},
    }
    assert [r.method for r, _ in httpserver.log][-1] == "DELETE"


def test_keptn_analysis_that_never_completes_times_out(
    httpserver: HTTPServer, kube_client: kubernetes.client.ApiClient
) -> None:
    one = re.compile(rf"{re.escape(ANALYSES)}/roost-[0-9a-f]+")
    httpserver.expect_request(ANALYSES, method="POST").respond_with_json({}, status=201)
    httpserver.expect_request(one, method="GET").respond_with_json({"status": {}})
    httpserver.expect_request(one, method="DELETE").respond_with_json({})
    provider = KeptnProvider(config("keptn", api_client=kube_client), sleep=lambda s: None)

    outcome = provider.run_query("analysis/test/error-budget", at=AT)

    assert isinstance(outcome, QueryError) and outcome.kind is FailureKind.TIMEOUT
