"""Handing the world back when a Canary is deleted with ``revertOnDeletion`` (flagger-objects §2).

Pure: given the live apex Service, target and primary, returns the patches that give the user
their objects back — the target runs again (with the primary's replica count, or out of its
parked node selector), and an apex Service Roost took over selects the user's pods again. Objects
a Canary owns are left to garbage collection with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from effects.kubeapi import ObjectRef
from effects.rendering import TargetPatch
from effects.services import apex_revert_selector
from effects.settings import WorkloadSettings
from effects.workloads import scale_up_patch
from reducers.spec import Canary


def _target_patch(
    target: Mapping[str, Any], canary: Canary, primary: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    if target.get("kind") == "Deployment" and primary is not None:
        replicas = (primary.get("spec") or {}).get("replicas")
        return {"spec": {"replicas": replicas if isinstance(replicas, int) else 1}}
    return scale_up_patch(target, canary, primary)


def revert_patches(
    canary: Canary,
    target: Mapping[str, Any],
    settings: WorkloadSettings,
    *,
    primary: Mapping[str, Any] | None = None,
    apex: Mapping[str, Any] | None = None,
) -> list[TargetPatch]:
    """Patches restoring the target and a taken-over apex Service (JSON patch: whole selector)."""
    patches: list[TargetPatch] = []
    scaled = _target_patch(target, canary, primary)
    if scaled is not None:
        patches.append(TargetPatch(ObjectRef.of(target), scaled))
    if apex is not None and canary.spec.service is not None:
        selector = apex_revert_selector(apex, target, settings)
        if selector is not None and (apex.get("spec") or {}).get("selector") != selector:
            op = {"op": "replace", "path": "/spec/selector", "value": selector}
            patches.append(TargetPatch(ObjectRef.of(apex), [op]))
    return patches
