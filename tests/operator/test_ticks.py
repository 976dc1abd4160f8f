"""Operator ticks against the API double and the workload simulator (no scheduler: ticks are
called with explicit times so every run is the same)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import kubernetes.client
import pytest

from controller import demo
from controller.operator.running import Operator, stream_of
from controller.operator.world import OperatorSettings, Services
from controller.sandbox.workloads import WorkloadSimulator
from effects.applying import Applier
from effects.kubeapi import KubeApi
from ledger import EventRegistry, Ledger
from reducers.canary.replaying import replay
from reducers.events import ALL_EVENTS
from reducers.spec import Phase
from tests.fixtures.apiserver import ApiServerHandle

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
NS = "test"


def _deployment(image: str) -> dict[str, Any]:
    return demo.deployment(image, namespace=NS)


def _canary(provider: str = "kubernetes", **analysis: Any) -> dict[str, Any]:
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": NS},
        "spec": {
            "provider": provider,
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898},
            "analysis": {"interval": "1m", "threshold": 2, "iterations": 2, **analysis},
        },
    }


class Harness:
    """The operator's parts on one API double, ticked by hand."""

    def __init__(self, apiserver: ApiServerHandle, ledger: Ledger) -> None:
        self.api = apiserver
        self.client = apiserver.api_client()
        self.apps = kubernetes.client.AppsV1Api(self.client)
        self.custom = kubernetes.client.CustomObjectsApi(self.client)
        self.ledger = ledger
        self.operator = Operator(
            services=Services(kube=KubeApi(self.client), applier=Applier(self.client)),
            settings=OperatorSettings(),
            ledger=ledger,
        )
        self.sim = WorkloadSimulator(self.client, ready_after=timedelta(seconds=0))
        self.now = START

    def tick(self) -> Phase:
        self.sim.step(self.now)
        runner = self.operator.runner(NS, "podinfo")
        report = runner.tick(self.now)
        assert report is not None
        assert not report.error, report.error
        self.now += timedelta(minutes=1)
        self.sim.step(self.now)
        return report.state.phase

    def until(self, phase: Phase, limit: int = 30) -> list[Phase]:
        seen = []
        for _ in range(limit):
            seen.append(self.tick())
            if seen[-1] is phase:
                return seen
        raise AssertionError(f"never reached {phase}: {seen}")

    def canary_status(self) -> dict[str, Any]:
        obj = self.custom.get_namespaced_custom_object(
            "flagger.app", "v1beta1", NS, "canaries", "podinfo"
        )
        status: dict[str, Any] = obj.get("status") or {}
        return status


@pytest.fixture
def harness(apiserver: ApiServerHandle, tmp_path: Path) -> Iterator[Harness]:
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        h = Harness(apiserver, ledger)
        h.apps.create_namespaced_deployment(NS, _deployment("podinfo:1"))
        yield h
    finally:
        ledger.close()


def test_initialise_then_promote_a_new_revision(harness: Harness) -> None:
    harness.custom.create_namespaced_custom_object(
        "flagger.app", "v1beta1", NS, "canaries", _canary()
    )
    harness.until(Phase.INITIALIZED)
    primary = harness.apps.read_namespaced_deployment("podinfo-primary", NS)
    assert primary.spec.template.spec.containers[0].image == "podinfo:1"
    assert harness.apps.read_namespaced_deployment("podinfo", NS).spec.replicas == 0
    assert harness.canary_status()["phase"] == "Initialized"

    harness.apps.patch_namespaced_deployment(
        "podinfo",
        NS,
        {
            "spec": {
                "template": {"spec": {"containers": [{"name": "podinfo", "image": "podinfo:2"}]}}
            }
        },
    )
    phases = harness.until(Phase.SUCCEEDED)
    assert Phase.PROGRESSING in phases and Phase.PROMOTING in phases
    primary = harness.apps.read_namespaced_deployment("podinfo-primary", NS)
    assert primary.spec.template.spec.containers[0].image == "podinfo:2"
    assert harness.apps.read_namespaced_deployment("podinfo", NS).spec.replicas == 0
    status = harness.canary_status()
    assert status["phase"] == "Succeeded"
    assert status["conditions"][0]["reason"] == "Succeeded"

    registry = EventRegistry(ALL_EVENTS)
    events = [registry.decode(e) for e in harness.ledger.read_stream(stream_of(NS, "podinfo"))]
    assert replay(events) == []
    assert harness.ledger.verify().ok


def _new_revision(harness: Harness, image: str) -> None:
    containers = [{"name": "podinfo", "image": image}]
    patch = {"spec": {"template": {"spec": {"containers": containers}}}}
    harness.apps.patch_namespaced_deployment("podinfo", NS, patch)


def test_istio_weights_advance_through_the_virtual_service(harness: Harness) -> None:
    canary = _canary("istio")
    analysis = canary["spec"]["analysis"]
    del analysis["iterations"]
    analysis.update(stepWeight=20, maxWeight=40)
    harness.custom.create_namespaced_custom_object("flagger.app", "v1beta1", NS, "canaries", canary)
    harness.until(Phase.INITIALIZED)
    _new_revision(harness, "podinfo:2")
    weights = []

    def live_weights() -> tuple[int, int]:
        vs = harness.custom.get_namespaced_custom_object(
            "networking.istio.io", "v1beta1", NS, "virtualservices", "podinfo"
        )
        route = vs["spec"]["http"][0]["route"]
        return route[0]["weight"], route[1]["weight"]

    for _ in range(12):
        phase = harness.tick()
        weights.append(live_weights())
        if phase is Phase.SUCCEEDED:
            break
    assert (80, 20) in weights and (60, 40) in weights
    assert weights[-1] == (100, 0)
    assert harness.canary_status()["phase"] == "Succeeded"
    assert harness.ledger.verify().ok


def test_a_canary_that_never_gets_ready_is_rolled_back(harness: Harness) -> None:
    canary = _canary()
    canary["spec"]["progressDeadlineSeconds"] = 60
    harness.custom.create_namespaced_custom_object("flagger.app", "v1beta1", NS, "canaries", canary)
    harness.until(Phase.INITIALIZED)
    harness.sim.never_ready = ("*:broken",)
    _new_revision(harness, "podinfo:broken")
    harness.until(Phase.FAILED, limit=15)
    primary = harness.apps.read_namespaced_deployment("podinfo-primary", NS)
    assert primary.spec.template.spec.containers[0].image == "podinfo:1"
    assert harness.apps.read_namespaced_deployment("podinfo", NS).spec.replicas == 0
    assert harness.canary_status()["phase"] == "Failed"


def test_an_invalid_canary_is_reported_and_others_go_on(harness: Harness) -> None:
    bad = _canary()
    bad["metadata"]["name"] = "broken"
    bad["spec"]["analysis"]["threshold"] = "many"
    harness.custom.create_namespaced_custom_object("flagger.app", "v1beta1", NS, "canaries", bad)
    harness.custom.create_namespaced_custom_object(
        "flagger.app", "v1beta1", NS, "canaries", _canary()
    )
    report = harness.operator.runner(NS, "broken").tick(harness.now)
    assert report is not None and "threshold" in report.error
    status = harness.custom.get_namespaced_custom_object(
        "flagger.app", "v1beta1", NS, "canaries", "broken"
    )["status"]
    assert status["conditions"][0]["reason"] == "InvalidSpec"
    events = kubernetes.client.CoreV1Api(harness.client).list_namespaced_event(NS).items
    assert any(e.reason == "InvalidSpec" and "threshold" in e.message for e in events)
    harness.until(Phase.INITIALIZED)


def test_the_primary_keeps_its_replicas_after_the_target_is_parked(harness: Harness) -> None:
    harness.custom.create_namespaced_custom_object(
        "flagger.app", "v1beta1", NS, "canaries", _canary()
    )
    harness.until(Phase.INITIALIZED)
    _new_revision(harness, "podinfo:2")
    harness.until(Phase.SUCCEEDED)
    for _ in range(3):  # quiet ticks after the success: the target is at zero
        assert harness.tick() is Phase.SUCCEEDED
    primary = harness.apps.read_namespaced_deployment("podinfo-primary", NS)
    assert primary.spec.replicas == 2
    assert primary.spec.template.spec.containers[0].image == "podinfo:2"
    assert harness.apps.read_namespaced_deployment("podinfo", NS).spec.replicas == 0


def test_revert_on_deletion_holds_the_canary_until_routing_and_target_are_back(
    harness: Harness,
) -> None:
    canary = _canary("istio")
    canary["spec"]["revertOnDeletion"] = True
    harness.custom.create_namespaced_custom_object("flagger.app", "v1beta1", NS, "canaries", canary)
    harness.until(Phase.INITIALIZED)
    obj = harness.custom.get_namespaced_custom_object(
        "flagger.app", "v1beta1", NS, "canaries", "podinfo"
    )
    assert "finalizer.flagger.app" in obj["metadata"]["finalizers"]
    assert harness.apps.read_namespaced_deployment("podinfo", NS).spec.replicas == 0

    harness.custom.delete_namespaced_custom_object(
        "flagger.app", "v1beta1", NS, "canaries", "podinfo"
    )
    for _ in range(6):
        runner = harness.operator.runner(NS, "podinfo")
        if runner.tick(harness.now) is None:
            break  # the Canary is gone: the finalizer was removed
        harness.now += timedelta(minutes=1)
    gone = [
        c["metadata"]["name"]
        for c in harness.custom.list_namespaced_custom_object(
            "flagger.app", "v1beta1", NS, "canaries"
        )["items"]
    ]
    assert gone == []
    # the target serves again, with the primary's replicas
    assert harness.apps.read_namespaced_deployment("podinfo", NS).spec.replicas == 2
    registry = EventRegistry(ALL_EVENTS)
    events = [registry.decode(e) for e in harness.ledger.read_stream(stream_of(NS, "podinfo"))]
    assert any(type(e).__name__ == "Terminated" for e in events)
    assert replay(events) == []
