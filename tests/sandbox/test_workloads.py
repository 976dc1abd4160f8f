"""The workload simulator writes Deployment and DaemonSet status as their controllers would.

Driven tick by tick with chosen times (pods get ready 5 s after a rollout starts), except the
last test, which runs it in the background as ``roost sandbox`` does.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import kubernetes.client

from controller.sandbox.workloads import (
    NEVER_READY_ANNOTATION,
    READY_AFTER_ANNOTATION,
    WorkloadSimulator,
)
from tests.sandbox.conftest import deployment

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def _status(apps: kubernetes.client.AppsV1Api, name: str = "web") -> Any:
    return apps.read_namespaced_deployment_status(name, "default").status


def _conditions(status: Any) -> dict[str, tuple[str, str]]:
    return {c.type: (c.status, c.reason) for c in status.conditions}


def test_a_new_deployment_becomes_available_after_the_delay(
    apps: kubernetes.client.AppsV1Api, workload_simulator: WorkloadSimulator
) -> None:
    apps.create_namespaced_deployment("default", deployment("web", replicas=2))
    assert workload_simulator.step(T0) == 1
    starting = _status(apps)
    assert (starting.observed_generation, starting.replicas, starting.updated_replicas) == (1, 2, 2)
    assert starting.available_replicas is None and starting.unavailable_replicas == 2
    assert _conditions(starting) == {
        "Available": ("False", "MinimumReplicasUnavailable"),
        "Progressing": ("True", "ReplicaSetUpdated"),
    }
    assert workload_simulator.step(T0 + timedelta(seconds=1)) == 0  # nothing new to report
    assert workload_simulator.step(T0 + timedelta(seconds=5)) == 1
    ready = _status(apps)
    assert (ready.ready_replicas, ready.available_replicas, ready.unavailable_replicas) == (
        2,
        2,
        None,
    )
    assert _conditions(ready) == {
        "Available": ("True", "MinimumReplicasAvailable"),
        "Progressing": ("True", "NewReplicaSetAvailable"),
    }


def test_old_pods_serve_while_a_new_template_rolls_out(
    apps: kubernetes.client.AppsV1Api, workload_simulator: WorkloadSimulator
) -> None:
    apps.create_namespaced_deployment("default", deployment("web", replicas=2))
    workload_simulator.step(T0)
    workload_simulator.step(T0 + timedelta(seconds=5))
    image = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "v2"}]}}}}
    apps.patch_namespaced_deployment("web", "default", image)
    t1 = T0 + timedelta(minutes=1)
    workload_simulator.step(t1)
    rolling = _status(apps)
    assert rolling.observed_generation == 2
    assert (rolling.replicas, rolling.updated_replicas, rolling.available_replicas) == (4, 2, 2)
    assert _conditions(rolling)["Progressing"] == ("True", "ReplicaSetUpdated")
    workload_simulator.step(t1 + timedelta(seconds=5))
    done = _status(apps)
    assert (done.replicas, done.updated_replicas, done.available_replicas) == (2, 2, 2)


def test_a_never_ready_image_exceeds_its_progress_deadline(
    apps: kubernetes.client.AppsV1Api, workload_simulator: WorkloadSimulator
) -> None:
    workload_simulator.never_ready = ("*:broken",)
    apps.create_namespaced_deployment(
        "default", deployment("web", image="podinfo:broken", progressDeadlineSeconds=60)
    )
    workload_simulator.step(T0)
    workload_simulator.step(T0 + timedelta(seconds=59))
    assert _conditions(_status(apps))["Progressing"] == ("True", "ReplicaSetUpdated")
    workload_simulator.step(T0 + timedelta(seconds=61))
    stuck = _status(apps)
    assert _conditions(stuck)["Progressing"] == ("False", "ProgressDeadlineExceeded")
    assert stuck.available_replicas is None
    progressing = next(c for c in stuck.conditions if c.type == "Progressing")
    assert "has timed out progressing" in progressing.message


def test_the_annotation_makes_pods_never_ready_or_ready_sooner(
    apps: kubernetes.client.AppsV1Api, workload_simulator: WorkloadSimulator
) -> None:
    crashing = deployment("crashing")
    crashing["spec"]["template"]["metadata"]["annotations"] = {NEVER_READY_ANNOTATION: "true"}
    quick = deployment("quick")
    quick["spec"]["template"]["metadata"]["annotations"] = {READY_AFTER_ANNOTATION: "0"}
    for body in (crashing, quick):
        apps.create_namespaced_deployment("default", body)
    workload_simulator.step(T0)
    assert _status(apps, "quick").available_replicas == 2
    workload_simulator.step(T0 + timedelta(hours=1))
    assert _status(apps, "crashing").available_replicas is None


def test_scaling_to_zero_settles_at_once(
    apps: kubernetes.client.AppsV1Api, workload_simulator: WorkloadSimulator
) -> None:
    apps.create_namespaced_deployment("default", deployment("web"))
    workload_simulator.step(T0)
    workload_simulator.step(T0 + timedelta(seconds=5))
    apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 0}})
    workload_simulator.step(T0 + timedelta(seconds=6))
    idle = _status(apps)
    assert (idle.replicas, idle.available_replicas, idle.observed_generation) == (None, None, 2)
    assert _conditions(idle)["Available"] == ("True", "MinimumReplicasAvailable")


def test_daemonsets_schedule_on_the_nodes_their_selector_accepts(
    apps: kubernetes.client.AppsV1Api, workload_simulator: WorkloadSimulator
) -> None:
    body = deployment("agent", replicas=None)
    body["kind"] = "DaemonSet"
    apps.create_namespaced_daemon_set("default", body)
    workload_simulator.step(T0)
    starting = apps.read_namespaced_daemon_set_status("agent", "default").status
    assert (starting.desired_number_scheduled, starting.number_ready) == (1, 0)
    assert starting.number_unavailable == 1
    workload_simulator.step(T0 + timedelta(seconds=5))
    ready = apps.read_namespaced_daemon_set_status("agent", "default").status
    assert (ready.number_ready, ready.number_available, ready.number_unavailable) == (1, 1, None)
    selector = {"nodeSelector": {"flagger.app/scale-to-zero": "true"}}
    apps.patch_namespaced_daemon_set("agent", "default", {"spec": {"template": {"spec": selector}}})
    workload_simulator.step(T0 + timedelta(seconds=6))
    parked = apps.read_namespaced_daemon_set_status("agent", "default").status
    assert (parked.desired_number_scheduled, parked.observed_generation) == (0, 2)


def test_in_the_background_deployments_become_ready(
    apps: kubernetes.client.AppsV1Api, workload_simulator: WorkloadSimulator
) -> None:
    workload_simulator.ready_after = timedelta(0)
    workload_simulator.start()
    apps.create_namespaced_deployment("default", deployment("web", replicas=3))
    deadline = time.monotonic() + 20
    while _status(apps).available_replicas != 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _status(apps).available_replicas == 3
    workload_simulator.stop()
