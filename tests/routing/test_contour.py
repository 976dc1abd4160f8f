"""The ``contour`` router: HTTPProxy shapes against the upstream CRD schema, round trips,
take-over and restore, errors, and a write and read-back through the API double."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from effects.applying import Applier
from effects.kubeapi import KubeApi, ObjectRef
from effects.routing import RouterConfigError, RouterSettings, Routes, RoutesError
from effects.routing.base import ORIGINAL_CONFIGURATION
from effects.routing.contour import ContourRouter
from effects.workloads.metadata import FLUX_OPT_OUT
from reducers.events import EffectResult
from reducers.spec import Canary
from tests.fixtures.apiserver import ApiServerHandle
from tests.routing.conftest import assert_crd_valid, canary, inp

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ROUTER = ContourRouter()
AB = {
    "interval": "1m",
    "threshold": 5,
    "iterations": 10,
    "match": [
        {"headers": {"x-canary": {"exact": "insider"}, "user-agent": {"regex": ".*Firefox.*"}}},
        {"headers": {"cookie": {"prefix": "canary="}}},
    ],
}


def _proxy(model: Canary, routes: Routes, **kw: Any) -> dict[str, Any]:
    plan = ROUTER.render(inp(model, "contour", **kw), routes)
    assert len(plan.apply) == 1
    proxy = plan.apply[0].manifest
    assert plan.apply[0].policy.replace == ("spec",)
    assert_crd_valid(proxy)
    return proxy


def _svc(name: str, weight: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "port": 9898}
    if weight:
        entry["weight"] = weight
    value = f"{name}.test.svc.cluster.local:9898"
    entry["requestHeadersPolicy"] = {"set": [{"name": "l5d-dst-override", "value": value}]}
    return entry


def _round_trip(model: Canary, routes: Routes) -> Routes:
    plan = ROUTER.render(inp(model, "contour"), routes)
    return ROUTER.read_routes(inp(model, "contour", plan.manifests))


def test_initial_proxy_routes_everything_to_the_primary() -> None:
    proxy = _proxy(canary(), Routes(100, 0))
    assert proxy["metadata"]["name"] == "podinfo"
    assert proxy["metadata"]["annotations"] == FLUX_OPT_OUT
    assert proxy["metadata"]["ownerReferences"][0]["name"] == "podinfo"
    assert "status" not in proxy
    assert proxy["spec"] == {
        "routes": [
            {
                "conditions": [{"prefix": "/"}],
                "services": [_svc("podinfo-primary", 100), _svc("podinfo-canary", 0)],
            }
        ]
    }


@pytest.mark.parametrize(
    "routes", [Routes(100, 0), Routes(70, 30), Routes(0, 100)], ids=["initial", "w30", "bg"]
)
def test_weights_are_written_and_valid(routes: Routes) -> None:
    proxy = _proxy(canary(), routes)
    services = proxy["spec"]["routes"][0]["services"]
    assert [s.get("weight") for s in services] == [routes.primary or None, routes.canary or None]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 100))
def test_read_routes_gives_back_what_render_set(canary_weight: int) -> None:
    routes = Routes(100 - canary_weight, canary_weight)
    assert _round_trip(canary(), routes) == routes


def test_mirroring_is_not_expressible() -> None:
    assert _round_trip(canary(), Routes(100, 0, mirrored=True)) == Routes(100, 0)


def test_settings_prefix_timeout_retries_and_ingress_class() -> None:
    model = canary(
        service={
            "port": 9898,
            "name": "web",
            "timeout": "15s",
            "retries": {"attempts": 3, "perTryTimeout": "5s", "retryOn": "5xx, reset"},
            "match": [{"uri": {"prefix": "/api"}}],
            "apex": {"labels": {"team": "a"}, "annotations": {"note": "x"}},
        }
    )
    proxy = _proxy(model, Routes(90, 10), settings=RouterSettings(ingress_class="contour-x"))
    assert proxy["metadata"]["name"] == "web"
    assert proxy["metadata"]["labels"] == {"team": "a"}
    assert proxy["metadata"]["annotations"] == {"note": "x", **FLUX_OPT_OUT}
    assert proxy["spec"]["ingressClassName"] == "contour-x"
    route = proxy["spec"]["routes"][0]
    assert route["conditions"] == [{"prefix": "/api"}]
    assert route["timeoutPolicy"] == {"response": "15s", "idle": "5m"}
    assert route["retryPolicy"] == {"count": 3, "perTryTimeout": "5s", "retryOn": ["5xx", "reset"]}
    assert [s["name"] for s in route["services"]] == ["web-primary", "web-canary"]
    assert route["services"][1]["requestHeadersPolicy"]["set"][0]["value"] == (
        "web-canary.test.svc.cluster.local:9898"
    )


def test_an_empty_retry_on_writes_no_retry_on() -> None:
    model = canary(service={"port": 9898, "retries": {"attempts": 2, "retryOn": ""}})
    route = _proxy(model, Routes(100, 0))["spec"]["routes"][0]
    assert route["retryPolicy"] == {"count": 2}


def test_ab_routes_one_per_match_entry_then_the_rest_to_the_primary() -> None:
    model = canary(analysis=AB)
    proxy = _proxy(model, Routes(0, 100))
    first, second, rest = proxy["spec"]["routes"]
    assert first["conditions"] == [
        {"prefix": "/"},
        {"header": {"name": "x-canary", "exact": "insider"}},
        {"header": {"name": "user-agent", "regex": ".*Firefox.*"}},
    ]
    assert second["conditions"] == [
        {"prefix": "/"},
        {"header": {"name": "cookie", "contains": "canary="}},
    ]
    for route in (first, second):
        assert route["services"] == [_svc("podinfo-primary", 0), _svc("podinfo-canary", 100)]
    assert rest == {
        "conditions": [{"prefix": "/"}],
        "services": [_svc("podinfo-primary", 100), _svc("podinfo-canary", 0)],
    }
    assert _round_trip(model, Routes(0, 100)) == Routes(0, 100)
    assert _round_trip(model, Routes(100, 0)) == Routes(100, 0)


def test_a_foreign_proxy_is_taken_over_and_restored() -> None:
    user = {
        "apiVersion": "projectcontour.io/v1",
        "kind": "HTTPProxy",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"routes": [{"services": [{"name": "podinfo", "port": 80}]}]},
    }
    proxy = _proxy(canary(), Routes(100, 0), live=[user])
    meta = proxy["metadata"]
    assert "ownerReferences" not in meta
    assert json.loads(meta["annotations"][ORIGINAL_CONFIGURATION]) == {"spec": user["spec"]}
    plan = ROUTER.finalize(inp(canary(), "contour", [proxy]))
    assert [d.manifest["spec"] for d in plan.apply] == [user["spec"]]
    assert ROUTER.finalize(inp(canary(), "contour", [_proxy(canary(), Routes())])).apply == ()


def test_reads_the_proxy() -> None:
    assert ROUTER.reads(inp(canary(), "contour")) == [
        ObjectRef("projectcontour.io/v1", "HTTPProxy", "test", "podinfo")
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (None, r"HTTPProxy test/podinfo not found"),
        ({"routes": []}, r"needs the primary and canary services"),
        ({"routes": [{"services": [{"name": "a"}, {"name": "b"}]}]}, r"no service podinfo-primary"),
    ],
)
def test_unreadable_proxies_are_errors(spec: dict[str, Any] | None, message: str) -> None:
    live = []
    if spec is not None:
        meta = {"name": "podinfo", "namespace": "test"}
        live = [{"apiVersion": "projectcontour.io/v1", "kind": "HTTPProxy", "metadata": meta}]
        live[0]["spec"] = spec
    with pytest.raises(RoutesError, match=message):
        ROUTER.read_routes(inp(canary(), "contour", live))


def test_impossible_splits_are_refused() -> None:
    with pytest.raises(RouterConfigError, match="add up to 100"):
        ROUTER.render(inp(canary(), "contour"), Routes(0, 0))


def test_applied_and_read_back_through_the_api(apiserver: ApiServerHandle) -> None:
    applier = Applier(apiserver.api_client())
    api = KubeApi(apiserver.api_client())
    model = canary(analysis=AB)
    first = ROUTER.render(inp(model, "contour"), Routes(100, 0))
    for d in first.apply:
        assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.APPLIED
    for d in first.apply:
        assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.UNCHANGED
    live = [api.get(ObjectRef.of(d.manifest)) for d in first.apply]
    assert all(obj is not None for obj in live)
    second = ROUTER.render(inp(model, "contour", [o for o in live if o]), Routes(0, 100))
    for d in second.apply:
        assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.APPLIED
    read = [api.get(ObjectRef.of(d.manifest)) for d in second.apply]
    assert ROUTER.read_routes(inp(model, "contour", [o for o in read if o])) == Routes(0, 100)
