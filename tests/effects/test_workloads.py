"""Primary workloads and target scaling (flagger-objects §1.1, §1.2, §1.6, §1.7)."""

from __future__ import annotations

from typing import Any

import pytest

from effects.errors import RenderError
from effects.settings import WorkloadSettings
from effects.workloads import (
    SCALE_TO_ZERO_NODE_SELECTOR,
    PrimaryShape,
    knative_pin_patch,
    knative_promote_patch,
    render_primary,
    render_service_target_copies,
    scale_to_zero_patch,
    scale_up_patch,
    scale_up_replicas,
    selector_label,
)
from tests.effects.conftest import assert_valid, canary, deployment

ID = "5a2d1f0e-1111-4222-8333-444455556666"


def _render(target: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    settings = kwargs.pop("settings", WorkloadSettings())
    model = kwargs.pop("model", canary())
    out = render_primary(target, model, settings, tracked={}, flagger_id=ID, **kwargs)
    assert_valid(out)
    return out


def test_primary_deployment_on_create() -> None:
    target = deployment(
        labels={"app": "podinfo", "team": "a", "kustomize.toolkit.fluxcd.io/name": "x"},
        replicas=3,
        progressDeadlineSeconds=60,
        minReadySeconds=5,
        revisionHistoryLimit=4,
        strategy={"type": "RollingUpdate"},
    )
    target["metadata"]["annotations"] = {"note": "kept", "helm.toolkit.fluxcd.io/x": "dropped"}
    target["spec"]["template"]["metadata"]["annotations"] = {"flagger-id": "old", "a": "b"}
    out = _render(target)
    meta, spec = out["metadata"], out["spec"]
    assert meta["name"] == "podinfo-primary" and meta["namespace"] == "test"
    # default include-label-prefix copies no labels: only the forced selector label
    assert meta["labels"] == {"app": "podinfo-primary"}
    assert meta["annotations"] == {"note": "kept"}
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "flagger.app/v1beta1",
            "kind": "Canary",
            "name": "podinfo",
            "uid": "c-uid-1",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert spec["replicas"] == 3
    assert spec["progressDeadlineSeconds"] == 60
    assert spec["minReadySeconds"] == 5
    assert spec["revisionHistoryLimit"] == 4
    assert spec["strategy"] == {"type": "RollingUpdate"}
    assert spec["selector"] == {"matchLabels": {"app": "podinfo-primary"}}
    assert spec["template"]["metadata"]["labels"] == {"app": "podinfo-primary"}
    assert spec["template"]["metadata"]["annotations"] == {"a": "b", "flagger-id": ID}


def test_flagger_id_is_an_input_so_rendering_is_deterministic() -> None:
    target = deployment()
    assert _render(target) == _render(target)
    other = render_primary(target, canary(), WorkloadSettings(), tracked={}, flagger_id="x")
    assert other["spec"]["template"]["metadata"]["annotations"]["flagger-id"] == "x"


@pytest.mark.parametrize(("replicas", "expected"), [(None, 1), (0, 1), (4, 4)])
def test_primary_replicas_on_create(replicas: int | None, expected: int) -> None:
    extra = {} if replicas is None else {"replicas": replicas}
    assert _render(deployment(**extra))["spec"]["replicas"] == expected


def test_include_label_prefix() -> None:
    target = deployment(labels={"app": "podinfo", "team": "a", "teamx": "b", "other": "c"})
    settings = WorkloadSettings(include_label_prefixes=("team",))
    assert _render(target, settings=settings)["metadata"]["labels"] == {
        "app": "podinfo-primary",
        "team": "a",
        "teamx": "b",
    }
    every = WorkloadSettings(include_label_prefixes=("*",))
    labels = _render(target, settings=every)["metadata"]["labels"]
    assert labels == {"app": "podinfo-primary", "team": "a", "teamx": "b", "other": "c"}


def test_promotion_copies_spec_and_filters_annotations() -> None:
    target = deployment(replicas=2, strategy={"type": "Recreate"})
    target["metadata"]["annotations"] = {"note": "x", "team/owner": "y"}
    settings = WorkloadSettings(include_label_prefixes=("team",))
    out = _render(target, settings=settings, shape=PrimaryShape.PROMOTE)
    assert out["metadata"]["annotations"] == {"team/owner": "y"}
    assert out["spec"]["replicas"] == 2
    assert out["spec"]["strategy"] == {"type": "Recreate"}


def test_promotion_leaves_replicas_to_the_autoscaler() -> None:
    model = canary(
        autoscalerRef={
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "name": "podinfo",
        }
    )
    out = _render(deployment(replicas=2), model=model, shape=PrimaryShape.PROMOTE)
    assert "replicas" not in out["spec"]
    created = _render(deployment(replicas=2), model=model)
    assert created["spec"]["replicas"] == 2


def test_tracked_config_references_are_renamed() -> None:
    pod_spec = {
        "containers": [
            {
                "name": "app",
                "image": "x",
                "envFrom": [{"configMapRef": {"name": "cfg"}}, {"secretRef": {"name": "other"}}],
            }
        ],
        "volumes": [{"name": "s", "secret": {"secretName": "sec"}}],
    }
    out = render_primary(
        deployment(pod_spec=pod_spec),
        canary(),
        WorkloadSettings(),
        tracked={"configmap/cfg": "1", "secret/sec": "2"},
        flagger_id=ID,
    )
    assert_valid(out)
    spec = out["spec"]["template"]["spec"]
    assert spec["containers"][0]["envFrom"] == [
        {"configMapRef": {"name": "cfg-primary"}},
        {"secretRef": {"name": "other"}},
    ]
    assert spec["volumes"][0]["secret"]["secretName"] == "sec-primary"
    off = render_primary(
        deployment(pod_spec=pod_spec),
        canary(),
        WorkloadSettings(config_tracking=False),
        tracked={"configmap/cfg": "1"},
        flagger_id=ID,
    )
    assert off["spec"]["template"]["spec"]["containers"][0]["envFrom"][0] == {
        "configMapRef": {"name": "cfg"}
    }


def _selector(value: str, *others: str) -> dict[str, Any]:
    return {
        "matchLabels": {"app": value},
        "matchExpressions": [{"key": "app", "operator": "In", "values": [value, *others]}],
    }


def test_affinity_and_topology_selectors_follow_the_primary() -> None:
    pod_spec = {
        "containers": [{"name": "app", "image": "x"}],
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "zone",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": _selector("podinfo"),
            }
        ],
        "affinity": {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 1,
                        "podAffinityTerm": {
                            "topologyKey": "host",
                            "labelSelector": _selector("podinfo", "podinfo"),
                        },
                    }
                ],
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {"topologyKey": "host", "labelSelector": _selector("arbitrary-app")}
                ],
            },
            "podAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {"topologyKey": "host", "labelSelector": _selector("podinfo")}
                ]
            },
        },
    }
    spec = _render(deployment(pod_spec=pod_spec))["spec"]["template"]["spec"]
    assert spec["topologySpreadConstraints"][0]["labelSelector"] == _selector("podinfo-primary")
    anti = spec["affinity"]["podAntiAffinity"]
    preferred = anti["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]
    # only the first matching value of an expression is renamed
    assert preferred["labelSelector"] == _selector("podinfo-primary", "podinfo")
    required = anti["requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert required["labelSelector"] == _selector("arbitrary-app")
    pod_affinity = spec["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert pod_affinity[0]["labelSelector"] == _selector("podinfo")


def test_selector_label_is_the_first_configured_one_present() -> None:
    target = deployment(selector={"name": "n", "app.kubernetes.io/name": "k"})
    assert selector_label(target, WorkloadSettings().selector_labels) == ("name", "n")
    out = _render(target)
    assert out["spec"]["selector"] == {"matchLabels": {"name": "n-primary"}}


def test_missing_selector_label_is_the_reference_error() -> None:
    target = deployment(selector={"role": "web"})
    with pytest.raises(RenderError) as error:
        _render(target)
    assert str(error.value) == (
        "deployment podinfo.test spec.selector.matchLabels must contain one of "
        "[app name app.kubernetes.io/name]"
    )
    custom = WorkloadSettings(selector_labels=("role",))
    assert _render(target, settings=custom)["spec"]["selector"]["matchLabels"] == {
        "role": "web-primary"
    }


def _daemonset(**spec: Any) -> dict[str, Any]:
    target = deployment(kind="DaemonSet", **spec)
    target["spec"]["template"]["spec"]["nodeSelector"] = {
        "disk": "ssd",
        SCALE_TO_ZERO_NODE_SELECTOR: "true",
    }
    return target


def test_primary_daemonset() -> None:
    model = canary(targetRef={"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "podinfo"})
    target = _daemonset(minReadySeconds=3, updateStrategy={"type": "RollingUpdate"})
    created = _render(target, model=model)
    assert created["kind"] == "DaemonSet"
    assert "replicas" not in created["spec"]
    assert created["spec"]["minReadySeconds"] == 3
    assert created["spec"]["updateStrategy"] == {"type": "RollingUpdate"}
    # the parking node selector is not stripped on create, only on promotion
    selector = created["spec"]["template"]["spec"]["nodeSelector"]
    assert selector == {"disk": "ssd", SCALE_TO_ZERO_NODE_SELECTOR: "true"}
    promoted = _render(target, model=model, shape=PrimaryShape.PROMOTE)
    assert promoted["spec"]["template"]["spec"]["nodeSelector"] == {"disk": "ssd"}


def test_daemonset_needs_rolling_update() -> None:
    model = canary(targetRef={"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "podinfo"})
    with pytest.raises(RenderError, match="must have RollingUpdate strategy but have OnDelete"):
        _render(_daemonset(updateStrategy={"type": "OnDelete"}), model=model)


def test_scale_to_zero_and_back() -> None:
    assert scale_to_zero_patch(deployment()) == {"spec": {"replicas": 0}}
    ds = deployment(kind="DaemonSet")
    assert scale_to_zero_patch(ds) == {
        "spec": {"template": {"spec": {"nodeSelector": {SCALE_TO_ZERO_NODE_SELECTOR: "true"}}}}
    }
    assert scale_up_patch(ds, canary()) == {
        "spec": {"template": {"spec": {"nodeSelector": {SCALE_TO_ZERO_NODE_SELECTOR: None}}}}
    }
    assert scale_up_patch(deployment(replicas=3), canary()) == {"spec": {"replicas": 3}}


def test_scale_from_zero_replicas() -> None:
    plain = canary()
    zero, five = deployment(replicas=0), deployment(replicas=5)
    primary = {"spec": {"replicas": 4}}
    assert scale_up_replicas(zero, plain, primary) == 4
    assert scale_up_replicas(zero, plain, None) == 1
    hpa = canary(
        autoscalerRef={
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "name": "h",
        }
    )
    assert scale_up_replicas(zero, hpa, primary, {"spec": {"minReplicas": 3}}) == 3
    assert scale_up_replicas(zero, hpa, primary, {"spec": {"minReplicas": 1}}) == 1
    keda = canary(
        autoscalerRef={"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "name": "so"}
    )
    assert scale_up_replicas(zero, keda, None, {"spec": {"minReplicaCount": 2}}) == 2
    assert scale_up_replicas(five, keda, None, {"spec": {"minReplicaCount": 2}}) == 5


def _service_target() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "podinfo",
            "namespace": "test",
            "labels": {"app": "podinfo"},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "a": "b"},
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": "10.43.0.9",
            "selector": {"app": "podinfo"},
            "ports": [{"name": "http", "port": 80, "targetPort": 9898, "protocol": "TCP"}],
        },
    }


def test_service_target_copies() -> None:
    model = canary(
        targetRef={"apiVersion": "v1", "kind": "Service", "name": "podinfo"},
        service={"port": 80, "trafficDistribution": "PreferClose"},
    )
    primary, canary_copy = render_service_target_copies(
        _service_target(), model, WorkloadSettings()
    )
    for copy_ in (primary, canary_copy):
        assert_valid(copy_)
        assert "clusterIP" not in copy_["spec"]
        assert copy_["spec"]["trafficDistribution"] == "PreferClose"
        assert copy_["metadata"]["annotations"] == {"a": "b"}
        assert copy_["metadata"]["ownerReferences"][0]["kind"] == "Canary"
    assert (primary["metadata"]["name"], canary_copy["metadata"]["name"]) == (
        "podinfo-primary",
        "podinfo-canary",
    )


def test_knative_pin_and_promote() -> None:
    target = {"status": {"latestCreatedRevisionName": "podinfo-00002"}}
    assert knative_pin_patch(target) == {
        "metadata": {"annotations": {"flagger.app/primary-revision": "podinfo-00002"}},
        "spec": {
            "traffic": [
                {"latestRevision": True, "percent": 0},
                {"revisionName": "podinfo-00002", "percent": 100},
            ]
        },
    }
    assert knative_promote_patch(target) == {
        "metadata": {"annotations": {"flagger.app/primary-revision": "podinfo-00002"}}
    }
    assert knative_pin_patch({}) is None
