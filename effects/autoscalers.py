"""Primary autoscalers: an HPA or KEDA ScaledObject that scales the primary like the target's.

Pure renderers. The primary copy points at ``<target>-primary``; ``primaryScalerReplicas``
overrides the bounds; KEDA trigger queries are rewritten to measure the primary (or replaced by
``primaryScalerQueries``). Pausing the *target's* ScaledObject while the target sits at zero is a
one-annotation merge patch (:func:`keda_pause_patch` / :func:`keda_resume_patch`); HPAs need no
pausing because the target's own HPA cannot scale a Deployment the operator keeps at zero for
long (Flagger does the same: pause/resume are no-ops for HPAs).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from effects.errors import RenderError
from effects.settings import WorkloadSettings
from effects.workloads.metadata import (
    CANARY_SUFFIX,
    PRIMARY_SUFFIX,
    include_by_prefix,
    owner_reference,
    without_toolkit,
)
from reducers.spec import AutoscalerKind, Canary

KEDA_PAUSED = "autoscaling.keda.sh/paused-replicas"
_PLACEHOLDER = "\x00roost-primary\x00"


def _namespace(canary: Canary, source: Mapping[str, Any]) -> str:
    meta = source.get("metadata") or {}
    return canary.metadata.namespace or meta.get("namespace") or "default"


def _scale_target(source: Mapping[str, Any], canary: Canary) -> dict[str, Any]:
    ref = dict(((source.get("spec") or {}).get("scaleTargetRef")) or {})
    ref["name"] = f"{canary.spec.target_ref.name}{PRIMARY_SUFFIX}"
    return ref


def render_primary_hpa(source: Mapping[str, Any], canary: Canary) -> dict[str, Any]:
    """``<hpa>-primary`` (autoscaling/v2) from the target's HPA."""
    ref = canary.spec.autoscaler_ref
    if ref is None:
        raise RenderError("the Canary has no autoscalerRef")
    spec = source.get("spec") or {}
    body_spec: dict[str, Any] = {"scaleTargetRef": _scale_target(source, canary)}
    for name in ("minReplicas", "maxReplicas", "metrics", "behavior"):
        if spec.get(name) is not None:
            body_spec[name] = copy.deepcopy(spec[name])
    bounds = ref.primary_scaler_replicas
    if bounds is not None and bounds.min_replicas is not None:
        body_spec["minReplicas"] = bounds.min_replicas
    if bounds is not None and bounds.max_replicas is not None:
        body_spec["maxReplicas"] = bounds.max_replicas
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": f"{ref.name}{PRIMARY_SUFFIX}",
            "namespace": _namespace(canary, source),
            "labels": without_toolkit((source.get("metadata") or {}).get("labels")),
            "ownerReferences": [owner_reference(canary)],
        },
        "spec": body_spec,
    }


def rewrite_query(query: str, target_name: str) -> str:
    """A target query turned into the primary's: ``<t>-canary`` and ``<t>`` become ``<t>-primary``.

    A placeholder stops the second replacement from touching the first one's output.
    """
    primary = f"{target_name}{PRIMARY_SUFFIX}"
    text = query.replace(f"{target_name}{CANARY_SUFFIX}", _PLACEHOLDER)
    text = text.replace(primary, _PLACEHOLDER).replace(target_name, _PLACEHOLDER)
    return text.replace(_PLACEHOLDER, primary)


def _triggers(triggers: list[Any], canary: Canary) -> list[Any]:
    ref = canary.spec.autoscaler_ref
    queries = (ref.primary_scaler_queries if ref else None) or None
    out = copy.deepcopy(triggers)
    for trigger in out:
        metadata = trigger.get("metadata")
        if not isinstance(metadata, dict):
            continue
        if queries is not None:
            name = trigger.get("name")
            if name and name in queries:
                metadata["query"] = queries[name]
        elif isinstance(metadata.get("query"), str):
            metadata["query"] = rewrite_query(metadata["query"], canary.spec.target_ref.name)
    return out


def render_primary_scaled_object(
    source: Mapping[str, Any], canary: Canary, settings: WorkloadSettings, *, init: bool = True
) -> dict[str, Any]:
    """``<so>-primary`` (keda.sh/v1alpha1) from the target's ScaledObject.

    On creation (``init``) metadata is the target's minus toolkit keys (it carries KEDA's
    ``transfer-hpa-ownership`` annotation); on update it is filtered by the include prefixes.
    The target's pause annotation is never copied: the primary must keep scaling.
    """
    ref = canary.spec.autoscaler_ref
    if ref is None:
        raise RenderError("the Canary has no autoscalerRef")
    meta = source.get("metadata") or {}
    spec = source.get("spec") or {}
    body_spec: dict[str, Any] = {"scaleTargetRef": _scale_target(source, canary)}
    for name in (
        "pollingInterval",
        "cooldownPeriod",
        "minReplicaCount",
        "maxReplicaCount",
        "fallback",
        "idleReplicaCount",
    ):
        if spec.get(name) is not None:
            body_spec[name] = copy.deepcopy(spec[name])
    bounds = ref.primary_scaler_replicas
    if bounds is not None and bounds.min_replicas is not None:
        body_spec["minReplicaCount"] = bounds.min_replicas
    if bounds is not None and bounds.max_replicas is not None:
        body_spec["maxReplicaCount"] = bounds.max_replicas
    advanced = copy.deepcopy(spec.get("advanced") or {})
    hpa_config = advanced.setdefault("horizontalPodAutoscalerConfig", {})
    if hpa_config.get("name"):
        hpa_config["name"] = f"{hpa_config['name']}{PRIMARY_SUFFIX}"
    body_spec["advanced"] = advanced
    body_spec["triggers"] = _triggers(list(spec.get("triggers") or []), canary)
    if init:
        labels = without_toolkit(meta.get("labels"))
        annotations = without_toolkit(meta.get("annotations"))
    else:
        labels = include_by_prefix(meta.get("labels"), settings.include_label_prefixes)
        annotations = include_by_prefix(meta.get("annotations"), settings.include_label_prefixes)
    annotations.pop(KEDA_PAUSED, None)
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {
            "name": f"{ref.name}{PRIMARY_SUFFIX}",
            "namespace": _namespace(canary, source),
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [owner_reference(canary)],
        },
        "spec": body_spec,
    }


def render_primary_autoscaler(
    source: Mapping[str, Any], canary: Canary, settings: WorkloadSettings, *, init: bool = True
) -> dict[str, Any]:
    """The primary copy of whichever autoscaler ``autoscalerRef`` names."""
    ref = canary.spec.autoscaler_ref
    if ref is None:
        raise RenderError("the Canary has no autoscalerRef")
    if source.get("kind") != str(ref.kind):
        raise RenderError(f"{ref.kind} {ref.name} not found (got a {source.get('kind')})")
    if ref.kind is AutoscalerKind.HORIZONTAL_POD_AUTOSCALER:
        if source.get("apiVersion") != "autoscaling/v2":
            raise RenderError(f"HorizontalPodAutoscaler {ref.name}: only autoscaling/v2 is read")
        return render_primary_hpa(source, canary)
    return render_primary_scaled_object(source, canary, settings, init=init)


def keda_pause_patch() -> dict[str, Any]:
    """Merge patch pausing the target's ScaledObject at zero replicas."""
    return {"metadata": {"annotations": {KEDA_PAUSED: "0"}}}


def keda_resume_patch() -> dict[str, Any]:
    """Merge patch resuming the target's ScaledObject."""
    return {"metadata": {"annotations": {KEDA_PAUSED: None}}}
