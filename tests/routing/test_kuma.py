"""The ``kuma`` router: the exact cluster-scoped TrafficRoute (no upstream schema), its mesh, round
trips, take-over and restore, the route a Canary created being deleted on finalization, a route
of another Canary refused, and a write and read-back through the API double."""

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
from effects.routing.base import ORIGINAL_CONFIGURATION
from effects.routing.kuma import CANARY_ANNOTATION, KumaRouter
from effects.workloads.metadata import FLUX_OPT_OUT
from reducers.events import EffectResult
from reducers.spec import Canary
from tests.fixtures.apiserver import ApiServerHandle
from tests.routing.conftest import canary, inp

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ROUTER = KumaRouter()
REF = ObjectRef("kuma.io/v1alpha1", "TrafficRoute", "test", "podinfo")
AB = {"interval": "1m", "threshold": 5, "iterations": 10, "match": [{"headers": {}}]}


def _route(primary: int, canary_weight: int, *, mesh: str = "default", **meta: Any) -> Any:
    """The exact TrafficRoute the reference states (plus Roost's mark)."""
    annotations = {**FLUX_OPT_OUT, CANARY_ANNOTATION: "test/podinfo"}
    return {
        "apiVersion": "kuma.io/v1alpha1",
        "kind": "TrafficRoute",
        "metadata": {"name": "podinfo", "annotations": annotations, **meta},
        "mesh": mesh,
        "spec": {
            "sources": [{"match": {"kuma.io/service": "*"}}],
            "destinations": [{"match": {"kuma.io/service": "podinfo_test_svc_9898"}}],
            "conf": {
                "split": [
                    {
                        "weight": primary,
                        "destination": {"kuma.io/service": "podinfo-primary_test_svc_9898"},
                    },
                    {
                        "weight": canary_weight,
                        "destination": {"kuma.io/service": "podinfo-canary_test_svc_9898"},
                    },
                ]
            },
        },
    }


def _with_annotations(model: Canary, annotations: dict[str, str]) -> Canary:
    meta = model.metadata.model_copy(update={"annotations": annotations})
    return model.model_copy(update={"metadata": meta})


def _render(model: Canary, routes: Routes, live: Any = ()) -> dict[str, Any]:
    plan = ROUTER.render(inp(model, "kuma", live), routes)
    assert len(plan.apply) == 1
    assert plan.apply[0].policy == ApplyPolicy(replace=("spec",))
    return plan.apply[0].manifest


def _round_trip(model: Canary, routes: Routes, live: Any = ()) -> Routes:
    first = inp(model, "kuma", live)
    plan = ROUTER.render(first, routes)
    return ROUTER.read_routes(inp(model, "kuma", [*first.live.values(), *plan.manifests]))


@pytest.mark.parametrize(
    "routes",
    [Routes(100, 0), Routes(60, 40), Routes(0, 100)],
    ids=["initial", "weight", "blue-green"],
)
def test_shapes(routes: Routes) -> None:
    route = _render(canary(), routes)
    assert route == _route(routes.primary, routes.canary)
    assert "namespace" not in route["metadata"] and "ownerReferences" not in route["metadata"]
    assert _round_trip(canary(), routes) == routes


def test_a_b_iterations_route_everything_to_the_canary() -> None:
    assert _render(canary(analysis=AB), Routes(0, 100)) == _route(0, 100)


def test_mirroring_is_not_expressible_and_says_so() -> None:
    plan = ROUTER.render(inp(canary(), "kuma"), Routes(100, 0, mirrored=True))
    assert plan.manifests == [_route(100, 0)]
    assert "mirroring skipped" in plan.notes[0]


def test_the_mesh_comes_from_the_canary_annotation() -> None:
    model = _with_annotations(canary(), {"kuma.io/mesh": "payments"})
    assert _render(model, Routes(100, 0))["mesh"] == "payments"


def test_apex_metadata_and_service_name() -> None:
    model = canary(
        service={
            "port": 8080,
            "name": "web",
            "apex": {"labels": {"team": "a"}, "annotations": {"note": "x"}},
        }
    )
    route = _render(model, Routes(90, 10))
    assert route["metadata"] == {
        "name": "web",
        "labels": {"team": "a"},
        "annotations": {"note": "x", **FLUX_OPT_OUT, CANARY_ANNOTATION: "test/podinfo"},
    }
    assert route["spec"]["destinations"] == [{"match": {"kuma.io/service": "web_test_svc_8080"}}]
    assert [s["destination"]["kuma.io/service"] for s in route["spec"]["conf"]["split"]] == [
        "web-primary_test_svc_8080",
        "web-canary_test_svc_8080",
    ]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 100))
def test_every_split_round_trips(weight: int) -> None:
    assert _round_trip(canary(), Routes(100 - weight, weight)) == Routes(100 - weight, weight)


def test_a_route_this_canary_wrote_is_not_taken_over_and_is_deleted_on_finalization() -> None:
    ours = _route(100, 0)
    again = _render(canary(), Routes(50, 50), live=[ours])
    assert again == _route(50, 50)
    plan = ROUTER.finalize(inp(canary(), "kuma", [again]))
    assert plan.apply == () and plan.delete == (REF,)


def test_a_users_route_is_taken_over_and_restored() -> None:
    user_spec = {"sources": [], "destinations": [], "conf": {"split": []}}
    foreign = {
        "apiVersion": "kuma.io/v1alpha1",
        "kind": "TrafficRoute",
        "metadata": {"name": "podinfo"},
        "mesh": "default",
        "spec": user_spec,
    }
    taken = _render(canary(), Routes(90, 10), live=[foreign])
    annotations = taken["metadata"]["annotations"]
    assert json.loads(annotations[ORIGINAL_CONFIGURATION]) == {"spec": user_spec}
    assert annotations[CANARY_ANNOTATION] == "test/podinfo"
    # once marked, later renders carry the original instead of recording the current spec
    later = _render(canary(), Routes(80, 20), live=[taken])
    assert later["spec"] == _route(80, 20)["spec"]
    plan = ROUTER.finalize(inp(canary(), "kuma", [taken]))
    assert plan.delete == ()
    assert [d.manifest["spec"] for d in plan.apply] == [user_spec]
    # a route nobody marked is not ours to touch on finalization
    assert ROUTER.finalize(inp(canary(), "kuma", [foreign])) == ROUTER.finalize(
        inp(canary(), "kuma")
    )


def test_a_route_of_another_canary_with_the_same_apex_is_refused() -> None:
    other = _route(100, 0)
    other["metadata"]["annotations"][CANARY_ANNOTATION] = "other-ns/podinfo"
    with pytest.raises(RouterConfigError, match="already routes Canary other-ns/podinfo"):
        ROUTER.render(inp(canary(), "kuma", [other]), Routes(100, 0))
    plan = ROUTER.finalize(inp(canary(), "kuma", [other]))
    assert plan.apply == () and plan.delete == ()


def test_impossible_splits_are_refused() -> None:
    with pytest.raises(RouterConfigError, match="0-100"):
        ROUTER.render(inp(canary(), "kuma"), Routes(101, -1))


def _broken_split() -> Any:
    route = _route(100, 0)
    route["spec"]["conf"]["split"][0]["weight"] = "100"
    return route


@pytest.mark.parametrize(
    ("live", "message"),
    [
        ([], "TrafficRoute podinfo not found"),
        ([_route(0, 0)], "does not contain routes"),
        ([{**_route(0, 0), "spec": {}}], "has no spec.conf.split"),
        ([_broken_split()], "weight '100'"),
    ],
)
def test_unreadable_routes(live: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(RoutesError, match=message):
        ROUTER.read_routes(inp(canary(), "kuma", live))


def test_applied_and_read_back_through_the_api(apiserver: ApiServerHandle) -> None:
    applier = Applier(apiserver.api_client())
    api = KubeApi(apiserver.api_client())
    model = canary()
    assert ROUTER.reads(inp(model, "kuma")) == [REF]
    first = ROUTER.render(inp(model, "kuma"), Routes(100, 0))
    for d in first.apply:
        assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.APPLIED
    for d in first.apply:
        assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.UNCHANGED
    live = api.get(REF)
    assert live is not None and "namespace" not in live["metadata"]
    second = ROUTER.render(inp(model, "kuma", [live]), Routes(70, 30))
    for d in second.apply:
        assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.APPLIED
    read = api.get(REF)
    assert read is not None
    assert ROUTER.read_routes(inp(model, "kuma", [read])) == Routes(70, 30)
    for ref in ROUTER.finalize(inp(model, "kuma", [read])).delete:
        assert applier.delete(ref, at=AT).result is EffectResult.APPLIED
    assert api.get(REF) is None
