"""The ``gloo`` router: Upstreams and RouteTable shapes against the upstream CRD schemas, the
pod selector rule, ``upstreamRef`` copies, round trips, take-over, errors, and the API double."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from effects.applying import Applier
from effects.kubeapi import KubeApi, ObjectRef
from effects.routing import RouterConfigError, Routes, RoutesError
from effects.routing.base import ORIGINAL_CONFIGURATION
from effects.routing.gloo import GlooRouter
from effects.workloads.metadata import FLUX_OPT_OUT
from reducers.events import EffectResult
from reducers.spec import Canary
from tests.effects.conftest import deployment
from tests.fixtures.apiserver import ApiServerHandle
from tests.routing.conftest import canary, inp, validate_plan

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ROUTER = GlooRouter()
PRIMARY_US = "test-podinfo-primaryupstream-9898"
CANARY_US = "test-podinfo-canaryupstream-9898"
TARGET = deployment(selector={"app": "podinfo-app"})


def _service(name: str, selector: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "test"},
        "spec": {"selector": selector, "ports": [{"port": 9898}]},
    }


def _by_name(manifests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in manifests}


def _render(model: Canary, routes: Routes, live: list[dict[str, Any]] | None = None) -> Any:
    plan = ROUTER.render(inp(model, "gloo", [TARGET, *(live or [])]), routes)
    assert validate_plan(plan) == 3
    assert all(d.policy.replace == ("spec",) for d in plan.apply)
    return plan


def _round_trip(model: Canary, routes: Routes) -> Routes:
    plan = ROUTER.render(inp(model, "gloo", [TARGET]), routes)
    return ROUTER.read_routes(inp(model, "gloo", plan.manifests))


def _dest(name: str, weight: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"destination": {"upstream": {"name": name, "namespace": "test"}}}
    if weight:
        entry["weight"] = weight
    return entry


def test_initial_objects() -> None:
    objects = _by_name(_render(canary(), Routes(100, 0)).manifests)
    assert set(objects) == {PRIMARY_US, CANARY_US, "podinfo"}
    primary = objects[PRIMARY_US]
    assert primary["apiVersion"] == "gloo.solo.io/v1"
    assert set(primary["metadata"]) == {"name", "namespace", "ownerReferences"}
    assert primary["spec"] == {
        "kube": {
            "serviceName": "podinfo-primary",
            "serviceNamespace": "test",
            "servicePort": 9898,
            "selector": {"app": "podinfo-app-primary"},
        }
    }
    assert objects[CANARY_US]["spec"]["kube"]["selector"] == {"app": "podinfo-app"}
    table = objects["podinfo"]
    assert table["apiVersion"] == "gateway.solo.io/v1"
    assert table["metadata"]["annotations"] == FLUX_OPT_OUT
    assert table["spec"] == {
        "routes": [
            {
                "inheritablePathMatchers": True,
                "routeAction": {
                    "multi": {"destinations": [_dest(PRIMARY_US, 100), _dest(CANARY_US, 0)]}
                },
            }
        ]
    }


def test_the_live_services_selectors_win() -> None:
    live = [
        _service("podinfo-primary", {"name": "p"}),
        _service("podinfo-canary", {"name": "c"}),
    ]
    objects = _by_name(_render(canary(), Routes(100, 0), live).manifests)
    assert objects[PRIMARY_US]["spec"]["kube"]["selector"] == {"name": "p"}
    assert objects[CANARY_US]["spec"]["kube"]["selector"] == {"name": "c"}


def test_no_service_and_no_target_is_a_config_error() -> None:
    with pytest.raises(RouterConfigError, match=r"needs Service podinfo-primary or the target"):
        ROUTER.render(inp(canary(), "gloo"), Routes(100, 0))
    unlabelled = deployment(selector={"tier": "web"})
    with pytest.raises(RouterConfigError, match=r"spec.targetRef: .*must contain one of"):
        ROUTER.render(inp(canary(), "gloo", [unlabelled]), Routes(100, 0))


@pytest.mark.parametrize("routes", [Routes(60, 40), Routes(0, 100)], ids=["w40", "bg"])
def test_weights_zero_omitted(routes: Routes) -> None:
    table = _by_name(_render(canary(), routes).manifests)["podinfo"]
    destinations = table["spec"]["routes"][0]["routeAction"]["multi"]["destinations"]
    assert destinations == [_dest(PRIMARY_US, routes.primary), _dest(CANARY_US, routes.canary)]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 100))
def test_read_routes_gives_back_what_render_set(canary_weight: int) -> None:
    routes = Routes(100 - canary_weight, canary_weight)
    assert _round_trip(canary(), routes) == routes


def test_upstream_ref_fields_are_copied() -> None:
    template = {
        "apiVersion": "gloo.solo.io/v1",
        "kind": "Upstream",
        "metadata": {"name": "tpl", "namespace": "gloo-system"},
        "spec": {
            "loadBalancerConfig": {"roundRobin": {}},
            "useHttp2": True,
            "connectionConfig": {"maxRequestsPerConnection": 3},
            "healthChecks": [{"timeout": "1s"}],
        },
    }
    ref = {"apiVersion": "gloo.solo.io/v1", "kind": "Upstream", "name": "tpl"}
    model = canary(upstreamRef={**ref, "namespace": "gloo-system"})
    given = inp(model, "gloo", [TARGET, template])
    assert ObjectRef("gloo.solo.io/v1", "Upstream", "gloo-system", "tpl") in ROUTER.reads(given)
    objects = _by_name(_render(model, Routes(100, 0), [template]).manifests)
    spec = objects[CANARY_US]["spec"]
    assert spec["loadBalancerConfig"] == {"roundRobin": {}}
    assert spec["useHttp2"] is True
    assert spec["connectionConfig"] == {"maxRequestsPerConnection": 3}
    assert "healthChecks" not in spec
    with pytest.raises(RouterConfigError, match=r"spec.upstreamRef: Upstream gloo-system/tpl"):
        ROUTER.render(inp(model, "gloo", [TARGET]), Routes(100, 0))
    elsewhere = canary(upstreamRef=ref)
    with pytest.raises(RouterConfigError, match=r"Upstream test/tpl not found"):
        ROUTER.render(inp(elsewhere, "gloo", [TARGET, template]), Routes(100, 0))


def test_ab_one_matcher_per_match_entry() -> None:
    analysis = {
        "interval": "1m",
        "threshold": 5,
        "iterations": 10,
        "match": [
            {"headers": {"x-canary": {"exact": "insider"}, "ua": {"regex": ".*Firefox.*"}}},
            {"headers": {"cookie": {"prefix": "canary."}, "x-end": {"suffix": "z"}}},
            {"queryParams": {"q": {"exact": "1"}}},
        ],
    }
    model = canary(analysis=analysis)
    table = _by_name(_render(model, Routes(0, 100)).manifests)["podinfo"]
    assert table["spec"]["routes"][0]["matchers"] == [
        {
            "headers": [
                {"name": "x-canary", "value": "insider"},
                {"name": "ua", "value": ".*Firefox.*", "regex": True},
            ]
        },
        {
            "headers": [
                {"name": "cookie", "value": r"canary\..*", "regex": True},
                {"name": "x-end", "value": ".*z", "regex": True},
            ]
        },
    ]
    assert _round_trip(model, Routes(0, 100)) == Routes(0, 100)


def test_a_foreign_route_table_is_taken_over_and_restored() -> None:
    user = {
        "apiVersion": "gateway.solo.io/v1",
        "kind": "RouteTable",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"routes": [{"matchers": [{"prefix": "/"}]}]},
    }
    table = _by_name(_render(canary(), Routes(100, 0), [user]).manifests)["podinfo"]
    assert "ownerReferences" not in table["metadata"]
    original = json.loads(table["metadata"]["annotations"][ORIGINAL_CONFIGURATION])
    assert original == {"spec": user["spec"]}
    plan = ROUTER.finalize(inp(canary(), "gloo", [table]))
    assert [d.manifest["spec"] for d in plan.apply] == [user["spec"]]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (None, r"RouteTable test/podinfo not found"),
        ({"routes": [{"routeAction": {"multi": {}}}]}, r"needs the primary and canary"),
        (
            {"routes": [{"routeAction": {"multi": {"destinations": [{}, {}]}}}]},
            rf"no destination {PRIMARY_US}",
        ),
    ],
)
def test_unreadable_route_tables_are_errors(spec: dict[str, Any] | None, message: str) -> None:
    live: list[dict[str, Any]] = []
    if spec is not None:
        meta = {"name": "podinfo", "namespace": "test"}
        live = [{"apiVersion": "gateway.solo.io/v1", "kind": "RouteTable", "metadata": meta}]
        live[0]["spec"] = spec
    with pytest.raises(RoutesError, match=message):
        ROUTER.read_routes(inp(canary(), "gloo", live))


def test_applied_and_read_back_through_the_api(apiserver: ApiServerHandle) -> None:
    applier = Applier(apiserver.api_client())
    api = KubeApi(apiserver.api_client())
    model = canary()
    first = ROUTER.render(inp(model, "gloo", [TARGET]), Routes(100, 0))
    for d in first.apply:
        assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.APPLIED
    for d in first.apply:
        assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.UNCHANGED
    live = [o for o in (api.get(ObjectRef.of(d.manifest)) for d in first.apply) if o]
    assert len(live) == 3
    second = ROUTER.render(inp(model, "gloo", [TARGET, *live]), Routes(70, 30))
    results = [applier.apply(d.manifest, at=AT, policy=d.policy).result for d in second.apply]
    assert results == [EffectResult.UNCHANGED, EffectResult.UNCHANGED, EffectResult.APPLIED]
    read = [o for o in (api.get(ObjectRef.of(d.manifest)) for d in second.apply) if o]
    assert ROUTER.read_routes(inp(model, "gloo", read)) == Routes(70, 30)
