"""``roost run`` in its own process: releases promoted and rolled back, a new revision mid-run,
a restart that resumes from the ledger, and ``kill -9`` at random points of a rollout."""

from __future__ import annotations

import random
import subprocess
import time
from pathlib import Path

import pytest

from ledger import EventRegistry, Ledger
from reducers.canary.replaying import replay
from reducers.events import ALL_EVENTS, RolledBack, Succeeded
from tests.e2e.conftest import ROOST, Cluster, canary, deployment

STREAM = "canary/default/podinfo"


def _events(ledger: Path) -> list[object]:
    registry = EventRegistry(ALL_EVENTS)
    with Ledger.open(str(ledger)) as opened:
        return [registry.decode(e) for e in opened.read_stream(STREAM)]


def _verify(ledger: Path) -> None:
    done = subprocess.run(
        [str(ROOST), "ledger", "verify", "--ledger", str(ledger)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_good_release_is_promoted_and_a_bad_one_rolled_back(
    cluster: Cluster, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.db"
    cluster.create(deployment("podinfo:1"), canary())
    cluster.operator(ledger)
    cluster.wait_phase("Initialized")
    cluster.release("podinfo:2")
    cluster.wait_phase("Succeeded")
    primary = cluster.apps.read_namespaced_deployment("podinfo-primary", "default")
    assert primary.spec.template.spec.containers[0].image == "podinfo:2"

    cluster.release("podinfo:broken")
    cluster.wait_phase("Failed")
    primary = cluster.apps.read_namespaced_deployment("podinfo-primary", "default")
    assert primary.spec.template.spec.containers[0].image == "podinfo:2"
    vs = cluster.custom.get_namespaced_custom_object(
        "networking.istio.io", "v1beta1", "default", "virtualservices", "podinfo"
    )
    assert [d["weight"] for d in vs["spec"]["http"][0]["route"]] == [100, 0]
    for process in cluster.operators:
        cluster.stop(process)
    events = _events(ledger)
    assert sum(isinstance(e, Succeeded) for e in events) == 1
    assert sum(isinstance(e, RolledBack) for e in events) == 1
    assert replay(events) == []  # type: ignore[arg-type]
    _verify(ledger)


# Twenty rollouts at the 1 s analysis interval, each tick paced by the scheduler (not by the
# operator's own status writes), outlast the default per-test timeout.
@pytest.mark.timeout(300)
def test_kill_9_at_20_random_points_never_loses_or_repeats_a_promotion(
    cluster: Cluster, tmp_path: Path
) -> None:
    """Twenty releases; in each the operator is killed (SIGKILL) at a random moment of the
    rollout and started again. Every release ends promoted exactly once, the cluster matches
    what the ledger says, and the ledger verifies."""
    ledger = tmp_path / "ledger.db"
    cluster.create(deployment("podinfo:0"), canary(maxWeight=50, stepWeight=50))
    process = cluster.operator(ledger)
    cluster.wait_phase("Initialized")
    chooser = random.Random(20261123)
    for release in range(1, 21):
        image = f"podinfo:{release}"
        cluster.release(image)
        time.sleep(chooser.uniform(0.0, 4.0))
        cluster.stop(process, kill=True)
        process = cluster.operator(ledger)
        cluster.wait_for(
            f"release {release} promoted",
            lambda image=image: (
                cluster.status().get("phase") == "Succeeded"  # type: ignore[misc]
                and _primary_image(cluster) == image
            ),
        )
        assert sum(isinstance(e, Succeeded) for e in _events(ledger)) == release
    cluster.stop(process)
    events = _events(ledger)
    assert replay(events) == []  # type: ignore[arg-type]
    assert cluster.apps.read_namespaced_deployment("podinfo", "default").spec.replicas == 0
    vs = cluster.custom.get_namespaced_custom_object(
        "networking.istio.io", "v1beta1", "default", "virtualservices", "podinfo"
    )
    assert [d["weight"] for d in vs["spec"]["http"][0]["route"]] == [100, 0]
    _verify(ledger)


def _primary_image(cluster: Cluster) -> str:
    primary = cluster.apps.read_namespaced_deployment("podinfo-primary", "default")
    image: str = primary.spec.template.spec.containers[0].image
    return image
