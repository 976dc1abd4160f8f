"""The shared router rules: take-over and restore, the applier's ``replace`` and ``delete``,
API paths of every router kind, and the ``kubernetes`` provider."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from effects.applying import Applier, ApplyPolicy
from effects.kubeapi import KubeApi, ObjectRef, UnknownKindError
from effects.routing import Cookies, RouterConfigError, Routes
from effects.routing.base import (
    LAST_APPLIED,
    ORIGINAL_CONFIGURATION,
    apex_metadata,
    check_weights,
    cookie_regex,
    expire_cookie,
    original_spec,
    owned_desired,
    restore_plan,
    set_cookie,
)
from effects.routing.kubernetes import KubernetesRouter
from effects.workloads.metadata import FLUX_OPT_OUT
from reducers.events import EffectResult
from reducers.spec.analysis import SessionAffinity
from reducers.spec.canary import CanaryStatus
from tests.fixtures.apiserver import ApiServerHandle
from tests.routing.conftest import canary, inp

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
VS = "networking.istio.io/v1beta1"


def _vs(spec: dict[str, Any], **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": VS,
        "kind": "VirtualService",
        "metadata": {"name": "podinfo", "namespace": "test", **meta},
        "spec": spec,
    }


def test_apex_metadata_has_service_apex_metadata_flux_keys_and_owner() -> None:
    model = canary(
        service={"port": 9898, "apex": {"labels": {"a": "1"}, "annotations": {"b": "2"}}}
    )
    meta = apex_metadata(inp(model, "istio"), "podinfo")
    assert meta["labels"] == {"a": "1"}
    assert meta["annotations"] == {"b": "2", **FLUX_OPT_OUT}
    assert meta["ownerReferences"][0]["uid"] == "c-uid-1"
    assert "annotations" in apex_metadata(inp(model, "istio"), "x", flux=False)
    bare = apex_metadata(inp(canary(), "istio"), "x", flux=False)
    assert "annotations" not in bare and "labels" not in bare


def test_a_foreign_object_is_taken_over_and_keeps_its_first_spec() -> None:
    model = canary()
    foreign = _vs({"hosts": ["user"]}, ownerReferences=[{"kind": "Other", "name": "o"}])
    desired = owned_desired(inp(model, "istio", [foreign]), _vs({"hosts": ["podinfo"]}))
    meta = desired.manifest["metadata"]
    assert "ownerReferences" not in meta
    assert json.loads(meta["annotations"][ORIGINAL_CONFIGURATION]) == {"spec": {"hosts": ["user"]}}
    assert desired.policy == ApplyPolicy(replace=("spec",))
    # once taken over, the annotation already there is carried, not overwritten
    taken = {**desired.manifest, "spec": {"hosts": ["podinfo"]}}
    again = owned_desired(inp(model, "istio", [taken]), _vs({"hosts": ["other"]}))
    assert again.manifest["metadata"]["annotations"] == meta["annotations"]


def test_kubectl_last_applied_is_preferred_to_our_copy() -> None:
    applied = json.dumps({"spec": {"hosts": ["from-kubectl"]}})
    foreign = _vs({"hosts": ["live"]}, annotations={LAST_APPLIED: applied})
    desired = owned_desired(inp(canary(), "istio", [foreign]), _vs({"hosts": ["podinfo"]}))
    annotations = desired.manifest["metadata"]["annotations"]
    assert ORIGINAL_CONFIGURATION not in annotations
    assert original_spec(desired.manifest) == {"hosts": ["from-kubectl"]}


def test_an_object_the_canary_created_is_not_taken_over() -> None:
    model = canary()
    ours = _vs({}, ownerReferences=[{"kind": "Canary", "name": "podinfo", "controller": True}])
    wanted = _vs({"hosts": ["podinfo"]})
    assert owned_desired(inp(model, "istio", [ours]), wanted).manifest == wanted


def test_restore_plan_restores_taken_over_objects_only() -> None:
    model = canary()
    original = json.dumps({"spec": {"hosts": ["user"]}})
    taken = _vs({"hosts": ["podinfo"]}, annotations={ORIGINAL_CONFIGURATION: original})
    key = (VS, "VirtualService", "podinfo")
    plan = restore_plan(inp(model, "istio", [taken]), [key])
    assert [d.manifest["spec"] for d in plan.apply] == [{"hosts": ["user"]}]
    assert plan.apply[0].policy.replace == ("spec",)
    unknown = _vs({"hosts": ["podinfo"]})
    noted = restore_plan(inp(model, "istio", [unknown]), [key])
    assert noted.apply == () and "no original configuration" in noted.notes[0]
    ours = _vs({}, ownerReferences=[{"kind": "Canary", "name": "podinfo", "controller": True}])
    assert restore_plan(inp(model, "istio", [ours]), [key]).apply == ()


def test_cookie_strings() -> None:
    affinity = SessionAffinity.model_validate(
        {
            "cookieName": "flagger-cookie",
            "domain": "example.com",
            "httpOnly": True,
            "partitioned": True,
            "path": "/",
            "sameSite": "Strict",
            "secure": True,
        }
    )
    assert set_cookie("flagger-cookie=abc", 60, affinity) == (
        "flagger-cookie=abc; Max-Age=60; Domain=example.com; HttpOnly; Partitioned; Path=/; "
        "SameSite=Strict; Secure"
    )
    plain = SessionAffinity.model_validate({"cookieName": "c"})
    assert set_cookie("c=x", 5, plain) == "c=x; Max-Age=5"
    assert expire_cookie("c=x") == "c=x; Max-Age=-1"
    assert cookie_regex("c=x") == ".*c.*x.*"


@pytest.mark.parametrize("routes", [Routes(90, 20), Routes(-1, 101), Routes(50, 40)])
def test_impossible_splits_are_refused(routes: Routes) -> None:
    with pytest.raises(RouterConfigError):
        check_weights(routes)


def test_kubernetes_router_owns_nothing_and_reads_the_status() -> None:
    router = KubernetesRouter()
    model = canary()
    given = inp(model, "kubernetes", cookies=Cookies())
    assert router.reads(given) == []
    assert router.render(given, Routes(0, 100)).apply == ()
    assert router.finalize(given).apply == ()
    assert router.read_routes(given) == Routes(100, 0)
    counted = model.model_copy(update={"status": CanaryStatus.model_validate({"iterations": 2})})
    assert router.read_routes(inp(counted, "kubernetes")) == Routes(0, 100)


@pytest.mark.parametrize(
    ("api_version", "kind", "path"),
    [
        ("v1", "Service", "/api/v1/namespaces/test/services/x"),
        ("serving.knative.dev/v1", "Service",
         "/apis/serving.knative.dev/v1/namespaces/test/services/x"),
        ("networking.k8s.io/v1", "Ingress",
         "/apis/networking.k8s.io/v1/namespaces/test/ingresses/x"),
        ("split.smi-spec.io/v1alpha2", "TrafficSplit",
         "/apis/split.smi-spec.io/v1alpha2/namespaces/test/trafficsplits/x"),
        ("kuma.io/v1alpha1", "TrafficRoute", "/apis/kuma.io/v1alpha1/trafficroutes/x"),
        ("gateway.networking.k8s.io/v1beta1", "HTTPRoute",
         "/apis/gateway.networking.k8s.io/v1beta1/namespaces/test/httproutes/x"),
    ],
)  # fmt: skip
def test_api_paths(api_version: str, kind: str, path: str) -> None:
    assert ObjectRef(api_version, kind, "test", "x").path() == path


def test_an_unknown_kind_has_no_path() -> None:
    with pytest.raises(UnknownKindError, match=r"no API path for example\.com/v1 Widget"):
        ObjectRef("example.com/v1", "Widget", "test", "x").path()


def test_replace_removes_keys_the_manifest_no_longer_states(apiserver: ApiServerHandle) -> None:
    applier = Applier(apiserver.api_client())
    mirrored = _vs({"http": [{"route": [{"weight": 100}], "mirror": {"host": "c"}}], "x": {"y": 1}})
    assert applier.apply(mirrored, at=AT).result is EffectResult.APPLIED
    plain = _vs({"http": [{"route": [{"weight": 100}]}], "x": {}})
    # containment alone sees nothing to do; replace makes the spec exact
    assert applier.apply(plain, at=AT).result is EffectResult.UNCHANGED
    policy = ApplyPolicy(replace=("spec",))
    assert applier.apply(plain, at=AT, policy=policy).result is EffectResult.APPLIED
    live = KubeApi(apiserver.api_client()).get(ObjectRef.of(plain))
    assert live is not None and live["spec"] == {"http": [{"route": [{"weight": 100}]}], "x": {}}
    assert applier.apply(plain, at=AT, policy=policy).result is EffectResult.UNCHANGED


def test_delete(apiserver: ApiServerHandle) -> None:
    applier = Applier(apiserver.api_client())
    route = {
        "apiVersion": "kuma.io/v1alpha1",
        "kind": "TrafficRoute",
        "metadata": {"name": "podinfo"},
        "spec": {},
    }
    assert applier.apply(route, at=AT).result is EffectResult.APPLIED
    ref = ObjectRef.of(route)
    assert applier.delete(ref, at=AT).result is EffectResult.APPLIED
    assert KubeApi(apiserver.api_client()).get(ref) is None
    assert applier.delete(ref, at=AT, grace_period_seconds=2).result is EffectResult.UNCHANGED
