"""The ``knative`` router: merge patches of the user's Knative Service (the patched Service checked
against the upstream schema), the split read from ``status.traffic``, finalization, errors, and
patches applied through the API double with the status Knative would report."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from effects.applying import Applier
from effects.kubeapi import KubeApi, ObjectRef
from effects.routing import Patch, RouterConfigError, RouterPlan, Routes, RoutesError
from effects.routing.knative import KnativeRouter
from effects.workloads.service_targets import PRIMARY_REVISION
from reducers.events import EffectResult
from reducers.patching import merge_patch
from reducers.spec import Canary, Phase
from tests.fixtures.apiserver import ApiServerHandle
from tests.routing.conftest import assert_crd_valid, canary, inp

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ROUTER = KnativeRouter()
KSVC = "serving.knative.dev/v1"
REF = ObjectRef(KSVC, "Service", "test", "podinfo")
AB = {"interval": "1m", "threshold": 5, "iterations": 10, "match": [{"headers": {}}]}


def _model(**spec: Any) -> Canary:
    target = {"apiVersion": KSVC, "kind": "Service", "name": "podinfo"}
    return canary(targetRef=target, provider="knative", **spec)


def _ksvc(primary: str | None = None, latest: str = "podinfo-00002", **status: Any) -> Any:
    meta: dict[str, Any] = {"name": "podinfo", "namespace": "test"}
    if primary is not None:
        meta["annotations"] = {PRIMARY_REVISION: primary}
    container = {"image": "ghcr.io/stefanprodan/podinfo:6.0.1", "ports": [{"containerPort": 9898}]}
    return {
        "apiVersion": KSVC,
        "kind": "Service",
        "metadata": meta,
        "spec": {"template": {"spec": {"containers": [container]}}},
        "status": {"latestCreatedRevisionName": latest, **status},
    }


def _traffic(primary: int, canary_weight: int, revision: str = "podinfo-00001") -> Any:
    return [
        {"latestRevision": True, "percent": canary_weight},
        {"revisionName": revision, "percent": primary},
    ]


def _knative_reports(service: Any) -> Any:
    """The Service with the status Knative writes once it has routed ``spec.traffic``."""
    out = copy.deepcopy(service)
    latest = out["status"]["latestCreatedRevisionName"]
    out["status"]["traffic"] = [
        {**t, "revisionName": latest} if t.get("latestRevision") else {**t, "latestRevision": False}
        for t in out["spec"]["traffic"]
    ]
    return out


def _patched(live: Any, routes: Routes, model: Canary | None = None) -> tuple[Patch, Any]:
    plan = ROUTER.render(inp(model or _model(), "knative", [live]), routes)
    assert plan.apply == () and plan.delete == ()
    (patch,) = plan.patches
    assert patch.ref == REF
    after = merge_patch(live, patch.patch)
    assert_crd_valid(after)
    return patch, after


def test_the_user_service_is_valid() -> None:
    assert_crd_valid(_ksvc())


def test_the_first_render_records_the_latest_revision_as_primary() -> None:
    patch, after = _patched(_ksvc(latest="podinfo-00001"), Routes(100, 0))
    assert patch.patch == {
        "metadata": {"annotations": {PRIMARY_REVISION: "podinfo-00001"}},
        "spec": {"traffic": _traffic(100, 0)},
    }
    assert after["metadata"]["annotations"] == {PRIMARY_REVISION: "podinfo-00001"}


@pytest.mark.parametrize(
    "routes",
    [Routes(100, 0), Routes(80, 20), Routes(0, 100), Routes(100, 0)],
    ids=["initial", "weight", "blue-green", "promoted"],
)
def test_shapes_keep_the_recorded_primary(routes: Routes) -> None:
    patch, after = _patched(_ksvc(primary="podinfo-00001"), routes)
    assert patch.patch == {"spec": {"traffic": _traffic(routes.primary, routes.canary)}}
    assert ROUTER.read_routes(inp(_model(), "knative", [_knative_reports(after)])) == routes


def test_a_b_iterations_route_everything_to_the_latest_revision() -> None:
    patch, _ = _patched(_ksvc(primary="podinfo-00001"), Routes(0, 100), _model(analysis=AB))
    assert patch.patch["spec"]["traffic"] == _traffic(0, 100)


def test_mirroring_is_not_expressible_and_says_so() -> None:
    plan = ROUTER.render(inp(_model(), "knative", [_ksvc("podinfo-00001")]), Routes(100, 0, True))
    assert plan.patches[0].patch["spec"]["traffic"] == _traffic(100, 0)
    assert "mirroring skipped" in plan.notes[0]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 100))
def test_every_split_round_trips(weight: int) -> None:
    routes = Routes(100 - weight, weight)
    _, after = _patched(_ksvc(primary="podinfo-00001"), routes)
    assert ROUTER.read_routes(inp(_model(), "knative", [_knative_reports(after)])) == routes


def test_a_primary_that_is_also_the_latest_revision_is_told_apart() -> None:
    # right after a promotion both traffic entries name the same revision
    _, after = _patched(_ksvc(primary="podinfo-00002"), Routes(100, 0))
    reported = _knative_reports(after)
    assert {t["revisionName"] for t in reported["status"]["traffic"]} == {"podinfo-00002"}
    assert ROUTER.read_routes(inp(_model(), "knative", [reported])) == Routes(100, 0)


def test_reads_the_target() -> None:
    assert ROUTER.reads(inp(_model(), "knative")) == [REF]


def test_finalize_forgets_the_primary_and_routes_the_latest_revision() -> None:
    live = _knative_reports(_patched(_ksvc(primary="podinfo-00001"), Routes(100, 0))[1])
    plan = ROUTER.finalize(inp(_model(), "knative", [live]))
    assert plan.apply == ()
    (patch,) = plan.patches
    after = merge_patch(live, patch.patch)
    assert_crd_valid(after)
    assert PRIMARY_REVISION not in after["metadata"].get("annotations", {})
    assert after["spec"]["traffic"] == [{"latestRevision": True, "percent": 100}]
    assert ROUTER.finalize(inp(_model(), "knative")) == RouterPlan()


def test_impossible_splits_are_refused() -> None:
    with pytest.raises(RouterConfigError, match="add up to 100"):
        ROUTER.render(inp(_model(), "knative", [_ksvc("podinfo-00001")]), Routes(10, 10))


@pytest.mark.parametrize(
    ("live", "message"),
    [
        ([], r"Knative Service test/podinfo \(spec.targetRef\) not found"),
        ([_ksvc(latest="")], "no status.latestCreatedRevisionName yet"),
    ],
)
def test_render_errors(live: list[Any], message: str) -> None:
    with pytest.raises(RoutesError, match=message):
        ROUTER.render(inp(_model(), "knative", live), Routes(100, 0))


@pytest.mark.parametrize(
    ("live", "message"),
    [
        ([], r"Knative Service test/podinfo \(spec.targetRef\) not found"),
        ([_ksvc(traffic=_traffic(100, 0))], "has no flagger.app/primary-revision annotation"),
        ([_ksvc("podinfo-00001")], "status.traffic has no latest revision"),
        (
            [_ksvc("podinfo-00001", traffic=[{"latestRevision": True, "percent": 100}])],
            "status.traffic does not route podinfo-00001",
        ),
        (
            [_ksvc("podinfo-00001", traffic=[{"latestRevision": True}, _traffic(1, 0)[1]])],
            "status.traffic latest entry has no percent",
        ),
    ],
)
def test_unreadable_routes(live: list[Any], message: str) -> None:
    with pytest.raises(RoutesError, match=message):
        ROUTER.read_routes(inp(_model(), "knative", live))


def test_patched_and_read_back_through_the_api(apiserver: ApiServerHandle) -> None:
    applier = Applier(apiserver.api_client())
    api = KubeApi(apiserver.api_client())
    model = _model()
    apiserver.seed(_ksvc(latest="podinfo-00001"))

    def live() -> dict[str, Any]:
        found = api.get(REF)
        assert found is not None
        return found

    def patch_all(routes: Routes, expected: EffectResult) -> None:
        for p in ROUTER.render(inp(model, "knative", [live()]), routes).patches:
            assert applier.patch(p.ref, p.patch, at=AT).result is expected

    patch_all(Routes(100, 0), EffectResult.APPLIED)
    assert live()["metadata"]["annotations"][PRIMARY_REVISION] == "podinfo-00001"
    patch_all(Routes(100, 0), EffectResult.UNCHANGED)
    # a new revision appears; the recorded primary stays
    apiserver.seed(_knative_reports({**live(), "status": {"latestCreatedRevisionName": "p-2"}}))
    patch_all(Routes(70, 30), EffectResult.APPLIED)
    assert live()["metadata"]["annotations"][PRIMARY_REVISION] == "podinfo-00001"
    apiserver.seed(_knative_reports(live()))
    assert ROUTER.read_routes(inp(model, "knative", [live()])) == Routes(70, 30)
    for p in ROUTER.finalize(inp(model, "knative", [live()])).patches:
        assert applier.patch(p.ref, p.patch, at=AT).result is EffectResult.APPLIED
    assert PRIMARY_REVISION not in (live()["metadata"].get("annotations") or {})


def test_promotion_makes_the_latest_revision_the_primary() -> None:
    model = _model()
    live = _ksvc(primary="podinfo-00001", latest="podinfo-00002")
    plan = KnativeRouter().render(
        inp(model, "knative", [live], phase=Phase.PROMOTING), Routes(100, 0)
    )
    patch = plan.patches[0].patch
    assert patch["metadata"]["annotations"][PRIMARY_REVISION] == "podinfo-00002"
    assert patch["spec"]["traffic"][1] == {"revisionName": "podinfo-00002", "percent": 100}
    progressing = KnativeRouter().render(inp(model, "knative", [live]), Routes(90, 10))
    assert "metadata" not in progressing.patches[0].patch
