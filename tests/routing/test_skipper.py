"""The ``skipper`` router: the canary Ingress with duplicated paths and its two annotations in
every state against the Kubernetes schema, round trips, take-over, deletion on finalize,
errors, and the API double."""

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
from effects.routing.skipper import BACKEND_WEIGHTS, PREDICATE, SkipperRouter, predicate
from effects.workloads.metadata import FLUX_OPT_OUT
from reducers.events import EffectResult
from reducers.spec import Canary
from tests.fixtures.apiserver import ApiServerHandle
from tests.routing.conftest import canary, inp, validate_plan

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ROUTER = SkipperRouter()
INGRESS_REF = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "podinfo"}
MODEL = canary(ingressRef=INGRESS_REF)
REF = ObjectRef("networking.k8s.io/v1", "Ingress", "test", "podinfo-canary")
SOURCE_PREDICATE = 'Header("X-Team", "a") && Weight(100) && False()'


def _path(service: str, path: str = "/") -> dict[str, Any]:
    backend = {"service": {"name": service, "port": {"name": "http"}}}
    return {"path": path, "pathType": "ImplementationSpecific", "backend": backend}


def _source() -> dict[str, Any]:
    """The user's Ingress: two apex paths and one other Service in the first rule."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "podinfo",
            "namespace": "test",
            "uid": "ingress-uid",
            "resourceVersion": "3",
            "labels": {"app": "podinfo"},
            "annotations": {
                LAST_APPLIED: '{"kind":"Ingress"}',
                PREDICATE: SOURCE_PREDICATE,
                "zalando.org/skipper-filter": 'setRequestHeader("X-A", "b")',
            },
        },
        "spec": {
            "ingressClassName": "skipper",
            "rules": [
                {
                    "host": "app.example.com",
                    "http": {
                        "paths": [
                            _path("podinfo"),
                            _path("other", "/other"),
                            _path("podinfo", "/v2"),
                        ]
                    },
                },
                {"host": "bare.example.com"},
            ],
        },
    }


def _input(model: Canary, live: list[dict[str, Any]] | None = None, **kw: Any) -> RouterInput:
    return inp(model, "skipper", [_source(), *(live or [])], **kw)


def _ingress(routes: Routes, **kw: Any) -> dict[str, Any]:
    plan = ROUTER.render(_input(MODEL, **kw), routes)
    assert validate_plan(plan) == 1
    assert [d.policy.replace for d in plan.apply] == [("spec",)]
    (manifest,) = plan.manifests
    return manifest


def _round_trip(routes: Routes) -> Routes:
    plan = ROUTER.render(_input(MODEL), routes)
    return ROUTER.read_routes(_input(MODEL, plan.manifests))


def test_initial_canary_ingress_duplicates_apex_paths_and_disables_its_routes() -> None:
    ingress = _ingress(Routes(100, 0))
    meta = ingress["metadata"]
    assert (meta["name"], meta["namespace"]) == ("podinfo-canary", "test")
    assert meta["labels"] == {"app": "podinfo"}
    assert meta["ownerReferences"][0]["uid"] == "c-uid-1"
    assert "uid" not in meta and "resourceVersion" not in meta
    assert meta["annotations"] == {
        PREDICATE: 'False() && Header("X-Team", "a")',
        BACKEND_WEIGHTS: '{"podinfo-canary":0,"podinfo-primary":100}',
        "zalando.org/skipper-filter": 'setRequestHeader("X-A", "b")',
        **FLUX_OPT_OUT,
    }
    rules = ingress["spec"]["rules"]
    assert rules[0]["http"]["paths"] == [
        _path("podinfo-primary"),
        _path("other", "/other"),
        _path("podinfo-primary", "/v2"),
        _path("podinfo-canary"),
        _path("podinfo-canary", "/v2"),
    ]
    assert rules[1] == {"host": "bare.example.com"}


@pytest.mark.parametrize("weight", [1, 30, 99, 100])
def test_weight_goes_to_the_annotations_with_weight_predicate_first(weight: int) -> None:
    annotations = _ingress(Routes(100 - weight, weight))["metadata"]["annotations"]
    assert json.loads(annotations[BACKEND_WEIGHTS]) == {
        "podinfo-primary": 100 - weight,
        "podinfo-canary": weight,
    }
    assert annotations[PREDICATE] == 'Weight(100) && Header("X-Team", "a")'


def test_promoted_disables_the_canary_routes_again() -> None:
    annotations = _ingress(Routes(100, 0))["metadata"]["annotations"]
    assert annotations[PREDICATE].startswith("False() && ")
    assert annotations[BACKEND_WEIGHTS] == '{"podinfo-canary":0,"podinfo-primary":100}'


def test_predicate_rules() -> None:
    assert predicate(None, "Weight(100)") == "Weight(100)"
    assert predicate("", "False()") == "False()"
    assert predicate(" Path(`/x`) &&  && False() ", "Weight(100)") == "Weight(100) && Path(`/x`)"


def test_the_source_ingress_is_never_written_nor_deleted() -> None:
    source = _source()
    before = copy.deepcopy(source)
    plan = ROUTER.render(inp(MODEL, "skipper", [source]), Routes(60, 40))
    assert source == before
    assert [m["metadata"]["name"] for m in plan.manifests] == ["podinfo-canary"]
    assert ROUTER.finalize(inp(MODEL, "skipper", [source])).delete == (REF,)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=100))
def test_weights_round_trip(weight: int) -> None:
    routes = Routes(100 - weight, weight)
    assert _round_trip(routes) == routes


def test_ab_canary_routes_by_weight() -> None:
    analysis = {
        "interval": "1m",
        "threshold": 5,
        "iterations": 5,
        "match": [{"headers": {"x-canary": {"exact": "insider"}}}],
    }
    model = canary(ingressRef=INGRESS_REF, analysis=analysis)
    plan = ROUTER.render(_input(model), Routes(0, 100))
    assert validate_plan(plan) == 1
    assert ROUTER.read_routes(_input(model, plan.manifests)) == Routes(0, 100)


def test_reads_the_source_and_the_canary_ingress() -> None:
    refs = ROUTER.reads(_input(MODEL))
    assert [(r.kind, r.name) for r in refs] == [
        ("Ingress", "podinfo"),
        ("Ingress", "podinfo-canary"),
    ]


def test_no_owner_reference_when_settings_forbid() -> None:
    ingress = _ingress(Routes(100, 0), settings=RouterSettings(set_owner_refs=False))
    assert "ownerReferences" not in ingress["metadata"]


def test_finalize_deletes_an_owned_canary_ingress() -> None:
    plan = ROUTER.render(_input(MODEL), Routes(100, 0))
    done = ROUTER.finalize(_input(MODEL, plan.manifests))
    assert (done.apply, done.delete) == ((), (REF,))


def test_a_foreign_canary_ingress_is_taken_over_and_restored_not_deleted() -> None:
    foreign = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "podinfo-canary", "namespace": "test", "uid": "u"},
        "spec": {"rules": [{"host": "mine.example.com"}]},
    }
    plan = ROUTER.render(_input(MODEL, [foreign]), Routes(80, 20))
    assert validate_plan(plan) == 1
    meta = plan.manifests[0]["metadata"]
    assert "ownerReferences" not in meta
    assert json.loads(meta["annotations"][ORIGINAL_CONFIGURATION]) == {"spec": foreign["spec"]}
    done = ROUTER.finalize(_input(MODEL, plan.manifests))
    assert done.delete == ()
    (restored,) = done.apply
    assert restored.manifest["spec"] == foreign["spec"]


# ------------------------------------------------------------------ errors


def test_ingress_ref_is_required() -> None:
    with pytest.raises(RouterConfigError, match=r"spec\.ingressRef"):
        ROUTER.render(inp(canary(), "skipper", [_source()]), Routes(100, 0))
    with pytest.raises(RouterConfigError, match=r"spec\.ingressRef"):
        ROUTER.finalize(inp(canary(), "skipper"))


def test_a_missing_source_ingress_is_named() -> None:
    with pytest.raises(RouterConfigError, match=r"Ingress test/podinfo not found"):
        ROUTER.render(inp(MODEL, "skipper"), Routes(100, 0))


def test_a_source_without_a_path_to_the_apex_is_refused() -> None:
    source = _source()
    source["spec"]["rules"][0]["http"]["paths"] = [_path("other")]
    source["spec"]["defaultBackend"] = {"service": {"name": "podinfo", "port": {"number": 80}}}
    with pytest.raises(
        RouterConfigError, match="backend podinfo not found in Ingress test/podinfo"
    ):
        ROUTER.render(inp(MODEL, "skipper", [source]), Routes(100, 0))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "no zalando.org/backend-weights annotation"),
        ("{", "is not JSON"),
        ("[1, 2]", "is not a JSON object"),
        ('{"podinfo-canary": 0}', "has no weight for podinfo-primary"),
        ('{"podinfo-primary": 100}', "has no weight for podinfo-canary"),
        ('{"podinfo-primary": 99.5, "podinfo-canary": 0.5}', "not 0-100: 99.5"),
        ('{"podinfo-primary": true, "podinfo-canary": 0}', "not 0-100: True"),
        ('{"podinfo-primary": 101, "podinfo-canary": 0}', "not 0-100: 101"),
        ('{"podinfo-primary": 50, "podinfo-canary": 40}', "add up to 90"),
    ],
)
def test_read_routes_errors(raw: str | None, message: str) -> None:
    ingress = _ingress(Routes(100, 0))
    annotations = ingress["metadata"]["annotations"]
    del annotations[BACKEND_WEIGHTS]
    if raw is not None:
        annotations[BACKEND_WEIGHTS] = raw
    with pytest.raises(RoutesError, match=f"Ingress test/podinfo-canary: .*{message}"):
        ROUTER.read_routes(_input(MODEL, [ingress]))


def test_read_routes_without_the_canary_ingress() -> None:
    with pytest.raises(RoutesError, match="Ingress test/podinfo-canary not found"):
        ROUTER.read_routes(_input(MODEL))


# ------------------------------------------------------------------ API double


def test_applied_read_back_and_deleted_through_the_api(apiserver: ApiServerHandle) -> None:
    applier = Applier(apiserver.api_client())
    api = KubeApi(apiserver.api_client())
    source = _source()

    def live() -> list[dict[str, Any]]:
        found = api.get(REF)
        return [source] + ([found] if found else [])

    def apply(routes: Routes) -> list[EffectResult]:
        plan = ROUTER.render(inp(MODEL, "skipper", live()), routes)
        return [applier.apply(d.manifest, at=AT, policy=d.policy).result for d in plan.apply]

    assert apply(Routes(100, 0)) == [EffectResult.APPLIED]
    assert apply(Routes(100, 0)) == [EffectResult.UNCHANGED]
    assert ROUTER.read_routes(inp(MODEL, "skipper", live())) == Routes(100, 0)
    assert apply(Routes(75, 25)) == [EffectResult.APPLIED]
    assert ROUTER.read_routes(inp(MODEL, "skipper", live())) == Routes(75, 25)
    stored = api.get(REF)
    assert stored is not None
    assert stored["metadata"]["annotations"][PREDICATE] == 'Weight(100) && Header("X-Team", "a")'
    assert len(stored["spec"]["rules"][0]["http"]["paths"]) == 5
    done = ROUTER.finalize(inp(MODEL, "skipper", live()))
    assert [applier.delete(ref, at=AT).result for ref in done.delete] == [EffectResult.APPLIED]
    assert api.get(REF) is None
