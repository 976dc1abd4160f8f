"""Targets that are Services: plain Services are copied, Knative Services are re-pointed.

For a plain ``Service`` target the "primary" and "canary" are copies of the target Service
(flagger-objects §1.6); nothing scales and no ClusterIP router runs. For a Knative Service the
user's object is the router: Roost pins 100 % of traffic to the revision it promoted and records
that revision in an annotation (§1.7). Both are pure renderers over plain dicts.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from effects.settings import WorkloadSettings
from effects.workloads.metadata import (
    CANARY_SUFFIX,
    PRIMARY_SUFFIX,
    include_by_prefix,
    owner_reference,
)
from reducers.spec import Canary

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
PRIMARY_REVISION = "flagger.app/primary-revision"
_SERVER_SPEC_FIELDS = ("clusterIP", "clusterIPs")


def render_service_copy(
    target: Mapping[str, Any],
    canary: Canary,
    settings: WorkloadSettings,
    *,
    suffix: str,
    promote: bool = False,
) -> dict[str, Any]:
    """``<target>-primary`` or ``-canary`` copy of a Service target.

    The cluster IP is left out (the apiserver allocates one for a new copy; the applier keeps the
    live one); on promotion metadata is filtered by the include-prefix setting.
    """
    meta = target.get("metadata") or {}
    spec = copy.deepcopy(dict(target.get("spec") or {}))
    for name in _SERVER_SPEC_FIELDS:
        if spec.get(name) != "None":
            spec.pop(name, None)
    service = canary.spec.service
    if service is not None and service.traffic_distribution is not None:
        spec["trafficDistribution"] = str(service.traffic_distribution)
    if promote:
        labels = include_by_prefix(meta.get("labels"), settings.include_label_prefixes)
        annotations = include_by_prefix(meta.get("annotations"), settings.include_label_prefixes)
    else:
        labels = dict(meta.get("labels") or {})
        annotations = dict(meta.get("annotations") or {})
    annotations.pop(LAST_APPLIED, None)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": f"{canary.spec.target_ref.name}{suffix}",
            "namespace": canary.metadata.namespace or meta.get("namespace") or "default",
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [owner_reference(canary)],
        },
        "spec": spec,
    }


def render_service_target_copies(
    target: Mapping[str, Any], canary: Canary, settings: WorkloadSettings, *, promote: bool = False
) -> list[dict[str, Any]]:
    """Primary and canary copies of a plain Service target."""
    return [
        render_service_copy(target, canary, settings, suffix=PRIMARY_SUFFIX, promote=promote),
        render_service_copy(target, canary, settings, suffix=CANARY_SUFFIX),
    ]


def knative_pin_patch(target: Mapping[str, Any]) -> dict[str, Any] | None:
    """Merge patch pinning all traffic to the latest created revision (at initialisation).

    ``None`` while Knative has not reported a revision yet: there is nothing to pin to.
    """
    revision = (target.get("status") or {}).get("latestCreatedRevisionName")
    if not revision:
        return None
    return {
        "metadata": {"annotations": {PRIMARY_REVISION: revision}},
        "spec": {
            "traffic": [
                {"latestRevision": True, "percent": 0},
                {"revisionName": revision, "percent": 100},
            ]
        },
    }


def knative_promote_patch(target: Mapping[str, Any]) -> dict[str, Any] | None:
    """Merge patch recording the latest created revision as the primary one."""
    revision = (target.get("status") or {}).get("latestCreatedRevisionName")
    if not revision:
        return None
    return {"metadata": {"annotations": {PRIMARY_REVISION: revision}}}
