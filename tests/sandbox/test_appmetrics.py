"""The simulated app metrics: Istio's series, for ready workloads only, as each template says.

The exporter and the workload simulator are stepped with chosen times (the simulator makes pods
ready 5 s after a rollout starts; the exporter answers 10 requests per ready replica per second),
so counts are exact. The last tests serve the series over HTTP, alone and from a sandbox.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import kubernetes.client
import prometheus_client
import pytest
from prometheus_client.parser import text_string_to_metric_families

from controller.sandbox.appmetrics import (
    ERROR_RATE_ANNOTATION,
    LATENCY_ANNOTATION,
    AppMetrics,
    AppMetricsServer,
)
from controller.sandbox.running import Sandbox, SandboxSettings
from controller.sandbox.workloads import WorkloadSimulator
from effects.metrics.builtins import DURATION, SUCCESS_RATE, builtin_query
from effects.metrics.rendering import QueryContext
from tests.sandbox.conftest import deployment

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
READY = T0 + timedelta(seconds=5)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _samples(metrics: AppMetrics) -> Samples:
    registry = prometheus_client.CollectorRegistry()
    registry.register(metrics)
    text = prometheus_client.generate_latest(registry).decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float | None:
    wanted = {"reporter": "destination", "destination_workload_namespace": "default", **labels}
    return samples.get((name, frozenset(wanted.items())))


def _requests(samples: Samples, workload: str, code: str) -> float | None:
    return _value(
        samples, "istio_requests_total", destination_workload=workload, response_code=code
    )


def _create(apps: kubernetes.client.AppsV1Api, name: str, **annotations: str) -> None:
    body: dict[str, Any] = deployment(name, replicas=2)
    body["spec"]["template"]["metadata"]["annotations"] = annotations
    apps.create_namespaced_deployment("default", body)


@pytest.fixture
def metrics(client: kubernetes.client.ApiClient) -> AppMetrics:
    return AppMetrics(client, faulty_images=("*:faulty",))


def test_series_carry_the_names_and_labels_the_builtin_istio_queries_select(
    apps: kubernetes.client.AppsV1Api, workload_simulator: WorkloadSimulator, metrics: AppMetrics
) -> None:
    _create(apps, "podinfo")
    _create(apps, "podinfo-primary")
    workload_simulator.step(T0)
    workload_simulator.step(READY)
    metrics.step(100.0)
    metrics.step(110.0)  # 10 s x 2 replicas x 10 requests/s
    samples = _samples(metrics)
    for workload in ("podinfo", "podinfo-primary"):
        assert _requests(samples, workload, "200") == 200
        assert _requests(samples, workload, "500") == 0
        ok = {"destination_workload": workload, "response_code": "200"}
        bucket = "istio_request_duration_milliseconds_bucket"
        assert _value(samples, bucket, le="25.0", **ok) == 0
        assert _value(samples, bucket, le="50.0", **ok) == 200  # 50 ms each, healthy
        assert _value(samples, bucket, le="+Inf", **ok) == 200
        assert _value(samples, "istio_request_duration_milliseconds_count", **ok) == 200
        assert _value(samples, "istio_request_duration_milliseconds_sum", **ok) == 200 * 50.0

    context = QueryContext("podinfo", "default", "podinfo", "podinfo", "podinfo", "podinfo", "1m")
    for metric in (SUCCESS_RATE, DURATION):
        query = builtin_query(metric, "istio", context).query
        series = set(re.findall(r"(istio_\w+)\{", query))
        selected = set(re.findall(r"(\w+)(?:=~|!~|=)\"", query))
        assert series and selected
        for name, labels in samples:
            if name in series:
                assert selected <= {k for k, _ in labels}, (metric, name)
        assert all(any(name == s for name, _ in samples) for s in series), series


def test_counters_advance_only_while_a_workload_has_ready_replicas(
    apps: kubernetes.client.AppsV1Api, workload_simulator: WorkloadSimulator, metrics: AppMetrics
) -> None:
    _create(apps, "podinfo")
    workload_simulator.step(T0)
    metrics.step(0.0)
    metrics.step(10.0)
    assert _samples(metrics) == {}  # created, not ready yet: no sidecar reports anything

    workload_simulator.step(READY)
    metrics.step(20.0)
    assert _requests(_samples(metrics), "podinfo", "200") == 0  # ready from here on
    metrics.step(30.0)
    assert _requests(_samples(metrics), "podinfo", "200") == 200

    apps.patch_namespaced_deployment("podinfo", "default", {"spec": {"replicas": 0}})
    workload_simulator.step(READY + timedelta(seconds=1))
    metrics.step(40.0)
    assert _samples(metrics) == {}  # scaled to zero: its series are gone
    metrics.step(100.0)

    apps.patch_namespaced_deployment("podinfo", "default", {"spec": {"replicas": 1}})
    workload_simulator.step(READY + timedelta(seconds=2))
    workload_simulator.step(READY + timedelta(seconds=8))
    metrics.step(110.0)
    metrics.step(120.0)  # 10 s x 1 replica; nothing for the time it was down
    assert _requests(_samples(metrics), "podinfo", "200") == 300

    apps.delete_namespaced_deployment("podinfo", "default")
    metrics.step(130.0)
    assert _samples(metrics) == {}


def test_annotations_and_faulty_images_make_a_version_fail_and_slow(
    apps: kubernetes.client.AppsV1Api, workload_simulator: WorkloadSimulator, metrics: AppMetrics
) -> None:
    _create(apps, "erring", **{ERROR_RATE_ANNOTATION: "0.3"})
    _create(apps, "slow", **{LATENCY_ANNOTATION: "900"})
    faulty: dict[str, Any] = deployment("faulty", image="podinfo:faulty", replicas=2)
    apps.create_namespaced_deployment("default", faulty)
    workload_simulator.step(T0)
    workload_simulator.step(READY)
    metrics.step(0.0)
    metrics.step(10.0)
    samples = _samples(metrics)

    assert (_requests(samples, "erring", "200"), _requests(samples, "erring", "500")) == (140, 60)
    assert (_requests(samples, "slow", "200"), _requests(samples, "slow", "500")) == (200, 0)
    assert (_requests(samples, "faulty", "200"), _requests(samples, "faulty", "500")) == (140, 60)
    bucket = "istio_request_duration_milliseconds_bucket"
    for name, code, count in (("slow", "200", 200), ("faulty", "500", 60)):
        labels = {"destination_workload": name, "response_code": code}
        assert _value(samples, bucket, le="500.0", **labels) == 0
        assert _value(samples, bucket, le="1000.0", **labels) == count
    erring = {"destination_workload": "erring", "response_code": "500"}
    assert _value(samples, bucket, le="50.0", **erring) == 60  # errors, but fast

    # Fractions carry over between steps, so the ratio holds over many small ones.
    for tick in range(1, 9):
        metrics.step(10.0 + tick * 0.125)  # 2.5 requests each
    samples = _samples(metrics)
    assert (_requests(samples, "erring", "200"), _requests(samples, "erring", "500")) == (154, 66)


def test_a_template_with_an_unreadable_annotation_reports_nothing(
    apps: kubernetes.client.AppsV1Api, workload_simulator: WorkloadSimulator, metrics: AppMetrics
) -> None:
    _create(apps, "bad", **{ERROR_RATE_ANNOTATION: "lots"})
    _create(apps, "worse", **{ERROR_RATE_ANNOTATION: "1.5"})
    workload_simulator.step(T0)
    workload_simulator.step(READY)
    metrics.step(0.0)
    metrics.step(10.0)
    assert _samples(metrics) == {}


def test_the_server_serves_the_series_and_steps_on_each_scrape(
    apps: kubernetes.client.AppsV1Api, workload_simulator: WorkloadSimulator, metrics: AppMetrics
) -> None:
    _create(apps, "podinfo")
    workload_simulator.step(T0)
    workload_simulator.step(READY)
    server = AppMetricsServer(metrics).start()
    try:
        assert [t.name for t in threading.enumerate() if t.name == "roost-appmetrics"]
        first = httpx.get(server.url, timeout=10.0)
        assert first.status_code == 200
        labels = {
            "reporter": "destination",
            "destination_workload": "podinfo",
            "destination_workload_namespace": "default",
            "response_code": "200",
        }
        assert [
            s
            for family in text_string_to_metric_families(first.text)
            for s in family.samples
            if s.name == "istio_requests_total" and s.labels == labels
        ]
    finally:
        server.stop()
    assert not [t for t in threading.enumerate() if t.name == "roost-appmetrics"]


def test_a_sandbox_serves_app_metrics_when_asked(tmp_path: Path) -> None:
    settings = SandboxSettings(
        kubeconfig_out=tmp_path / "kubeconfig", crds=tmp_path / "none", app_metrics_port=0
    )
    sandbox = Sandbox(settings, thread_name="roost-test-sandbox")
    info = sandbox.start()
    try:
        assert info.app_metrics_url is not None
        assert httpx.get(info.app_metrics_url, timeout=10.0).status_code == 200
    finally:
        sandbox.stop()
    plain = SandboxSettings(kubeconfig_out=tmp_path / "kubeconfig2", crds=tmp_path / "none")
    sandbox = Sandbox(plain, thread_name="roost-test-sandbox")
    try:
        assert sandbox.start().app_metrics_url is None
    finally:
        sandbox.stop()
