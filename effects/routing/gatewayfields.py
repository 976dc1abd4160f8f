"""Istio-style ``spec.service`` fields as Gateway API HTTPRoute matches and filters.

The Canary states matches, header operations, rewrites and CORS the way Istio does (the istio
provider hands them on unchanged); the ``gatewayapi`` routers (:mod:`effects.routing.gatewayapi`)
need them as ``HTTPRouteMatch`` and ``HTTPRouteFilter`` objects. Forms the Gateway API cannot
express are refused with the Canary field named, never dropped. Values the API server would
default (a match's path, a mirror's group and kind, CORS ``maxAge``) are written out so the
live route equals the rendered one and applying it twice is a no-op. Pure.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from effects.routing.base import RouterConfigError, RouterInput
from reducers.spec import DurationError
from reducers.spec.durations import parse_go_duration

Json = dict[str, Any]
DEFAULT_PATH: Json = {"type": "PathPrefix", "value": "/"}
"""The path a match without one matches (the API server's default)."""
CORS_MAX_AGE = 5
"""The API server's default CORS ``maxAge``, written out so the live route equals ours."""
# Istio match keys that carry no condition, and the ones the Gateway API can express.
_NAMING_KEYS = ("name",)
_TRANSLATED = ("uri", "method", "headers", "queryParams")


def present(doc: Mapping[str, Any]) -> Json:
    """``doc`` without its ``None`` values."""
    return {k: v for k, v in doc.items() if v is not None}


def route_matches(entries: Sequence[Mapping[str, Any]], field: str) -> list[Json]:
    """Istio-style match conditions as HTTPRoute matches; conditions that map to nothing are
    dropped, forms the Gateway API cannot express raise :class:`RouterConfigError`."""
    out: list[Json] = []
    for i, entry in enumerate(entries):
        match = _route_match(entry, f"{field}[{i}]")
        if match:
            match.setdefault("path", dict(DEFAULT_PATH))
            out.append(match)
    return out


def _route_match(entry: Mapping[str, Any], where: str) -> Json:
    for key, value in entry.items():
        if key not in _TRANSLATED and key not in _NAMING_KEYS and value not in (None, {}, []):
            raise RouterConfigError(f"{where}.{key}: the Gateway API cannot match on {key}")
    match: Json = {}
    uri = entry.get("uri")
    if uri is not None:
        kind, value = _string_match(uri, ("regex", "exact", "prefix"), f"{where}.uri")
        types = {"regex": "RegularExpression", "exact": "Exact", "prefix": "PathPrefix"}
        match["path"] = {"type": types[kind], "value": value}
    method = entry.get("method")
    if method is not None:
        match["method"] = _string_match(method, ("exact",), f"{where}.method")[1]
    for key in ("headers", "queryParams"):
        given = entry.get(key)
        if given is None:
            continue
        if not isinstance(given, Mapping):
            raise RouterConfigError(f"{where}.{key} must map names to string matches")
        found = []
        for name in sorted(given):
            kind, value = _string_match(given[name], ("exact", "regex"), f"{where}.{key}.{name}")
            found.append({"name": name, "type": _MATCH_TYPES[kind], "value": value})
        if found:
            match[key] = found
    return match


_MATCH_TYPES = {"exact": "Exact", "regex": "RegularExpression"}


def _string_match(given: object, kinds: tuple[str, ...], where: str) -> tuple[str, str]:
    """The first of ``kinds`` an Istio StringMatch sets, with its value."""
    if isinstance(given, Mapping):
        for kind in kinds:
            value = given.get(kind)
            if isinstance(value, str) and value:
                return kind, value
    allowed = " or ".join(kinds)
    raise RouterConfigError(f"{where}: the Gateway API matches only by {allowed}, got {given!r}")


def merge_matches(conditions: Sequence[Json], base: Sequence[Json]) -> list[Json]:
    """Conditions laid over the service matches: one entry per pair, the service entry with
    the condition's headers and query parameters in place of its own where it states them."""
    if not base:
        return [copy.deepcopy(c) for c in conditions]
    merged: list[Json] = []
    for condition in conditions:
        for entry in base:
            out = copy.deepcopy(entry)
            for key in ("headers", "queryParams"):
                if condition.get(key):
                    out[key] = copy.deepcopy(condition[key])
            merged.append(out)
    return merged


# ------------------------------------------------------------------ filters

_HEADER_FILTERS = (
    ("request", "RequestHeaderModifier", "requestHeaderModifier"),
    ("response", "ResponseHeaderModifier", "responseHeaderModifier"),
)


def rule_filters(inp: RouterInput, *, v1: bool, notes: list[str]) -> list[Json]:
    """The rule-level filters every rule repeats, in Flagger's order."""
    service = inp.service
    out: list[Json] = []
    headers = service.headers or {}
    for side, kind, key in _HEADER_FILTERS:
        modifier = _header_modifier(headers.get(side), f"spec.service.headers.{side}")
        if modifier:
            out.append({"type": kind, key: modifier})
    rewrite = service.rewrite
    if rewrite is not None:
        url: Json = {}
        if rewrite.authority:
            url["hostname"] = rewrite.authority
        if rewrite.uri:
            if rewrite.type == "ReplacePrefixMatch":
                url["path"] = {"type": "ReplacePrefixMatch", "replacePrefixMatch": rewrite.uri}
            else:
                url["path"] = {"type": "ReplaceFullPath", "replaceFullPath": rewrite.uri}
        if url:
            out.append({"type": "URLRewrite", "urlRewrite": url})
    for mirror in service.mirror or ():
        ref = {"group": "", "kind": "Service", **present(mirror.backend_ref.to_document())}
        out.append({"type": "RequestMirror", "requestMirror": {"backendRef": ref}})
    if service.cors_policy:
        if v1:
            out.append({"type": "CORS", "cors": _cors(service.cors_policy, notes)})
        else:
            notes.append("gatewayapi:v1beta1 has no CORS filter: spec.service.corsPolicy ignored")
    return out


def _header_modifier(given: object, where: str) -> Json:
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise RouterConfigError(f"{where} must be an object with add, set and remove")
    out: Json = {}
    for op in ("add", "set"):
        values = given.get(op) or {}
        if not isinstance(values, Mapping):
            raise RouterConfigError(f"{where}.{op} must map header names to values")
        pairs = sorted((str(k), str(v)) for k, v in values.items())
        if pairs:
            out[op] = [{"name": k, "value": v} for k, v in pairs]
    remove = given.get("remove") or []
    if not isinstance(remove, list):
        raise RouterConfigError(f"{where}.remove must be a list of header names")
    if remove:
        out["remove"] = [str(name) for name in remove]
    return out


def _cors(policy: Mapping[str, Any], notes: list[str]) -> Json:
    """Istio's corsPolicy as the Gateway API CORS filter."""
    origins = [str(o) for o in policy.get("allowOrigin") or []]
    for origin in policy.get("allowOrigins") or []:
        exact = origin.get("exact") if isinstance(origin, Mapping) else None
        if exact:
            origins.append(str(exact))
        else:
            notes.append(f"spec.service.corsPolicy.allowOrigins {origin!r}: only exact applies")
    cors: Json = {}
    if origins:
        cors["allowOrigins"] = origins
    for key in ("allowMethods", "allowHeaders", "exposeHeaders"):
        if policy.get(key):
            cors[key] = [str(v) for v in policy[key]]
    if policy.get("allowCredentials") is True:
        cors["allowCredentials"] = True
    cors["maxAge"] = CORS_MAX_AGE
    if policy.get("maxAge"):
        try:
            seconds = int(parse_go_duration(str(policy["maxAge"])).total_seconds())
        except DurationError as e:
            raise RouterConfigError(f"spec.service.corsPolicy.maxAge: {e}") from e
        if seconds < 1:
            raise RouterConfigError("spec.service.corsPolicy.maxAge must be at least 1s")
        cors["maxAge"] = seconds
    return cors
