"""``appmesh`` (``appmesh.k8s.aws/v1beta1``) and ``appmesh:v1beta2``: AWS App Mesh (§3.3).

v1beta2 objects: VirtualNodes ``<apex>-primary`` / ``<apex>-canary``, VirtualRouters ``<apex>``
(the split) and ``<apex>-canary`` (all to the canary), and VirtualServices of the same two names
pointing at them. v1beta1 has no VirtualRouter kind: its VirtualServices ``<apex>.<ns>`` and
``<apex>-canary.<ns>`` carry the router and the routes, and a third VirtualNode ``<apex>``
resolves to the primary.

Choices (flagger-objects §3.3):

* Flagger's Reconcile keeps the live ``routes[0]`` action (the weights) when it rewrites a router,
  because Reconcile does not know the split and a later SetRoutes sets it. Roost's render is both
  in one and is always told the split, so it writes the weights it is asked for; keeping the live
  action would only matter to a caller that renders a split it does not mean.
* ``awsName`` and ``meshRef`` are filled in by the App Mesh controller's webhook; a router or
  node spec is replaced whole (``replace=("spec",)``), so both are carried over from the live
  object or the patch would remove them.
* v1beta2 VirtualServices are create-only (Flagger never updates them). Flagger creates them
  only together with a new VirtualRouter; Roost also recreates one that went missing.
* The pod selector of a VirtualNode is what the primary / canary Service selects
  (:mod:`effects.routing.podselectors`). Flagger writes ``<label>: <targetRef.name>[-primary]``,
  which selects no pod when the target's label value differs from its name (QUIRK fixed); the
  objects are the same in the common case where they agree.
* Mirroring is not expressible: a mirrored split is rendered as its weights, read back unmirrored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from effects.applying import ApplyPolicy
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
    both_zero,
    check_weights,
    owned_desired,
    plain_metadata,
    restore_plan,
)
from effects.routing.podselectors import service_refs, service_selector
from reducers.spec.durations import parse_go_duration
from reducers.spec.errors import DurationError

GROUP = "appmesh.k8s.aws"
V1BETA1 = f"{GROUP}/v1beta1"
V1BETA2 = f"{GROUP}/v1beta2"
ACCESS_LOG = "appmesh.flagger.app/accesslog"
"""Canary annotation that turns on the VirtualNodes' stdout access log (value ``enabled``)."""
_GATEWAY = "gateway.appmesh.k8s.aws"
_A_PRIORITY, _B_PRIORITY = 10, 20
_DEFAULT_PER_RETRY_MS = 250
_DNS_SUFFIX = "svc.cluster.local."
_LIVE_KEPT = ("awsName", "meshRef")


def _millis(text: str | None) -> int | None:
    """A Go duration in whole milliseconds; ``None`` when absent or unreadable (as Flagger)."""
    if not text:
        return None
    try:
        return parse_go_duration(text) // timedelta(milliseconds=1)
    except DurationError:
        return None


def _protocol(inp: RouterInput) -> str:
    return "grpc" if "grpc" in inp.service.effective_port_name() else "http"


def _prefix(inp: RouterInput) -> str:
    """``service.match[0].uri.prefix`` or ``/`` (App Mesh routes only match on a URI prefix)."""
    first = (inp.service.match or ({},))[0]
    uri = first.get("uri")
    prefix = uri.get("prefix") if isinstance(uri, dict) else None
    return prefix if isinstance(prefix, str) and prefix else "/"


def _headers(inp: RouterInput) -> list[dict[str, Any]]:
    """One App Mesh header match per ``analysis.match`` header, its one operator kept."""
    headers: list[dict[str, Any]] = []
    for match in inp.analysis.match or ():
        for name, how in (match.headers or {}).items():
            given = how.model_dump(exclude_none=True)
            headers.append({"name": name, "match": given})
    return headers


def _gateway_annotations(inp: RouterInput) -> dict[str, str]:
    service = inp.service
    if not service.hosts:
        return {}
    found = {
        f"{_GATEWAY}/expose": "true",
        f"{_GATEWAY}/domain": "".join(f"{host}," for host in service.hosts),
    }
    if service.timeout:
        found[f"{_GATEWAY}/timeout"] = service.timeout
    attempts = service.retries.attempts if service.retries else None
    if attempts and attempts > 0:
        found[f"{_GATEWAY}/retries"] = str(attempts)
    return found


def _retry_parts(inp: RouterInput) -> tuple[int, int, list[str]] | None:
    """(per-retry ms, max retries, retry events) when ``service.retries`` is set."""
    retries = inp.service.retries
    if retries is None:
        return None
    per_try = _millis(retries.per_try_timeout)
    events = retries.retry_on.split(",") if retries.retry_on else ["gateway-error"]
    return (
        _DEFAULT_PER_RETRY_MS if per_try is None else per_try,
        retries.attempts if retries.attempts and retries.attempts > 0 else 1,
        events,
    )


def _with_live(inp: RouterInput, manifest: dict[str, Any]) -> Desired:
    """Carry the webhook-defaulted spec fields over and take a foreign object over."""
    live = inp.get(manifest["apiVersion"], manifest["kind"], manifest["metadata"]["name"])
    live_spec = (live or {}).get("spec") or {}
    for key in _LIVE_KEPT:
        if key in live_spec:
            manifest["spec"][key] = live_spec[key]
    return owned_desired(inp, manifest)


@dataclass(frozen=True)
class AppMeshRouter:
    """App Mesh at one API version: :data:`V1BETA1` (``appmesh``) or :data:`V1BETA2`."""

    api_version: str = V1BETA2

    # ---------------------------------------------------------------- names

    def _split_name(self, inp: RouterInput) -> str:
        """The object whose ``routes[0]`` holds the split."""
        return f"{inp.apex}.{inp.namespace}" if self._v1beta1 else inp.apex

    @property
    def _v1beta1(self) -> bool:
        return self.api_version == V1BETA1

    @property
    def _split_kind(self) -> str:
        return "VirtualService" if self._v1beta1 else "VirtualRouter"

    def _keys(self, inp: RouterInput) -> list[LiveKey]:
        v = self.api_version
        if self._v1beta1:
            nodes = [inp.apex, inp.primary_name, inp.canary_name]
            services = [f"{inp.apex}.{inp.namespace}", f"{inp.canary_name}.{inp.namespace}"]
            return [(v, "VirtualNode", n) for n in nodes] + [
                (v, "VirtualService", s) for s in services
            ]
        pair = [inp.primary_name, inp.canary_name]
        routers = [inp.apex, inp.canary_name]
        return (
            [(v, "VirtualNode", n) for n in pair]
            + [(v, "VirtualRouter", r) for r in routers]
            + [(v, "VirtualService", r) for r in routers]
        )

    # ---------------------------------------------------------------- Router

    def reads(self, inp: RouterInput) -> list[ObjectRef]:
        own = [inp.ref(*key) for key in self._keys(inp)]
        return own if self._v1beta1 else [*own, *service_refs(inp)]

    def render(self, inp: RouterInput, routes: Routes) -> RouterPlan:
        check_weights(routes)
        if self._v1beta1:
            return self._render_v1beta1(inp, routes)
        return self._render_v1beta2(inp, routes)

    def read_routes(self, inp: RouterInput) -> Routes:
        name = self._split_name(inp)
        found = inp.get(self.api_version, self._split_kind, name)
        if found is None:
            raise RoutesError(f"{self._split_kind} {inp.namespace}/{name} not found")
        route_key, node_key = ("http", "virtualNodeName") if self._v1beta1 else ("httpRoute", "")
        rules = (found.get("spec") or {}).get("routes") or []
        targets = (((rules[0].get(route_key) or {}) if rules else {}).get("action") or {}).get(
            "weightedTargets"
        ) or []
        if len(targets) != 2:
            raise RoutesError(
                f"{self._split_kind} {inp.namespace}/{name}: routes[0] needs exactly two "
                f"weighted targets, found {len(targets)}"
            )
        weights: dict[str, int] = {}
        for target in targets:
            node = (
                target.get(node_key)
                if node_key
                else (target.get("virtualNodeRef") or {}).get("name")
            )
            weights[str(node)] = int(target.get("weight") or 0)
        primary, canary = weights.get(inp.primary_name), weights.get(inp.canary_name)
        both_zero(f"{self._split_kind} {inp.namespace}/{name}", primary, canary)
        return Routes(primary or 0, canary or 0)

    def finalize(self, inp: RouterInput) -> RouterPlan:
        return restore_plan(inp, self._keys(inp))

    # ---------------------------------------------------------------- shapes

    def _backends(self, inp: RouterInput) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for backend in inp.service.backends or ():
            if self._v1beta1:
                out.append({"virtualService": {"virtualServiceName": backend}})
            elif backend.startswith("arn:aws"):
                out.append({"virtualService": {"virtualServiceARN": backend}})
            else:
                out.append({"virtualService": {"virtualServiceRef": {"name": backend}}})
        return out

    def _node_extras(self, inp: RouterInput, spec: dict[str, Any]) -> dict[str, Any]:
        backends = self._backends(inp)
        if backends:
            spec["backends"] = backends
        annotations = inp.canary.metadata.annotations or {}
        if annotations.get(ACCESS_LOG) == "enabled":
            spec["logging"] = {"accessLog": {"file": {"path": "/dev/stdout"}}}
        return spec

    def _node(self, inp: RouterInput, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        return {
            "apiVersion": self.api_version,
            "kind": "VirtualNode",
            "metadata": apex_metadata(inp, name),
            "spec": self._node_extras(inp, spec),
        }

    def _targets(self, inp: RouterInput, primary: int, canary: int) -> list[dict[str, Any]]:
        pairs = [(inp.canary_name, canary), (inp.primary_name, primary)]
        if self._v1beta1:
            return [{"virtualNodeName": n, "weight": w} for n, w in pairs]
        return [{"virtualNodeRef": {"name": n}, "weight": w} for n, w in pairs]

    def _route_body(self, inp: RouterInput, headers: list[dict[str, Any]]) -> dict[str, Any]:
        """Match, timeout and retry policy of one route (the action is added by the caller)."""
        match: dict[str, Any] = {"prefix": _prefix(inp)}
        if headers:
            match["headers"] = headers
        body: dict[str, Any] = {"match": match}
        timeout = _millis(inp.service.timeout)
        if timeout is not None and not self._v1beta1:
            body["timeout"] = {"perRequest": {"unit": "ms", "value": timeout}}
        retry = _retry_parts(inp)
        if retry is not None:
            per_try, attempts, events = retry
            if self._v1beta1:
                body["retryPolicy"] = {
                    "perRetryTimeoutMillis": per_try,
                    "maxRetries": attempts,
                    "httpRetryEvents": events,
                }
            else:
                body["retryPolicy"] = {
                    "perRetryTimeout": {"unit": "ms", "value": per_try},
                    "maxRetries": attempts,
                    "httpRetryEvents": events,
                }
        return body

    def _routes(self, inp: RouterInput, name: str, routes: Routes) -> list[dict[str, Any]]:
        """The routes of the router named ``name`` (the apex one splits, the canary one not)."""
        key = "http" if self._v1beta1 else "httpRoute"
        weighted = {"weightedTargets": self._targets(inp, routes.primary, routes.canary)}
        if name != inp.apex or not inp.analysis.match:
            body = {**self._route_body(inp, []), "action": weighted}
            return [{"name": name, key: body}]
        primary_only = {"weightedTargets": self._targets(inp, 100, 0)[1:]}
        return [
            {
                "name": f"{inp.apex}-a",
                "priority": _A_PRIORITY,
                key: {**self._route_body(inp, _headers(inp)), "action": weighted},
            },
            {
                "name": f"{inp.apex}-b",
                "priority": _B_PRIORITY,
                key: {**self._route_body(inp, []), "action": primary_only},
            },
        ]

    def _listener(self, inp: RouterInput, *, port: int) -> dict[str, Any]:
        return {"portMapping": {"port": port, "protocol": _protocol(inp)}}

    def _container_port(self, inp: RouterInput) -> int:
        target_port = inp.service.target_port
        return target_port if isinstance(target_port, int) and target_port > 0 else inp.service.port

    # ---------------------------------------------------------------- v1beta2

    def _render_v1beta2(self, inp: RouterInput, routes: Routes) -> RouterPlan:
        port = self._container_port(inp)
        listener = self._listener(inp, port=port)
        timeout = _millis(inp.service.timeout)
        if timeout is not None:
            listener["timeout"] = {"http": {"perRequest": {"unit": "ms", "value": timeout}}}
        apply: list[Desired] = []
        for name, primary in ((inp.primary_name, True), (inp.canary_name, False)):
            spec = {
                "listeners": [listener],
                "serviceDiscovery": {"dns": {"hostname": f"{name}.{inp.namespace}.{_DNS_SUFFIX}"}},
                "podSelector": {"matchLabels": service_selector(inp, primary=primary)},
            }
            apply.append(_with_live(inp, self._node(inp, name, spec)))
        gateway = _gateway_annotations(inp)
        for name, split in ((inp.apex, routes), (inp.canary_name, Routes(0, 100))):
            router = {
                "apiVersion": self.api_version,
                "kind": "VirtualRouter",
                "metadata": plain_metadata(inp, name),
                "spec": {
                    "listeners": [self._listener(inp, port=port)],
                    "routes": self._routes(inp, name, split),
                },
            }
            apply.append(_with_live(inp, router))
            service_meta = plain_metadata(inp, name)
            if name == inp.apex and gateway:
                service_meta["annotations"] = dict(gateway)
            service = {
                "apiVersion": self.api_version,
                "kind": "VirtualService",
                "metadata": service_meta,
                "spec": {"provider": {"virtualRouter": {"virtualRouterRef": {"name": name}}}},
            }
            apply.append(Desired(service, ApplyPolicy(create_only=True)))
        return RouterPlan(apply=tuple(apply))

    # ---------------------------------------------------------------- v1beta1

    def _render_v1beta1(self, inp: RouterInput, routes: Routes) -> RouterPlan:
        mesh = inp.service.mesh_name
        if not mesh:
            raise RouterConfigError(f"provider {inp.provider} needs spec.service.meshName")
        listener = self._listener(inp, port=inp.service.port)
        primary_host = f"{inp.primary_name}.{inp.namespace}"
        nodes = (
            (inp.apex, primary_host),
            (inp.primary_name, primary_host),
            (inp.canary_name, f"{inp.canary_name}.{inp.namespace}"),
        )
        apply: list[Desired] = []
        for name, host in nodes:
            spec = {
                "meshName": mesh,
                "listeners": [listener],
                "serviceDiscovery": {"dns": {"hostName": host}},
            }
            apply.append(owned_desired(inp, self._node(inp, name, spec)))
        gateway = _gateway_annotations(inp)
        for router, split in ((inp.apex, routes), (inp.canary_name, Routes(0, 100))):
            meta = plain_metadata(inp, f"{router}.{inp.namespace}")
            if router == inp.apex and gateway:
                meta["annotations"] = dict(gateway)
            service = {
                "apiVersion": self.api_version,
                "kind": "VirtualService",
                "metadata": meta,
                "spec": {
                    "meshName": mesh,
                    "virtualRouter": {"name": router, "listeners": [listener]},
                    "routes": self._routes(inp, router, split),
                },
            }
            apply.append(owned_desired(inp, service))
        return RouterPlan(apply=tuple(apply))
