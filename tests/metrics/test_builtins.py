"""Builtin queries per traffic provider (flagger-core §3.6) and the observer choice (§3.1)."""

from __future__ import annotations

import pytest

from effects.metrics import QueryContext, builtin_query, metrics_provider, observer_name
from tests.metrics.conftest import canary

C = QueryContext(
    name="podinfo",
    namespace="test",
    target="podinfo",
    service="podinfo-svc",
    ingress="podinfo-ing",
    route="podinfo-rev-3",
    interval="2m",
)


@pytest.mark.parametrize(
    ("provider", "rate_parts", "duration_parts"),
    [
        (
            "istio",
            [
                'istio_requests_total{reporter="destination",destination_workload_namespace="test"',
                'destination_workload=~"podinfo",response_code!~"5.*"}[2m]',
            ],
            ["histogram_quantile(0.99", "istio_request_duration_milliseconds_bucket{"],
        ),
        (
            "linkerd",
            [
                'response_total{namespace="test",deployment=~"podinfo",direction="inbound"',
                'classification!="failure"',
            ],
            ["response_latency_ms_bucket{"],
        ),
        (
            "appmesh:v1beta2",
            [
                'envoy_cluster_upstream_rq{kubernetes_namespace="test",'
                'kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"',
                'envoy_response_code!~"5.*"',
            ],
            ["envoy_cluster_upstream_rq_time_bucket{"],
        ),
        (
            "contour",
            ['envoy_cluster_name=~"test_podinfo-svc-canary_[0-9a-zA-Z-]+"'],
            ["envoy_cluster_upstream_rq_time_bucket{"],
        ),
        (
            "gloo",
            ['envoy_cluster_name=~"test-podinfo-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+"'],
            ["envoy_cluster_upstream_rq_time_bucket{"],
        ),
        (
            "nginx",
            [
                'nginx_ingress_controller_requests{namespace="test",ingress="podinfo-ing",canary!=""',
                'status!~"5.*"',
            ],
            ["nginx_ingress_controller_response_duration_seconds_sum{", "* 1000"],
        ),
        (
            "skipper",
            [
                'route=~"kube(ew)?_test__podinfo-ing_canary__.*__podinfo-svc_canary(_[0-9]+)?"',
                'le="+Inf"',
                'code!~"5.."',
            ],
            ["skipper_serve_route_duration_seconds_sum{", "* 1000"],
        ),
        (
            "traefik",
            ['service=~"test-podinfo-canary-[0-9a-zA-Z-]+@kubernetescrd",le="+Inf"'],
            ["traefik_service_request_duration_seconds_bucket{"],
        ),
        (
            "apisix",
            ['apisix_http_status{route=~"test_podinfo-rev-3-podinfo-canary_.+"', 'code!~"5.."'],
            ['apisix_http_latency_bucket{type=~"request",'],
        ),
        (
            "kuma",
            ['service=~"podinfo-canary_test_svc_[0-9a-zA-Z-]+"'],
            ["envoy_cluster_upstream_rq_time_bucket{"],
        ),
        (
            "osm",
            [
                'osm_request_total{destination_namespace="test",destination_kind="Deployment",'
                'destination_name="podinfo"'
            ],
            ["osm_request_duration_ms_bucket{"],
        ),
        (
            "gatewayapi:v1",
            ['http_request_duration_seconds_count{kubernetes_namespace="test"', 'status!~"5.*"'],
            ["http_request_duration_seconds_bucket{"],
        ),
        (
            "kubernetes",
            ['http_request_duration_seconds_count{kubernetes_namespace="test"'],
            ["http_request_duration_seconds_bucket{"],
        ),
        (
            "knative",
            ['envoy_cluster_name=~"test/podinfo-rev-3"'],
            ["envoy_cluster_upstream_rq_time_bucket{"],
        ),
    ],
)
def test_builtin_queries_per_provider(
    provider: str, rate_parts: list[str], duration_parts: list[str]
) -> None:
    rate = builtin_query("request-success-rate", provider, C)
    duration = builtin_query("request-duration", provider, C)

    for part in rate_parts:
        assert part in rate.query
    assert rate.query.endswith("* 100") and rate.scale == 1.0
    for part in duration_parts:
        assert part in duration.query
    assert "[2m]" in duration.query


@pytest.mark.parametrize(
    ("provider", "scale"), [("kubernetes", 1000.0), ("traefik", 1000.0), ("istio", 1.0)]
)
def test_second_based_durations_are_scaled_to_milliseconds(provider: str, scale: float) -> None:
    assert builtin_query("request-duration", provider, C).scale == scale


@pytest.mark.parametrize(
    ("provider", "observer"),
    [
        ("appmesh:v1beta2", "appmesh"),
        ("gatewayapi:v1beta1", "gatewayapi"),
        ("gloo", "gloo"),
        ("smi:v1alpha3", "istio"),
        ("linkerd:service", "istio"),
        ("crossover", "istio"),
        ("linkerd", "linkerd"),
    ],
)
def test_observer_choice(provider: str, observer: str) -> None:
    assert observer_name(provider) == observer


def test_metrics_provider_string() -> None:
    assert metrics_provider(canary(), "istio") == "istio"
    assert metrics_provider(canary(provider="nginx"), "istio") == "nginx"
    assert metrics_provider(canary(provider="nginx"), "linkerd") == "linkerd"
    assert metrics_provider(canary(), "crossover:smi") == "crossover"
    service = canary(targetRef={"apiVersion": "v1", "kind": "Service", "name": "podinfo"})
    assert metrics_provider(service, "kubernetes") == "kubernetes:service"


def test_a_non_builtin_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="not a builtin"):
        builtin_query("errors", "istio", C)
