"""Workload readiness by flagger-core §2.4: each case, its message and whether it is retriable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from effects.readiness import (
    READY,
    daemonset_readiness,
    deployment_readiness,
    knative_revision_readiness,
)
from reducers.events import Readiness

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
DEADLINE = timedelta(seconds=600)


def _deployment(
    wanted: int | None = 2, generation: int = 1, observed: int = 1, **status: Any
) -> dict[str, Any]:
    """A Deployment asking for ``wanted`` replicas with this ``status``."""
    spec = {} if wanted is None else {"replicas": wanted}
    return {
        "metadata": {"name": "podinfo", "generation": generation},
        "spec": spec,
        "status": {"observedGeneration": observed, **status},
    }


def _ready(obj: dict[str, Any], threshold: int = 100) -> Any:
    return deployment_readiness(obj, threshold_percent=threshold, deadline=DEADLINE, now=NOW)


def test_a_finished_rollout_is_ready() -> None:
    done = _deployment(updatedReplicas=2, replicas=2, availableReplicas=2)
    assert _ready(done) == READY


def test_a_deployment_scaled_to_zero_is_ready() -> None:
    assert _ready(_deployment(wanted=0)) == READY


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (_deployment(generation=2),
         "observed deployment generation less than desired generation"),
        (_deployment(updatedReplicas=1, replicas=2, availableReplicas=1),
         "1 out of 2 new replicas have been updated"),
        (_deployment(updatedReplicas=2, replicas=3, availableReplicas=3),
         "1 old replicas are pending termination"),
        (_deployment(updatedReplicas=2, replicas=2, availableReplicas=1),
         "1 of 2 (readyThreshold 100%) updated replicas are available"),
    ],
)  # fmt: skip
def test_waiting_cases(obj: dict[str, Any], message: str) -> None:
    found = _ready(obj)
    assert found.state is Readiness.WAITING
    assert found.message == f"waiting for rollout to finish: {message}"


def test_the_threshold_is_a_truncated_share_of_updated_replicas() -> None:
    three = _deployment(wanted=3, updatedReplicas=3, replicas=3, availableReplicas=2)
    assert _ready(three, threshold=66) == READY  # trunc(3 * 0.66) = 1 <= 2
    assert _ready(three, threshold=100).state is Readiness.WAITING


def test_progress_deadline_exceeded_is_final() -> None:
    stuck = _deployment(
        updatedReplicas=1,
        replicas=2,
        conditions=[
            {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}
        ],
    )
    found = _ready(stuck)
    assert found.state is Readiness.DEADLINE_EXCEEDED
    assert found.message == 'deployment "podinfo" exceeded its progress deadline'


def test_minimum_replicas_unavailable_for_longer_than_the_deadline_is_final() -> None:
    def stuck(since: datetime) -> dict[str, Any]:
        return _deployment(
            updatedReplicas=2,
            replicas=2,
            availableReplicas=0,
            conditions=[
                {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"},
                {
                    "type": "Available",
                    "status": "False",
                    "reason": "MinimumReplicasUnavailable",
                    "lastUpdateTime": since.isoformat().replace("+00:00", "Z"),
                },
            ],
        )

    assert _ready(stuck(NOW - timedelta(seconds=601))).state is Readiness.DEADLINE_EXCEEDED
    assert _ready(stuck(NOW - timedelta(seconds=599))).state is Readiness.WAITING


def _daemonset(**status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "ds", "generation": 1},
        "status": {"observedGeneration": 1, **status},
    }


def _ds(obj: dict[str, Any], since: datetime | None = NOW) -> Any:
    return daemonset_readiness(obj, threshold_percent=100, deadline=DEADLINE, now=NOW, since=since)


def test_daemonset_cases() -> None:
    done = _daemonset(desiredNumberScheduled=3, updatedNumberScheduled=3, numberAvailable=3)
    assert _ds(done) == READY
    updating = _daemonset(desiredNumberScheduled=3, updatedNumberScheduled=1, numberAvailable=1)
    assert _ds(updating).message == (
        "waiting for rollout to finish: 1 out of 3 new pods have been updated"
    )
    short = _daemonset(desiredNumberScheduled=3, updatedNumberScheduled=3, numberAvailable=2)
    assert _ds(short).message == (
        "waiting for rollout to finish: 2 of 3 (readyThreshold 100%) updated pods are available"
    )
    late = _ds(short, since=NOW - timedelta(seconds=601))
    assert late.state is Readiness.DEADLINE_EXCEEDED
    assert late.message == "exceeded its progressDeadlineSeconds: 600"
    behind = {**short, "metadata": {"name": "ds", "generation": 2}}
    assert _ds(behind).state is Readiness.WAITING


def test_knative_revisions() -> None:
    assert knative_revision_readiness(None, "r1").message == "revision r1 not found"
    ready = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    assert knative_revision_readiness(ready, "r1") == READY
    failing = {"status": {"conditions": [{"type": "Ready", "status": "False", "message": "boom"}]}}
    found = knative_revision_readiness(failing, "r1")
    assert (found.state, found.message) == (Readiness.WAITING, "revision r1 not ready: boom")
