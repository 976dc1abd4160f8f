"""Every provider, through the registry, in every phase: objects validate and read back.

One Canary carries what every router needs (gateway refs, hosts, an ingress and an APISIX
route reference); each scenario renders a split in a phase, validates every object of a kind
with an upstream schema (or a built-in kind) and reads the split back from the rendered
objects taken as live. Providers that cannot mirror read a mirrored split back unmirrored.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from effects.routing import ROUTERS, Routes, router_for
from reducers.patching import merge_patch
from reducers.spec import Canary, Phase, Provider, parse_provider
from tests.routing.conftest import canary, inp, validate_plan

PROVIDERS = [
    "istio",
    "linkerd",
    "osm",
    "smi:v1alpha1:linkerd",
    "smi:v1alpha2:osm",
    "smi:v1alpha3:istio",
    "appmesh",
    "appmesh:v1beta2",
    "contour",
    "gloo",
    "nginx",
    "skipper",
    "traefik",
    "apisix",
    "kuma",
    "gatewayapi:v1",
    "gatewayapi:v1beta1",
    "knative",
    "kubernetes",
]
MIRRORING = {"istio", "gatewayapi:v1", "gatewayapi:v1beta1"}
AB = {"istio", "gatewayapi:v1", "gatewayapi:v1beta1", "appmesh", "appmesh:v1beta2"}
AB |= {"contour", "gloo", "nginx"}
MATCH = [{"headers": {"x-canary": {"exact": "insider"}}}]

SCENARIOS: dict[str, tuple[Phase, Routes, dict[str, Any]]] = {
    "initial": (Phase.INITIALIZING, Routes(100, 0), {}),
    "weight": (Phase.PROGRESSING, Routes(90, 10), {}),
    "half": (Phase.PROGRESSING, Routes(50, 50), {}),
    "ab": (Phase.PROGRESSING, Routes(0, 100), {"iterations": 10, "match": MATCH}),
    "blue-green": (Phase.PROGRESSING, Routes(0, 100), {"iterations": 10}),
    "mirrored": (Phase.PROGRESSING, Routes(100, 0, True), {"iterations": 10, "mirror": True}),
    "promoting": (Phase.PROMOTING, Routes(100, 0), {}),
    "succeeded": (Phase.SUCCEEDED, Routes(100, 0), {}),
}


def _model(provider: str, analysis: dict[str, Any]) -> Canary:
    spec: dict[str, Any] = {
        # a mesh suffix (smi:v1alpha3:istio) is only for the operator's -mesh-provider flag
        "provider": str(parse_provider(provider).provider),
        "service": {
            "port": 9898,
            "hosts": ["app.example.com"],
            "gatewayRefs": [{"name": "public", "namespace": "gateways"}],
        },
        "analysis": {"interval": "1m", "threshold": 5, "maxWeight": 50, "stepWeight": 10},
    }
    spec["analysis"].update(analysis)
    if "iterations" in analysis:
        for key in ("maxWeight", "stepWeight"):
            spec["analysis"].pop(key)
    if provider.startswith("appmesh") and ":" not in provider:
        spec["service"]["meshName"] = "global"
    if provider in ("nginx", "skipper"):
        spec["ingressRef"] = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "name": "app",
        }
    if provider == "apisix":
        spec["routeRef"] = {
            "apiVersion": "apisix.apache.org/v2",
            "kind": "ApisixRoute",
            "name": "app",
        }
    if provider == "knative":
        spec["targetRef"] = {
            "apiVersion": "serving.knative.dev/v1",
            "kind": "Service",
            "name": "podinfo",
        }
        spec.pop("service")
    if provider == "kubernetes":
        spec["analysis"].pop("match", None)
        spec["analysis"].pop("mirror", None)
        spec["analysis"].pop("maxWeight", None)
        spec["analysis"].pop("stepWeight", None)
        spec["analysis"]["iterations"] = 10
    return canary(**spec)


def _user_objects(provider: str) -> list[dict[str, Any]]:
    """What a router derives its objects from, as the user would have it in the cluster."""
    meta = {"name": "app", "namespace": "test"}
    if provider in ("nginx", "skipper"):
        backend = {"service": {"name": "podinfo", "port": {"number": 9898}}}
        path = {"path": "/", "pathType": "Prefix", "backend": backend}
        rule = {"host": "app.example.com", "http": {"paths": [path]}}
        return [
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": meta,
                "spec": {"rules": [rule]},
            }
        ]
    if provider == "apisix":
        http = {
            "name": "rule",
            "match": {"paths": ["/*"]},
            "backends": [{"serviceName": "podinfo", "servicePort": 9898}],
        }
        return [
            {
                "apiVersion": "apisix.apache.org/v2",
                "kind": "ApisixRoute",
                "metadata": meta,
                "spec": {"http": [http]},
            }
        ]
    if provider == "knative":
        return [
            {
                "apiVersion": "serving.knative.dev/v1",
                "kind": "Service",
                "metadata": {"name": "podinfo", "namespace": "test"},
                "spec": {"template": {"spec": {"containers": [{"image": "podinfo:2"}]}}},
                "status": {
                    "latestCreatedRevisionName": "podinfo-00002",
                    "latestReadyRevisionName": "podinfo-00002",
                },
            }
        ]
    return [{
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"selector": {"matchLabels": {"app": "podinfo"}},
                 "template": {"metadata": {"labels": {"app": "podinfo"}}}},
    }]  # fmt: skip


def _as_live(obj: dict[str, Any]) -> dict[str, Any]:
    """What the cluster would report: the controllers' status for the objects Roost wrote."""
    live = copy.deepcopy(obj)
    if live["kind"] == "HTTPRoute":
        generation = 1
        live["metadata"]["generation"] = generation
        parents = [
            {
                "parentRef": ref,
                "controllerName": "example.com/gateway",
                "conditions": [
                    {"type": "Accepted", "status": "True", "observedGeneration": generation}
                ],
            }
            for ref in live["spec"].get("parentRefs", [])
        ]
        live["status"] = {"parents": parents}
    if live["apiVersion"].startswith("serving.knative.dev") and "traffic" in live.get("spec", {}):
        live.setdefault("status", {})["traffic"] = copy.deepcopy(live["spec"]["traffic"])
    return live


def test_every_provider_has_a_router() -> None:
    assert {p.value for p in Provider} <= {p.value for p in ROUTERS}
    for text in PROVIDERS:
        assert router_for(parse_provider(text)) is ROUTERS[parse_provider(text).provider]


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("provider", PROVIDERS)
def test_render_validate_and_read_back(provider: str, scenario: str) -> None:
    phase, routes, analysis = SCENARIOS[scenario]
    if scenario == "ab" and provider not in AB:
        analysis = {"iterations": 10}
    model = _model(provider, analysis)
    router = router_for(parse_provider(provider))
    users = _user_objects(provider)
    given = inp(model, provider, users, phase=phase)
    plan = router.render(given, routes)
    validate_plan(plan)
    live = {(o["apiVersion"], o["kind"], o["metadata"]["name"]): o for o in users}
    for manifest in plan.manifests:
        live[(manifest["apiVersion"], manifest["kind"], manifest["metadata"]["name"])] = manifest
    for patch in plan.patches:
        key = (patch.ref.api_version, patch.ref.kind, patch.ref.name)
        live[key] = merge_patch(live[key], patch.patch)
    after = inp(model, provider, [_as_live(o) for o in live.values()], phase=phase)
    expected = routes if provider in MIRRORING else Routes(routes.primary, routes.canary)
    if provider == "kubernetes":
        expected = Routes(100, 0)  # read from the status, which this Canary does not have
    assert router.read_routes(after) == expected
