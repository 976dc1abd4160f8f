"""Defaulting of the built-in objects an operator renders: workloads, their pod templates, Services.

A real apiserver fills in defaults on every write (``replicas: 1``, ``imagePullPolicy``,
``protocol: TCP``, a ClusterIP...). An operator that compares its rendered manifest with the live
object must ignore those fields or it will patch forever; a double that skipped defaulting would
hide exactly that bug. Covered: apps Deployments, DaemonSets, StatefulSets and ReplicaSets, and
core Services, with the defaults of Kubernetes 1.30. Other kinds are stored as written.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

from controller.sandbox.errors import Body

_PROBE_DEFAULTS = {
    "timeoutSeconds": 1,
    "periodSeconds": 10,
    "successThreshold": 1,
    "failureThreshold": 3,
}


def _container(container: Any) -> None:
    if not isinstance(container, dict):
        return
    image = str(container.get("image") or "")
    tag = image.rsplit("/", 1)[-1].partition("@")[0]
    latest = ":" not in tag or tag.endswith(":latest")
    container.setdefault(
        "imagePullPolicy", "Always" if latest and "@" not in image else "IfNotPresent"
    )
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    container.setdefault("resources", {})
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = container.get(probe_name)
        if isinstance(probe, dict):
            for key, value in _PROBE_DEFAULTS.items():
                probe.setdefault(key, value)
            if isinstance(probe.get("httpGet"), dict):
                probe["httpGet"].setdefault("scheme", "HTTP")


def _pod_template(template: Any) -> None:
    if not isinstance(template, dict):
        return
    spec = template.get("spec")
    if not isinstance(spec, dict):
        return
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for container in itertools.chain(
        spec.get("containers") or [], spec.get("initContainers") or []
    ):
        _container(container)
    for volume in spec.get("volumes") or []:
        for source in ("configMap", "secret", "projected"):
            if isinstance(volume, dict) and isinstance(volume.get(source), dict):
                volume[source].setdefault("defaultMode", 420)


def _deployment(spec: Body) -> None:
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")


def _daemonset(spec: Body) -> None:
    spec.setdefault("revisionHistoryLimit", 10)
    strategy = spec.setdefault("updateStrategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", 1)
        rolling.setdefault("maxSurge", 0)


def _statefulset(spec: Body) -> None:
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    strategy = spec.setdefault("updateStrategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        strategy.setdefault("rollingUpdate", {}).setdefault("partition", 0)
    spec.setdefault(
        "persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"}
    )


_ZERO_STATUS: dict[tuple[str, str], Body] = {
    ("apps", "daemonsets"): {
        "currentNumberScheduled": 0,
        "desiredNumberScheduled": 0,
        "numberMisscheduled": 0,
        "numberReady": 0,
    },
    ("apps", "statefulsets"): {"replicas": 0},
    ("apps", "replicasets"): {"replicas": 0},
    ("autoscaling", "horizontalpodautoscalers"): {"currentReplicas": 0, "desiredReplicas": 0},
    ("", "services"): {"loadBalancer": {}},
}


def initial_status(group: str, plural: str) -> Body:
    """The status a new built-in object is stored with: its Go zero value, as serialised.

    Some status fields have no ``omitempty`` (a DaemonSet's counts, a StatefulSet's replicas), so
    a real apiserver shows them as 0 from the start, and typed clients require them.
    """
    return copy.deepcopy(_ZERO_STATUS.get((group, plural), {}))


class ServiceAddresses:
    """Hands out ClusterIPs from 10.43.0.0/16 (k3s' range), one per Service, never reused."""

    def __init__(self) -> None:
        self._next = itertools.count(10)

    def allocate(self) -> str:
        number = next(self._next)
        return f"10.43.{number // 250}.{number % 250 + 1}"


def _service(spec: Body, old_spec: Body | None, addresses: ServiceAddresses) -> None:
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
    if spec["type"] == "ExternalName":
        return
    # An update that omits the ClusterIP keeps the allocated one, as the apiserver does.
    if not spec.get("clusterIP") and old_spec and old_spec.get("clusterIP"):
        spec["clusterIP"] = old_spec["clusterIP"]
    if not spec.get("clusterIP"):
        spec["clusterIP"] = addresses.allocate()
    spec.setdefault("clusterIPs", [spec["clusterIP"]])
    if spec["clusterIP"] != "None":
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
    spec.setdefault("internalTrafficPolicy", "Cluster")


def apply_defaults(
    group: str, plural: str, obj: Body, old: Body | None, addresses: ServiceAddresses
) -> None:
    """Fill in, in place, what the apiserver would default for this object."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    match (group, plural):
        case ("apps", "deployments"):
            _deployment(spec)
        case ("apps", "daemonsets"):
            _daemonset(spec)
        case ("apps", "statefulsets"):
            _statefulset(spec)
        case ("apps", "replicasets"):
            spec.setdefault("replicas", 1)
        case ("", "services"):
            _service(spec, (old or {}).get("spec"), addresses)
            return
        case _:
            return
    _pod_template(spec.get("template"))
