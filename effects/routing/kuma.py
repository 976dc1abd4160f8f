"""Kuma ``TrafficRoute`` (provider ``kuma``; flagger-objects §3.10).

One cluster-scoped ``kuma.io/v1alpha1 TrafficRoute <apex>`` splits the traffic for the apex
Kuma service (``<apex>_<ns>_svc_<port>``) between the primary and canary services. It lives in
the Kuma mesh named by the Canary's ``kuma.io/mesh`` annotation (``default`` when absent).
Kuma has no header matching and no mirroring: A/B iterations route everything to the canary.

A cluster-scoped object cannot be owned by a namespaced Canary, so the router marks the routes it
writes with :data:`CANARY_ANNOTATION` instead. The mark tells three cases apart where an owner
reference cannot: a route this Canary created (deleted by :meth:`KumaRouter.finalize`, as
nothing else would remove it), a user's route taken over (restored on finalization), and a route
another Canary writes (same apex name in another namespace: refused rather than fought over).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from effects.applying import ApplyPolicy
from effects.kubeapi import ObjectRef
from effects.routing.base import (
    Desired,
    RouterConfigError,
    RouterInput,
    RouterPlan,
    Routes,
    RoutesError,
    both_zero,
    check_weights,
    original_spec,
    restore_plan,
    take_over,
)
from effects.workloads.metadata import FLUX_OPT_OUT

API_VERSION = "kuma.io/v1alpha1"
KIND = "TrafficRoute"
MESH_ANNOTATION = "kuma.io/mesh"
"""Canary annotation naming the Kuma mesh of the route."""
DEFAULT_MESH = "default"
CANARY_ANNOTATION = "roost.dev/canary"
"""``<namespace>/<name>`` of the Canary whose router writes this cluster-scoped route."""
SERVICE_TAG = "kuma.io/service"


def kuma_service(name: str, inp: RouterInput) -> str:
    """Kuma's name of a Kubernetes Service port: ``<name>_<namespace>_svc_<port>``."""
    return f"{name}_{inp.namespace}_svc_{inp.service.port}"


def _canary_id(inp: RouterInput) -> str:
    return f"{inp.namespace}/{inp.canary.metadata.name}"


def _marker(live: Mapping[str, Any] | None) -> str | None:
    annotations = ((live or {}).get("metadata") or {}).get("annotations") or {}
    value = annotations.get(CANARY_ANNOTATION)
    return str(value) if value is not None else None


class KumaRouter:
    """Cluster-scoped ``TrafficRoute <apex>``, marked with the Canary that writes it."""

    def _ref(self, inp: RouterInput) -> ObjectRef:
        return inp.ref(API_VERSION, KIND, inp.apex)

    def reads(self, inp: RouterInput) -> list[ObjectRef]:
        return [self._ref(inp)]

    def _metadata(self, inp: RouterInput) -> dict[str, Any]:
        apex = inp.service.apex
        labels = dict((apex.labels if apex else None) or {})
        annotations = {**((apex.annotations if apex else None) or {}), **FLUX_OPT_OUT}
        annotations[CANARY_ANNOTATION] = _canary_id(inp)
        meta: dict[str, Any] = {"name": inp.apex, "annotations": annotations}
        if labels:
            meta["labels"] = labels
        return meta

    def render(self, inp: RouterInput, routes: Routes) -> RouterPlan:
        check_weights(routes)
        live = inp.get(API_VERSION, KIND, inp.apex)
        marker = _marker(live)
        if marker is not None and marker != _canary_id(inp):
            raise RouterConfigError(
                f"TrafficRoute {inp.apex} is cluster-scoped and already routes Canary {marker}; "
                "give this Canary a unique spec.service.name"
            )
        canary_annotations = inp.canary.metadata.annotations or {}
        manifest: dict[str, Any] = {
            "apiVersion": API_VERSION,
            "kind": KIND,
            "metadata": self._metadata(inp),
            "mesh": canary_annotations.get(MESH_ANNOTATION, DEFAULT_MESH),
            "spec": {
                "sources": [{"match": {SERVICE_TAG: "*"}}],
                "destinations": [{"match": {SERVICE_TAG: kuma_service(inp.apex, inp)}}],
                "conf": {
                    "split": [
                        {
                            "weight": routes.primary,
                            "destination": {SERVICE_TAG: kuma_service(inp.primary_name, inp)},
                        },
                        {
                            "weight": routes.canary,
                            "destination": {SERVICE_TAG: kuma_service(inp.canary_name, inp)},
                        },
                    ]
                },
            },
        }
        if marker is None:
            # a route nobody marked is the user's: keep its spec for restoring
            manifest = take_over(manifest, live, inp)
        notes = ("Kuma cannot mirror traffic: mirroring skipped",) if routes.mirrored else ()
        desired = Desired(manifest, ApplyPolicy(replace=("spec",)))
        return RouterPlan(apply=(desired,), notes=notes)

    def read_routes(self, inp: RouterInput) -> Routes:
        live = inp.get(API_VERSION, KIND, inp.apex)
        if live is None:
            raise RoutesError(f"TrafficRoute {inp.apex} not found")
        split = ((live.get("spec") or {}).get("conf") or {}).get("split")
        if not isinstance(split, list):
            raise RoutesError(f"TrafficRoute {inp.apex} has no spec.conf.split")
        weights: dict[str, int] = {}
        for entry in split:
            if not isinstance(entry, Mapping):
                continue
            service = str((entry.get("destination") or {}).get(SERVICE_TAG, ""))
            name = service.split("_", 1)[0]
            if name in (inp.primary_name, inp.canary_name):
                weight = entry.get("weight", 0)
                if not isinstance(weight, int) or isinstance(weight, bool):
                    raise RoutesError(f"TrafficRoute {inp.apex}: weight {weight!r} of {service}")
                weights[name] = weight
        primary, canary = weights.get(inp.primary_name), weights.get(inp.canary_name)
        both_zero(f"TrafficRoute {inp.apex}", primary, canary)
        return Routes(primary or 0, canary or 0)

    def finalize(self, inp: RouterInput) -> RouterPlan:
        live = inp.get(API_VERSION, KIND, inp.apex)
        if live is None or _marker(live) != _canary_id(inp):
            return RouterPlan()
        if original_spec(live) is None:
            note = f"TrafficRoute {inp.apex}: created for this Canary, deleted"
            return RouterPlan(delete=(self._ref(inp),), notes=(note,))
        return restore_plan(inp, [(API_VERSION, KIND, inp.apex)])
