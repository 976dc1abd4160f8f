"""The ``-primary`` copy of a tracked ConfigMap or Secret.

Several canaries may share one config: each keeps its own reference on the copy, so the copy is
only garbage-collected when the last of them goes. This canary is the controller; the others'
references (read from the existing copy) stay, demoted to non-controller.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from effects.workloads.metadata import PRIMARY_SUFFIX, include_by_prefix, owner_reference
from reducers.spec import Canary


def render_config_copy(
    source: Mapping[str, Any],
    canary: Canary,
    include_prefixes: Iterable[str],
    existing_copy: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Desired ``<name>-primary`` copy of ``source`` (binaryData is not copied, as in Flagger)."""
    meta = source.get("metadata") or {}
    refs = [owner_reference(canary)]
    for ref in ((existing_copy or {}).get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("kind") == "Canary" and ref.get("name") == canary.metadata.name:
            continue
        refs.append({**ref, "controller": False})
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": source.get("kind", "ConfigMap"),
        "metadata": {
            "name": f"{meta.get('name')}{PRIMARY_SUFFIX}",
            "namespace": canary.metadata.namespace or meta.get("namespace") or "default",
            "labels": include_by_prefix(meta.get("labels"), include_prefixes),
            "ownerReferences": refs,
        },
        "data": copy.deepcopy(dict(source.get("data") or {})),
    }
    if body["kind"] == "Secret":
        body["type"] = source.get("type", "Opaque")
    return body
