"""``nginx``: a canary Ingress beside the user's, split by ingress-nginx annotations (§3.6).

The user's Ingress (``spec.ingressRef``) keeps serving the apex Service and is never written. The
router derives ``<ingressRef.name>-canary`` from it: the same spec with every backend Service
``<apex>`` renamed ``<apex>-canary``, the source's labels, and the source's annotations without
its canary keys and kubectl's record, plus the Flux opt-out keys and the canary keys of the split
(``<prefix>/canary`` and the rest; the prefix is the ``nginx_annotations_prefix`` setting):

* canary weight 0 (initial, promoted, rolled back): ``canary: "true"``, ``canary-weight: "0"``;
* weight W: ``canary: "true"``, ``canary-weight: "W"``;
* A/B (``analysis.match`` and a canary weight above 0): ``canary: "true"`` and the header or
  cookie rule; ingress-nginx then sends exactly the matching requests to the canary.

Choices (flagger-objects §3.6):

* Every render states the whole set of ``<prefix>/canary*`` keys of its split and nothing else
  under that prefix; keys of an earlier split must be removed from the live object (Flagger left
  A/B keys and the old weight behind after promotion — QUIRK fixed). The rest of the annotations
  is not made exact, since ingress controllers and other tools annotate Ingresses too; only
  stale keys under :func:`canary_prefix` are to be dropped by the applier.
* The source's annotations and labels are re-rendered on every tick (Flagger copied them once,
  at creation); a key removed from the source stays on the canary Ingress.
* ``defaultBackend`` naming the apex is renamed too (Flagger looked at rule paths only), and
  counts as the backend the Ingress must have.
* A/B reads every header of every ``analysis.match`` entry: ``cookie`` (any case) routes by the
  cookie named by its ``exact`` (``canary-by-cookie``); another header routes by
  ``canary-by-header`` with ``-value`` for ``exact`` and ``-pattern`` for ``regex``, ``prefix``
  (``^<escaped>``) or ``suffix`` (``<escaped>$``) — Flagger dropped prefix and suffix, leaving a
  header rule that only matches ``always``. ingress-nginx holds one header rule and one cookie:
  several different ones, a cookie without ``exact``, or a match with neither is rejected
  (Flagger kept the last one it iterated, in Go's random map order). Query-parameter and
  source-label conditions are ignored, as in Flagger.
* Finalization restores a taken-over canary Ingress; one the Canary created goes with the Canary
  through its owner reference (Flagger's finalizer leaves it too).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from effects.kubeapi import ObjectRef
from effects.routing.base import (
    Desired,
    RouterConfigError,
    RouterInput,
    RouterPlan,
    RouterSettings,
    Routes,
    RoutesError,
    check_weights,
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
from reducers.spec.analysis import HeaderMatch

COOKIE = "cookie"


def canary_prefix(settings: RouterSettings) -> str:
    """``<prefix>/canary``: every annotation key starting with it belongs to the split.

    The applier should remove such keys the live canary Ingress has and the rendered one does
    not state (and leave every other annotation alone).
    """
    return f"{settings.nginx_annotations_prefix}/canary"


def _keys(settings: RouterSettings) -> dict[str, str]:
    base = canary_prefix(settings)
    names = ("weight", "by-cookie", "by-header", "by-header-value", "by-header-pattern")
    return {"canary": base, **{name: f"{base}-{name}" for name in names}}


def _header_rule(name: str, how: HeaderMatch) -> tuple[str, str, str]:
    """(header, ``value`` or ``pattern``, what) for one header condition."""
    if how.exact is not None:
        return name, "value", how.exact
    if how.regex is not None:
        return name, "pattern", how.regex
    if how.prefix is not None:
        return name, "pattern", f"^{re.escape(how.prefix)}"
    return name, "pattern", f"{re.escape(how.suffix or '')}$"


def _ab_annotations(inp: RouterInput) -> dict[str, str]:
    """The header and cookie keys of ``analysis.match``; rejects what nginx cannot express."""
    keys = _keys(inp.settings)
    cookies: dict[str, None] = {}
    headers: dict[tuple[str, str, str], None] = {}
    for i, match in enumerate(inp.analysis.match or ()):
        for name, how in (match.headers or {}).items():
            if name.lower() != COOKIE:
                headers[_header_rule(name, how)] = None
            elif how.exact is None:
                raise RouterConfigError(
                    f"analysis.match[{i}].headers.{name}: nginx routes by the cookie named by "
                    "'exact' (the canary gets requests whose cookie is 'always')"
                )
            else:
                cookies[how.exact] = None
    if len(headers) > 1 or len(cookies) > 1:
        found = [f"header {h}" for h, _, _ in headers] + [f"cookie {c}" for c in cookies]
        raise RouterConfigError(
            "analysis.match: nginx routes by at most one header and one cookie, found "
            + ", ".join(found)
        )
    if not headers and not cookies:
        raise RouterConfigError("analysis.match: nginx needs a header or cookie condition")
    out = {keys["canary"]: "true"}
    for cookie in cookies:
        out[keys["by-cookie"]] = cookie
    for header, kind, what in headers:
        out[keys["by-header"]] = header
        out[keys[f"by-header-{kind}"]] = what
    return out


def split_annotations(inp: RouterInput, routes: Routes) -> dict[str, str]:
    """Exactly the ``<prefix>/canary*`` keys that route ``routes``."""
    keys = _keys(inp.settings)
    ab = _ab_annotations(inp) if inp.analysis.match else None
    if routes.canary == 0:
        return {keys["canary"]: "true", keys["weight"]: "0"}
    if ab is not None:
        return ab
    return {keys["canary"]: "true", keys["weight"]: str(routes.canary)}


def _canary_spec(inp: RouterInput, found: dict[str, Any]) -> dict[str, Any]:
    spec = source_spec(found)
    services = [
        backend_service(path.get("backend")) for paths in rule_paths(spec) for path in paths
    ]
    services.append(backend_service(spec.get("defaultBackend")))
    renamed = 0
    for service in services:
        if service is not None and service.get("name") == inp.apex:
            service["name"] = inp.canary_name
            renamed += 1
    if not renamed:
        raise RouterConfigError(
            f"spec.ingressRef: backend {inp.apex} not found in Ingress "
            f"{inp.namespace}/{source_name(inp)}"
        )
    return spec


class NginxRouter:
    """Ingress ``<ingressRef.name>-canary`` with ingress-nginx canary annotations."""

    def reads(self, inp: RouterInput) -> list[ObjectRef]:
        return [inp.ref(*source_key(inp)), inp.ref(*canary_key(inp))]

    def render(self, inp: RouterInput, routes: Routes) -> RouterPlan:
        check_weights(routes)
        found = dict(source(inp))
        labels, annotations = copied_metadata(found)
        prefix = canary_prefix(inp.settings)
        annotations = {k: v for k, v in annotations.items() if not k.startswith(prefix)}
        annotations.update(FLUX_OPT_OUT)
        annotations.update(split_annotations(inp, routes))
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
        desired = owned_desired(inp, ingress)
        policy = dataclasses.replace(desired.policy, exclusive_annotation_prefixes=(prefix,))
        return RouterPlan(apply=(Desired(desired.manifest, policy),))

    def read_routes(self, inp: RouterInput) -> Routes:
        found = live_canary(inp)
        where = f"Ingress {inp.namespace}/{canary_key(inp)[2]}"
        annotations = (found.get("metadata") or {}).get("annotations") or {}
        keys = _keys(inp.settings)
        if inp.analysis.match and (
            keys["by-cookie"] in annotations or keys["by-header"] in annotations
        ):
            return Routes(0, 100)
        raw = annotations.get(keys["weight"], "0")
        if not isinstance(raw, str) or not re.fullmatch(r"[0-9]+", raw) or int(raw) > 100:
            raise RoutesError(f"{where}: {keys['weight']} {raw!r} is not a weight 0-100")
        return Routes(100 - int(raw), int(raw))

    def finalize(self, inp: RouterInput) -> RouterPlan:
        return restore_plan(inp, [canary_key(inp)])
