"""``contour``: one ``HTTPProxy <apex>`` (``projectcontour.io/v1``) splitting by weight (§3.4).

The proxy is meant to be included by the user's root HTTPProxy. Its first route carries the split
between ``<apex>-primary`` and ``<apex>-canary``; with ``analysis.match`` (A/B) the header routes
come first and a last route sends the rest to the primary.

Choices (flagger-objects §3.4):

* No ``status``. Flagger creates the proxy with ``{currentStatus: valid, description: valid
  HTTPProxy}``, but Contour's CRD serves ``status`` as a subresource, so an apiserver drops it on
  create; Contour's own controller writes the real status. Stating it would also make the applier
  see a permanent difference against what Contour writes and patch on every tick.
* ``retryOn`` is split on commas with blanks dropped, so an empty value writes no ``retryOn``
  (Flagger wrote ``[""]``, which the CRD's enum rejects — QUIRK fixed).
* A/B: one route per ``analysis.match`` entry (entries are alternatives, headers within one are
  all required), each with the path prefix as its own condition and one condition per header.
  Flagger put every header of every entry into one route and repeated the prefix in each
  condition, which Contour rejects as soon as there are two headers (QUIRK fixed). Header
  operators: ``exact``; ``prefix`` and ``suffix`` as ``contains`` (as Flagger; Contour has no
  prefix/suffix header match); ``regex`` as ``regex`` (Flagger wrote a name-only condition,
  which Contour reads as "any value" — QUIRK fixed). Query-parameter matches are ignored, as in
  Flagger.
* Weight 0 is omitted (Contour's zero value); mirroring is not expressible.
"""

from __future__ import annotations

from typing import Any

from effects.kubeapi import ObjectRef
from effects.routing.base import (
    LiveKey,
    RouterInput,
    RouterPlan,
    Routes,
    RoutesError,
    apex_metadata,
    check_weights,
    owned_desired,
    restore_plan,
)
from reducers.spec.analysis import HttpMatch

API_VERSION = "projectcontour.io/v1"
KIND = "HTTPProxy"
L5D_HEADER = "l5d-dst-override"
IDLE_TIMEOUT = "5m"


def _prefix(inp: RouterInput) -> str:
    first = (inp.service.match or ({},))[0]
    uri = first.get("uri")
    prefix = uri.get("prefix") if isinstance(uri, dict) else None
    return prefix if isinstance(prefix, str) and prefix else "/"


def _header_conditions(match: HttpMatch) -> list[dict[str, Any]]:
    conditions: list[dict[str, Any]] = []
    for name, how in (match.headers or {}).items():
        header: dict[str, Any] = {"name": name}
        if how.exact is not None:
            header["exact"] = how.exact
        elif how.regex is not None:
            header["regex"] = how.regex
        else:
            header["contains"] = how.prefix if how.prefix is not None else how.suffix
        conditions.append({"header": header})
    return conditions


class ContourRouter:
    """HTTPProxy ``<apex>``."""

    def _key(self, inp: RouterInput) -> LiveKey:
        return API_VERSION, KIND, inp.apex

    def _service(self, inp: RouterInput, name: str, weight: int) -> dict[str, Any]:
        port = inp.service.port
        entry: dict[str, Any] = {"name": name, "port": port}
        if weight:
            entry["weight"] = weight
        value = f"{name}.{inp.namespace}.svc.cluster.local:{port}"
        entry["requestHeadersPolicy"] = {"set": [{"name": L5D_HEADER, "value": value}]}
        return entry

    def _route(
        self, inp: RouterInput, conditions: list[dict[str, Any]], primary: int, canary: int
    ) -> dict[str, Any]:
        route: dict[str, Any] = {"conditions": conditions}
        service = inp.service
        if service.timeout:
            route["timeoutPolicy"] = {"response": service.timeout, "idle": IDLE_TIMEOUT}
        if service.retries is not None:
            retries = service.retries
            policy: dict[str, Any] = {}
            if retries.attempts:
                policy["count"] = retries.attempts
            if retries.per_try_timeout:
                policy["perTryTimeout"] = retries.per_try_timeout
            retry_on = [s.strip() for s in (retries.retry_on or "").split(",") if s.strip()]
            if retry_on:
                policy["retryOn"] = retry_on
            route["retryPolicy"] = policy
        route["services"] = [
            self._service(inp, inp.primary_name, primary),
            self._service(inp, inp.canary_name, canary),
        ]
        return route

    def reads(self, inp: RouterInput) -> list[ObjectRef]:
        return [inp.ref(*self._key(inp))]

    def render(self, inp: RouterInput, routes: Routes) -> RouterPlan:
        check_weights(routes)
        prefix = [{"prefix": _prefix(inp)}]
        split = (routes.primary, routes.canary)
        if inp.analysis.match:
            entries = [_header_conditions(m) for m in inp.analysis.match]
            ab = [self._route(inp, prefix + c, *split) for c in entries if c]
            rules = (ab or [self._route(inp, prefix, *split)]) + [self._route(inp, prefix, 100, 0)]
        else:
            rules = [self._route(inp, prefix, *split)]
        spec: dict[str, Any] = {"routes": rules}
        if inp.settings.ingress_class:
            spec = {"ingressClassName": inp.settings.ingress_class, **spec}
        proxy = {
            "apiVersion": API_VERSION,
            "kind": KIND,
            "metadata": apex_metadata(inp, inp.apex),
            "spec": spec,
        }
        return RouterPlan(apply=(owned_desired(inp, proxy),))

    def read_routes(self, inp: RouterInput) -> Routes:
        where = f"{KIND} {inp.namespace}/{inp.apex}"
        proxy = inp.get(*self._key(inp))
        if proxy is None:
            raise RoutesError(f"{where} not found")
        rules = (proxy.get("spec") or {}).get("routes") or []
        services = (rules[0].get("services") or []) if rules else []
        if len(services) < 2:
            raise RoutesError(f"{where}: routes[0] needs the primary and canary services")
        for service in services:
            if service.get("name") == inp.primary_name:
                primary = int(service.get("weight") or 0)
                if not 0 <= primary <= 100:
                    raise RoutesError(f"{where}: primary weight {primary} is not 0-100")
                return Routes(primary, 100 - primary)
        raise RoutesError(f"{where}: routes[0] has no service {inp.primary_name}")

    def finalize(self, inp: RouterInput) -> RouterPlan:
        return restore_plan(inp, [self._key(inp)])
