"""``istio``: a VirtualService and two DestinationRules split the apex (flagger-objects §3.1).

Owns ``DestinationRule <apex>-canary`` / ``<apex>-primary`` (host and ``service.trafficPolicy``)
and ``VirtualService <apex>`` (``networking.istio.io/v1beta1``), whose ``http`` (or, for
``appProtocol: tcp``, ``tcp``) rules carry the split. The route shapes are Flagger's — weighted,
A/B (``analysis.match``), mirrored, sticky (§3.1.1) — so a VirtualService Flagger wrote reads
back the same way. Pure: the session-affinity cookie values arrive in ``RouterInput.cookies``
(the reducers issue and retire them); this module never makes one up.

Differences from Flagger, on purpose: the cookie-expiring rule gets its own copy of
``service.headers`` (Flagger aliases it, leaking ``Max-Age=-1`` onto the weighted rule); the
mirror goes on every rule that carries the split being set, so it still mirrors when the sticky
rules come first and in A/B; an A/B condition keeps its ``queryParams`` when merged with
``service.match``; mirroring a TCP route is refused instead of never being reported.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from effects.kubeapi import ObjectRef
from effects.routing.base import (
    LiveKey,
    RouterConfigError,
    RouterInput,
    RouterPlan,
    Routes,
    RoutesError,
    apex_metadata,
    both_zero,
    check_weights,
    cookie_regex,
    expire_cookie,
    owned_desired,
    plain_metadata,
    restore_plan,
    set_cookie,
)
from reducers.spec.analysis import SessionAffinity

API_VERSION = "networking.istio.io/v1beta1"
VIRTUAL_SERVICE = "VirtualService"
DESTINATION_RULE = "DestinationRule"
SET_COOKIE = "Set-Cookie"
MESH_GATEWAY = "mesh"

Json = dict[str, Any]
Weighted = Callable[[list[Json], list[Json] | None], Json]
# Fields of an A/B condition that replace a service.match entry's own when merged.
_MERGED_MATCH_FIELDS = ("headers", "sourceLabels", "queryParams")


class IstioRouter:
    """Provider ``istio``: VirtualService ``<apex>`` over DestinationRules per workload."""

    def reads(self, inp: RouterInput) -> list[ObjectRef]:
        return [inp.ref(*key) for key in _keys(inp)]

    def render(self, inp: RouterInput, routes: Routes) -> RouterPlan:
        check_weights(routes)
        notes: list[str] = []
        rules = [
            owned_desired(inp, _destination_rule(inp, inp.canary_name)),
            owned_desired(inp, _destination_rule(inp, inp.primary_name)),
            owned_desired(inp, _virtual_service(inp, routes, notes)),
        ]
        return RouterPlan(apply=tuple(rules), notes=tuple(notes))

    def read_routes(self, inp: RouterInput) -> Routes:
        name = f"{VIRTUAL_SERVICE} {inp.apex}.{inp.namespace}"
        live = inp.get(API_VERSION, VIRTUAL_SERVICE, inp.apex)
        if live is None:
            raise RoutesError(f"{name} not found")
        spec = live.get("spec")
        if not isinstance(spec, Mapping):
            raise RoutesError(f"{name} has no spec")
        tcp = _is_tcp(inp)
        rules = spec.get("tcp" if tcp else "http") or []
        if not isinstance(rules, list) or not all(isinstance(r, Mapping) for r in rules):
            raise RoutesError(f"{name}: spec.{'tcp' if tcp else 'http'} is not a list of rules")
        rule = _weighted_rule(inp, rules) or {}
        primary = _weight_of(name, rule, inp.primary_name)
        canary = _weight_of(name, rule, inp.canary_name)
        both_zero(name, primary, canary)
        mirror = rule.get("mirror")
        mirrored = not tcp and isinstance(mirror, Mapping) and bool(mirror.get("host"))
        return Routes(primary, canary, mirrored)

    def finalize(self, inp: RouterInput) -> RouterPlan:
        plan = restore_plan(inp, _keys(inp))
        if inp.get(API_VERSION, VIRTUAL_SERVICE, inp.apex) is None:
            missing = f"{VIRTUAL_SERVICE} {inp.apex}: not found, nothing to restore"
            return RouterPlan(apply=plan.apply, notes=(*plan.notes, missing))
        return plan


def _keys(inp: RouterInput) -> list[LiveKey]:
    return [
        (API_VERSION, VIRTUAL_SERVICE, inp.apex),
        (API_VERSION, DESTINATION_RULE, inp.canary_name),
        (API_VERSION, DESTINATION_RULE, inp.primary_name),
    ]


def _is_tcp(inp: RouterInput) -> bool:
    return (inp.service.app_protocol or "").lower() == "tcp"


# ------------------------------------------------------------------ objects


def _destination_rule(inp: RouterInput, name: str) -> Json:
    spec: Json = {"host": name}
    if inp.service.traffic_policy:
        spec["trafficPolicy"] = copy.deepcopy(dict(inp.service.traffic_policy))
    return {
        "apiVersion": API_VERSION,
        "kind": DESTINATION_RULE,
        "metadata": plain_metadata(inp, name),
        "spec": spec,
    }


def _virtual_service(inp: RouterInput, routes: Routes, notes: list[str]) -> Json:
    service = inp.service
    hosts = list(service.hosts or ())
    gateways = list(service.gateways or ())
    if service.delegation:
        if hosts or gateways:
            raise RouterConfigError(
                f"{VIRTUAL_SERVICE} {inp.apex}.{inp.namespace} cannot have hosts and gateways "
                "when delegation enabled (spec.service.delegation with spec.service.hosts or "
                "spec.service.gateways)"
            )
    else:
        if inp.apex not in hosts and "*" not in hosts:
            hosts.append(inp.apex)
        gateways = list(service.effective_gateways())
    spec: Json = {"hosts": hosts}
    if gateways:
        spec["gateways"] = gateways
    if _is_tcp(inp):
        spec["tcp"] = _tcp_rules(inp, routes, notes)
    else:
        spec["http"] = _http_rules(inp, routes, notes)
    return {
        "apiVersion": API_VERSION,
        "kind": VIRTUAL_SERVICE,
        "metadata": apex_metadata(inp, inp.apex),
        "spec": spec,
    }


# ------------------------------------------------------------------ rules


def _destination(inp: RouterInput, host: str) -> Json:
    """``{host}``, with the service port when port discovery and a non-mesh gateway (or
    delegation) leave the host's port ambiguous."""
    service = inp.service
    gateways = service.gateways or ()
    dest: Json = {"host": host}
    outside_mesh = bool(gateways) and gateways[0] != MESH_GATEWAY
    if service.port_discovery and (outside_mesh or service.delegation):
        dest["port"] = {"number": service.port}
    return dest


def _route(inp: RouterInput, primary: int, canary: int) -> list[Json]:
    return [
        {"destination": _destination(inp, inp.primary_name), "weight": primary},
        {"destination": _destination(inp, inp.canary_name), "weight": canary},
    ]


def _common(inp: RouterInput) -> Json:
    """The fields every HTTP rule repeats from ``spec.service`` (fresh copies each call)."""
    service = inp.service
    out: Json = {}
    if service.rewrite is not None:
        rewrite = {"uri": service.rewrite.uri, "authority": service.rewrite.authority}
        rewrite = {k: v for k, v in rewrite.items() if v}
        if rewrite:
            out["rewrite"] = rewrite
    if service.timeout:
        out["timeout"] = service.timeout
    if service.retries is not None:
        retries = {k: v for k, v in service.retries.to_document().items() if v is not None}
        if retries:
            out["retries"] = retries
    if service.cors_policy:
        out["corsPolicy"] = copy.deepcopy(dict(service.cors_policy))
    if service.headers:
        out["headers"] = copy.deepcopy(dict(service.headers))
    return out


def _service_match(inp: RouterInput) -> list[Json]:
    return [copy.deepcopy(dict(m)) for m in inp.service.match or ()]


def merge_matches(conditions: Sequence[Mapping[str, Any]], base: Sequence[Json]) -> list[Json]:
    """Conditions combined with ``service.match``: as given when there is none, otherwise one
    entry per pair — the service entry with the condition's headers, sourceLabels and
    queryParams in place of its own where the condition states them."""
    if not base:
        return [copy.deepcopy(dict(c)) for c in conditions]
    merged: list[Json] = []
    for condition in conditions:
        for entry in base:
            out = copy.deepcopy(entry)
            for key in _MERGED_MATCH_FIELDS:
                if condition.get(key) is not None:
                    out[key] = copy.deepcopy(condition[key])
            merged.append(out)
    return merged


def _rule(inp: RouterInput, match: list[Json], route: list[Json]) -> Json:
    rule: Json = {"match": match} if match else {}
    rule.update(_common(inp))
    rule["route"] = route
    return rule


def _mirrored(inp: RouterInput, rule: Json) -> Json:
    rule["mirror"] = _destination(inp, inp.canary_name)
    weight = inp.analysis.mirror_weight or 0
    if weight > 0:
        rule["mirrorPercentage"] = {"value": weight}
    return rule


def _cookie_match(cookie: str) -> Json:
    return {"headers": {"Cookie": {"regex": cookie_regex(cookie)}}}


def _add_response_header(target: Json, value: str) -> Json:
    headers = target.setdefault("headers", {})
    response = headers.setdefault("response", {})
    response.setdefault("add", {})[SET_COOKIE] = value
    return target


def _http_rules(inp: RouterInput, routes: Routes, notes: list[str]) -> list[Json]:
    service_match = _service_match(inp)

    def weighted(match: list[Json], route: list[Json] | None) -> Json:
        rule = _rule(inp, match, route or _route(inp, routes.primary, routes.canary))
        return _mirrored(inp, rule) if routes.mirrored else rule

    if inp.analysis.match:
        if inp.session_affinity is not None:
            notes.append("session affinity does not apply to A/B routes (spec.analysis.match)")
        conditions = [m.to_document() for m in inp.analysis.match]
        primary_only = [
            {"destination": _destination(inp, inp.primary_name), "weight": routes.primary}
        ]
        return [
            weighted(merge_matches(conditions, service_match), None),
            _rule(inp, service_match, primary_only),
        ]
    affinity = inp.session_affinity
    if affinity is None:
        return [weighted(service_match, None)]
    if routes.canary == 0:
        # The canary cookie of the run that just ended (not yet retired, or already retired).
        expired = inp.cookies.canary or inp.cookies.previous
        if not expired:
            return [weighted(service_match, None)]
        expire = weighted(merge_matches([_cookie_match(expired)], service_match), None)
        _add_response_header(expire, expire_cookie(expired))
        return [expire, weighted(service_match, None)]
    return _sticky_rules(inp, routes, affinity, service_match, weighted, notes)


def _sticky_rules(
    inp: RouterInput,
    routes: Routes,
    affinity: SessionAffinity,
    service_match: list[Json],
    weighted: Weighted,
    notes: list[str],
) -> list[Json]:
    """§3.1.1 with canary traffic: cookie holders stay where they were sent."""
    cookies = inp.cookies
    if not cookies.canary:
        notes.append("session affinity: no canary cookie issued yet, routes are not sticky")
        return [weighted(service_match, None)]
    canary_rule = _rule(
        inp, merge_matches([_cookie_match(cookies.canary)], service_match), _route(inp, 0, 100)
    )
    rules = [canary_rule]
    route = _route(inp, routes.primary, routes.canary)
    if affinity.primary_cookie_name:
        if cookies.primary:
            match = merge_matches([_cookie_match(cookies.primary)], service_match)
            rules.append(_rule(inp, match, _route(inp, 100, 0)))
            max_age = int(inp.analysis.effective_interval().total_seconds())
            _add_response_header(route[0], set_cookie(cookies.primary, max_age, affinity))
        else:
            notes.append("session affinity: no primary cookie issued yet, primary is not sticky")
    cookie = set_cookie(cookies.canary, affinity.effective_max_age(), affinity)
    _add_response_header(route[1], cookie)
    rules.append(weighted(service_match, route))
    return rules


def _tcp_rules(inp: RouterInput, routes: Routes, notes: list[str]) -> list[Json]:
    if routes.mirrored:
        raise RouterConfigError(
            "spec.analysis.mirror: Istio cannot mirror TCP traffic (spec.service.appProtocol tcp)"
        )
    if inp.analysis.match:
        notes.append("spec.analysis.match does not apply to TCP routes; traffic is split by weight")
    if inp.session_affinity is not None:
        notes.append("spec.analysis.sessionAffinity does not apply to TCP routes")
    rule: Json = {}
    ports = [{"port": m["port"]} if "port" in m else {} for m in _service_match(inp)]
    if ports:
        rule["match"] = ports
    rule["route"] = _route(inp, routes.primary, routes.canary)
    return [rule]


# ------------------------------------------------------------------ reading


def _hosts_of(rule: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    route = rule.get("route") or []
    return [d for d in route if isinstance(d, Mapping)] if isinstance(route, list) else []


def _host(destination: Mapping[str, Any]) -> object:
    dest = destination.get("destination")
    return dest.get("host") if isinstance(dest, Mapping) else None


def _weighted_rule(
    inp: RouterInput, rules: Sequence[Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """The last rule routing to the canary; with session affinity, the last one whose
    destinations set cookies (the sticky rules before it route 0/100 and 100/0)."""
    to_canary = [r for r in rules if any(_host(d) == inp.canary_name for d in _hosts_of(r))]
    if inp.session_affinity is not None and not _is_tcp(inp):
        cookied = [r for r in to_canary if any(d.get("headers") for d in _hosts_of(r))]
        if cookied:
            return cookied[-1]
    return to_canary[-1] if to_canary else None


def _weight_of(name: str, rule: Mapping[str, Any], host: str) -> int:
    weight: object = 0
    for destination in _hosts_of(rule):
        if _host(destination) == host:
            weight = destination.get("weight", 0)
    if isinstance(weight, bool) or not isinstance(weight, int):
        raise RoutesError(f"{name}: weight of {host} is not an integer: {weight!r}")
    return weight
