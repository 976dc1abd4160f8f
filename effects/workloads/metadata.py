"""Label, annotation and owner-reference rules shared by every object Roost derives.

Pure helpers over plain dicts. Two different filters exist on purpose (flagger-objects §0.3):
workload copies drop GitOps-toolkit keys and copy labels only by the include-prefix setting,
while router-side objects *add* two opt-out annotations so Flux leaves them alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from effects.errors import RenderError
from reducers.spec import Canary

TOOLKIT_MARKER = "toolkit.fluxcd.io"
FLUX_OPT_OUT: dict[str, str] = {
    "kustomize.toolkit.fluxcd.io/reconcile": "disabled",
    "helm.toolkit.fluxcd.io/driftDetection": "disabled",
}
FLAGGER_ID = "flagger-id"
PRIMARY_SUFFIX = "-primary"
CANARY_SUFFIX = "-canary"


def without_toolkit(values: Mapping[str, str] | None) -> dict[str, str]:
    """A copy without keys that carry the GitOps toolkit marker (they would fight Flux)."""
    return {k: v for k, v in (values or {}).items() if TOOLKIT_MARKER not in k}


def include_by_prefix(values: Mapping[str, str] | None, prefixes: Iterable[str]) -> dict[str, str]:
    """Keys kept by the include-label-prefix setting; an empty prefix matches nothing."""
    wanted = tuple(prefixes)
    return {
        k: v
        for k, v in without_toolkit(values).items()
        if any(p == "*" or (p and k.startswith(p)) for p in wanted)
    }


def primary_labels(values: Mapping[str, str] | None, label: str, value: str) -> dict[str, str]:
    """Labels of a primary: the source minus toolkit keys, with the selector label forced."""
    labels = without_toolkit(values)
    labels[label] = value
    return labels


def owner_reference(canary: Canary) -> dict[str, Any]:
    """The controller reference that makes the Canary own (and garbage-collect) an object."""
    extra = canary.metadata.model_extra or {}
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "name": canary.metadata.name,
        "uid": str(extra.get("uid", "")),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def is_controlled_by(obj: Mapping[str, Any] | None, canary_name: str) -> bool:
    """Whether ``obj`` has a Canary controller reference with this name."""
    refs = ((obj or {}).get("metadata") or {}).get("ownerReferences") or []
    return any(
        r.get("kind") == "Canary" and r.get("name") == canary_name and r.get("controller")
        for r in refs
    )


def has_canary_controller(obj: Mapping[str, Any] | None) -> bool:
    """Whether any Canary controls ``obj``."""
    refs = ((obj or {}).get("metadata") or {}).get("ownerReferences") or []
    return any(r.get("kind") == "Canary" and r.get("controller") for r in refs)


def selector_label(target: Mapping[str, Any], selector_labels: tuple[str, ...]) -> tuple[str, str]:
    """The first configured selector label the target selects on, and its value.

    Raises :class:`RenderError` with the reference's wording when none is present.
    """
    match = (((target.get("spec") or {}).get("selector") or {}).get("matchLabels")) or {}
    for label in selector_labels:
        if label in match:
            return label, str(match[label])
    meta = target.get("metadata") or {}
    kind = str(target.get("kind", "deployment")).lower()
    raise RenderError(
        f"{kind} {meta.get('name')}.{meta.get('namespace', '')} spec.selector.matchLabels "
        f"must contain one of [{' '.join(selector_labels)}]"
    )
