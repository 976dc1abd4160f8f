"""SMI ``TrafficSplit`` (providers ``linkerd``, ``osm``, ``smi:<version>[:<mesh>]``; §3.2).

One ``TrafficSplit <apex>`` in ``split.smi-spec.io/<version>`` sends the traffic addressed to
``service.hosts[0]`` (or the apex Service) to the canary and primary Services by weight. The
version follows the provider: ``linkerd`` speaks v1alpha1, ``osm`` v1alpha2, ``smi:vX`` vX.
v1alpha1 weights are Kubernetes quantities (written as strings), later versions plain integers.
SMI has no header matching and no mirroring: A/B iterations route everything to the canary.

The router writes the whole ``spec`` (``replace``); the only metadata is the owner reference and,
when the mesh implementing SMI is Istio, the annotation carrying ``service.gateways``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from effects.kubeapi import ObjectRef
from effects.routing.base import (
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
from reducers.spec import Provider

GROUP = "split.smi-spec.io"
KIND = "TrafficSplit"
ISTIO_GATEWAYS = "VirtualService.v1alpha3.networking.istio.io/spec.gateways"
"""Annotation through which Istio's SMI adapter learns the gateways of the split."""

_VERSIONS: dict[Provider, str] = {
    Provider.LINKERD: "v1alpha1",
    Provider.OSM: "v1alpha2",
    Provider.SMI_V1ALPHA1: "v1alpha1",
    Provider.SMI_V1ALPHA2: "v1alpha2",
    Provider.SMI_V1ALPHA3: "v1alpha3",
}
_PLAIN_QUANTITY = re.compile(r"^[0-9]+$")


def api_version(inp: RouterInput) -> str:
    """``split.smi-spec.io/<version>`` of the provider; any other provider is a wiring bug."""
    try:
        return f"{GROUP}/{_VERSIONS[inp.provider.provider]}"
    except KeyError:
        raise RouterConfigError(f"provider {inp.provider} does not use SMI") from None


def _mesh(inp: RouterInput) -> str | None:
    provider = inp.provider.provider
    if provider in (Provider.LINKERD, Provider.OSM):
        return str(provider)
    return inp.provider.mesh


def _weight(value: int, quantity: bool) -> int | str:
    return str(value) if quantity else value


def _read_weight(name: str, value: Any) -> int:
    """A backend weight as written: an integer, or a quantity string of whole units."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _PLAIN_QUANTITY.match(value):
        return int(value)
    raise RoutesError(f"TrafficSplit {name}: backend weight {value!r} is not a whole number")


class SmiRouter:
    """``TrafficSplit <apex>`` in the SMI version of the provider."""

    def _ref(self, inp: RouterInput) -> ObjectRef:
        return inp.ref(api_version(inp), KIND, inp.apex)

    def reads(self, inp: RouterInput) -> list[ObjectRef]:
        return [self._ref(inp)]

    def render(self, inp: RouterInput, routes: Routes) -> RouterPlan:
        check_weights(routes)
        version = api_version(inp)
        hosts = inp.service.hosts or ()
        quantity = version.endswith("/v1alpha1")
        meta = plain_metadata(inp, inp.apex)
        gateways = inp.service.gateways or ()
        if _mesh(inp) == "istio" and gateways:
            meta["annotations"] = {
                ISTIO_GATEWAYS: json.dumps(list(gateways), separators=(",", ":"))
            }
        manifest: dict[str, Any] = {
            "apiVersion": version,
            "kind": KIND,
            "metadata": meta,
            "spec": {
                "service": hosts[0] if hosts else inp.apex,
                "backends": [
                    {"service": inp.canary_name, "weight": _weight(routes.canary, quantity)},
                    {"service": inp.primary_name, "weight": _weight(routes.primary, quantity)},
                ],
            },
        }
        notes = ("SMI cannot mirror traffic: mirroring skipped",) if routes.mirrored else ()
        return RouterPlan(apply=(owned_desired(inp, manifest),), notes=notes)

    def read_routes(self, inp: RouterInput) -> Routes:
        version = api_version(inp)
        live = inp.get(version, KIND, inp.apex)
        if live is None:
            raise RoutesError(f"TrafficSplit {inp.namespace}/{inp.apex} not found")
        backends = (live.get("spec") or {}).get("backends")
        if not isinstance(backends, list):
            raise RoutesError(f"TrafficSplit {inp.apex} has no spec.backends")
        weights: dict[str, int] = {}
        for backend in backends:
            if isinstance(backend, Mapping) and backend.get("service") in (
                inp.primary_name,
                inp.canary_name,
            ):
                weights[str(backend["service"])] = _read_weight(inp.apex, backend.get("weight"))
        primary, canary = weights.get(inp.primary_name), weights.get(inp.canary_name)
        both_zero(f"TrafficSplit {inp.apex}", primary, canary)
        return Routes(primary or 0, canary or 0)

    def finalize(self, inp: RouterInput) -> RouterPlan:
        return restore_plan(inp, [(api_version(inp), KIND, inp.apex)])
