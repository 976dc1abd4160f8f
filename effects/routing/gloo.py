"""``gloo``: Gloo Edge kube Upstreams for primary and canary and a ``RouteTable <apex>`` (§3.5).

Upstreams ``<ns>-<apex>-primaryupstream-<port>`` and ``<ns>-<apex>-canaryupstream-<port>``
(``gloo.solo.io/v1``) point at the primary and canary Services; the RouteTable
(``gateway.solo.io/v1``), which the user's VirtualService delegates to, splits between them.

Choices (flagger-objects §3.5):

* Each Upstream's ``kube.selector`` is what its Service selects: the live Service when it exists
  (Flagger's source), else derived from the target the way the Services are
  (:mod:`effects.routing.podselectors`), so the first tick does not wait for the Services.
* With ``spec.upstreamRef`` its Upstream's ``sslConfig``, ``circuitBreakers``,
  ``connectionConfig``, ``loadBalancerConfig``, ``useHttp2``, the window sizes and
  ``httpProxyHostname`` are copied. Flagger copied them on create and later synced only
  ``loadBalancerConfig``; Roost owns the generated Upstreams' spec and keeps every copied field
  in sync (QUIRK fixed). Flagger also copied a ``labels`` field the Upstream spec does not have,
  and labelled the Upstreams by an include-prefix filter that is empty by default; neither is
  written. A missing referenced Upstream is a configuration error.
* A/B: one matcher per ``analysis.match`` entry with headers (Gloo matchers are alternatives,
  headers within one are all required). Flagger put every header into one matcher (QUIRK fixed).
  ``exact`` → ``value``, ``regex`` → ``value`` + ``regex: true``, ``prefix``/``suffix`` → an
  anchored regex (Flagger wrote an empty value, which matches any value — QUIRK fixed). Roost's
  match model has no ``method`` condition, so no ``methods`` are written. Non-matching traffic
  is left to the parent VirtualService (a single route, as Flagger).
* Weight 0 is omitted; mirroring is not expressible.
"""

from __future__ import annotations

import re
from typing import Any

from effects.kubeapi import ObjectRef
from effects.routing.base import (
    Desired,
    LiveKey,
    RouterConfigError,
    RouterInput,
    RouterPlan,
    Routes,
    RoutesError,
    apex_metadata,
    check_weights,
    owned_desired,
    plain_metadata,
    restore_plan,
)
from effects.routing.podselectors import service_refs, service_selector
from reducers.spec.analysis import HttpMatch

UPSTREAM_API = "gloo.solo.io/v1"
ROUTE_TABLE_API = "gateway.solo.io/v1"
COPIED = (
    "sslConfig",
    "circuitBreakers",
    "connectionConfig",
    "loadBalancerConfig",
    "useHttp2",
    "initialStreamWindowSize",
    "initialConnectionWindowSize",
    "httpProxyHostname",
)
"""Upstream spec fields copied from ``spec.upstreamRef``'s Upstream."""


def upstream_name(inp: RouterInput, *, primary: bool) -> str:
    role = "primary" if primary else "canary"
    return f"{inp.namespace}-{inp.apex}-{role}upstream-{inp.service.port}"


def _matcher(match: HttpMatch) -> dict[str, Any] | None:
    headers: list[dict[str, Any]] = []
    for name, how in (match.headers or {}).items():
        if how.exact is not None:
            headers.append({"name": name, "value": how.exact})
        elif how.regex is not None:
            headers.append({"name": name, "value": how.regex, "regex": True})
        elif how.prefix is not None:
            headers.append({"name": name, "value": f"{re.escape(how.prefix)}.*", "regex": True})
        else:
            value = f".*{re.escape(how.suffix or '')}"
            headers.append({"name": name, "value": value, "regex": True})
    return {"headers": headers} if headers else None


class GlooRouter:
    """Two kube Upstreams and RouteTable ``<apex>``."""

    def _keys(self, inp: RouterInput) -> list[LiveKey]:
        return [
            (UPSTREAM_API, "Upstream", upstream_name(inp, primary=True)),
            (UPSTREAM_API, "Upstream", upstream_name(inp, primary=False)),
            (ROUTE_TABLE_API, "RouteTable", inp.apex),
        ]

    def _template_ref(self, inp: RouterInput) -> ObjectRef | None:
        ref = inp.canary.spec.upstream_ref
        if ref is None:
            return None
        return ObjectRef(ref.api_version, ref.kind, ref.namespace or inp.namespace, ref.name)

    def _copied(self, inp: RouterInput) -> dict[str, Any]:
        ref = self._template_ref(inp)
        if ref is None:
            return {}
        found = inp.get(ref.api_version, ref.kind, ref.name)
        found_ns = ((found or {}).get("metadata") or {}).get("namespace")
        if found is None or (found_ns and found_ns != ref.namespace):
            raise RouterConfigError(f"spec.upstreamRef: {ref} not found")
        spec = found.get("spec") or {}
        return {key: spec[key] for key in COPIED if key in spec}

    def reads(self, inp: RouterInput) -> list[ObjectRef]:
        template = self._template_ref(inp)
        own = [inp.ref(*key) for key in self._keys(inp)]
        return [*own, *service_refs(inp), *([template] if template else [])]

    def render(self, inp: RouterInput, routes: Routes) -> RouterPlan:
        check_weights(routes)
        copied = self._copied(inp)
        apply: list[Desired] = []
        for primary, service in ((True, inp.primary_name), (False, inp.canary_name)):
            upstream = {
                "apiVersion": UPSTREAM_API,
                "kind": "Upstream",
                "metadata": plain_metadata(inp, upstream_name(inp, primary=primary)),
                "spec": {
                    **copied,
                    "kube": {
                        "serviceName": service,
                        "serviceNamespace": inp.namespace,
                        "servicePort": inp.service.port,
                        "selector": service_selector(inp, primary=primary),
                    },
                },
            }
            apply.append(owned_desired(inp, upstream))
        destinations = []
        for primary, weight in ((True, routes.primary), (False, routes.canary)):
            ref = {"name": upstream_name(inp, primary=primary), "namespace": inp.namespace}
            entry: dict[str, Any] = {"destination": {"upstream": ref}}
            if weight:
                entry["weight"] = weight
            destinations.append(entry)
        route: dict[str, Any] = {}
        matchers = [m for m in map(_matcher, inp.analysis.match or ()) if m]
        if matchers:
            route["matchers"] = matchers
        route["inheritablePathMatchers"] = True
        route["routeAction"] = {"multi": {"destinations": destinations}}
        table = {
            "apiVersion": ROUTE_TABLE_API,
            "kind": "RouteTable",
            "metadata": apex_metadata(inp, inp.apex),
            "spec": {"routes": [route]},
        }
        apply.append(owned_desired(inp, table))
        return RouterPlan(apply=tuple(apply))

    def read_routes(self, inp: RouterInput) -> Routes:
        where = f"RouteTable {inp.namespace}/{inp.apex}"
        table = inp.get(ROUTE_TABLE_API, "RouteTable", inp.apex)
        if table is None:
            raise RoutesError(f"{where} not found")
        rules = (table.get("spec") or {}).get("routes") or []
        action = ((rules[0].get("routeAction") or {}) if rules else {}).get("multi") or {}
        destinations = action.get("destinations") or []
        if len(destinations) < 2:
            raise RoutesError(f"{where}: routes[0] needs the primary and canary destinations")
        wanted = upstream_name(inp, primary=True)
        for destination in destinations:
            upstream = (destination.get("destination") or {}).get("upstream") or {}
            if upstream.get("name") == wanted:
                primary = int(destination.get("weight") or 0)
                if not 0 <= primary <= 100:
                    raise RoutesError(f"{where}: primary weight {primary} is not 0-100")
                return Routes(primary, 100 - primary)
        raise RoutesError(f"{where}: routes[0] has no destination {wanted}")

    def finalize(self, inp: RouterInput) -> RouterPlan:
        return restore_plan(inp, self._keys(inp))
