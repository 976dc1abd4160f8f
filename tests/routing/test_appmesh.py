"""The App Mesh routers (v1beta2 and v1beta1): exact object shapes (no upstream schema exists),
A/B routes, live fields kept, round trips, take-over, errors, and the API double."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from effects.applying import Applier, ApplyPolicy
from effects.kubeapi import KubeApi, ObjectRef
from effects.routing import RouterConfigError, Routes, RoutesError
from effects.routing.appmesh import V1BETA1, V1BETA2, AppMeshRouter
from effects.routing.base import ORIGINAL_CONFIGURATION, RouterPlan
from effects.workloads.metadata import FLUX_OPT_OUT
from reducers.events import EffectResult
from reducers.spec import Canary
from tests.effects.conftest import deployment
from tests.fixtures.apiserver import ApiServerHandle
from tests.routing.conftest import canary, inp

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
V2 = AppMeshRouter(V1BETA2)
V1 = AppMeshRouter(V1BETA1)
TARGET = deployment()
MESH = {"port": 9898, "meshName": "global"}
AB = {
    "interval": "1m",
    "threshold": 5,
    "iterations": 10,
    "match": [{"headers": {"x-canary": {"exact": "insider"}, "ua": {"suffix": "Firefox"}}}],
}


def _objects(plan: RouterPlan) -> dict[tuple[str, str], dict[str, Any]]:
    return {(m["kind"], m["metadata"]["name"]): m for m in plan.manifests}


def _targets(primary: int, canary_weight: int) -> list[dict[str, Any]]:
    return [
        {"virtualNodeRef": {"name": "podinfo-canary"}, "weight": canary_weight},
        {"virtualNodeRef": {"name": "podinfo-primary"}, "weight": primary},
    ]


def _round_trip(router: AppMeshRouter, provider: str, model: Canary, routes: Routes) -> Routes:
    plan = router.render(inp(model, provider, [TARGET]), routes)
    return router.read_routes(inp(model, provider, plan.manifests))


def test_v1beta2_objects() -> None:
    model = canary(
        service={
            "port": 9898,
            "targetPort": 8080,
            "portName": "grpc-web",
            "timeout": "30s",
            "retries": {"attempts": 3, "perTryTimeout": "5s", "retryOn": "gateway-error,5xx"},
            "backends": ["backend1", "arn:aws:appmesh:eu-west-1:1:mesh/m/virtualService/b2"],
            "hosts": ["app.example.com", "www.example.com"],
            "match": [{"uri": {"prefix": "/api"}}],
            "apex": {"labels": {"team": "a"}},
        },
    )
    annotated = model.model_copy(
        update={
            "metadata": model.metadata.model_copy(
                update={"annotations": {"appmesh.flagger.app/accesslog": "enabled"}}
            )
        }
    )
    plan = V2.render(inp(annotated, "appmesh:v1beta2", [TARGET]), Routes(80, 20))
    objects = _objects(plan)
    assert set(objects) == {
        ("VirtualNode", "podinfo-primary"),
        ("VirtualNode", "podinfo-canary"),
        ("VirtualRouter", "podinfo"),
        ("VirtualRouter", "podinfo-canary"),
        ("VirtualService", "podinfo"),
        ("VirtualService", "podinfo-canary"),
    }
    assert all(m["apiVersion"] == "appmesh.k8s.aws/v1beta2" for m in plan.manifests)
    listener = {"portMapping": {"port": 8080, "protocol": "grpc"}}
    node = objects[("VirtualNode", "podinfo-primary")]
    assert node["metadata"]["labels"] == {"team": "a"}
    assert node["metadata"]["annotations"] == FLUX_OPT_OUT
    assert node["spec"] == {
        "listeners": [
            {**listener, "timeout": {"http": {"perRequest": {"unit": "ms", "value": 30000}}}}
        ],
        "serviceDiscovery": {"dns": {"hostname": "podinfo-primary.test.svc.cluster.local."}},
        "podSelector": {"matchLabels": {"app": "podinfo-primary"}},
        "backends": [
            {"virtualService": {"virtualServiceRef": {"name": "backend1"}}},
            {
                "virtualService": {
                    "virtualServiceARN": "arn:aws:appmesh:eu-west-1:1:mesh/m/virtualService/b2"
                }
            },
        ],
        "logging": {"accessLog": {"file": {"path": "/dev/stdout"}}},
    }
    canary_node = objects[("VirtualNode", "podinfo-canary")]["spec"]
    assert canary_node["podSelector"] == {"matchLabels": {"app": "podinfo"}}
    route_body = {
        "match": {"prefix": "/api"},
        "timeout": {"perRequest": {"unit": "ms", "value": 30000}},
        "retryPolicy": {
            "perRetryTimeout": {"unit": "ms", "value": 5000},
            "maxRetries": 3,
            "httpRetryEvents": ["gateway-error", "5xx"],
        },
    }
    apex_router = objects[("VirtualRouter", "podinfo")]
    assert set(apex_router["metadata"]) == {"name", "namespace", "ownerReferences"}
    assert apex_router["spec"] == {
        "listeners": [listener],
        "routes": [
            {
                "name": "podinfo",
                "httpRoute": {**route_body, "action": {"weightedTargets": _targets(80, 20)}},
            }
        ],
    }
    canary_router = objects[("VirtualRouter", "podinfo-canary")]["spec"]["routes"][0]
    assert canary_router["name"] == "podinfo-canary"
    assert canary_router["httpRoute"]["action"]["weightedTargets"] == _targets(0, 100)
    apex_service = objects[("VirtualService", "podinfo")]
    assert apex_service["metadata"]["annotations"] == {
        "gateway.appmesh.k8s.aws/expose": "true",
        "gateway.appmesh.k8s.aws/domain": "app.example.com,www.example.com,",
        "gateway.appmesh.k8s.aws/timeout": "30s",
        "gateway.appmesh.k8s.aws/retries": "3",
    }
    assert apex_service["spec"] == {
        "provider": {"virtualRouter": {"virtualRouterRef": {"name": "podinfo"}}}
    }
    assert "annotations" not in objects[("VirtualService", "podinfo-canary")]["metadata"]
    policies = {(d.manifest["kind"], d.manifest["metadata"]["name"]): d.policy for d in plan.apply}
    assert policies[("VirtualService", "podinfo")] == ApplyPolicy(create_only=True)
    assert policies[("VirtualRouter", "podinfo")] == ApplyPolicy(replace=("spec",))


def test_v1beta2_defaults_without_timeout_retries_or_backends() -> None:
    objects = _objects(V2.render(inp(canary(), "appmesh:v1beta2", [TARGET]), Routes(100, 0)))
    node = objects[("VirtualNode", "podinfo-canary")]["spec"]
    assert node["listeners"] == [{"portMapping": {"port": 9898, "protocol": "http"}}]
    assert "backends" not in node and "logging" not in node
    route = objects[("VirtualRouter", "podinfo")]["spec"]["routes"][0]
    assert route == {
        "name": "podinfo",
        "httpRoute": {"match": {"prefix": "/"}, "action": {"weightedTargets": _targets(100, 0)}},
    }
    retry = canary(service={"port": 9898, "retries": {"perTryTimeout": "bad"}})
    policy = _objects(V2.render(inp(retry, "appmesh:v1beta2", [TARGET]), Routes()))[
        ("VirtualRouter", "podinfo")
    ]["spec"]["routes"][0]["httpRoute"]["retryPolicy"]
    assert policy == {
        "perRetryTimeout": {"unit": "ms", "value": 250},
        "maxRetries": 1,
        "httpRetryEvents": ["gateway-error"],
    }


def test_v1beta2_ab_routes() -> None:
    model = canary(analysis=AB)
    objects = _objects(V2.render(inp(model, "appmesh:v1beta2", [TARGET]), Routes(0, 100)))
    routes = objects[("VirtualRouter", "podinfo")]["spec"]["routes"]
    assert routes == [
        {
            "name": "podinfo-a",
            "priority": 10,
            "httpRoute": {
                "match": {
                    "prefix": "/",
                    "headers": [
                        {"name": "x-canary", "match": {"exact": "insider"}},
                        {"name": "ua", "match": {"suffix": "Firefox"}},
                    ],
                },
                "action": {"weightedTargets": _targets(0, 100)},
            },
        },
        {
            "name": "podinfo-b",
            "priority": 20,
            "httpRoute": {
                "match": {"prefix": "/"},
                "action": {"weightedTargets": [{"virtualNodeRef": {"name": "podinfo-primary"}, "weight": 100}]},  # noqa: E501
            },
        },
    ]  # fmt: skip
    canary_routes = objects[("VirtualRouter", "podinfo-canary")]["spec"]["routes"]
    assert [r["name"] for r in canary_routes] == ["podinfo-canary"]
    assert _round_trip(V2, "appmesh:v1beta2", model, Routes(0, 100)) == Routes(0, 100)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 100))
def test_read_routes_gives_back_what_render_set(canary_weight: int) -> None:
    routes = Routes(100 - canary_weight, canary_weight)
    assert _round_trip(V2, "appmesh:v1beta2", canary(), routes) == routes
    assert _round_trip(V1, "appmesh", canary(service=MESH), routes) == routes


def test_live_aws_name_and_mesh_ref_are_kept() -> None:
    kept = {"awsName": "podinfo_test", "meshRef": {"name": "global", "uid": "m-1"}}
    live = [
        {
            "apiVersion": V1BETA2,
            "kind": kind,
            "metadata": {
                "name": name,
                "namespace": "test",
                "ownerReferences": [{"kind": "Canary", "name": "podinfo", "controller": True}],
            },
            "spec": {**kept, "listeners": []},
        }
        for kind, name in (("VirtualRouter", "podinfo"), ("VirtualNode", "podinfo-primary"))
    ]
    objects = _objects(V2.render(inp(canary(), "appmesh:v1beta2", [TARGET, *live]), Routes()))
    for key in (("VirtualRouter", "podinfo"), ("VirtualNode", "podinfo-primary")):
        assert {k: objects[key]["spec"][k] for k in kept} == kept
        assert "ownerReferences" in objects[key]["metadata"]
    assert "awsName" not in objects[("VirtualRouter", "podinfo-canary")]["spec"]


def test_a_foreign_virtual_router_is_taken_over_and_restored() -> None:
    user = {
        "apiVersion": V1BETA2,
        "kind": "VirtualRouter",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"listeners": [{"portMapping": {"port": 80, "protocol": "http"}}]},
    }
    plan = V2.render(inp(canary(), "appmesh:v1beta2", [TARGET, user]), Routes())
    router = _objects(plan)[("VirtualRouter", "podinfo")]
    assert "ownerReferences" not in router["metadata"]
    original = json.loads(router["metadata"]["annotations"][ORIGINAL_CONFIGURATION])
    assert original == {"spec": user["spec"]}
    restored = V2.finalize(inp(canary(), "appmesh:v1beta2", [router]))
    assert [d.manifest["spec"] for d in restored.apply] == [user["spec"]]


def test_v1beta1_objects() -> None:
    model = canary(
        service={
            **MESH,
            "backends": ["backend.test"],
            "hosts": ["app.example.com"],
            "retries": {"attempts": 2},
        },
        analysis=AB,
    )
    plan = V1.render(inp(model, "appmesh"), Routes(0, 100))
    objects = _objects(plan)
    assert set(objects) == {
        ("VirtualNode", "podinfo"),
        ("VirtualNode", "podinfo-primary"),
        ("VirtualNode", "podinfo-canary"),
        ("VirtualService", "podinfo.test"),
        ("VirtualService", "podinfo-canary.test"),
    }
    assert all(m["apiVersion"] == "appmesh.k8s.aws/v1beta1" for m in plan.manifests)
    listener = {"portMapping": {"port": 9898, "protocol": "http"}}
    assert objects[("VirtualNode", "podinfo")]["spec"] == {
        "meshName": "global",
        "listeners": [listener],
        "serviceDiscovery": {"dns": {"hostName": "podinfo-primary.test"}},
        "backends": [{"virtualService": {"virtualServiceName": "backend.test"}}],
    }
    node = objects[("VirtualNode", "podinfo-canary")]["spec"]
    assert node["serviceDiscovery"] == {"dns": {"hostName": "podinfo-canary.test"}}
    retry = {"perRetryTimeoutMillis": 250, "maxRetries": 2, "httpRetryEvents": ["gateway-error"]}
    apex = objects[("VirtualService", "podinfo.test")]
    assert apex["metadata"]["annotations"] == {
        "gateway.appmesh.k8s.aws/expose": "true",
        "gateway.appmesh.k8s.aws/domain": "app.example.com,",
        "gateway.appmesh.k8s.aws/retries": "2",
    }
    assert apex["spec"] == {
        "meshName": "global",
        "virtualRouter": {"name": "podinfo", "listeners": [listener]},
        "routes": [
            {
                "name": "podinfo-a",
                "priority": 10,
                "http": {
                    "match": {
                        "prefix": "/",
                        "headers": [
                            {"name": "x-canary", "match": {"exact": "insider"}},
                            {"name": "ua", "match": {"suffix": "Firefox"}},
                        ],
                    },
                    "retryPolicy": retry,
                    "action": {
                        "weightedTargets": [
                            {"virtualNodeName": "podinfo-canary", "weight": 100},
                            {"virtualNodeName": "podinfo-primary", "weight": 0},
                        ]
                    },
                },
            },
            {
                "name": "podinfo-b",
                "priority": 20,
                "http": {
                    "match": {"prefix": "/"},
                    "retryPolicy": retry,
                    "action": {
                        "weightedTargets": [{"virtualNodeName": "podinfo-primary", "weight": 100}]
                    },
                },
            },
        ],
    }
    canary_vs = objects[("VirtualService", "podinfo-canary.test")]["spec"]
    assert canary_vs["virtualRouter"]["name"] == "podinfo-canary"
    assert [r["name"] for r in canary_vs["routes"]] == ["podinfo-canary"]
    assert all(d.policy == ApplyPolicy(replace=("spec",)) for d in plan.apply)


def test_v1beta1_needs_a_mesh_name() -> None:
    with pytest.raises(RouterConfigError, match=r"spec.service.meshName"):
        V1.render(inp(canary(), "appmesh"), Routes())


def test_v1beta2_needs_a_way_to_select_pods() -> None:
    with pytest.raises(RouterConfigError, match=r"needs Service podinfo-primary"):
        V2.render(inp(canary(), "appmesh:v1beta2"), Routes())


def test_reads() -> None:
    refs = V2.reads(inp(canary(), "appmesh:v1beta2"))
    assert ObjectRef(V1BETA2, "VirtualRouter", "test", "podinfo") in refs
    assert ObjectRef("v1", "Service", "test", "podinfo-primary") in refs
    assert len(refs) == 9
    assert ObjectRef(V1BETA1, "VirtualService", "test", "podinfo.test") in V1.reads(
        inp(canary(service=MESH), "appmesh")
    )


def _router(routes: list[dict[str, Any]]) -> dict[str, Any]:
    meta = {"name": "podinfo", "namespace": "test"}
    return {
        "apiVersion": V1BETA2,
        "kind": "VirtualRouter",
        "metadata": meta,
        "spec": {"routes": routes},
    }


@pytest.mark.parametrize(
    ("live", "message"),
    [
        ([], r"VirtualRouter test/podinfo not found"),
        ([_router([])], r"exactly two weighted targets, found 0"),
        (
            [_router([{"httpRoute": {"action": {"weightedTargets": _targets(0, 0)}}}])],
            r"does not contain routes",
        ),
    ],
)
def test_unreadable_routers_are_errors(live: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(RoutesError, match=message):
        V2.read_routes(inp(canary(), "appmesh:v1beta2", live))


@pytest.mark.parametrize(
    ("router", "provider", "model"),
    [(V2, "appmesh:v1beta2", canary()), (V1, "appmesh", canary(service=MESH))],
    ids=["v1beta2", "v1beta1"],
)
def test_applied_and_read_back_through_the_api(
    apiserver: ApiServerHandle, router: AppMeshRouter, provider: str, model: Canary
) -> None:
    applier = Applier(apiserver.api_client())
    api = KubeApi(apiserver.api_client())
    first = router.render(inp(model, provider, [TARGET]), Routes(100, 0))
    for d in first.apply:
        assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.APPLIED
    for d in first.apply:
        assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.UNCHANGED
    live = [o for o in (api.get(ObjectRef.of(d.manifest)) for d in first.apply) if o]
    assert len(live) == len(first.apply)
    second = router.render(inp(model, provider, [TARGET, *live]), Routes(40, 60))
    for d in second.apply:
        applier.apply(d.manifest, at=AT, policy=d.policy)
    read = [o for o in (api.get(ObjectRef.of(d.manifest)) for d in second.apply) if o]
    assert router.read_routes(inp(model, provider, read)) == Routes(40, 60)
