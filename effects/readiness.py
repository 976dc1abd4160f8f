"""Is a workload ready? Flagger's rules (flagger-core §2.4) over a live object, as a pure function.

The operator reads the primary and the target, calls :func:`readiness` on each and records the
answer as a ``ReadinessObserved`` event; the reducers decide what it means (wait, roll back, fail
the promotion) and word the Kubernetes event around the message returned here. Time comes in as
an argument, never from a clock.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from reducers.events import Readiness


@dataclass(frozen=True)
class WorkloadReadiness:
    """The verdict and, when not ready, why (without the workload's name around it)."""

    state: Readiness
    message: str = ""


READY = WorkloadReadiness(Readiness.READY)


def _float32(value: float) -> float:
    """``value`` rounded to single precision, as Flagger's arithmetic is."""
    rounded: float = struct.unpack("f", struct.pack("f", value))[0]
    return rounded


def _needed(count: int, threshold_percent: int) -> int:
    return math.trunc(_float32(_float32(float(count)) * _float32(threshold_percent / 100)))


def _condition(status: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    for condition in status.get("conditions") or ():
        if condition.get("type") == kind:
            return dict(condition)
    return None


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _generation_behind(obj: Mapping[str, Any]) -> bool:
    generation = _int((obj.get("metadata") or {}).get("generation"))
    return generation > _int((obj.get("status") or {}).get("observedGeneration"))


def deployment_readiness(
    deployment: Mapping[str, Any], *, threshold_percent: int, deadline: timedelta, now: datetime
) -> WorkloadReadiness:
    """Readiness of a Deployment: rollout finished and enough updated replicas available."""
    if _generation_behind(deployment):
        return WorkloadReadiness(
            Readiness.WAITING,
            "waiting for rollout to finish: observed deployment generation less than desired "
            "generation",
        )
    status = deployment.get("status") or {}
    spec = deployment.get("spec") or {}
    progressing = _condition(status, "Progressing")
    available = _condition(status, "Available")
    retriable = True
    if (
        progressing is not None
        and available is not None
        and available.get("status") == "False"
        and available.get("reason") == "MinimumReplicasUnavailable"
    ):
        since = _time(available.get("lastUpdateTime"))
        retriable = since is None or not since + deadline < now
    waiting = Readiness.WAITING if retriable else Readiness.DEADLINE_EXCEEDED
    updated = _int(status.get("updatedReplicas"))
    name = (deployment.get("metadata") or {}).get("name", "")
    if progressing is not None and progressing.get("reason") == "ProgressDeadlineExceeded":
        return WorkloadReadiness(
            Readiness.DEADLINE_EXCEEDED, f'deployment "{name}" exceeded its progress deadline'
        )
    wanted = spec.get("replicas")
    if isinstance(wanted, int) and updated < wanted:
        return WorkloadReadiness(
            waiting,
            f"waiting for rollout to finish: {updated} out of {wanted} new replicas have been "
            "updated",
        )
    replicas = _int(status.get("replicas"))
    if replicas > updated:
        return WorkloadReadiness(
            waiting,
            f"waiting for rollout to finish: {replicas - updated} old replicas are pending "
            "termination",
        )
    needed = _needed(updated, threshold_percent)
    available_count = _int(status.get("availableReplicas"))
    if available_count < needed:
        return WorkloadReadiness(
            waiting,
            f"waiting for rollout to finish: {available_count} of {needed} (readyThreshold "
            f"{threshold_percent}%) updated replicas are available",
        )
    return READY


def daemonset_readiness(
    daemonset: Mapping[str, Any],
    *,
    threshold_percent: int,
    deadline: timedelta,
    now: datetime,
    since: datetime | None,
) -> WorkloadReadiness:
    """Readiness of a DaemonSet; ``since`` is the canary's last transition (the deadline clock)."""
    if _generation_behind(daemonset):
        return WorkloadReadiness(
            Readiness.WAITING,
            "waiting for rollout to finish: observed daemonset generation less than desired "
            "generation",
        )
    status = daemonset.get("status") or {}
    desired = _int(status.get("desiredNumberScheduled"))
    updated = _int(status.get("updatedNumberScheduled"))
    available = _int(status.get("numberAvailable"))
    needed = _needed(desired, threshold_percent)
    not_updated = updated < desired
    if not not_updated and available >= needed:
        return READY
    if since is not None and since + deadline < now:
        return WorkloadReadiness(
            Readiness.DEADLINE_EXCEEDED,
            f"exceeded its progressDeadlineSeconds: {int(deadline.total_seconds())}",
        )
    if not_updated:
        return WorkloadReadiness(
            Readiness.WAITING,
            f"waiting for rollout to finish: {updated} out of {desired} new pods have been updated",
        )
    return WorkloadReadiness(
        Readiness.WAITING,
        f"waiting for rollout to finish: {available} of {needed} (readyThreshold "
        f"{threshold_percent}%) updated pods are available",
    )


def knative_revision_readiness(revision: Mapping[str, Any] | None, name: str) -> WorkloadReadiness:
    """A Knative revision must exist and report ``Ready``; anything else is worth waiting for."""
    if revision is None:
        return WorkloadReadiness(Readiness.WAITING, f"revision {name} not found")
    ready = _condition(revision.get("status") or {}, "Ready")
    if ready is not None and ready.get("status") == "True":
        return READY
    reason = (ready or {}).get("message") or (ready or {}).get("reason") or "not Ready"
    return WorkloadReadiness(Readiness.WAITING, f"revision {name} not ready: {reason}")
