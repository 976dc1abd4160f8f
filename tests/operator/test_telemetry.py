"""Metrics and health over real HTTP: Flagger's names and labels, Roost's own, probes, and a real
Prometheus scraping the endpoint."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from controller.operator.telemetry import HealthServer, Telemetry
from tests.fixtures.prometheus import _start_prometheus, _stop, wait_for_query

NS = "test"


class Probes:
    """What the server's ``ready`` and ``healthy`` callbacks answer; tests flip them."""

    def __init__(self) -> None:
        self.ready = True
        self.healthy = True
        self.broken = False

    def is_ready(self) -> bool:
        if self.broken:
            raise RuntimeError("a readiness check with a bug")
        return self.ready

    def is_healthy(self) -> bool:
        return self.healthy


class Served:
    def __init__(self, telemetry: Telemetry, server: HealthServer, probes: Probes) -> None:
        self.telemetry, self.server, self.probes = telemetry, server, probes

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10.0)

    def samples(self) -> list[Sample]:
        response = self.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        families = text_string_to_metric_families(response.text)
        return [sample for family in families for sample in family.samples]

    def types(self) -> dict[str, str]:
        text = self.get("/metrics").text
        return {f.name: f.type for f in text_string_to_metric_families(text)}

    def value(self, sample: str, /, **labels: str) -> float:
        """The value of the one sample named ``sample`` with exactly ``labels``."""
        found = [s.value for s in self.samples() if s.name == sample and s.labels == labels]
        assert len(found) == 1, f"{sample}{labels}: {len(found)} samples"
        return found[0]

    def series(self, name: str) -> list[dict[str, str]]:
        return [s.labels for s in self.samples() if s.name == name]


@pytest.fixture
def served() -> Iterator[Served]:
    telemetry = Telemetry(version="1.2.3", mesh_provider="kubernetes")
    probes = Probes()
    server = HealthServer(
        telemetry, host="127.0.0.1", port=0, ready=probes.is_ready, healthy=probes.is_healthy
    )
    server.start()
    try:
        yield Served(telemetry, server, probes)
    finally:
        server.stop()


def test_flagger_metric_families_have_flaggers_names_and_types(served: Served) -> None:
    t = served.telemetry
    t.canary_total(NS, 1)
    t.canary_status("podinfo", NS, "Progressing")
    t.canary_weight("podinfo", NS, 90, 10)
    t.analysis_duration("podinfo", NS, 0.2)
    t.metric_analysis("podinfo", NS, "request-success-rate", 99.5)
    t.run_finished("podinfo", NS, True, 300.0)
    t.run_finished("podinfo", NS, False, 120.0)
    types = served.types()
    assert types == {
        "flagger_info": "gauge",
        "flagger_canary_total": "gauge",
        "flagger_canary_status": "gauge",
        "flagger_canary_weight": "gauge",
        "flagger_canary_duration_seconds": "histogram",
        "flagger_canary_successes": "counter",
        "flagger_canary_failures": "counter",
        "flagger_canary_metric_analysis": "gauge",
        "roost_canary_run_duration_seconds": "histogram",
        "roost_ledger_append_seconds": "histogram",
        "roost_tick_lag_seconds": "histogram",
        "roost_api_errors": "counter",
        "roost_ticks": "counter",
    }
    names = {s.name for s in served.samples()}
    assert {"flagger_canary_successes_total", "flagger_canary_failures_total"} <= names
    assert not [n for n in names if n.endswith("_created")]  # Flagger exports none


def test_info_is_one_with_version_and_mesh_provider(served: Served) -> None:
    assert served.value("flagger_info", version="1.2.3", mesh_provider="kubernetes") == 1


@pytest.mark.parametrize(
    ("phase", "value"),
    [
        ("Progressing", 0),
        ("Failed", 2),
        ("Succeeded", 1),
        ("Initialized", 1),
        ("WaitingPromotion", 1),
        ("Promoting", 1),
        ("", 1),
    ],
)
def test_status_maps_phases_to_flaggers_values(served: Served, phase: str, value: int) -> None:
    served.telemetry.canary_status("podinfo", NS, phase)
    assert served.value("flagger_canary_status", name="podinfo", namespace=NS) == value


def test_status_follows_the_latest_phase(served: Served) -> None:
    served.telemetry.canary_status("podinfo", NS, "Progressing")
    served.telemetry.canary_status("podinfo", NS, "Failed")
    assert served.value("flagger_canary_status", name="podinfo", namespace=NS) == 2


def test_weight_is_labelled_by_primary_and_canary_workload(served: Served) -> None:
    served.telemetry.canary_weight("podinfo", NS, 70, 30)
    assert served.value("flagger_canary_weight", workload="podinfo-primary", namespace=NS) == 70
    assert served.value("flagger_canary_weight", workload="podinfo", namespace=NS) == 30
    served.telemetry.canary_weight("podinfo", NS, 100, 0)
    assert served.value("flagger_canary_weight", workload="podinfo-primary", namespace=NS) == 100
    assert served.value("flagger_canary_weight", workload="podinfo", namespace=NS) == 0


def test_canary_total_per_namespace(served: Served) -> None:
    served.telemetry.canary_total("a", 3)
    served.telemetry.canary_total("b", 1)
    served.telemetry.canary_total("a", 2)
    assert served.value("flagger_canary_total", namespace="a") == 2
    assert served.value("flagger_canary_total", namespace="b") == 1


def test_runs_count_successes_and_failures_by_strategy(served: Served) -> None:
    t = served.telemetry
    t.run_finished("podinfo", NS, True, 300.0)
    t.run_finished("podinfo", NS, True, 10.0, analysis_status="skipped")
    t.run_finished("podinfo", NS, False, 90.0, strategy="blue-green")
    t.run_finished("podinfo", NS, False, 60.0, strategy="blue-green")
    base = {"name": "podinfo", "namespace": NS}
    completed = base | {"deployment_strategy": "canary", "analysis_status": "completed"}
    skipped = completed | {"analysis_status": "skipped"}
    blue_green = completed | {"deployment_strategy": "blue-green"}
    assert served.value("flagger_canary_successes_total", **completed) == 1
    assert served.value("flagger_canary_successes_total", **skipped) == 1
    assert served.value("flagger_canary_failures_total", **blue_green) == 2
    assert served.series("flagger_canary_failures_total") == [blue_green]
    assert served.value("roost_canary_run_duration_seconds_count", **base) == 4
    assert served.value("roost_canary_run_duration_seconds_sum", **base) == 460.0


def test_unknown_strategy_or_analysis_status_is_rejected(served: Served) -> None:
    with pytest.raises(ValueError, match="strategy"):
        served.telemetry.run_finished("podinfo", NS, True, 1.0, strategy="rolling")
    with pytest.raises(ValueError, match="analysis status"):
        served.telemetry.run_finished("podinfo", NS, True, 1.0, analysis_status="done")
    assert served.series("flagger_canary_successes_total") == []


def test_analysis_duration_is_a_histogram_with_default_buckets(served: Served) -> None:
    served.telemetry.analysis_duration("podinfo", NS, 0.2)
    served.telemetry.analysis_duration("podinfo", NS, 20.0)
    labels = {"name": "podinfo", "namespace": NS}
    assert served.value("flagger_canary_duration_seconds_count", **labels) == 2
    assert served.value("flagger_canary_duration_seconds_bucket", le="0.25", **labels) == 1
    assert served.value("flagger_canary_duration_seconds_bucket", le="10.0", **labels) == 1
    assert served.value("flagger_canary_duration_seconds_bucket", le="+Inf", **labels) == 2


def test_metric_analysis_keeps_the_last_value_per_metric(served: Served) -> None:
    t = served.telemetry
    t.metric_analysis("podinfo", NS, "request-success-rate", 98.0)
    t.metric_analysis("podinfo", NS, "request-success-rate", 99.5)
    t.metric_analysis("podinfo", NS, "request-duration", 0.25)
    labels = {"name": "podinfo", "namespace": NS}
    rate = labels | {"metric": "request-success-rate"}
    assert served.value("flagger_canary_metric_analysis", **rate) == 99.5
    duration = labels | {"metric": "request-duration"}
    assert served.value("flagger_canary_metric_analysis", **duration) == 0.25


def test_roost_metrics(served: Served) -> None:
    t = served.telemetry
    t.ledger_append(0.002)
    t.ledger_append(0.004)
    t.tick_lag(0.3)
    t.api_error("patch", "Deployment", "Conflict")
    t.api_error("patch", "Deployment", "Conflict")
    t.api_error("get", "Canary", "ServiceUnavailable")
    t.tick("ok")
    t.tick("ok")
    t.tick("error")
    assert served.value("roost_ledger_append_seconds_count") == 2
    assert served.value("roost_ledger_append_seconds_sum") == pytest.approx(0.006)
    assert served.value("roost_ledger_append_seconds_bucket", le="0.0025") == 1
    assert served.value("roost_tick_lag_seconds_count") == 1
    assert served.value("roost_tick_lag_seconds_bucket", le="0.25") == 0
    assert served.value("roost_tick_lag_seconds_bucket", le="0.5") == 1
    conflict = {"verb": "patch", "kind": "Deployment", "reason": "Conflict"}
    assert served.value("roost_api_errors_total", **conflict) == 2
    unavailable = {"verb": "get", "kind": "Canary", "reason": "ServiceUnavailable"}
    assert served.value("roost_api_errors_total", **unavailable) == 1
    assert served.value("roost_ticks_total", result="ok") == 2
    assert served.value("roost_ticks_total", result="error") == 1


def test_forget_removes_every_series_of_that_canary_only(served: Served) -> None:
    t = served.telemetry
    for name in ("podinfo", "other"):
        t.canary_status(name, NS, "Progressing")
        t.canary_weight(name, NS, 50, 50)
        t.analysis_duration(name, NS, 0.1)
        t.metric_analysis(name, NS, "request-success-rate", 99.0)
        t.run_finished(name, NS, True, 60.0)
        t.run_finished(name, NS, False, 60.0)
    t.canary_total(NS, 2)
    t.forget("podinfo", NS)
    t.forget("podinfo", NS)  # twice is harmless
    t.forget("never-seen", NS)
    remaining = [
        s for s in served.samples() if s.name.startswith(("flagger_canary", "roost_canary"))
    ]
    for sample in remaining:
        assert "podinfo" not in sample.labels.values(), sample
        assert "podinfo-primary" not in sample.labels.values(), sample
    assert {s.labels.get("name") or s.labels.get("workload") for s in remaining} >= {"other"}
    assert served.value("flagger_canary_status", name="other", namespace=NS) == 0
    assert served.value("flagger_canary_weight", workload="other-primary", namespace=NS) == 50
    assert served.value("flagger_canary_total", namespace=NS) == 2


def test_a_forgotten_canary_comes_back_when_reported_again(served: Served) -> None:
    served.telemetry.canary_status("podinfo", NS, "Failed")
    served.telemetry.forget("podinfo", NS)
    assert served.series("flagger_canary_status") == []
    served.telemetry.canary_status("podinfo", NS, "Progressing")
    assert served.value("flagger_canary_status", name="podinfo", namespace=NS) == 0


def test_healthz_and_readyz_follow_their_checks(served: Served) -> None:
    for path in ("/healthz", "/readyz"):
        response = served.get(path)
        assert (response.status_code, response.text) == (200, "OK")
    served.probes.healthy = False
    assert served.get("/healthz").status_code == 503
    assert served.get("/readyz").status_code == 200
    served.probes.ready = False
    assert served.get("/readyz").status_code == 503
    served.probes.healthy = True
    assert served.get("/healthz").status_code == 200
    served.probes.ready = True
    assert served.get("/readyz").status_code == 200


def test_a_check_that_raises_answers_503(served: Served) -> None:
    served.probes.broken = True
    assert served.get("/readyz").status_code == 503
    assert served.get("/metrics").status_code == 200


def test_other_paths_are_404_and_other_methods_405(served: Served) -> None:
    assert served.get("/").status_code == 404
    assert served.get("/metricsx").status_code == 404
    assert served.get("/healthz/extra").status_code == 404
    assert httpx.post(served.url + "/metrics", timeout=10.0).status_code == 405


def test_stop_frees_the_port() -> None:
    telemetry = Telemetry()
    first = HealthServer(
        telemetry, host="127.0.0.1", port=0, ready=lambda: True, healthy=lambda: True
    )
    first.start()
    port = first.port
    assert port != 0
    assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10.0).status_code == 200
    first.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10.0)
    again = HealthServer(
        telemetry, host="127.0.0.1", port=port, ready=lambda: False, healthy=lambda: False
    )
    again.start()
    try:
        assert again.port == port
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10.0).status_code == 503
    finally:
        again.stop()


_SCRAPE_CONFIG = """\
global: {{scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}}
scrape_configs:
  - job_name: roost
    static_configs: [{{targets: ['127.0.0.1:{port}']}}]
"""


def test_a_real_prometheus_scrapes_the_endpoint(served: Served) -> None:
    served.telemetry.canary_status("podinfo", NS, "Failed")
    served.telemetry.canary_weight("podinfo", NS, 80, 20)
    served.telemetry.run_finished("podinfo", NS, True, 30.0, strategy="ab-testing")
    workdir = Path(tempfile.mkdtemp(prefix="roost-prometheus-operator-"))
    try:
        config = _SCRAPE_CONFIG.format(port=served.server.port)
        process, url = _start_prometheus(workdir, config, workdir / "tsdb")
        try:
            status = wait_for_query(url, 'flagger_canary_status{job="roost",name="podinfo"}')
            assert status.value() == 2
            weights = wait_for_query(url, f'flagger_canary_weight{{namespace="{NS}"}}')
            assert weights.by_label("workload") == {"podinfo-primary": 80.0, "podinfo": 20.0}
            successes = wait_for_query(url, "flagger_canary_successes_total")
            assert successes.vector[0]["metric"]["deployment_strategy"] == "ab-testing"
            assert wait_for_query(url, 'up{job="roost"}').value() == 1
        finally:
            _stop(process)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
