"""``roost run``'s process wired in-process against the API double: informers, scheduler,
telemetry over HTTP, and the JSON logs."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import kubernetes.client
import pytest
from prometheus_client.parser import text_string_to_metric_families

from controller.operator.logs import JsonFormatter
from controller.operator.process import Process, RunConfig
from controller.operator.world import OperatorSettings
from controller.sandbox.workloads import WorkloadSimulator
from tests.fixtures.apiserver import ApiServerHandle
from tests.operator.test_ticks import NS, _canary, _deployment


@pytest.fixture
def process(apiserver: ApiServerHandle, tmp_path: Path) -> Iterator[Process]:
    config = RunConfig(
        ledger=str(tmp_path / "ledger.db"),
        settings=OperatorSettings(min_interval=timedelta(seconds=1)),
        port=0,
        host="127.0.0.1",
        workers=2,
    )
    simulator = WorkloadSimulator(apiserver.api_client(), ready_after=timedelta(0)).start()
    found = Process(config, apiserver.api_client())
    found.start()
    try:
        yield found
    finally:
        found.stop()
        simulator.stop()


def _metrics(process: Process) -> dict[str, list[tuple[dict[str, str], float]]]:
    text = httpx.get(f"http://127.0.0.1:{process.health.port}/metrics", timeout=5).text
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return found


def test_a_canary_is_ticked_and_reported(apiserver: ApiServerHandle, process: Process) -> None:
    client = apiserver.api_client()
    kubernetes.client.AppsV1Api(client).create_namespaced_deployment(NS, _deployment("p:1"))
    canary = _canary()
    canary["spec"]["analysis"]["interval"] = "1s"
    custom = kubernetes.client.CustomObjectsApi(client)
    custom.create_namespaced_custom_object("flagger.app", "v1beta1", NS, "canaries", canary)
    deadline = time.monotonic() + 30
    phase = None
    while time.monotonic() < deadline and phase != "Initialized":
        obj = custom.get_namespaced_custom_object(
            "flagger.app", "v1beta1", NS, "canaries", "podinfo"
        )
        phase = (obj.get("status") or {}).get("phase")
        time.sleep(0.2)
    assert phase == "Initialized"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        metrics = _metrics(process)
        if metrics.get("roost_tick_lag_seconds_count"):
            break
        time.sleep(0.2)
    status = {labels["name"]: value for labels, value in metrics["flagger_canary_status"]}
    assert status == {"podinfo": 1.0}
    assert metrics["roost_tick_lag_seconds_count"][0][1] >= 1
    assert metrics["roost_ledger_append_seconds_count"][0][1] >= 1
    ready = httpx.get(f"http://127.0.0.1:{process.health.port}/readyz", timeout=5)
    assert ready.status_code == 200


def test_log_lines_are_json_with_the_canary_context() -> None:
    record = logging.LogRecord("roost.operator", logging.INFO, "x", 1, "tick: %s", ("ok",), None)
    record.canary, record.run, record.tick = "podinfo.test", 2, 7
    entry = json.loads(JsonFormatter().format(record))
    assert entry["msg"] == "tick: ok"
    assert (entry["canary"], entry["run"], entry["tick"]) == ("podinfo.test", 2, 7)
    assert entry["level"] == "info"
