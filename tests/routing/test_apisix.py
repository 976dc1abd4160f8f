"""The ``apisix`` router: the derived canary ApisixRoute against the upstream schema, round trips,
take-over and restore, the Canary and route errors, and a write and read-back through the API
double."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from effects.applying import Applier, ApplyPolicy
from effects.kubeapi import KubeApi, ObjectRef
from effects.routing import RouterConfigError, RouterSettings, Routes, RoutesError
from effects.routing.apisix import ApisixRouter
from effects.routing.base import LAST_APPLIED, ORIGINAL_CONFIGURATION
from reducers.events import EffectResult
from reducers.spec import Canary
from tests.fixtures.apiserver import ApiServerHandle
from tests.routing.conftest import assert_crd_valid, canary, inp

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ROUTER = ApisixRouter()
V2 = "apisix.apache.org/v2"
ROUTE_REF = {"apiVersion": V2, "kind": "ApisixRoute", "name": "podinfo"}
AB = {"interval": "1m", "threshold": 5, "iterations": 10, "match": [{"headers": {}}]}
OWNER = {
    "apiVersion": "flagger.app/v1beta1",
    "kind": "Canary",
    "name": "podinfo",
    "uid": "c-uid-1",
    "controller": True,
    "blockOwnerDeletion": True,
}
APEX_RULE = {
    "name": "method",
    "match": {"hosts": ["app.example.com"], "methods": ["GET"], "paths": ["/*"]},
    "backends": [{"serviceName": "podinfo", "servicePort": 80, "resolveGranularity": "service"}],
    "plugins": [{"name": "response-rewrite", "enable": True, "config": {"body": "x"}}],
    "websocket": True,
}


def _source(**meta: Any) -> dict[str, Any]:
    other = {
        "name": "other",
        "match": {"paths": ["/other"]},
        "backends": [{"serviceName": "other", "servicePort": 80}],
    }
    return {
        "apiVersion": V2,
        "kind": "ApisixRoute",
        "metadata": {
            "name": "podinfo",
            "namespace": "test",
            "labels": {"app": "podinfo"},
            "annotations": {"team": "a", LAST_APPLIED: "{}"},
            **meta,
        },
        "spec": {
            "ingressClassName": "apisix",
            "http": [other, copy.deepcopy(APEX_RULE)],
            "stream": [
                {
                    "name": "tcp",
                    "protocol": "TCP",
                    "match": {"ingressPort": 9100},
                    "backend": {"serviceName": "db", "servicePort": 5432},
                }
            ],
        },
    }


def _model(**spec: Any) -> Canary:
    return canary(routeRef=ROUTE_REF, **spec)


def _expected(primary: int, canary_weight: int) -> dict[str, Any]:
    rule = copy.deepcopy(APEX_RULE)
    shared = {"servicePort": 80, "resolveGranularity": "service"}
    rule["priority"] = 10000
    rule["backends"] = [
        {"serviceName": "podinfo-primary", **shared, "weight": primary},
        {"serviceName": "podinfo-canary", **shared, "weight": canary_weight},
    ]
    return {
        "apiVersion": V2,
        "kind": "ApisixRoute",
        "metadata": {
            "name": "podinfo-podinfo-canary",
            "namespace": "test",
            "ownerReferences": [OWNER],
            "labels": {"app": "podinfo"},
            "annotations": {"team": "a"},
        },
        "spec": {"ingressClassName": "apisix", "http": [rule]},
    }


def _render(model: Canary, routes: Routes, live: Any = (), **kw: Any) -> dict[str, Any]:
    plan = ROUTER.render(inp(model, "apisix", [_source(), *live], **kw), routes)
    assert len(plan.apply) == 1
    assert plan.apply[0].policy == ApplyPolicy(replace=("spec",))
    manifest = plan.apply[0].manifest
    assert_crd_valid(manifest)
    return manifest


def _round_trip(model: Canary, routes: Routes, live: Any = ()) -> Routes:
    first = inp(model, "apisix", [_source(), *live])
    plan = ROUTER.render(first, routes)
    return ROUTER.read_routes(inp(model, "apisix", [*first.live.values(), *plan.manifests]))


def test_the_user_route_is_valid() -> None:
    assert_crd_valid(_source())


@pytest.mark.parametrize(
    "routes",
    [Routes(100, 0), Routes(70, 30), Routes(0, 100)],
    ids=["initial", "weight", "blue-green"],
)
def test_shapes(routes: Routes) -> None:
    assert _render(_model(), routes) == _expected(routes.primary, routes.canary)
    assert _round_trip(_model(), routes) == routes


def test_a_b_iterations_route_everything_to_the_canary() -> None:
    assert _render(_model(analysis=AB), Routes(0, 100)) == _expected(0, 100)


def test_mirroring_is_not_expressible_and_says_so() -> None:
    plan = ROUTER.render(inp(_model(), "apisix", [_source()]), Routes(100, 0, mirrored=True))
    assert plan.manifests == [_expected(100, 0)]
    assert "mirroring skipped" in plan.notes[0]


def test_reads_lists_the_users_route_and_the_canary_route() -> None:
    assert ROUTER.reads(inp(_model(), "apisix")) == [
        ObjectRef(V2, "ApisixRoute", "test", "podinfo"),
        ObjectRef(V2, "ApisixRoute", "test", "podinfo-podinfo-canary"),
    ]


def test_the_apex_follows_service_name_and_the_subset_is_kept() -> None:
    model = _model(service={"port": 9898, "name": "web"})
    source = _source()
    source["spec"]["http"][1]["backends"] = [
        {"serviceName": "web", "servicePort": "http", "subset": "stable"}
    ]
    plan = ROUTER.render(inp(model, "apisix", [source]), Routes(90, 10))
    route = plan.manifests[0]
    assert_crd_valid(route)
    assert route["metadata"]["name"] == "podinfo-web-canary"
    assert route["spec"]["http"][0]["backends"] == [
        {"serviceName": "web-primary", "servicePort": "http", "subset": "stable", "weight": 90},
        {"serviceName": "web-canary", "servicePort": "http", "subset": "stable", "weight": 10},
    ]


def test_a_changed_user_route_is_followed() -> None:
    source = _source()
    source["spec"]["http"][1]["match"]["paths"] = ["/v2/*"]
    plan = ROUTER.render(inp(_model(), "apisix", [source]), Routes(100, 0))
    assert plan.manifests[0]["spec"]["http"][0]["match"]["paths"] == ["/v2/*"]


def test_no_owner_reference_across_clusters() -> None:
    settings_ = RouterSettings(set_owner_refs=False)
    assert (
        "ownerReferences" not in _render(_model(), Routes(100, 0), settings=settings_)["metadata"]
    )


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 100))
def test_every_split_round_trips(weight: int) -> None:
    assert _round_trip(_model(), Routes(100 - weight, weight)) == Routes(100 - weight, weight)


def test_a_foreign_canary_route_is_taken_over_and_restored() -> None:
    user_spec = {"http": [{"name": "mine", "backends": [{"serviceName": "x", "servicePort": 80}]}]}
    foreign = {
        "apiVersion": V2,
        "kind": "ApisixRoute",
        "metadata": {"name": "podinfo-podinfo-canary", "namespace": "test"},
        "spec": user_spec,
    }
    taken = _render(_model(), Routes(90, 10), live=[foreign])
    assert "ownerReferences" not in taken["metadata"]
    original = taken["metadata"]["annotations"][ORIGINAL_CONFIGURATION]
    assert json.loads(original) == {"spec": user_spec}
    assert _round_trip(_model(), Routes(90, 10), live=[foreign]) == Routes(90, 10)
    plan = ROUTER.finalize(inp(_model(), "apisix", [_source(), taken]))
    assert [d.manifest["spec"] for d in plan.apply] == [user_spec]
    ours = _expected(100, 0)
    assert ROUTER.finalize(inp(_model(), "apisix", [_source(), ours])).apply == ()


def test_the_users_original_configuration_is_not_copied() -> None:
    recorded = _source(annotations={ORIGINAL_CONFIGURATION: "{}", LAST_APPLIED: "{}", "k": "v"})
    plan = ROUTER.render(inp(_model(), "apisix", [recorded]), Routes(100, 0))
    assert plan.manifests[0]["metadata"]["annotations"] == {"k": "v"}


@pytest.mark.parametrize(
    ("model", "live", "message"),
    [
        (canary(), [_source()], r"provider apisix needs spec.routeRef"),
        (
            canary(routeRef={**ROUTE_REF, "apiVersion": "apisix.apache.org/v2beta3"}),
            [_source()],
            r"spec.routeRef.apiVersion must be apisix.apache.org/v2",
        ),
        (_model(), [], r"spec.routeRef: ApisixRoute test/podinfo not found"),
        (
            _model(service={"port": 9898, "name": "nothere"}),
            [_source()],
            r"has no http rule with the backend nothere",
        ),
    ],
    ids=["no-route-ref", "version", "missing", "no-rule"],
)
def test_canary_errors(model: Canary, live: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(RouterConfigError, match=message):
        ROUTER.render(inp(model, "apisix", live), Routes(100, 0))


def test_a_rule_with_several_backends_is_refused() -> None:
    source = _source()
    source["spec"]["http"][1]["backends"].append({"serviceName": "b", "servicePort": 80})
    with pytest.raises(RouterConfigError, match=r"exactly one backend .* it has 2"):
        ROUTER.render(inp(_model(), "apisix", [source]), Routes(100, 0))


def _weights(primary: Any, canary_weight: Any) -> dict[str, Any]:
    route = _expected(100, 0)
    backends = route["spec"]["http"][0]["backends"]
    backends[0]["weight"], backends[1]["weight"] = primary, canary_weight
    return route


@pytest.mark.parametrize(
    ("live", "message"),
    [
        ([], "ApisixRoute test/podinfo-podinfo-canary not found"),
        ([_weights(0, 0)], "does not contain routes"),
        ([_weights(None, 0)], "backend weight None is not a number"),
        ([{**_expected(100, 0), "spec": {"http": []}}], "no http rule with the backend"),
    ],
)
def test_unreadable_routes(live: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(RoutesError, match=message):
        ROUTER.read_routes(inp(_model(), "apisix", live))


def test_applied_and_read_back_through_the_api(apiserver: ApiServerHandle) -> None:
    applier = Applier(apiserver.api_client())
    api = KubeApi(apiserver.api_client())
    model = _model()
    source_ref, ref = ROUTER.reads(inp(model, "apisix"))
    apiserver.seed(_source())
    source = api.get(source_ref)
    assert source is not None
    first = ROUTER.render(inp(model, "apisix", [source]), Routes(100, 0))
    for d in first.apply:
        assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.APPLIED
    for d in first.apply:
        assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.UNCHANGED
    live = api.get(ref)
    assert live is not None
    second = ROUTER.render(inp(model, "apisix", [source, live]), Routes(40, 60))
    for d in second.apply:
        assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.APPLIED
    read = api.get(ref)
    assert read is not None
    assert ROUTER.read_routes(inp(model, "apisix", [source, read])) == Routes(40, 60)
