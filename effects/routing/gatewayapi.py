"""``gatewayapi:v1`` and ``gatewayapi:v1beta1``: an ``HTTPRoute <apex>`` splits the apex
between the primary and canary Services (flagger-objects §3.11, §3.12).

Owns ``HTTPRoute <apex>`` only: its parents are ``spec.service.gatewayRefs``, its hostnames
``spec.service.hosts``, and its rules translate the Istio-style ``service.match``,
``headers``, ``rewrite``, ``mirror``, ``corsPolicy`` and ``timeout`` the Canary shares with
the istio provider. The route shapes are Flagger's — weighted, A/B (``analysis.match``),
mirrored, sticky (§3.1.1 with filters) — so a route Flagger wrote reads back the same way.
``v1beta1`` is the reduced dialect: no timeouts, no CORS filter, only the canary cookie.
Pure: session-affinity cookies arrive in ``RouterInput.cookies``; none is made up here.

Differences from Flagger, on purpose:

* the mirror filter goes on whenever the split asks for it, not only in blue/green runs: a
  canary run with ``analysis.mirror`` otherwise re-asks for a mirror it never reads back;
* the rule expiring an old cookie adds its ``Set-Cookie`` to the rule's own copy of the
  response header filter instead of a second ``ResponseHeaderModifier`` (which the API
  server rejects when ``service.headers.response`` is set);
* Istio match forms the Gateway API cannot express (``sourceLabels``, header ``prefix``…)
  are refused, not dropped: a dropped A/B condition would send every request to the canary;
* header and query matches are sorted by name, and the fields the API server defaults
  (parent group and kind, a match's path, CORS ``maxAge``) are written out, so applying the
  same route twice is a no-op; ``allowOrigins`` entries with ``exact`` reach the CORS filter;
* when no cookie is due, the sticky rule is left out rather than repeated.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
    restore_plan,
    set_cookie,
)
from effects.routing.gatewayfields import (
    DEFAULT_PATH,
    merge_matches,
    present,
    route_matches,
    rule_filters,
)
from reducers.spec.analysis import SessionAffinity

GROUP = "gateway.networking.k8s.io"
V1 = f"{GROUP}/v1"
V1BETA1 = f"{GROUP}/v1beta1"
HTTP_ROUTE = "HTTPRoute"
SET_COOKIE = "Set-Cookie"

Json = dict[str, Any]


@dataclass(frozen=True)
class GatewayApiRouter:
    """Provider ``gatewayapi:v1`` (:data:`V1`) or ``gatewayapi:v1beta1`` (:data:`V1BETA1`)."""

    api_version: str = V1

    @property
    def _v1(self) -> bool:
        return self.api_version == V1

    def _key(self, inp: RouterInput) -> LiveKey:
        return (self.api_version, HTTP_ROUTE, inp.apex)

    def reads(self, inp: RouterInput) -> list[ObjectRef]:
        return [inp.ref(*self._key(inp))]

    def render(self, inp: RouterInput, routes: Routes) -> RouterPlan:
        check_weights(routes)
        notes: list[str] = []
        rules = _Rules(inp, routes, v1=self._v1, notes=notes)
        spec: Json = {"parentRefs": _parent_refs(inp)}
        if inp.service.hosts:
            spec["hostnames"] = list(inp.service.hosts)
        spec["rules"] = rules.all()
        manifest: Json = {
            "apiVersion": self.api_version,
            "kind": HTTP_ROUTE,
            "metadata": apex_metadata(inp, inp.apex),
            "spec": spec,
        }
        return RouterPlan(apply=(owned_desired(inp, manifest),), notes=tuple(notes))

    def read_routes(self, inp: RouterInput) -> Routes:
        name = f"{HTTP_ROUTE} {inp.namespace}/{inp.apex}"
        live = inp.get(*self._key(inp))
        if live is None:
            raise RoutesError(f"{name} not found")
        spec = live.get("spec")
        if not isinstance(spec, Mapping):
            raise RoutesError(f"{name} has no spec")
        rules = spec.get("rules") or []
        if not isinstance(rules, list) or not all(isinstance(r, Mapping) for r in rules):
            raise RoutesError(f"{name}: spec.rules is not a list of rules")
        if self._v1:
            _check_parents(name, live, inp.namespace)
        rule = _weighted_rule(inp, rules) or {}
        primary = _weight_of(name, rule, inp.primary_name)
        canary = _weight_of(name, rule, inp.canary_name)
        both_zero(name, primary, canary)
        mirrored = any(_mirrors_to(r, inp.canary_name) for r in rules)
        return Routes(primary, canary, mirrored)

    def finalize(self, inp: RouterInput) -> RouterPlan:
        plan = restore_plan(inp, [self._key(inp)])
        if inp.get(*self._key(inp)) is None:
            missing = f"{HTTP_ROUTE} {inp.apex}: not found, nothing to restore"
            return RouterPlan(apply=plan.apply, notes=(*plan.notes, missing))
        return plan


# ------------------------------------------------------------------ parents


def _parent_refs(inp: RouterInput) -> list[Json]:
    refs = inp.service.gateway_refs
    if not refs:
        raise RouterConfigError(
            f"provider {inp.provider} needs spec.service.gatewayRefs (the Gateways the "
            f"{HTTP_ROUTE} attaches to)"
        )
    return [_with_parent_defaults(present(ref.to_document())) for ref in refs]


def _with_parent_defaults(ref: Mapping[str, Any]) -> Json:
    return {"group": GROUP, "kind": "Gateway", **ref}


def _same_parent(a: object, b: Mapping[str, Any], namespace: str) -> bool:
    """Whether two parent references name the same parent, defaults applied to both."""
    if not isinstance(a, Mapping):
        return False

    def normal(ref: Mapping[str, Any]) -> Json:
        full = {**_with_parent_defaults(ref), "namespace": ref.get("namespace") or namespace}
        return present(full)

    return normal(a) == normal(b)


def _check_parents(name: str, live: Mapping[str, Any], namespace: str) -> None:
    """Every parent of the route accepted it at its current generation (v1 only)."""
    generation = (live.get("metadata") or {}).get("generation") or 0
    status = live.get("status")
    entries = (status.get("parents") if isinstance(status, Mapping) else None) or []
    for ref in (live.get("spec") or {}).get("parentRefs") or []:
        if not isinstance(ref, Mapping):
            raise RoutesError(f"{name}: spec.parentRefs holds a non-object {ref!r}")
        mine = [e for e in entries if isinstance(e, Mapping)]
        mine = [e for e in mine if _same_parent(e.get("parentRef"), ref, namespace)]
        if not any(_accepted(e, generation) for e in mine):
            raise RoutesError(
                f"{name}: parent {_describe(ref, namespace)} is not ready (no Accepted=True "
                f"condition observed at generation {generation})"
            )


def _accepted(entry: Mapping[str, Any], generation: int) -> bool:
    for condition in entry.get("conditions") or []:
        if not isinstance(condition, Mapping) or condition.get("type") != "Accepted":
            continue
        observed = condition.get("observedGeneration") or 0
        if condition.get("status") == "True" and observed >= generation:
            return True
    return False


def _describe(ref: Mapping[str, Any], namespace: str) -> str:
    text = f"{ref.get('kind') or 'Gateway'} {ref.get('namespace') or namespace}/{ref.get('name')}"
    if ref.get("sectionName"):
        text += f" section {ref['sectionName']}"
    if ref.get("port"):
        text += f" port {ref['port']}"
    return text


def _cookie_match(cookie: str) -> Json:
    header = {"name": "Cookie", "type": "RegularExpression", "value": cookie_regex(cookie)}
    return {"headers": [header]}


# ------------------------------------------------------------------ rules


class _Rules:
    """The rules of one render: shared parts computed once, rules built fresh each time."""

    def __init__(self, inp: RouterInput, routes: Routes, *, v1: bool, notes: list[str]) -> None:
        self.inp, self.routes, self.v1, self.notes = inp, routes, v1, notes
        service = inp.service
        self.port = service.port
        matches = route_matches(service.match or (), "spec.service.match")
        self.matches = matches or [{"path": dict(DEFAULT_PATH)}]
        self.filters = rule_filters(inp, v1=v1, notes=notes)
        self.timeouts: Json = {}
        if v1:
            self.timeouts = present(
                {"request": service.timeout, "backendRequest": service.backend_timeout}
            )
        elif service.timeout or service.backend_timeout:
            notes.append("gatewayapi:v1beta1 sets no timeouts: spec.service.timeout ignored")

    def backend(self, name: str, weight: int) -> Json:
        return {"group": "", "kind": "Service", "name": name, "port": self.port, "weight": weight}

    def split(self, primary: int, canary: int) -> list[Json]:
        return [
            self.backend(self.inp.primary_name, primary),
            self.backend(self.inp.canary_name, canary),
        ]

    def rule(self, matches: list[Json], backends: list[Json], *, mirror: bool = False) -> Json:
        rule: Json = {"matches": copy.deepcopy(matches)}
        filters = copy.deepcopy(self.filters)
        if mirror:
            canary = self.backend(self.inp.canary_name, 0)
            canary.pop("weight")
            filters.append({"type": "RequestMirror", "requestMirror": {"backendRef": canary}})
        if filters:
            rule["filters"] = filters
        rule["backendRefs"] = backends
        if self.timeouts:
            rule["timeouts"] = dict(self.timeouts)
        return rule

    def weighted(self, matches: list[Json], backends: list[Json] | None = None) -> Json:
        split = backends or self.split(self.routes.primary, self.routes.canary)
        return self.rule(matches, split, mirror=self.routes.mirrored)

    def all(self) -> list[Json]:
        inp = self.inp
        if inp.analysis.match:
            if inp.session_affinity is not None:
                self.notes.append(
                    "session affinity does not apply to A/B routes (spec.analysis.match)"
                )
            documents = [m.to_document() for m in inp.analysis.match]
            conditions = route_matches(documents, "spec.analysis.match")
            primary_only = [self.backend(inp.primary_name, 100)]
            return [
                self.weighted(merge_matches(conditions, self.matches)),
                self.rule(self.matches, primary_only),
            ]
        if inp.session_affinity is None:
            return [self.weighted(self.matches)]
        return self.sticky(inp.session_affinity)

    def sticky(self, affinity: SessionAffinity) -> list[Json]:
        """§3.1.1 with filters: cookie holders stay where a weighted rule first sent them."""
        inp, cookies = self.inp, self.inp.cookies
        if self.routes.canary == 0:
            # The canary cookie of the run that just ended (not yet retired, or retired).
            expired = cookies.canary or cookies.previous
            if not expired:
                return [self.weighted(self.matches)]
            expire = self.weighted(merge_matches([_cookie_match(expired)], self.matches))
            _add_set_cookie(expire, expire_cookie(expired))
            return [expire, self.weighted(self.matches)]
        if not cookies.canary:
            self.notes.append("session affinity: no canary cookie issued yet, routes not sticky")
            return [self.weighted(self.matches)]
        to_canary = merge_matches([_cookie_match(cookies.canary)], self.matches)
        rules = [self.rule(to_canary, self.split(0, 100))]
        split = self.split(self.routes.primary, self.routes.canary)
        if affinity.primary_cookie_name and not self.v1:
            self.notes.append(
                "gatewayapi:v1beta1 keeps only canary users sticky: "
                "spec.analysis.sessionAffinity.primaryCookieName ignored"
            )
        elif affinity.primary_cookie_name and not cookies.primary:
            self.notes.append("session affinity: no primary cookie issued yet, primary not sticky")
        elif affinity.primary_cookie_name:
            to_primary = merge_matches([_cookie_match(cookies.primary)], self.matches)
            rules.append(self.rule(to_primary, self.split(100, 0)))
            max_age = int(inp.analysis.effective_interval().total_seconds())
            split[0]["filters"] = [_response_add(set_cookie(cookies.primary, max_age, affinity))]
        max_age = affinity.effective_max_age()
        split[1]["filters"] = [_response_add(set_cookie(cookies.canary, max_age, affinity))]
        rules.append(self.weighted(self.matches, split))
        return rules


def _response_add(value: str) -> Json:
    modifier = {"add": [{"name": SET_COOKIE, "value": value}]}
    return {"type": "ResponseHeaderModifier", "responseHeaderModifier": modifier}


def _add_set_cookie(rule: Json, value: str) -> None:
    """Add ``Set-Cookie`` to the rule's response header filter (there may be only one; its
    ``add`` list is keyed by name, so a ``Set-Cookie`` from ``service.headers`` gives way)."""
    filters = rule.setdefault("filters", [])
    for f in filters:
        if f.get("type") == "ResponseHeaderModifier":
            modifier = f["responseHeaderModifier"]
            others = [h for h in modifier.get("add", []) if h["name"].lower() != "set-cookie"]
            modifier["add"] = sorted(
                [*others, {"name": SET_COOKIE, "value": value}],
                key=lambda h: (h["name"], h["value"]),
            )
            return
    filters.insert(_response_slot(filters), _response_add(value))


def _response_slot(filters: list[Json]) -> int:
    """Where a response header filter goes: right after a request header filter, if any."""
    return 1 if filters and filters[0].get("type") == "RequestHeaderModifier" else 0


# ------------------------------------------------------------------ reading


def _backends(rule: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    refs = rule.get("backendRefs") or []
    return [r for r in refs if isinstance(r, Mapping)] if isinstance(refs, list) else []


def _weighted_rule(
    inp: RouterInput, rules: Sequence[Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """The last rule splitting between two backends; with session affinity, the last one
    whose backends set cookies (the sticky rules route 0/100 and 100/0)."""
    if inp.session_affinity is not None:
        cookied = [r for r in rules if any(b.get("filters") for b in _backends(r))]
        if cookied:
            return cookied[-1]
    pairs = [r for r in rules if len(_backends(r)) == 2]
    return pairs[-1] if pairs else None


def _weight_of(name: str, rule: Mapping[str, Any], backend: str) -> int:
    weight: object = 0
    for ref in _backends(rule):
        if ref.get("name") == backend:
            weight = ref.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, int):
        raise RoutesError(f"{name}: weight of {backend} is not an integer: {weight!r}")
    return weight


def _mirrors_to(rule: Mapping[str, Any], backend: str) -> bool:
    for f in rule.get("filters") or []:
        if not isinstance(f, Mapping) or f.get("type") != "RequestMirror":
            continue
        mirror = f.get("requestMirror")
        ref = mirror.get("backendRef") if isinstance(mirror, Mapping) else None
        if isinstance(ref, Mapping) and ref.get("name") == backend:
            return True
    return False
