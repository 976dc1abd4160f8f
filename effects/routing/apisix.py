"""Apache APISIX ``ApisixRoute`` (provider ``apisix``; flagger-objects §3.9).

The user's ``ApisixRoute`` named by ``spec.routeRef`` sends a path to the apex Service. The router
derives a second route, ``<routeRef.name>-<apex>-canary``, from the user's first HTTP rule that
targets the apex: same match, plugins and options, the highest priority (so it wins over the
user's rule), and two weighted backends, primary and canary. APISIX has no header matching or
mirroring here: A/B iterations route everything to the canary.

The derived route follows the user's route on every render (Flagger created it once and never
updated it); it copies the user's labels and annotations, except kubectl's and Roost's records
of an object's original configuration, which describe the user's route, not this one.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from effects.kubeapi import ObjectRef
from effects.routing.base import (
    LAST_APPLIED,
    ORIGINAL_CONFIGURATION,
    RouterConfigError,
    RouterInput,
    RouterPlan,
    Routes,
    RoutesError,
    both_zero,
    check_weights,
    owned_desired,
    plain_metadata,
    restore_plan,
)

API_VERSION = "apisix.apache.org/v2"
KIND = "ApisixRoute"
MAX_PRIORITY = 10000
"""Priority of the derived rule: above any the user's route is likely to use."""
_BACKEND_FIELDS = ("servicePort", "resolveGranularity", "subset")
_NOT_COPIED = (LAST_APPLIED, ORIGINAL_CONFIGURATION)


def _source_name(inp: RouterInput) -> str:
    ref = inp.canary.spec.route_ref
    if ref is None:
        raise RouterConfigError("provider apisix needs spec.routeRef (an ApisixRoute)")
    if ref.api_version != API_VERSION:
        raise RouterConfigError(
            f"spec.routeRef.apiVersion must be {API_VERSION}, not {ref.api_version}"
        )
    return ref.name


def canary_route_name(inp: RouterInput) -> str:
    """``<routeRef.name>-<apex>-canary``."""
    return f"{_source_name(inp)}-{inp.canary_name}"


def _apex_rule(inp: RouterInput, source: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The first HTTP rule of the user's route whose backends include the apex Service."""
    for rule in (source.get("spec") or {}).get("http") or []:
        backends = rule.get("backends") if isinstance(rule, Mapping) else None
        if not isinstance(backends, list):
            continue
        if any(isinstance(b, Mapping) and b.get("serviceName") == inp.apex for b in backends):
            if len(backends) != 1:
                raise RouterConfigError(
                    f"spec.routeRef: ApisixRoute {name} rule {rule.get('name')!r} must have "
                    f"exactly one backend (the Service {inp.apex}), it has {len(backends)}"
                )
            return copy.deepcopy(dict(rule))
    raise RouterConfigError(
        f"spec.routeRef: ApisixRoute {name} has no http rule with the backend {inp.apex}"
    )


def _weight(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise RoutesError(f"ApisixRoute {name}: backend weight {value!r} is not a number")
    return value


class ApisixRouter:
    """``ApisixRoute <routeRef>-<apex>-canary`` derived from the user's route."""

    def reads(self, inp: RouterInput) -> list[ObjectRef]:
        return [
            inp.ref(API_VERSION, KIND, _source_name(inp)),
            inp.ref(API_VERSION, KIND, canary_route_name(inp)),
        ]

    def render(self, inp: RouterInput, routes: Routes) -> RouterPlan:
        check_weights(routes)
        source_name = _source_name(inp)
        source = inp.get(API_VERSION, KIND, source_name)
        if source is None:
            raise RouterConfigError(
                f"spec.routeRef: ApisixRoute {inp.namespace}/{source_name} not found"
            )
        rule = _apex_rule(inp, source, source_name)
        backend = rule["backends"][0]
        shared = {k: backend[k] for k in _BACKEND_FIELDS if k in backend}
        rule["priority"] = MAX_PRIORITY
        rule["backends"] = [
            {"serviceName": inp.primary_name, **shared, "weight": routes.primary},
            {"serviceName": inp.canary_name, **shared, "weight": routes.canary},
        ]
        name = canary_route_name(inp)
        meta = plain_metadata(inp, name)
        source_meta = source.get("metadata") or {}
        labels = dict(source_meta.get("labels") or {})
        annotations = {
            k: v for k, v in (source_meta.get("annotations") or {}).items() if k not in _NOT_COPIED
        }
        if labels:
            meta["labels"] = labels
        if annotations:
            meta["annotations"] = annotations
        spec = {k: copy.deepcopy(v) for k, v in (source.get("spec") or {}).items()}
        spec["http"] = [rule]
        spec.pop("stream", None)
        manifest = {"apiVersion": API_VERSION, "kind": KIND, "metadata": meta, "spec": spec}
        notes = ("APISIX cannot mirror traffic: mirroring skipped",) if routes.mirrored else ()
        return RouterPlan(apply=(owned_desired(inp, manifest),), notes=notes)

    def read_routes(self, inp: RouterInput) -> Routes:
        name = canary_route_name(inp)
        live = inp.get(API_VERSION, KIND, name)
        if live is None:
            raise RoutesError(f"ApisixRoute {inp.namespace}/{name} not found")
        for rule in (live.get("spec") or {}).get("http") or []:
            backends = [b for b in (rule.get("backends") or []) if isinstance(b, Mapping)]
            weights = {b.get("serviceName"): b.get("weight") for b in backends}
            if inp.primary_name not in weights:
                continue
            primary = _weight(name, weights[inp.primary_name])
            canary = _weight(name, weights.get(inp.canary_name, 0))
            both_zero(f"ApisixRoute {name}", primary, canary)
            return Routes(primary, canary)
        raise RoutesError(
            f"ApisixRoute {name} has no http rule with the backend {inp.primary_name}"
        )

    def finalize(self, inp: RouterInput) -> RouterPlan:
        return restore_plan(inp, [(API_VERSION, KIND, canary_route_name(inp))])
