"""Primary HPA and KEDA ScaledObject rendering (flagger-objects §1.4, §1.5)."""

from __future__ import annotations

from typing import Any

import pytest

from effects.autoscalers import (
    KEDA_PAUSED,
    keda_pause_patch,
    keda_resume_patch,
    render_primary_autoscaler,
    rewrite_query,
)
from effects.errors import RenderError
from effects.settings import WorkloadSettings
from tests.effects.conftest import assert_valid, canary


def _hpa() -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": "podinfo",
            "namespace": "test",
            "labels": {"app": "podinfo", "kustomize.toolkit.fluxcd.io/name": "x"},
            "annotations": {"note": "n"},
        },
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "minReplicas": 2,
            "maxReplicas": 4,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 99},
                    },
                }
            ],
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
        },
    }


def _hpa_canary(**ref: Any) -> Any:
    return canary(
        autoscalerRef={
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "name": "podinfo",
            **ref,
        }
    )


def test_primary_hpa() -> None:
    out = render_primary_autoscaler(_hpa(), _hpa_canary(), WorkloadSettings())
    assert_valid(out)
    assert out["metadata"]["name"] == "podinfo-primary"
    assert out["metadata"]["labels"] == {"app": "podinfo"}
    assert "annotations" not in out["metadata"]
    assert out["metadata"]["ownerReferences"][0]["name"] == "podinfo"
    spec = out["spec"]
    assert spec["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "podinfo-primary",
    }
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 4)
    assert spec["metrics"] == _hpa()["spec"]["metrics"]
    assert spec["behavior"] == _hpa()["spec"]["behavior"]


def test_primary_scaler_replicas_override_the_bounds() -> None:
    model = _hpa_canary(primaryScalerReplicas={"minReplicas": 3, "maxReplicas": 9})
    spec = render_primary_autoscaler(_hpa(), model, WorkloadSettings())["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (3, 9)


def test_only_autoscaling_v2_hpas() -> None:
    old = {**_hpa(), "apiVersion": "autoscaling/v1"}
    with pytest.raises(RenderError, match="autoscaling/v2"):
        render_primary_autoscaler(old, _hpa_canary(), WorkloadSettings())


def _so() -> dict[str, Any]:
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {
            "name": "podinfo-so",
            "namespace": "test",
            "labels": {"team": "a", "helm.toolkit.fluxcd.io/x": "y"},
            "annotations": {
                "scaledobject.keda.sh/transfer-hpa-ownership": "true",
                KEDA_PAUSED: "0",
            },
        },
        "spec": {
            "scaleTargetRef": {"name": "podinfo", "envSourceContainerName": "app"},
            "pollingInterval": 10,
            "cooldownPeriod": 20,
            "minReplicaCount": 1,
            "maxReplicaCount": 3,
            "advanced": {"horizontalPodAutoscalerConfig": {"name": "podinfo-hpa"}},
            "triggers": [
                {
                    "type": "prometheus",
                    "name": "prom-trigger",
                    "metadata": {
                        "query": 'sum(rate(x{app="podinfo"}[1m])) + sum(y{d="podinfo-canary"})'
                    },
                },
                {"type": "cpu", "metadata": {"value": "50"}},
            ],
        },
    }


def _so_canary(**ref: Any) -> Any:
    return canary(
        autoscalerRef={
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "ScaledObject",
            "name": "podinfo-so",
            **ref,
        }
    )


def test_primary_scaled_object() -> None:
    out = render_primary_autoscaler(_so(), _so_canary(), WorkloadSettings())
    meta, spec = out["metadata"], out["spec"]
    assert meta["name"] == "podinfo-so-primary"
    assert meta["labels"] == {"team": "a"}
    assert meta["annotations"] == {"scaledobject.keda.sh/transfer-hpa-ownership": "true"}
    assert spec["scaleTargetRef"] == {"name": "podinfo-primary", "envSourceContainerName": "app"}
    assert (spec["pollingInterval"], spec["cooldownPeriod"]) == (10, 20)
    assert spec["advanced"] == {"horizontalPodAutoscalerConfig": {"name": "podinfo-hpa-primary"}}
    assert spec["triggers"][0]["metadata"]["query"] == (
        'sum(rate(x{app="podinfo-primary"}[1m])) + sum(y{d="podinfo-primary"})'
    )
    assert spec["triggers"][1] == {"type": "cpu", "metadata": {"value": "50"}}


def test_scaled_object_without_advanced_gets_an_empty_hpa_config() -> None:
    source = _so()
    del source["spec"]["advanced"]
    out = render_primary_autoscaler(source, _so_canary(), WorkloadSettings())
    assert out["spec"]["advanced"] == {"horizontalPodAutoscalerConfig": {}}


def test_primary_scaler_queries_replace_by_trigger_name() -> None:
    model = _so_canary(
        primaryScalerQueries={"prom-trigger": "q-primary"},
        primaryScalerReplicas={"minReplicas": 2, "maxReplicas": 5},
    )
    spec = render_primary_autoscaler(_so(), model, WorkloadSettings())["spec"]
    assert spec["triggers"][0]["metadata"]["query"] == "q-primary"
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (2, 5)


def test_query_rewrite_never_doubles_suffixes() -> None:
    assert rewrite_query("podinfo podinfo-canary podinfo-primary", "podinfo") == (
        "podinfo-primary podinfo-primary podinfo-primary"
    )


def test_update_filters_metadata_by_prefix() -> None:
    out = render_primary_autoscaler(
        _so(), _so_canary(), WorkloadSettings(include_label_prefixes=("team",)), init=False
    )
    assert out["metadata"]["labels"] == {"team": "a"}
    assert out["metadata"]["annotations"] == {}


def test_pause_and_resume_patches() -> None:
    assert keda_pause_patch() == {"metadata": {"annotations": {KEDA_PAUSED: "0"}}}
    assert keda_resume_patch() == {"metadata": {"annotations": {KEDA_PAUSED: None}}}


def test_kind_mismatch_is_an_error() -> None:
    with pytest.raises(RenderError, match="ScaledObject podinfo-so not found"):
        render_primary_autoscaler(_hpa(), _so_canary(), WorkloadSettings())
