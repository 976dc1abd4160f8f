"""ClusterIP Services: apex, primary and canary (flagger-objects §2)."""

from __future__ import annotations

import json
from typing import Any

from effects.services import (
    ServiceRole,
    apex_revert_selector,
    discover_ports,
    metadata_is_exclusive,
    render_service,
    render_services,
)
from effects.settings import WorkloadSettings
from effects.workloads.metadata import FLUX_OPT_OUT
from reducers.spec import CanaryService
from tests.effects.conftest import assert_valid, canary, deployment


def _by_name(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects}


def test_three_services_on_create() -> None:
    model = canary(service={"name": "web", "port": 80, "targetPort": 9898})
    services = _by_name(render_services(model, deployment(), WorkloadSettings()))
    assert list(services) == ["web-canary", "web-primary", "web"]
    for name, selected in (
        ("web-canary", "podinfo"),
        ("web-primary", "podinfo-primary"),
        ("web", "podinfo-primary"),
    ):
        svc = services[name]
        assert_valid(svc)
        assert svc["spec"]["type"] == "ClusterIP"
        assert svc["spec"]["selector"] == {"app": selected}
        # the label names the Service, the selector names the pods
        assert svc["metadata"]["labels"] == {"app": name}
        assert svc["metadata"]["annotations"] == FLUX_OPT_OUT
        assert len(svc["metadata"]["annotations"]) == 2
        assert svc["metadata"]["ownerReferences"][0]["kind"] == "Canary"
        assert svc["spec"]["ports"] == [
            {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 9898}
        ]
        assert "clusterIP" not in svc["spec"]


def test_port_name_app_protocol_headless_traffic_distribution() -> None:
    model = canary(
        service={
            "port": 9898,
            "portName": "grpc",
            "appProtocol": "kubernetes.io/h2c",
            "headless": True,
            "trafficDistribution": "PreferClose",
        }
    )
    svc = render_service(ServiceRole.PRIMARY, model, deployment(), WorkloadSettings())
    assert_valid(svc)
    assert svc["spec"]["ports"] == [
        {
            "name": "grpc",
            "protocol": "TCP",
            "port": 9898,
            "targetPort": 9898,
            "appProtocol": "kubernetes.io/h2c",
        }
    ]
    assert svc["spec"]["clusterIP"] == "None"
    assert svc["spec"]["trafficDistribution"] == "PreferClose"


def test_named_target_port() -> None:
    model = canary(service={"port": 80, "targetPort": "http"})
    svc = render_service(ServiceRole.APEX, model, deployment(), WorkloadSettings())
    assert_valid(svc)
    assert svc["spec"]["ports"][0]["targetPort"] == "http"


def _multi_port_target() -> dict[str, Any]:
    return deployment(
        pod_spec={
            "containers": [
                {
                    "name": "app",
                    "image": "x",
                    "ports": [
                        {"containerPort": 9898, "name": "http"},
                        {"containerPort": 9797, "name": "metrics"},
                        {"containerPort": 8080},
                    ],
                },
                {"name": "istio-proxy", "image": "x", "ports": [{"containerPort": 15090}]},
                {"name": "envoy", "image": "x", "ports": [{"containerPort": 15000}]},
            ],
            "initContainers": [{"name": "i", "image": "x", "ports": [{"containerPort": 1}]}],
        }
    )


def test_port_discovery_names_unnamed_ports_and_skips_sidecars() -> None:
    model = canary(service={"port": 9898, "portDiscovery": True})
    svc = render_service(ServiceRole.CANARY, model, _multi_port_target(), WorkloadSettings())
    assert_valid(svc)
    assert svc["spec"]["ports"] == [
        {"name": "http", "protocol": "TCP", "port": 9898, "targetPort": 9898},
        {"name": "metrics", "protocol": "TCP", "port": 9797, "targetPort": 9797},
        {"name": "tcp-app-2", "protocol": "TCP", "port": 8080, "targetPort": 8080},
    ]


def test_port_discovery_skips_the_target_port_by_number_or_name() -> None:
    template = _multi_port_target()["spec"]["template"]
    by_name = CanaryService.model_validate({"port": 80, "targetPort": "metrics"})
    assert [p["port"] for p in discover_ports(template, by_name)] == [9898, 8080]
    by_number = CanaryService.model_validate({"port": 80, "targetPort": 8080})
    assert [p["port"] for p in discover_ports(template, by_number)] == [9898, 9797]


def test_custom_metadata_per_service() -> None:
    model = canary(
        service={
            "port": 9898,
            "apex": {"labels": {"tier": "apex"}, "annotations": {"a": "1"}},
            "primary": {"labels": {"tier": "primary"}},
            "canary": {"annotations": {"c": "3"}},
        }
    )
    services = _by_name(render_services(model, deployment(), WorkloadSettings()))
    assert services["podinfo"]["metadata"]["labels"] == {"tier": "apex", "app": "podinfo"}
    assert services["podinfo"]["metadata"]["annotations"] == {"a": "1", **FLUX_OPT_OUT}
    assert services["podinfo-primary"]["metadata"]["labels"]["tier"] == "primary"
    assert services["podinfo-canary"]["metadata"]["annotations"] == {"c": "3", **FLUX_OPT_OUT}


def _live(owned: bool, **meta: Any) -> dict[str, Any]:
    refs = (
        [
            {
                "apiVersion": "flagger.app/v1beta1",
                "kind": "Canary",
                "name": "podinfo",
                "uid": "c-uid-1",
                "controller": True,
            }
        ]
        if owned
        else []
    )
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "podinfo", "namespace": "test", "ownerReferences": refs, **meta},
        "spec": {
            "type": "NodePort",
            "clusterIP": "10.43.0.7",
            "selector": {"app": "podinfo"},
            "ports": [{"name": "http", "port": 9898, "nodePort": 30080, "protocol": "TCP"}],
        },
    }


def test_existing_owned_service_keeps_node_ports_and_unmanaged_metadata() -> None:
    model = canary(
        service={"port": 9898, "unmanagedMetadata": {"labels": ["keep"], "annotations": ["ka"]}}
    )
    live = _live(True, labels={"keep": "k", "foreign": "f"}, annotations={"ka": "v", "x": "y"})
    assert metadata_is_exclusive(live, model)
    svc = render_service(ServiceRole.APEX, model, deployment(), WorkloadSettings(), live)
    assert svc["spec"]["ports"][0]["nodePort"] == 30080
    assert svc["spec"]["selector"] == {"app": "podinfo-primary"}
    # type, clusterIP and trafficDistribution of an existing Service are not changed
    assert "type" not in svc["spec"] and "clusterIP" not in svc["spec"]
    assert svc["metadata"]["labels"] == {"app": "podinfo", "keep": "k"}
    assert svc["metadata"]["annotations"] == {**FLUX_OPT_OUT, "ka": "v"}


def test_preexisting_user_service_is_taken_over_without_its_metadata() -> None:
    model = canary()
    live = _live(False, labels={"mine": "1"})
    assert not metadata_is_exclusive(live, model)
    svc = render_service(ServiceRole.APEX, model, deployment(), WorkloadSettings(), live)
    assert svc["metadata"] == {
        "name": "podinfo",
        "namespace": "test",
        "annotations": FLUX_OPT_OUT,
    }
    assert svc["spec"]["selector"] == {"app": "podinfo-primary"}


def test_revert_on_deletion() -> None:
    settings = WorkloadSettings()
    assert apex_revert_selector(None, deployment(), settings) is None
    assert apex_revert_selector(_live(True), deployment(), settings) is None
    assert apex_revert_selector(_live(False), deployment(), settings) == {"app": "podinfo"}
    applied = json.dumps({"spec": {"selector": {"app": "podinfo", "tier": "web"}}})
    live = _live(False, annotations={"kubectl.kubernetes.io/last-applied-configuration": applied})
    assert apex_revert_selector(live, deployment(), settings) == {"app": "podinfo", "tier": "web"}
