"""What the two Ingress providers (``nginx``, ``skipper``) share: the user's Ingress named by
``spec.ingressRef``, the canary Ingress ``<ingressRef.name>-canary`` derived from it, and the
metadata a copy takes over from its source.

Both routers read the user's Ingress and never write it; the canary Ingress is theirs. The
Ingress is always read as ``networking.k8s.io/v1`` whatever ``ingressRef.apiVersion`` says (as
Flagger does): the older Ingress versions are the same objects and are no longer served.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from effects.routing.base import (
    LAST_APPLIED,
    ORIGINAL_CONFIGURATION,
    LiveKey,
    RouterConfigError,
    RouterInput,
    RoutesError,
)
from effects.workloads.metadata import CANARY_SUFFIX

API_VERSION = "networking.k8s.io/v1"
KIND = "Ingress"
NOT_COPIED = (LAST_APPLIED, ORIGINAL_CONFIGURATION)
"""Records of the user's Ingress as applied: they describe the source, not the copy."""


def source_name(inp: RouterInput) -> str:
    """``spec.ingressRef.name``; the provider cannot work without it."""
    ref = inp.canary.spec.ingress_ref
    if ref is None or not ref.name:
        raise RouterConfigError(f"provider {inp.provider} needs spec.ingressRef (an Ingress)")
    return ref.name


def source_key(inp: RouterInput) -> LiveKey:
    return API_VERSION, KIND, source_name(inp)


def canary_key(inp: RouterInput) -> LiveKey:
    """The canary Ingress: ``<ingressRef.name>-canary``."""
    return API_VERSION, KIND, f"{source_name(inp)}{CANARY_SUFFIX}"


def source(inp: RouterInput) -> Mapping[str, Any]:
    """The user's Ingress as read; a missing one is a configuration problem of the Canary."""
    found = inp.get(*source_key(inp))
    if found is None:
        raise RouterConfigError(
            f"spec.ingressRef: Ingress {inp.namespace}/{source_name(inp)} not found"
        )
    return found


def live_canary(inp: RouterInput) -> Mapping[str, Any]:
    """The canary Ingress as read, for :meth:`read_routes`."""
    found = inp.get(*canary_key(inp))
    if found is None:
        raise RoutesError(f"Ingress {inp.namespace}/{canary_key(inp)[2]} not found")
    return found


def copied_metadata(found: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Labels and annotations of the source, without kubectl's and Roost's records of it."""
    meta = found.get("metadata") or {}
    labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
    annotations = {
        str(k): str(v) for k, v in (meta.get("annotations") or {}).items() if k not in NOT_COPIED
    }
    return labels, annotations


def source_spec(found: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of the source's spec, to derive the canary's from."""
    spec = found.get("spec")
    return copy.deepcopy(dict(spec)) if isinstance(spec, Mapping) else {}


def rule_paths(spec: Mapping[str, Any]) -> list[list[dict[str, Any]]]:
    """Every rule's ``http.paths`` list (rules without ``http`` have none), to edit in place."""
    out: list[list[dict[str, Any]]] = []
    for rule in spec.get("rules") or []:
        http = rule.get("http") if isinstance(rule, dict) else None
        paths = http.get("paths") if isinstance(http, dict) else None
        if isinstance(paths, list):
            out.append(paths)
    return out


def backend_service(backend: Any) -> dict[str, Any] | None:
    """The ``service`` of a path's ``backend`` or of ``defaultBackend``, when it has one."""
    service = backend.get("service") if isinstance(backend, dict) else None
    return service if isinstance(service, dict) else None
