"""The ``nginx`` router: the canary Ingress in every state against the Kubernetes schema, exact
canary keys per split (default and custom prefix), A/B rules, round trips, take-over, errors,
and the API double."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from effects.applying import Applier
from effects.kubeapi import KubeApi, ObjectRef
from effects.routing import RouterConfigError, RouterSettings, Routes, RoutesError
from effects.routing.base import LAST_APPLIED, ORIGINAL_CONFIGURATION, RouterInput
from effects.routing.nginx import NginxRouter, canary_prefix
from effects.workloads.metadata import FLUX_OPT_OUT
from reducers.events import EffectResult
from reducers.spec import Canary
from tests.fixtures.apiserver import ApiServerHandle
from tests.routing.conftest import canary, inp, validate_plan

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ROUTER = NginxRouter()
NGINX = "nginx.ingress.kubernetes.io"
INGRESS_REF = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "podinfo"}
CUSTOM = RouterSettings(nginx_annotations_prefix="custom.ingress.kubernetes.io")
REF = ObjectRef("networking.k8s.io/v1", "Ingress", "test", "podinfo-canary")


def _path(service: str, path: str = "/") -> dict[str, Any]:
    backend = {"service": {"name": service, "port": {"number": 80}}}
    return {"path": path, "pathType": "Prefix", "backend": backend}


def _source(**annotations: str) -> dict[str, Any]:
    """The user's Ingress ``podinfo``: one rule for the apex, one for another Service."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "podinfo",
            "namespace": "test",
            "uid": "ingress-uid",
            "resourceVersion": "7",
            "labels": {"app": "podinfo"},
            "annotations": {
                LAST_APPLIED: '{"kind":"Ingress"}',
                f"{NGINX}/canary-weight": "5",
                f"{NGINX}/canary-by-header": "x-old",
                f"{NGINX}/proxy-body-size": "2m",
                "kustomize.toolkit.fluxcd.io/checksum": "abc",
                **annotations,
            },
        },
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {"host": "app.example.com", "http": {"paths": [_path("podinfo")]}},
                {"host": "other.example.com", "http": {"paths": [_path("other")]}},
            ],
        },
    }


def _model(**analysis: Any) -> Canary:
    if analysis:
        analysis = {"interval": "1m", "threshold": 5, **analysis}
        return canary(ingressRef=INGRESS_REF, analysis=analysis)
    return canary(ingressRef=INGRESS_REF)


AB = _model(
    iterations=10,
    match=[
        {"headers": {"x-canary": {"exact": "insider"}}},
        {"headers": {"cookie": {"exact": "canary"}}},
    ],
)


def _input(model: Canary, live: list[dict[str, Any]] | None = None, **kw: Any) -> RouterInput:
    return inp(model, "nginx", [_source(), *(live or [])], **kw)


def _ingress(model: Canary, routes: Routes, **kw: Any) -> dict[str, Any]:
    plan = ROUTER.render(_input(model, **kw), routes)
    assert validate_plan(plan) == 1
    assert [d.policy.replace for d in plan.apply] == [("spec",)]
    (manifest,) = plan.manifests
    return manifest


def _canary_keys(manifest: dict[str, Any], prefix: str = NGINX) -> dict[str, str]:
    annotations = manifest["metadata"]["annotations"]
    return {k: v for k, v in annotations.items() if k.startswith(f"{prefix}/canary")}


def _round_trip(model: Canary, routes: Routes, **kw: Any) -> Routes:
    plan = ROUTER.render(_input(model, **kw), routes)
    return ROUTER.read_routes(_input(model, plan.manifests, **kw))


def test_initial_canary_ingress_copies_the_source_with_the_canary_backend() -> None:
    ingress = _ingress(_model(), Routes(100, 0))
    meta = ingress["metadata"]
    assert (meta["name"], meta["namespace"]) == ("podinfo-canary", "test")
    assert meta["labels"] == {"app": "podinfo"}
    assert meta["ownerReferences"][0]["name"] == "podinfo"
    assert meta["annotations"] == {
        f"{NGINX}/proxy-body-size": "2m",
        "kustomize.toolkit.fluxcd.io/checksum": "abc",
        **FLUX_OPT_OUT,
        f"{NGINX}/canary": "true",
        f"{NGINX}/canary-weight": "0",
    }
    assert "uid" not in meta and "resourceVersion" not in meta
    rules = ingress["spec"]["rules"]
    assert rules[0]["http"]["paths"] == [_path("podinfo-canary")]
    assert rules[1]["http"]["paths"] == [_path("other")]
    assert ingress["spec"]["ingressClassName"] == "nginx"


def test_the_source_ingress_is_never_written() -> None:
    source = _source()
    before = copy.deepcopy(source)
    plan = ROUTER.render(inp(_model(), "nginx", [source]), Routes(70, 30))
    assert source == before
    assert [m["metadata"]["name"] for m in plan.manifests] == ["podinfo-canary"]
    assert plan.patches == () and plan.delete == ()


@pytest.mark.parametrize("weight", [1, 10, 50, 100])
def test_weight_sets_exactly_canary_and_weight(weight: int) -> None:
    ingress = _ingress(_model(), Routes(100 - weight, weight))
    assert _canary_keys(ingress) == {
        f"{NGINX}/canary": "true",
        f"{NGINX}/canary-weight": str(weight),
    }


def test_ab_routes_by_header_and_cookie() -> None:
    ingress = _ingress(AB, Routes(0, 100))
    assert _canary_keys(ingress) == {
        f"{NGINX}/canary": "true",
        f"{NGINX}/canary-by-header": "x-canary",
        f"{NGINX}/canary-by-header-value": "insider",
        f"{NGINX}/canary-by-cookie": "canary",
    }


@pytest.mark.parametrize(
    ("how", "pattern"),
    [
        ({"regex": "^(insider|beta)$"}, "^(insider|beta)$"),
        ({"prefix": "in.s"}, r"^in\.s"),
        ({"suffix": "der"}, "der$"),
    ],
)
def test_ab_other_header_operators_become_a_pattern(how: dict[str, str], pattern: str) -> None:
    model = _model(iterations=5, match=[{"headers": {"X-Canary": how}}])
    assert _canary_keys(_ingress(model, Routes(0, 100))) == {
        f"{NGINX}/canary": "true",
        f"{NGINX}/canary-by-header": "X-Canary",
        f"{NGINX}/canary-by-header-pattern": pattern,
    }


@pytest.mark.parametrize("model", [_model(), AB], ids=["canary", "ab"])
def test_promoted_resets_to_weight_zero_with_no_other_canary_keys(model: Canary) -> None:
    ingress = _ingress(model, Routes(100, 0))
    assert _canary_keys(ingress) == {f"{NGINX}/canary": "true", f"{NGINX}/canary-weight": "0"}


def test_custom_prefix_in_every_state() -> None:
    custom = CUSTOM.nginx_annotations_prefix
    assert canary_prefix(CUSTOM) == f"{custom}/canary"
    source = _source(**{f"{custom}/canary-by-cookie": "stale", f"{custom}/rewrite": "/"})
    states = [(_model(), Routes(100, 0)), (_model(), Routes(60, 40)), (AB, Routes(0, 100))]
    seen = []
    for model, routes in states:
        plan = ROUTER.render(inp(model, "nginx", [source], settings=CUSTOM), routes)
        assert validate_plan(plan) == 1
        (ingress,) = plan.manifests
        annotations = ingress["metadata"]["annotations"]
        # the default prefix is not ours under a custom one: the source's keys stay as they are
        assert annotations[f"{NGINX}/canary-weight"] == "5"
        assert annotations[f"{custom}/rewrite"] == "/"
        seen.append(_canary_keys(ingress, custom))
    assert seen == [
        {f"{custom}/canary": "true", f"{custom}/canary-weight": "0"},
        {f"{custom}/canary": "true", f"{custom}/canary-weight": "40"},
        {
            f"{custom}/canary": "true",
            f"{custom}/canary-by-header": "x-canary",
            f"{custom}/canary-by-header-value": "insider",
            f"{custom}/canary-by-cookie": "canary",
        },
    ]
    ab = ROUTER.render(inp(AB, "nginx", [source], settings=CUSTOM), Routes(0, 100))
    live = [source, *ab.manifests]
    assert ROUTER.read_routes(inp(AB, "nginx", live, settings=CUSTOM)) == Routes(0, 100)


def test_default_backend_naming_the_apex_is_renamed() -> None:
    source = _source()
    source["spec"] = {"defaultBackend": {"service": {"name": "podinfo", "port": {"number": 80}}}}
    plan = ROUTER.render(inp(_model(), "nginx", [source]), Routes(100, 0))
    assert validate_plan(plan) == 1
    assert plan.manifests[0]["spec"]["defaultBackend"]["service"]["name"] == "podinfo-canary"


def test_service_name_is_the_apex() -> None:
    model = canary(ingressRef=INGRESS_REF, service={"port": 9898, "name": "other"})
    ingress = _ingress(model, Routes(100, 0))
    paths = [r["http"]["paths"][0] for r in ingress["spec"]["rules"]]
    assert paths == [_path("podinfo"), _path("other-canary")]


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=100))
def test_weights_round_trip(weight: int) -> None:
    routes = Routes(100 - weight, weight)
    assert _round_trip(_model(), routes) == routes
    assert _round_trip(_model(), routes, settings=CUSTOM) == routes


@pytest.mark.parametrize("routes", [Routes(100, 0), Routes(0, 100)])
def test_ab_round_trips(routes: Routes) -> None:
    assert _round_trip(AB, routes) == routes


def test_a_foreign_canary_ingress_is_taken_over_and_restored_on_finalize() -> None:
    foreign = _source()
    foreign["metadata"] = {"name": "podinfo-canary", "namespace": "test", "uid": "u"}
    foreign["spec"] = {"rules": [{"host": "mine.example.com"}]}
    plan = ROUTER.render(_input(_model(), [foreign]), Routes(90, 10))
    assert validate_plan(plan) == 1
    meta = plan.manifests[0]["metadata"]
    assert "ownerReferences" not in meta
    recorded = json.loads(meta["annotations"][ORIGINAL_CONFIGURATION])
    assert recorded == {"spec": foreign["spec"]}
    taken = plan.manifests[0]
    restored = ROUTER.finalize(_input(_model(), [taken]))
    (desired,) = restored.apply
    assert desired.manifest["spec"] == foreign["spec"]
    assert desired.policy.replace == ("spec",)


def test_finalize_leaves_an_owned_canary_ingress_to_the_owner_reference() -> None:
    plan = ROUTER.render(_input(_model()), Routes(100, 0))
    assert ROUTER.finalize(_input(_model(), plan.manifests)).apply == ()
    assert ROUTER.finalize(_input(_model())).apply == ()


def test_reads_the_source_and_the_canary_ingress() -> None:
    refs = ROUTER.reads(_input(_model()))
    assert [(r.kind, r.namespace, r.name) for r in refs] == [
        ("Ingress", "test", "podinfo"),
        ("Ingress", "test", "podinfo-canary"),
    ]


def test_no_owner_reference_when_settings_forbid() -> None:
    ingress = _ingress(_model(), Routes(100, 0), settings=RouterSettings(set_owner_refs=False))
    assert "ownerReferences" not in ingress["metadata"]


# ------------------------------------------------------------------ errors


def test_ingress_ref_is_required() -> None:
    model = canary()
    with pytest.raises(RouterConfigError, match=r"spec\.ingressRef"):
        ROUTER.render(inp(model, "nginx", [_source()]), Routes(100, 0))
    with pytest.raises(RouterConfigError, match=r"spec\.ingressRef"):
        ROUTER.reads(inp(model, "nginx"))


def test_a_missing_source_ingress_is_named() -> None:
    with pytest.raises(
        RouterConfigError, match=r"spec\.ingressRef: Ingress test/podinfo not found"
    ):
        ROUTER.render(inp(_model(), "nginx"), Routes(100, 0))


def test_a_source_without_the_apex_backend_is_refused() -> None:
    source = _source()
    source["spec"]["rules"] = [source["spec"]["rules"][1]]
    with pytest.raises(
        RouterConfigError, match="backend podinfo not found in Ingress test/podinfo"
    ):
        ROUTER.render(inp(_model(), "nginx", [source]), Routes(100, 0))


@pytest.mark.parametrize(
    ("match", "message"),
    [
        (
            [{"headers": {"x-a": {"exact": "1"}}}, {"headers": {"x-b": {"exact": "1"}}}],
            "at most one header and one cookie, found header x-a, header x-b",
        ),
        (
            [{"headers": {"cookie": {"exact": "a"}}}, {"headers": {"cookie": {"exact": "b"}}}],
            "found cookie a, cookie b",
        ),
        ([{"headers": {"cookie": {"regex": ".*canary.*"}}}], r"headers\.cookie: .*'exact'"),
        ([{"queryParams": {"canary": {"exact": "1"}}}], "needs a header or cookie"),
    ],
)
def test_ab_rules_nginx_cannot_express_are_refused(
    match: list[dict[str, Any]], message: str
) -> None:
    model = _model(iterations=5, match=match)
    with pytest.raises(RouterConfigError, match=message):
        ROUTER.render(_input(model), Routes(100, 0))


def test_impossible_weights_are_refused() -> None:
    with pytest.raises(RouterConfigError, match="add up to 100"):
        ROUTER.render(_input(_model()), Routes(50, 40))


def test_read_routes_errors() -> None:
    with pytest.raises(RoutesError, match="Ingress test/podinfo-canary not found"):
        ROUTER.read_routes(_input(_model()))
    plan = ROUTER.render(_input(_model()), Routes(100, 0))
    for bad in ("x", "-1", "101", "1.5"):
        ingress = copy.deepcopy(plan.manifests[0])
        ingress["metadata"]["annotations"][f"{NGINX}/canary-weight"] = bad
        with pytest.raises(RoutesError, match=f"canary-weight '{bad}' is not a weight 0-100"):
            ROUTER.read_routes(_input(_model(), [ingress]))


def test_read_routes_without_a_weight_is_all_primary() -> None:
    plan = ROUTER.render(_input(_model()), Routes(20, 80))
    ingress = copy.deepcopy(plan.manifests[0])
    del ingress["metadata"]["annotations"][f"{NGINX}/canary-weight"]
    assert ROUTER.read_routes(_input(_model(), [ingress])) == Routes(100, 0)


def test_header_keys_count_only_under_ab() -> None:
    plan = ROUTER.render(_input(AB), Routes(0, 100))
    assert ROUTER.read_routes(_input(_model(), plan.manifests)) == Routes(100, 0)


# ------------------------------------------------------------------ API double


def test_applied_and_read_back_through_the_api(apiserver: ApiServerHandle) -> None:
    applier = Applier(apiserver.api_client())
    api = KubeApi(apiserver.api_client())
    source = _source()

    def apply(model: Canary, routes: Routes) -> list[EffectResult]:
        live = [source] + ([found] if (found := api.get(REF)) else [])
        plan = ROUTER.render(inp(model, "nginx", live), routes)
        return [applier.apply(d.manifest, at=AT, policy=d.policy).result for d in plan.apply]

    def read(model: Canary) -> Routes:
        found = api.get(REF)
        assert found is not None
        return ROUTER.read_routes(inp(model, "nginx", [source, found]))

    assert apply(_model(), Routes(100, 0)) == [EffectResult.APPLIED]
    assert apply(_model(), Routes(100, 0)) == [EffectResult.UNCHANGED]
    assert read(_model()) == Routes(100, 0)
    assert apply(_model(), Routes(70, 30)) == [EffectResult.APPLIED]
    assert read(_model()) == Routes(70, 30)
    assert apply(_model(), Routes(70, 30)) == [EffectResult.UNCHANGED]
    assert apply(AB, Routes(0, 100)) == [EffectResult.APPLIED]
    assert read(AB) == Routes(0, 100)
    stored = api.get(REF)
    assert stored is not None
    assert stored["metadata"]["ownerReferences"][0]["uid"] == "c-uid-1"
    assert stored["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == (
        "podinfo-canary"
    )


def test_promotion_removes_the_ab_keys_and_keeps_foreign_annotations(
    apiserver: ApiServerHandle,
) -> None:
    applier = Applier(apiserver.api_client())
    api = KubeApi(apiserver.api_client())
    source = _source()

    def apply(model: Canary, routes: Routes) -> None:
        live = [source] + ([found] if (found := api.get(REF)) else [])
        for d in ROUTER.render(inp(model, "nginx", live), routes).apply:
            assert applier.apply(d.manifest, at=AT, policy=d.policy).result is EffectResult.APPLIED

    apply(AB, Routes(0, 100))
    api.patch(REF, {"metadata": {"annotations": {"other.io/added": "yes"}}})
    apply(AB, Routes(100, 0))
    stored = api.get(REF)
    assert stored is not None
    assert _canary_keys(stored) == {f"{NGINX}/canary": "true", f"{NGINX}/canary-weight": "0"}
    assert stored["metadata"]["annotations"]["other.io/added"] == "yes"
    assert ROUTER.read_routes(inp(AB, "nginx", [source, stored])) == Routes(100, 0)
    apply(_model(), Routes(60, 40))
    found = api.get(REF)
    assert found is not None and _canary_keys(found) == {
        f"{NGINX}/canary": "true",
        f"{NGINX}/canary-weight": "40",
    }
