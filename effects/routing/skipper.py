"""``skipper``: a canary Ingress with weighted primary and canary paths (flagger-objects §3.7).

The user's Ingress (``spec.ingressRef``) is never written. The router derives
``<ingressRef.name>-canary`` from it: every path whose backend Service is ``<apex>`` is switched
to ``<apex>-primary``, and a copy of it with ``<apex>-canary`` is appended to the rule's paths.
Two annotations carry the split:

* ``zalando.org/backend-weights``: ``{"<apex>-canary": C, "<apex>-primary": P}`` (compact JSON,
  keys sorted, as Go writes it);
* ``zalando.org/skipper-predicate``: ``Weight(100)`` first, so the canary Ingress's routes win
  over the user's, or ``False()`` when the canary gets nothing, which switches them off; then
  the source's own predicates without either of those, joined by `` && ``.

Choices (flagger-objects §3.7):

* The Flux opt-out keys are always added (Flagger added them only when it rewrote an existing
  canary Ingress, so a fresh one was open to Flux pruning until the user's Ingress changed).
* Weight 0 renders ``False()`` at once, also on creation (Flagger created with ``Weight(100)``
  and switched on its first SetRoutes; Roost renders the split in the same step).
* A source without a path to the apex is an error (Flagger's check compared pointers and never
  fired — QUIRK fixed). ``defaultBackend`` is copied as it is: Skipper has one default route,
  which a weight cannot split.
* Labels and annotations come from the source on every render, without kubectl's and Roost's
  records of the source's configuration; a key removed from the source stays on the copy.
* Analysis ``match`` and mirroring are not expressible: A/B iterations route everything to the
  canary by weight, as in Flagger.
* Finalization deletes the canary Ingress (Flagger's grace period of 2 s is not expressible in a
  :class:`RouterPlan`; the API default applies), unless it was taken over: then its original
  spec is restored instead of deleting a user's object.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from effects.kubeapi import ObjectRef
from effects.routing.base import (
    RouterConfigError,
    RouterInput,
    RouterPlan,
    Routes,
    RoutesError,
    check_weights,
    is_taken_over,
    owned_desired,
    plain_metadata,
    restore_plan,
)
from effects.routing.ingresses import (
    API_VERSION,
    KIND,
    backend_service,
    canary_key,
    copied_metadata,
    live_canary,
    rule_paths,
    source,
    source_key,
    source_name,
    source_spec,
)
from effects.workloads.metadata import FLUX_OPT_OUT

BACKEND_WEIGHTS = "zalando.org/backend-weights"
PREDICATE = "zalando.org/skipper-predicate"
WEIGHT_FIRST = "Weight(100)"
DISABLED = "False()"


def predicate(existing: str | None, first: str) -> str:
    """``first``, then the predicates of ``existing`` other than the two the router sets."""
    kept = [p.strip() for p in (existing or "").split("&&")]
    rest = [p for p in kept if p and p not in (WEIGHT_FIRST, DISABLED)]
    return " && ".join([first, *rest])


def backend_weights(inp: RouterInput, routes: Routes) -> str:
    weights = {inp.canary_name: routes.canary, inp.primary_name: routes.primary}
    return json.dumps(weights, sort_keys=True, separators=(",", ":"))


def _canary_spec(inp: RouterInput, found: Mapping[str, Any]) -> dict[str, Any]:
    spec = source_spec(found)
    duplicated = 0
    for paths in rule_paths(spec):
        for path in list(paths):
            service = backend_service(path.get("backend") if isinstance(path, dict) else None)
            if service is None or service.get("name") != inp.apex:
                continue
            service["name"] = inp.primary_name
            twin = copy.deepcopy(path)
            twin["backend"]["service"]["name"] = inp.canary_name
            paths.append(twin)
            duplicated += 1
    if not duplicated:
        raise RouterConfigError(
            f"spec.ingressRef: backend {inp.apex} not found in Ingress "
            f"{inp.namespace}/{source_name(inp)}"
        )
    return spec


def _weight(where: str, weights: Mapping[str, Any], name: str) -> int:
    if name not in weights:
        raise RoutesError(f"{where}: {BACKEND_WEIGHTS} has no weight for {name}")
    value = weights[name]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise RoutesError(f"{where}: {BACKEND_WEIGHTS} weight of {name} is not 0-100: {value!r}")
    return value


class SkipperRouter:
    """Ingress ``<ingressRef.name>-canary`` with Skipper backend weights."""

    def reads(self, inp: RouterInput) -> list[ObjectRef]:
        return [inp.ref(*source_key(inp)), inp.ref(*canary_key(inp))]

    def render(self, inp: RouterInput, routes: Routes) -> RouterPlan:
        check_weights(routes)
        found = source(inp)
        labels, annotations = copied_metadata(found)
        first = WEIGHT_FIRST if routes.canary else DISABLED
        annotations[PREDICATE] = predicate(annotations.get(PREDICATE), first)
        annotations[BACKEND_WEIGHTS] = backend_weights(inp, routes)
        annotations.update(FLUX_OPT_OUT)
        meta = plain_metadata(inp, canary_key(inp)[2])
        if labels:
            meta["labels"] = labels
        meta["annotations"] = annotations
        ingress = {
            "apiVersion": API_VERSION,
            "kind": KIND,
            "metadata": meta,
            "spec": _canary_spec(inp, found),
        }
        return RouterPlan(apply=(owned_desired(inp, ingress),))

    def read_routes(self, inp: RouterInput) -> Routes:
        found = live_canary(inp)
        where = f"Ingress {inp.namespace}/{canary_key(inp)[2]}"
        raw = ((found.get("metadata") or {}).get("annotations") or {}).get(BACKEND_WEIGHTS)
        if raw is None:
            raise RoutesError(f"{where}: no {BACKEND_WEIGHTS} annotation")
        try:
            weights = json.loads(raw)
        except ValueError as e:
            raise RoutesError(f"{where}: {BACKEND_WEIGHTS} is not JSON: {e}") from e
        if not isinstance(weights, dict):
            raise RoutesError(f"{where}: {BACKEND_WEIGHTS} is not a JSON object: {raw}")
        primary = _weight(where, weights, inp.primary_name)
        canary = _weight(where, weights, inp.canary_name)
        if primary + canary != 100:
            raise RoutesError(f"{where}: {BACKEND_WEIGHTS} weights add up to {primary + canary}")
        return Routes(primary, canary)

    def finalize(self, inp: RouterInput) -> RouterPlan:
        key = canary_key(inp)
        if is_taken_over(inp.live.get(key), inp.canary):
            return restore_plan(inp, [key])
        return RouterPlan(delete=(inp.ref(*key),), notes=(f"{KIND} {key[2]}: deleted",))
