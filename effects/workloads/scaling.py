"""Scaling the target down to zero and back, as merge patches (the target is the user's object).

The target is never re-rendered whole: Roost only owns its replica count (Deployment) or one
node-selector key (DaemonSet), so these functions return the smallest JSON merge patch that says
so. ``None`` means nothing to do (Service and Knative targets never scale).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from effects.workloads.primaries import SCALE_TO_ZERO_NODE_SELECTOR
from reducers.spec import AutoscalerKind, Canary


def scale_to_zero_patch(target: Mapping[str, Any]) -> dict[str, Any] | None:
    """Patch that parks the target: no replicas, or a node selector no node matches."""
    kind = target.get("kind")
    if kind == "Deployment":
        return {"spec": {"replicas": 0}}
    if kind == "DaemonSet":
        node_selector = {SCALE_TO_ZERO_NODE_SELECTOR: "true"}
        return {"spec": {"template": {"spec": {"nodeSelector": node_selector}}}}
    return None


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


def scale_up_replicas(
    target: Mapping[str, Any],
    canary: Canary,
    primary: Mapping[str, Any] | None = None,
    autoscaler: Mapping[str, Any] | None = None,
) -> int:
    """Replicas the target gets back (flagger-objects §1.1 ScaleFromZero)."""
    own = _positive((target.get("spec") or {}).get("replicas"))
    if own is not None:
        return own
    ref = canary.spec.autoscaler_ref
    if ref is None:
        return _positive(((primary or {}).get("spec") or {}).get("replicas")) or 1
    spec = (autoscaler or {}).get("spec") or {}
    hpa = ref.kind is AutoscalerKind.HORIZONTAL_POD_AUTOSCALER
    low = spec.get("minReplicas" if hpa else "minReplicaCount")
    return low if isinstance(low, int) and low > 1 else 1


def scale_up_patch(
    target: Mapping[str, Any],
    canary: Canary,
    primary: Mapping[str, Any] | None = None,
    autoscaler: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Patch that brings the target back: replicas, or the parking node selector removed."""
    kind = target.get("kind")
    if kind == "Deployment":
        return {"spec": {"replicas": scale_up_replicas(target, canary, primary, autoscaler)}}
    if kind == "DaemonSet":
        node_selector = {SCALE_TO_ZERO_NODE_SELECTOR: None}
        return {"spec": {"template": {"spec": {"nodeSelector": node_selector}}}}
    return None
