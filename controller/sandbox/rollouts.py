"""How a Deployment's or DaemonSet's status moves during a rollout, as a pure function of time.

This is the part of kube-controller-manager an operator watches: after a spec change the
controller reports ``observedGeneration``, then updated replicas, then available ones, with the
``Progressing``/``Available`` conditions, and ``ProgressDeadlineExceeded`` once a rollout has
taken longer than ``progressDeadlineSeconds``. Here new pods become ready a fixed delay after the
rollout starts, or never (a crash-looping image), and old pods keep serving meanwhile. Everything
is computed from the object, the remembered rollout and ``now``: no clock is read here.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from controller.sandbox.errors import Body
from controller.sandbox.objects import timestamp


@dataclass(frozen=True)
class Rollout:
    """What the simulator remembers of one workload between steps."""

    template: str
    """Hash of the pod template being rolled out."""
    replicas: int
    started: datetime
    carried: int
    """Pods already serving when this rollout started (old template, or same template scaled)."""
    same_template: bool


@dataclass(frozen=True)
class Readiness:
    """How the new pods of a rollout behave."""

    after: timedelta
    never: bool = False

    def ready(self, rollout: Rollout, now: datetime) -> bool:
        return not self.never and now - rollout.started >= self.after


def template_hash(template: Any) -> str:
    """A stable name for a pod template, as the pod-template-hash of its ReplicaSet."""
    encoded = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()[:10]


def serving(rollout: Rollout, readiness: Readiness, now: datetime) -> int:
    """How many pods serve at ``now``: all new ones once ready, else those carried over."""
    if rollout.replicas == 0:
        return 0
    if readiness.ready(rollout, now):
        return rollout.replicas
    return min(rollout.carried, rollout.replicas) if rollout.same_template else rollout.carried


def advance(
    previous: Rollout | None,
    template: str,
    replicas: int,
    readiness: Readiness | None,
    now: datetime,
) -> Rollout:
    """The rollout in force for this template and replica count (a new one if they changed)."""
    if previous is None:
        return Rollout(template, replicas, now, 0, same_template=False)
    if previous.template == template and previous.replicas == replicas:
        return previous
    carried = serving(previous, readiness, now) if readiness is not None else 0
    return Rollout(template, replicas, now, carried, previous.template == template)


def _scaled(value: Any, total: int, default: str) -> int:
    """An ``int-or-percent`` rounded down, as maxUnavailable is."""
    value = default if value is None else value
    if isinstance(value, str) and value.endswith("%"):
        return math.floor(total * int(value[:-1]) / 100)
    return int(value)


def _condition(
    previous: list[Body],
    kind: str,
    status: str,
    reason: str,
    message: str,
    now: datetime,
    *,
    with_update_time: bool = True,
) -> Body:
    """A condition whose timestamps move only when its status (or its message) changes."""
    old = next((c for c in previous if c.get("type") == kind), {})
    stamp = timestamp(now)
    transition = old.get("lastTransitionTime") if old.get("status") == status else None
    condition: Body = {"type": kind, "status": status}
    if with_update_time:
        same = old.get("reason") == reason and old.get("message") == message
        condition["lastUpdateTime"] = (old.get("lastUpdateTime") if same else None) or stamp
    condition["lastTransitionTime"] = transition or stamp
    condition["reason"] = reason
    condition["message"] = message
    return condition


def deployment_status(
    deployment: Body, rollout: Rollout, readiness: Readiness, now: datetime
) -> Body:
    """The status the Deployment controller would write at ``now``."""
    spec, meta = deployment.get("spec") or {}, deployment.get("metadata") or {}
    previous = (deployment.get("status") or {}).get("conditions") or []
    desired = rollout.replicas
    ready = readiness.ready(rollout, now)
    available = serving(rollout, readiness, now)
    settled = ready or rollout.same_template or desired == 0
    total = desired if settled else desired + rollout.carried
    replica_set = f'ReplicaSet "{meta.get("name")}-{rollout.template}"'
    strategy = spec.get("strategy") or {}
    max_unavailable = 0
    if strategy.get("type", "RollingUpdate") == "RollingUpdate":
        rolling = strategy.get("rollingUpdate") or {}
        max_unavailable = _scaled(rolling.get("maxUnavailable"), desired, "25%")
    deadline = timedelta(seconds=int(spec.get("progressDeadlineSeconds") or 600))
    if spec.get("paused"):
        progressing = ("Unknown", "DeploymentPaused", "Deployment is paused")
    elif ready or desired == 0:
        progressing = (
            "True",
            "NewReplicaSetAvailable",
            f"{replica_set} has successfully progressed.",
        )
    elif now - rollout.started > deadline:
        progressing = (
            "False",
            "ProgressDeadlineExceeded",
            f"{replica_set} has timed out progressing.",
        )
    else:
        progressing = ("True", "ReplicaSetUpdated", f"{replica_set} is progressing.")
    if available >= desired - max_unavailable:
        availability = ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
    else:
        availability = (
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
        )
    status: Body = {"observedGeneration": int(meta.get("generation") or 1)}
    counts = {
        "replicas": total,
        "updatedReplicas": desired,
        "readyReplicas": available,
        "availableReplicas": available,
        "unavailableReplicas": max(total - available, 0),
    }
    status.update({k: v for k, v in counts.items() if v})  # zero counts are omitted, as in Go
    status["conditions"] = [
        _condition(previous, "Available", *availability, now),
        _condition(previous, "Progressing", *progressing, now),
    ]
    return status


def daemonset_status(
    daemonset: Body, rollout: Rollout, readiness: Readiness, now: datetime
) -> Body:
    """The status the DaemonSet controller would write at ``now`` (one pod per fitting node)."""
    meta = daemonset.get("metadata") or {}
    desired = rollout.replicas
    available = serving(rollout, readiness, now)
    status: Body = {
        "observedGeneration": int(meta.get("generation") or 1),
        "currentNumberScheduled": desired,
        "desiredNumberScheduled": desired,
        "numberMisscheduled": 0,
        "numberReady": available,
        "updatedNumberScheduled": desired,
    }
    if available:
        status["numberAvailable"] = available
    if desired - available > 0:
        status["numberUnavailable"] = desired - available
    return status


def fitting_nodes(daemonset: Body, nodes: list[dict[str, str]]) -> int:
    """How many of the simulated nodes (their labels) the pod template's nodeSelector accepts."""
    template_spec = ((daemonset.get("spec") or {}).get("template") or {}).get("spec") or {}
    selector = template_spec.get("nodeSelector") or {}
    return sum(all(labels.get(k) == v for k, v in selector.items()) for labels in nodes)
