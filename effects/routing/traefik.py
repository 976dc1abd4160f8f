"""Traefik ``TraefikService`` (provider ``traefik``; flagger-objects §3.8).

One weighted-round-robin ``TraefikService <apex>`` balances between the primary and canary
Services; the user's IngressRoute points at it. Traefik has no header matching or mirroring
here: A/B iterations route everything to the canary.

Every listed service carries its weight explicitly and a service whose share is zero is left out:
Traefik gives a service without ``weight`` the weight 1, so Flagger's habit of omitting a zero
weight sent about 1 % of the traffic to a primary meant to receive none. Each render states the
whole split, so nothing ever resets weights to 100 the way Flagger's reconcile did.

Traefik serves the CRD under ``traefik.io`` (v2.10 and later) and the older
``traefik.containo.us``; the router is built for one of them (:data:`API_VERSIONS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from effects.kubeapi import ObjectRef
from effects.routing.base import (
    RouterInput,
    RouterPlan,
    Routes,
    RoutesError,
    apex_metadata,
    both_zero,
    check_weights,
    owned_desired,
    restore_plan,
)

KIND = "TraefikService"
API_VERSIONS = ("traefik.io/v1alpha1", "traefik.containo.us/v1alpha1")
DEFAULT_WEIGHT = 1
"""Traefik's weight of a weighted service that states none."""


class TraefikRouter:
    """Weighted ``TraefikService <apex>`` in one of Traefik's API groups."""

    def __init__(self, api_version: str = API_VERSIONS[0]) -> None:
        if api_version not in API_VERSIONS:
            raise ValueError(f"TraefikService apiVersion must be one of {API_VERSIONS}")
        self.api_version = api_version

    def _ref(self, inp: RouterInput) -> ObjectRef:
        return inp.ref(self.api_version, KIND, inp.apex)

    def reads(self, inp: RouterInput) -> list[ObjectRef]:
        return [self._ref(inp)]

    def render(self, inp: RouterInput, routes: Routes) -> RouterPlan:
        check_weights(routes)
        port = inp.service.port
        services = [
            {"name": name, "namespace": inp.namespace, "port": port, "weight": weight}
            for name, weight in (
                (inp.primary_name, routes.primary),
                (inp.canary_name, routes.canary),
            )
            if weight > 0
        ]
        manifest: dict[str, Any] = {
            "apiVersion": self.api_version,
            "kind": KIND,
            "metadata": apex_metadata(inp, inp.apex),
            "spec": {"weighted": {"services": services}},
        }
        notes = ("Traefik cannot mirror traffic: mirroring skipped",) if routes.mirrored else ()
        return RouterPlan(apply=(owned_desired(inp, manifest),), notes=notes)

    def read_routes(self, inp: RouterInput) -> Routes:
        live = inp.get(self.api_version, KIND, inp.apex)
        if live is None:
            raise RoutesError(f"TraefikService {inp.namespace}/{inp.apex} not found")
        weighted = (live.get("spec") or {}).get("weighted") or {}
        services = weighted.get("services")
        if not isinstance(services, list) or not services:
            raise RoutesError(f"TraefikService {inp.apex} has no spec.weighted.services")
        weights = {inp.primary_name: 0, inp.canary_name: 0}
        for service in services:
            if isinstance(service, Mapping) and service.get("name") in weights:
                weight = service.get("weight", DEFAULT_WEIGHT)
                if not isinstance(weight, int) or isinstance(weight, bool):
                    raise RoutesError(f"TraefikService {inp.apex}: weight {weight!r} not a number")
                weights[str(service["name"])] += weight
        primary, canary = weights[inp.primary_name], weights[inp.canary_name]
        both_zero(f"TraefikService {inp.apex}", primary, canary)
        return Routes(primary, canary)

    def finalize(self, inp: RouterInput) -> RouterPlan:
        return restore_plan(inp, [(self.api_version, KIND, inp.apex)])
