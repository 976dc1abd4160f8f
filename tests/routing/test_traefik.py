"""The ``traefik`` router: TraefikService shapes against both upstream schemas (traefik.io and
traefik.containo.us), round trips, take-over and restore, errors, and a write and read-back
through the API double."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from effects.applying import Applier, ApplyPolicy
from effects.kubeapi import KubeApi, ObjectRef
from effects.routing import RouterConfigError, RouterSettings, Routes, RoutesError
from effects.routing.base import ORIGINAL_CONFIGURATION
from effects.routing.traefik import API_VERSIONS, TraefikRouter
from effects.workloads.metadata import FLUX_OPT_OUT
from reducers.events import EffectResult
from reducers.spec import Canary
from tests.fixtures.apiserver import ApiServerHandle
from tests.routing.conftest import assert_crd_valid, canary, inp

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
AB = {"interval": "1m", "threshold": 5, "iterations": 10, "match": [{"headers": {}}]}
OWNER = {
    "apiVersion": "flagger.app/v1beta1",
    "kind": "Canary",
    "name": "podinfo",
    "uid": "c-uid-1",
    "controller": True,
    "blockOwnerDeletion": True,
}


@pytest.fixture(params=API_VERSIONS)
def router(request: pytest.FixtureRequest) -> TraefikRouter:
    return TraefikRouter(request.param)


def _render(router: TraefikRouter, model: Canary, routes: Routes, **kw: Any) -> dict[str, Any]:
    plan = router.render(inp(model, "traefik", **kw), routes)
    assert len(plan.apply) == 1
    assert plan.apply[0].policy == ApplyPolicy(replace=("spec",))
    manifest = plan.apply[0].manifest
    assert manifest["apiVersion"] == router.api_version
    assert_crd_valid(manifest)
    return manifest


def _round_trip(router: TraefikRouter, model: Canary, routes: Routes, live: Any = ()) -> Routes:
    first = inp(model, "traefik", live)
    plan = router.render(first, routes)
    return router.read_routes(inp(model, "traefik", [*first.live.values(), *plan.manifests]))


def _svc(name: str, weight: int) -> dict[str, Any]:
    return {"name": name, "namespace": "test", "port": 9898, "weight": weight}


@pytest.mark.parametrize(
    ("routes", "services"),
    [
        (Routes(100, 0), [_svc("podinfo-primary", 100)]),
        (Routes(80, 20), [_svc("podinfo-primary", 80), _svc("podinfo-canary", 20)]),
        (Routes(0, 100), [_svc("podinfo-canary", 100)]),
    ],
    ids=["initial", "weight", "blue-green"],
)
def test_shapes(router: TraefikRouter, routes: Routes, services: list[dict[str, Any]]) -> None:
    service = _render(router, canary(), routes)
    assert service == {
        "apiVersion": router.api_version,
        "kind": "TraefikService",
        "metadata": {
            "name": "podinfo",
            "namespace": "test",
            "annotations": FLUX_OPT_OUT,
            "ownerReferences": [OWNER],
        },
        "spec": {"weighted": {"services": services}},
    }
    assert _round_trip(router, canary(), routes) == routes


def test_a_zero_share_is_never_an_entry_without_weight(router: TraefikRouter) -> None:
    # Traefik weighs an entry without ``weight`` as 1: all-to-canary must not leave one behind
    for weight in (0, 100):
        services = _render(router, canary(), Routes(100 - weight, weight))["spec"]["weighted"]
        assert all(s["weight"] > 0 for s in services["services"])


def test_a_b_iterations_route_everything_to_the_canary(router: TraefikRouter) -> None:
    service = _render(router, canary(analysis=AB), Routes(0, 100))
    assert service["spec"]["weighted"]["services"] == [_svc("podinfo-canary", 100)]


def test_mirroring_is_not_expressible_and_says_so(router: TraefikRouter) -> None:
    plan = router.render(inp(canary(), "traefik"), Routes(100, 0, mirrored=True))
    assert plan.manifests[0]["spec"]["weighted"]["services"] == [_svc("podinfo-primary", 100)]
    assert "mirroring skipped" in plan.notes[0]


def test_apex_metadata_and_no_owner_reference_across_clusters(router: TraefikRouter) -> None:
    model = canary(
        service={
            "port": 80,
            "name": "web",
            "apex": {"labels": {"a": "1"}, "annotations": {"b": "2"}},
        }
    )
    settings_ = RouterSettings(set_owner_refs=False)
    service = _render(router, model, Routes(90, 10), settings=settings_)
    assert service["metadata"] == {
        "name": "web",
        "namespace": "test",
        "labels": {"a": "1"},
        "annotations": {"b": "2", **FLUX_OPT_OUT},
    }
    assert service["spec"]["weighted"]["services"] == [
        {"name": "web-primary", "namespace": "test", "port": 80, "weight": 90},
        {"name": "web-canary", "namespace": "test", "port": 80, "weight": 10},
    ]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 100), st.sampled_from(API_VERSIONS))
def test_every_split_round_trips(weight: int, api_version: str) -> None:
    routes = Routes(100 - weight, weight)
    assert _round_trip(TraefikRouter(api_version), canary(), routes) == routes


def test_a_later_split_replaces_the_weights_whatever_else_changed(router: TraefikRouter) -> None:
    # Flagger's reconcile reset both weights to 100 when anything else differed
    before = _render(router, canary(), Routes(50, 50))
    moved = canary(service={"port": 8080})
    after = _render(router, moved, Routes(70, 30), live=[before])
    assert after["spec"]["weighted"]["services"] == [
        {"name": "podinfo-primary", "namespace": "test", "port": 8080, "weight": 70},
        {"name": "podinfo-canary", "namespace": "test", "port": 8080, "weight": 30},
    ]


def test_a_foreign_service_is_taken_over_and_restored(router: TraefikRouter) -> None:
    user_spec = {"weighted": {"services": [{"name": "podinfo-v1", "port": 9898, "weight": 1}]}}
    foreign = {
        "apiVersion": router.api_version,
        "kind": "TraefikService",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": user_spec,
    }
    taken = _render(router, canary(), Routes(90, 10), live=[foreign])
    assert "ownerReferences" not in taken["metadata"]
    original = taken["metadata"]["annotations"][ORIGINAL_CONFIGURATION]
    assert json.loads(original) == {"spec": user_spec}
    assert _round_trip(router, canary(), Routes(90, 10), live=[foreign]) == Routes(90, 10)
    plan = router.finalize(inp(canary(), "traefik", [taken]))
    assert [d.manifest["spec"] for d in plan.apply] == [user_spec]
    assert plan.apply[0].manifest["apiVersion"] == router.api_version
    ours = _render(router, canary(), Routes(100, 0))
    assert router.finalize(inp(canary(), "traefik", [ours])).apply == ()


def test_an_unknown_api_version_is_refused() -> None:
    with pytest.raises(ValueError, match=r"traefik\.io/v1alpha1"):
        TraefikRouter("traefik.io/v1")


def test_impossible_splits_are_refused(router: TraefikRouter) -> None:
    with pytest.raises(RouterConfigError, match="add up to 100"):
        router.render(inp(canary(), "traefik"), Routes(0, 0))


def _live(api_version: str, services: Any) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": "TraefikService",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"weighted": {"services": services}},
    }


def test_reading_weights_as_traefik_does(router: TraefikRouter) -> None:
    v = router.api_version
    no_weight = [{"name": "podinfo-primary", "port": 9898}]
    assert router.read_routes(inp(canary(), "traefik", [_live(v, no_weight)])) == Routes(1, 0)
    only_canary = [_svc("podinfo-canary", 100)]
    assert router.read_routes(inp(canary(), "traefik", [_live(v, only_canary)])) == Routes(0, 100)


@pytest.mark.parametrize(
    ("services", "message"),
    [
        (None, "TraefikService test/podinfo not found"),
        ([], "has no spec.weighted.services"),
        ([_svc("podinfo-primary", 0)], "does not contain routes"),
        ([{**_svc("podinfo-primary", 0), "weight": "50"}], "weight '50' not a number"),
    ],
)
def test_unreadable_services(router: TraefikRouter, services: Any, message: str) -> None:
    live = [] if services is None else [_live(router.api_version, services)]
    with pytest.raises(RoutesError, match=message):
        router.read_routes(inp(canary(), "traefik", live))


def test_applied_and_read_back_through_the_api(
    apiserver: ApiServerHandle, router: TraefikRouter
) -> None:
    applier = Applier(apiserver.api_client())
    api = KubeApi(apiserver.api_client())
    model = canary()
    ref = ObjectRef(router.api_version, "TraefikService", "test", "podinfo")
    assert router.reads(inp(model, "traefik")) == [ref]
    first = router.render(inp(model, "traefik"), Routes(100, 0))
    for d in first.apply:
        assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.APPLIED
    for d in first.apply:
        assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.UNCHANGED
    live = api.get(ref)
    assert live is not None
    for routes in (Routes(60, 40), Routes(0, 100)):
        plan = router.render(inp(model, "traefik", [live]), routes)
        for d in plan.apply:
            assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.APPLIED
        live = api.get(ref)
        assert live is not None
        assert_crd_valid(live)
        assert router.read_routes(inp(model, "traefik", [live])) == routes
