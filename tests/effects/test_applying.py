"""The applier against the API server double, through the official client (no monkeypatching)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import kmock
import kubernetes.client
import pytest

from effects.applying import Applier, ApplyPolicy, contains
from effects.autoscalers import keda_pause_patch, render_primary_autoscaler
from effects.configs import render_config_copy
from effects.kubeapi import ObjectRef
from effects.services import ServiceRole, metadata_is_exclusive, render_service, render_services
from effects.settings import WorkloadSettings
from effects.workloads import render_primary, scale_to_zero_patch, scale_up_patch
from effects.workloads.metadata import FLUX_OPT_OUT
from reducers.events import EffectOutcome, EffectResult
from reducers.patching import merge_patch
from reducers.spec import Canary
from tests.effects.conftest import canary, deployment
from tests.fixtures.apiserver import ApiServerHandle

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def applier(apiserver: ApiServerHandle) -> Applier:
    return Applier(apiserver.api_client())


def _primary() -> dict[str, Any]:
    return render_primary(deployment(), canary(), WorkloadSettings(), tracked={}, flagger_id="id-1")


def test_create_then_second_apply_is_a_no_op(apiserver: ApiServerHandle, applier: Applier) -> None:
    first = applier.apply(_primary(), at=AT, effect="primary")
    assert isinstance(first, EffectOutcome)
    assert (first.result, first.effect, first.at) == (EffectResult.APPLIED, "primary", AT)
    stored = apiserver.read("deployments.apps", "podinfo-primary", "test")
    assert stored is not None
    version = stored["metadata"]["resourceVersion"]
    second = applier.apply(_primary(), at=AT)
    assert second.result is EffectResult.UNCHANGED
    after = apiserver.read("deployments.apps", "podinfo-primary", "test")
    assert after is not None and after["metadata"]["resourceVersion"] == version
    patches = apiserver.call(lambda: list(apiserver.kmock[kmock.method.PATCH]))
    assert patches == []


def test_a_real_difference_is_patched(apiserver: ApiServerHandle, applier: Applier) -> None:
    applier.apply(_primary(), at=AT)
    changed = render_primary(
        deployment(), canary(), WorkloadSettings(), tracked={}, flagger_id="id-2"
    )
    assert applier.apply(changed, at=AT).result is EffectResult.APPLIED
    stored = apiserver.read("deployments.apps", "podinfo-primary", "test")
    assert stored is not None
    assert stored["spec"]["template"]["metadata"]["annotations"]["flagger-id"] == "id-2"
    assert applier.apply(changed, at=AT).result is EffectResult.UNCHANGED


def test_replicas_under_an_autoscaler_are_kept(
    apiserver: ApiServerHandle, applier: Applier
) -> None:
    applier.apply(_primary(), at=AT)
    outcome = applier.patch(
        ObjectRef("apps/v1", "Deployment", "test", "podinfo-primary"),
        {"spec": {"replicas": 7}},
        at=AT,
    )
    assert outcome.result is EffectResult.APPLIED
    policy = ApplyPolicy(keep_existing=("spec.replicas",))
    assert applier.apply(_primary(), at=AT, policy=policy).result is EffectResult.UNCHANGED
    stored = apiserver.read("deployments.apps", "podinfo-primary", "test")
    assert stored is not None and stored["spec"]["replicas"] == 7


def test_create_only_never_updates(applier: Applier) -> None:
    applier.apply(_primary(), at=AT)
    other = render_primary(deployment(), canary(), WorkloadSettings(), tracked={}, flagger_id="z")
    outcome = applier.apply(other, at=AT, policy=ApplyPolicy(create_only=True))
    assert outcome.result is EffectResult.UNCHANGED


def test_conflict_is_reread_and_retried(apiserver: ApiServerHandle, applier: Applier) -> None:
    applier.apply(_primary(), at=AT)
    apiserver.fail("patch", "deployments.apps", code=409)
    changed = render_primary(deployment(), canary(), WorkloadSettings(), tracked={}, flagger_id="n")
    assert applier.apply(changed, at=AT).result is EffectResult.APPLIED
    stored = apiserver.read("deployments.apps", "podinfo-primary", "test")
    assert stored is not None
    assert stored["spec"]["template"]["metadata"]["annotations"]["flagger-id"] == "n"


def test_persistent_conflict_is_reported_retryable(
    apiserver: ApiServerHandle, applier: Applier
) -> None:
    applier.apply(_primary(), at=AT)
    apiserver.fail("patch", "deployments.apps", code=409, times=None)
    changed = render_primary(deployment(), canary(), WorkloadSettings(), tracked={}, flagger_id="n")
    outcome = applier.apply(changed, at=AT)
    assert outcome.result is EffectResult.CONFLICT
    assert outcome.retryable is True
    assert outcome.detail.startswith("409")


def test_server_errors_are_retryable_client_errors_permanent(
    apiserver: ApiServerHandle, applier: Applier
) -> None:
    apiserver.fail("create", "deployments.apps", code=503)
    outcome = applier.apply(_primary(), at=AT)
    assert (outcome.result, outcome.retryable) == (EffectResult.ERROR, True)
    apiserver.fail("create", "deployments.apps", code=422)
    outcome = applier.apply(_primary(), at=AT)
    assert (outcome.result, outcome.retryable) == (EffectResult.ERROR, False)
    assert outcome.detail.startswith("422")
    assert applier.apply(_primary(), at=AT).result is EffectResult.APPLIED


def test_unreachable_server_is_a_retryable_error(apiserver: ApiServerHandle) -> None:
    configuration = apiserver.configuration()
    configuration.host = "http://127.0.0.1:9"
    configuration.retries = False
    with kubernetes.client.ApiClient(configuration) as client:
        outcome = Applier(client).apply(_primary(), at=AT)
    assert (outcome.result, outcome.retryable) == (EffectResult.ERROR, True)


def test_services_keep_cluster_ip_and_foreign_annotations(
    apiserver: ApiServerHandle, applier: Applier
) -> None:
    model = canary()
    for svc in render_services(model, deployment(), WorkloadSettings()):
        assert applier.apply(svc, at=AT).result is EffectResult.APPLIED
    apex = apiserver.read("services", "podinfo", "test")
    assert apex is not None
    cluster_ip = apex["spec"]["clusterIP"]
    apex["metadata"]["annotations"]["someone/else"] = "x"
    apiserver.seed(apex)
    live = apiserver.read("services", "podinfo", "test")
    assert live is not None and metadata_is_exclusive(live, model)
    desired = render_service(ServiceRole.APEX, model, deployment(), WorkloadSettings(), live)
    outcome = applier.apply(desired, at=AT, policy=ApplyPolicy(exclusive_metadata=True))
    assert outcome.result is EffectResult.APPLIED
    after = apiserver.read("services", "podinfo", "test")
    assert after is not None
    assert after["spec"]["clusterIP"] == cluster_ip
    assert after["metadata"]["annotations"] == FLUX_OPT_OUT
    again = applier.apply(desired, at=AT, policy=ApplyPolicy(exclusive_metadata=True))
    assert again.result is EffectResult.UNCHANGED


def test_preexisting_user_service_is_taken_over(
    apiserver: ApiServerHandle, applier: Applier
) -> None:
    apiserver.seed(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "podinfo",
                "namespace": "test",
                "labels": {"mine": "1"},
                "annotations": {"user": "note"},
            },
            "spec": {
                "type": "NodePort",
                "selector": {"app": "podinfo"},
                "ports": [{"name": "http", "port": 9898, "targetPort": 9898, "nodePort": 30123}],
            },
        }
    )
    live = apiserver.read("services", "podinfo", "test")
    assert live is not None
    desired = render_service(ServiceRole.APEX, canary(), deployment(), WorkloadSettings(), live)
    assert applier.apply(desired, at=AT).result is EffectResult.APPLIED
    after = apiserver.read("services", "podinfo", "test")
    assert after is not None
    assert after["spec"]["selector"] == {"app": "podinfo-primary"}
    assert after["spec"]["ports"][0]["nodePort"] == 30123
    assert after["spec"]["type"] == "NodePort"
    assert after["metadata"]["labels"] == {"mine": "1"}
    assert after["metadata"]["annotations"] == {"user": "note", **FLUX_OPT_OUT}
    assert not after["metadata"].get("ownerReferences")
    assert applier.apply(desired, at=AT).result is EffectResult.UNCHANGED


def test_target_scaling_patches(apiserver: ApiServerHandle, applier: Applier) -> None:
    apiserver.seed(deployment(replicas=2))
    ref = ObjectRef("apps/v1", "Deployment", "test", "podinfo")
    target = apiserver.read("deployments.apps", "podinfo", "test")
    assert target is not None
    patch = scale_to_zero_patch(target)
    assert patch is not None
    assert applier.patch(ref, patch, at=AT).result is EffectResult.APPLIED
    assert applier.patch(ref, patch, at=AT).result is EffectResult.UNCHANGED
    zero = apiserver.read("deployments.apps", "podinfo", "test")
    assert zero is not None and zero["spec"]["replicas"] == 0
    up = scale_up_patch(zero, canary(), {"spec": {"replicas": 3}})
    assert up == {"spec": {"replicas": 3}}
    assert applier.patch(ref, up, at=AT).result is EffectResult.APPLIED
    missing = ObjectRef("apps/v1", "Deployment", "test", "nope")
    outcome = applier.patch(missing, patch, at=AT)
    assert outcome.result is EffectResult.ERROR


def test_daemonset_parking_node_selector(apiserver: ApiServerHandle, applier: Applier) -> None:
    apiserver.seed(deployment(kind="DaemonSet"))
    target = apiserver.read("daemonsets.apps", "podinfo", "test")
    assert target is not None
    ref = ObjectRef("apps/v1", "DaemonSet", "test", "podinfo")
    down = scale_to_zero_patch(target)
    assert down is not None
    assert applier.patch(ref, down, at=AT).result is EffectResult.APPLIED
    parked = apiserver.read("daemonsets.apps", "podinfo", "test")
    assert parked is not None
    assert parked["spec"]["template"]["spec"]["nodeSelector"] == {
        "flagger.app/scale-to-zero": "true"
    }
    up = scale_up_patch(parked, canary())
    assert up is not None
    assert applier.patch(ref, up, at=AT).result is EffectResult.APPLIED
    back = apiserver.read("daemonsets.apps", "podinfo", "test")
    assert back is not None
    assert not back["spec"]["template"]["spec"].get("nodeSelector")


def test_keda_objects_and_pause(apiserver: ApiServerHandle, applier: Applier) -> None:
    source = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "so", "namespace": "test"},
        "spec": {"scaleTargetRef": {"name": "podinfo"}, "triggers": []},
    }
    apiserver.seed(source)
    model = canary(
        autoscalerRef={"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "name": "so"}
    )
    primary = render_primary_autoscaler(source, model, WorkloadSettings())
    assert applier.apply(primary, at=AT).result is EffectResult.APPLIED
    assert applier.apply(primary, at=AT).result is EffectResult.UNCHANGED
    ref = ObjectRef("keda.sh/v1alpha1", "ScaledObject", "test", "so")
    assert applier.patch(ref, keda_pause_patch(), at=AT).result is EffectResult.APPLIED
    paused = apiserver.read("scaledobjects.keda.sh", "so", "test")
    assert paused is not None
    assert paused["metadata"]["annotations"] == {"autoscaling.keda.sh/paused-replicas": "0"}


def test_config_copies_shared_by_two_canaries(apiserver: ApiServerHandle, applier: Applier) -> None:
    source = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg", "namespace": "test"},
        "data": {"a": "1"},
    }
    first = canary()
    applier.apply(render_config_copy(source, first, ("",)), at=AT)
    other_doc = first.to_document()
    other_doc["metadata"] = {"name": "other", "namespace": "test", "uid": "c-uid-2"}
    other = Canary.model_validate(other_doc)
    existing = apiserver.read("configmaps", "cfg-primary", "test")
    assert applier.apply(render_config_copy(source, other, ("",), existing), at=AT).result is (
        EffectResult.APPLIED
    )
    stored = apiserver.read("configmaps", "cfg-primary", "test")
    assert stored is not None
    refs = [(r["name"], r["controller"]) for r in stored["metadata"]["ownerReferences"]]
    assert refs == [("other", True), ("podinfo", False)]


def test_containment_and_merge_patch_rules() -> None:
    assert contains({"a": 1, "b": 2}, {"a": 1})
    assert contains({"a": 1}, {"b": None})
    assert not contains({"a": 1, "b": 2}, {"b": None})
    assert not contains({"l": [1, 2]}, {"l": [1]})
    assert merge_patch({"a": {"b": 1, "c": 2}}, {"a": {"b": None, "d": 3}}) == {
        "a": {"c": 2, "d": 3}
    }


def test_a_known_live_copy_saves_the_read_and_a_stale_one_costs_a_retry(
    apiserver: ApiServerHandle, applier: Applier
) -> None:
    applier.apply(_primary(), at=AT)
    stored = apiserver.read("deployments.apps", "podinfo-primary", "test")
    assert stored is not None

    def gets() -> int:
        return len(apiserver.call(lambda: list(apiserver.kmock[kmock.method.GET])))

    before = gets()
    assert applier.apply(_primary(), at=AT, known=stored).result is EffectResult.UNCHANGED
    assert gets() == before  # compared with the copy the caller had: no request at all
    changed = render_primary(
        deployment(), canary(), WorkloadSettings(), tracked={}, flagger_id="id-9"
    )
    assert applier.apply(changed, at=AT, known=stored).result is EffectResult.APPLIED
    # the copy is stale now (older resourceVersion): the write conflicts, is re-read, and lands
    again = render_primary(
        deployment(), canary(), WorkloadSettings(), tracked={}, flagger_id="id-10"
    )
    assert applier.apply(again, at=AT, known=stored).result is EffectResult.APPLIED
    live = apiserver.read("deployments.apps", "podinfo-primary", "test")
    assert live is not None
    assert live["spec"]["template"]["metadata"]["annotations"]["flagger-id"] == "id-10"
