"""Rendering the primary Deployment or DaemonSet from the target (create and promote shapes).

Pure: the target, the Canary, the settings, the tracked configs and the ``flagger-id`` value come
in; a plain manifest goes out. The ``flagger-id`` template annotation forces a rollout of the
primary on every create and promote; its value is an input (the shell draws it and records it)
so rendering twice with the same inputs gives the same object.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from effects.configs.tracking import rename_refs
from effects.errors import RenderError
from effects.settings import WorkloadSettings
from effects.workloads.affinity import rewrite_affinity
from effects.workloads.metadata import (
    FLAGGER_ID,
    PRIMARY_SUFFIX,
    include_by_prefix,
    owner_reference,
    primary_labels,
    selector_label,
    without_toolkit,
)
from reducers.spec import Canary

SCALE_TO_ZERO_NODE_SELECTOR = "flagger.app/scale-to-zero"
_DEPLOYMENT_FIELDS = ("progressDeadlineSeconds", "minReadySeconds", "revisionHistoryLimit")


class PrimaryShape(StrEnum):
    """Which of the two shapes to render: the first creation, or a promotion."""

    CREATE = "create"
    PROMOTE = "promote"


def _template(
    target: Mapping[str, Any],
    canary: Canary,
    settings: WorkloadSettings,
    tracked: Mapping[str, str],
    flagger_id: str,
) -> dict[str, Any]:
    label, value = selector_label(target, settings.selector_labels)
    source = (target.get("spec") or {}).get("template") or {}
    meta = source.get("metadata") or {}
    annotations = without_toolkit(meta.get("annotations"))
    annotations.pop(FLAGGER_ID, None)
    annotations[FLAGGER_ID] = flagger_id
    pod_spec = rename_refs(source.get("spec") or {}, tracked if settings.config_tracking else {})
    if target.get("kind") == "Deployment":
        rewrite_affinity(pod_spec, settings.selector_labels, canary.spec.target_ref.name)
    return {
        "metadata": {
            "labels": primary_labels(meta.get("labels"), label, f"{value}{PRIMARY_SUFFIX}"),
            "annotations": annotations,
        },
        "spec": pod_spec,
    }


def _metadata(
    target: Mapping[str, Any], canary: Canary, settings: WorkloadSettings, shape: PrimaryShape
) -> dict[str, Any]:
    label, value = selector_label(target, settings.selector_labels)
    meta = target.get("metadata") or {}
    prefixes = settings.include_label_prefixes
    annotations = (
        without_toolkit(meta.get("annotations"))
        if shape is PrimaryShape.CREATE
        else include_by_prefix(meta.get("annotations"), prefixes)
    )
    return {
        "name": f"{canary.spec.target_ref.name}{PRIMARY_SUFFIX}",
        "namespace": canary.metadata.namespace or meta.get("namespace") or "default",
        "labels": primary_labels(
            include_by_prefix(meta.get("labels"), prefixes), label, f"{value}{PRIMARY_SUFFIX}"
        ),
        "annotations": annotations,
        "ownerReferences": [owner_reference(canary)],
    }


def render_primary(
    target: Mapping[str, Any],
    canary: Canary,
    settings: WorkloadSettings,
    *,
    tracked: Mapping[str, str],
    flagger_id: str,
    shape: PrimaryShape = PrimaryShape.CREATE,
) -> dict[str, Any]:
    """Desired primary workload for a Deployment or DaemonSet target.

    On promotion ``spec.replicas`` is left out when an autoscaler manages the primary, so the
    applier leaves the live count alone.
    """
    kind = target.get("kind")
    spec = target.get("spec") or {}
    label, value = selector_label(target, settings.selector_labels)
    body_spec: dict[str, Any] = {}
    if kind == "Deployment":
        for name in _DEPLOYMENT_FIELDS:
            if name in spec:
                body_spec[name] = spec[name]
        if "strategy" in spec:
            body_spec["strategy"] = copy.deepcopy(spec["strategy"])
        replicas = spec.get("replicas")
        if shape is PrimaryShape.CREATE:
            body_spec["replicas"] = replicas if isinstance(replicas, int) and replicas > 0 else 1
        elif canary.spec.autoscaler_ref is None and replicas is not None:
            body_spec["replicas"] = replicas
    elif kind == "DaemonSet":
        strategy = spec.get("updateStrategy") or {}
        if strategy.get("type") not in (None, "", "RollingUpdate"):
            meta = target.get("metadata") or {}
            raise RenderError(
                f"daemonset {meta.get('name')}.{meta.get('namespace', '')} must have "
                f"RollingUpdate strategy but have {strategy.get('type')}"
            )
        for name in ("minReadySeconds", "revisionHistoryLimit"):
            if name in spec:
                body_spec[name] = spec[name]
        if strategy:
            body_spec["updateStrategy"] = copy.deepcopy(strategy)
    else:
        raise RenderError(f"no primary workload for target kind {kind}")
    body_spec["selector"] = {"matchLabels": {label: f"{value}{PRIMARY_SUFFIX}"}}
    template = _template(target, canary, settings, tracked, flagger_id)
    if kind == "DaemonSet" and shape is PrimaryShape.PROMOTE:
        selector = template["spec"].get("nodeSelector")
        if selector:
            selector.pop(SCALE_TO_ZERO_NODE_SELECTOR, None)
    body_spec["template"] = template
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": _metadata(target, canary, settings, shape),
        "spec": body_spec,
    }
