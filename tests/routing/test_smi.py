"""The SMI router (``linkerd``, ``osm``, ``smi:<version>[:<mesh>]``): exact TrafficSplit shapes
(no upstream schema), round trips, take-over and restore, errors, and a write and read-back
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
from effects.routing.smi import ISTIO_GATEWAYS, SmiRouter
from reducers.events import EffectResult
from reducers.spec import Canary
from tests.fixtures.apiserver import ApiServerHandle
from tests.routing.conftest import canary, inp

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ROUTER = SmiRouter()
OWNER = {
    "apiVersion": "flagger.app/v1beta1",
    "kind": "Canary",
    "name": "podinfo",
    "uid": "c-uid-1",
    "controller": True,
    "blockOwnerDeletion": True,
}
VERSIONS = [
    ("linkerd", "v1alpha1"),
    ("osm", "v1alpha2"),
    ("smi:v1alpha1", "v1alpha1"),
    ("smi:v1alpha2:osm", "v1alpha2"),
    ("smi:v1alpha3", "v1alpha3"),
    ("smi:v1alpha3:linkerd", "v1alpha3"),
]
AB = {"interval": "1m", "threshold": 5, "iterations": 10, "match": [{"headers": {}}]}


def _split(version: str, primary: int, canary_weight: int, service: str = "podinfo") -> Any:
    """The exact TrafficSplit the reference states."""

    def weight(value: int) -> int | str:
        return str(value) if version == "v1alpha1" else value

    return {
        "apiVersion": f"split.smi-spec.io/{version}",
        "kind": "TrafficSplit",
        "metadata": {"name": "podinfo", "namespace": "test", "ownerReferences": [OWNER]},
        "spec": {
            "service": service,
            "backends": [
                {"service": "podinfo-canary", "weight": weight(canary_weight)},
                {"service": "podinfo-primary", "weight": weight(primary)},
            ],
        },
    }


def _render(model: Canary, provider: str, routes: Routes, **kw: Any) -> dict[str, Any]:
    plan = ROUTER.render(inp(model, provider, **kw), routes)
    assert len(plan.apply) == 1
    assert plan.apply[0].policy == ApplyPolicy(replace=("spec",))
    return plan.apply[0].manifest


def _round_trip(model: Canary, provider: str, routes: Routes, live: Any = ()) -> Routes:
    first = inp(model, provider, live)
    plan = ROUTER.render(first, routes)
    return ROUTER.read_routes(inp(model, provider, [*first.live.values(), *plan.manifests]))


@pytest.mark.parametrize(("provider", "version"), VERSIONS)
@pytest.mark.parametrize(
    "routes",
    [Routes(100, 0), Routes(90, 10), Routes(0, 100)],
    ids=["initial", "weight", "blue-green"],
)
def test_shapes(provider: str, version: str, routes: Routes) -> None:
    split = _render(canary(), provider, routes)
    assert split == _split(version, routes.primary, routes.canary)
    assert _round_trip(canary(), provider, routes) == routes


def test_v1alpha1_weights_are_quantity_strings_and_later_ones_integers() -> None:
    alpha1 = _render(canary(), "linkerd", Routes(75, 25))["spec"]["backends"]
    assert [b["weight"] for b in alpha1] == ["25", "75"]
    alpha3 = _render(canary(), "smi:v1alpha3", Routes(75, 25))["spec"]["backends"]
    assert [b["weight"] for b in alpha3] == [25, 75]


def test_a_b_iterations_route_everything_to_the_canary_without_matching() -> None:
    split = _render(canary(analysis=AB), "linkerd", Routes(0, 100))
    assert split == _split("v1alpha1", 0, 100)


def test_mirroring_is_not_expressible_and_says_so() -> None:
    plan = ROUTER.render(inp(canary(), "osm"), Routes(100, 0, mirrored=True))
    assert plan.manifests == [_split("v1alpha2", 100, 0)]
    assert plan.notes == ("SMI cannot mirror traffic: mirroring skipped",)
    assert _round_trip(canary(), "osm", Routes(100, 0, mirrored=True)) == Routes(100, 0)


def test_the_service_is_the_first_host_and_the_apex_follows_service_name() -> None:
    model = canary(service={"port": 9898, "name": "web", "hosts": ["web.example", "other"]})
    split = _render(model, "smi:v1alpha2", Routes(100, 0))
    assert split["metadata"]["name"] == "web"
    assert split["spec"]["service"] == "web.example"
    assert [b["service"] for b in split["spec"]["backends"]] == ["web-canary", "web-primary"]


def test_gateways_become_an_annotation_only_when_the_mesh_is_istio() -> None:
    model = canary(service={"port": 9898, "gateways": ["public-gw", "mesh"]})
    on_istio = _render(model, "smi:v1alpha3:istio", Routes(100, 0))
    assert on_istio["metadata"]["annotations"] == {ISTIO_GATEWAYS: '["public-gw","mesh"]'}
    assert json.loads(on_istio["metadata"]["annotations"][ISTIO_GATEWAYS]) == ["public-gw", "mesh"]
    for provider in ("linkerd", "osm", "smi:v1alpha3", "smi:v1alpha1:linkerd"):
        assert "annotations" not in _render(model, provider, Routes(100, 0))["metadata"]
    assert "annotations" not in _render(canary(), "smi:v1alpha3:istio", Routes(100, 0))["metadata"]


def test_no_owner_reference_when_the_mesh_is_on_another_cluster() -> None:
    plain = RouterSettings(set_owner_refs=False)
    split = _render(canary(), "linkerd", Routes(100, 0), settings=plain)
    assert split["metadata"] == {"name": "podinfo", "namespace": "test"}


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 100), st.sampled_from([p for p, _ in VERSIONS]))
def test_every_split_round_trips(weight: int, provider: str) -> None:
    routes = Routes(100 - weight, weight)
    assert _round_trip(canary(), provider, routes) == routes


def test_a_foreign_split_is_taken_over_and_restored() -> None:
    user_spec = {"service": "podinfo", "backends": [{"service": "podinfo-v1", "weight": 100}]}
    foreign = {
        "apiVersion": "split.smi-spec.io/v1alpha2",
        "kind": "TrafficSplit",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": user_spec,
    }
    taken = _render(canary(), "osm", Routes(80, 20), live=[foreign])
    assert "ownerReferences" not in taken["metadata"]
    original = taken["metadata"]["annotations"][ORIGINAL_CONFIGURATION]
    assert json.loads(original) == {"spec": user_spec}
    assert _round_trip(canary(), "osm", Routes(80, 20), live=[foreign]) == Routes(80, 20)
    plan = ROUTER.finalize(inp(canary(), "osm", [taken]))
    assert [d.manifest["spec"] for d in plan.apply] == [user_spec]
    # a split this Canary created is left to garbage collection
    ours = _split("v1alpha2", 100, 0)
    assert ROUTER.finalize(inp(canary(), "osm", [ours])).apply == ()


def test_reads_names_the_split_of_the_providers_version() -> None:
    assert ROUTER.reads(inp(canary(), "smi:v1alpha3:linkerd")) == [
        ObjectRef("split.smi-spec.io/v1alpha3", "TrafficSplit", "test", "podinfo")
    ]


def test_impossible_splits_are_refused() -> None:
    with pytest.raises(RouterConfigError, match="add up to 100"):
        ROUTER.render(inp(canary(), "linkerd"), Routes(50, 20))


def test_a_non_smi_provider_is_refused() -> None:
    with pytest.raises(RouterConfigError, match="provider istio does not use SMI"):
        ROUTER.render(inp(canary(), "istio"), Routes(100, 0))


@pytest.mark.parametrize(
    ("live", "message"),
    [
        ([], "TrafficSplit test/podinfo not found"),
        ([{**_split("v1alpha2", 0, 0)}], "does not contain routes"),
        ([{**_split("v1alpha2", 0, 0), "spec": {}}], "has no spec.backends"),
    ],
)
def test_unreadable_splits(live: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(RoutesError, match=message):
        ROUTER.read_routes(inp(canary(), "osm", live))


def test_a_fractional_quantity_is_not_read_as_a_weight() -> None:
    split = _split("v1alpha1", 100, 0)
    split["spec"]["backends"][0]["weight"] = "500m"
    with pytest.raises(RoutesError, match="'500m' is not a whole number"):
        ROUTER.read_routes(inp(canary(), "linkerd", [split]))


def test_a_split_routing_only_one_side_reads_the_other_as_zero() -> None:
    split = _split("v1alpha3", 100, 0)
    split["spec"]["backends"] = [{"service": "podinfo-primary", "weight": 100}]
    assert ROUTER.read_routes(inp(canary(), "smi:v1alpha3", [split])) == Routes(100, 0)


@pytest.mark.parametrize("provider", ["linkerd", "smi:v1alpha3"])
def test_applied_and_read_back_through_the_api(apiserver: ApiServerHandle, provider: str) -> None:
    applier = Applier(apiserver.api_client())
    api = KubeApi(apiserver.api_client())
    model = canary()
    first = ROUTER.render(inp(model, provider), Routes(100, 0))
    for d in first.apply:
        assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.APPLIED
    for d in first.apply:
        assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.UNCHANGED
    (ref,) = ROUTER.reads(inp(model, provider))
    live = api.get(ref)
    assert live is not None
    second = ROUTER.render(inp(model, provider, [live]), Routes(70, 30))
    for d in second.apply:
        assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.APPLIED
    read = api.get(ref)
    assert read is not None
    assert ROUTER.read_routes(inp(model, provider, [read])) == Routes(70, 30)
