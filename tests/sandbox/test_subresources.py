"""The status and scale subresources are isolated from the main resource, as in a cluster."""

from __future__ import annotations

import kubernetes.client
import pytest
from kubernetes.client import ApiException

from tests.fixtures.apiserver import ApiServerHandle
from tests.sandbox.conftest import canary, deployment

CANARIES = ("flagger.app", "v1beta1", "default", "canaries")


def test_a_status_write_changes_only_the_status(
    custom: kubernetes.client.CustomObjectsApi,
) -> None:
    custom.create_namespaced_custom_object(*CANARIES, canary("podinfo"))
    written = custom.patch_namespaced_custom_object_status(
        *CANARIES,
        "podinfo",
        {
            "spec": {"suspend": True},
            "status": {"phase": "Progressing"},
            "metadata": {"labels": {"sneaky": "yes"}},
        },
    )
    assert written["status"] == {"phase": "Progressing"}
    assert "suspend" not in written["spec"]
    assert "labels" not in written["metadata"]


def test_a_main_write_keeps_the_status(custom: kubernetes.client.CustomObjectsApi) -> None:
    custom.create_namespaced_custom_object(*CANARIES, canary("podinfo"))
    custom.patch_namespaced_custom_object_status(
        *CANARIES, "podinfo", {"status": {"phase": "Succeeded"}}
    )
    written = custom.patch_namespaced_custom_object(
        *CANARIES, "podinfo", {"spec": {"suspend": True}, "status": {"phase": "Failed"}}
    )
    assert written["spec"]["suspend"] is True
    assert written["status"] == {"phase": "Succeeded"}


def test_status_is_dropped_on_create(custom: kubernetes.client.CustomObjectsApi) -> None:
    created = custom.create_namespaced_custom_object(
        *CANARIES, {**canary("podinfo"), "status": {"phase": "Succeeded"}}
    )
    assert "status" not in created


def test_replace_status_takes_only_the_status(apps: kubernetes.client.AppsV1Api) -> None:
    apps.create_namespaced_deployment("default", deployment("web"))
    current = apps.read_namespaced_deployment("web", "default")
    current.spec.replicas = 9
    current.status = kubernetes.client.V1DeploymentStatus(ready_replicas=2, replicas=2)
    replaced = apps.replace_namespaced_deployment_status("web", "default", current)
    assert replaced.status.ready_replicas == 2
    assert replaced.spec.replicas == 2
    assert replaced.metadata.generation == 1


def test_resources_without_status_subresource_have_no_status_endpoint(
    custom: kubernetes.client.CustomObjectsApi,
) -> None:
    custom.create_namespaced_custom_object(
        "split.smi-spec.io",
        "v1alpha2",
        "default",
        "trafficsplits",
        {"metadata": {"name": "web"}, "spec": {"service": "web", "backends": []}},
    )
    with pytest.raises(ApiException) as caught:
        custom.patch_namespaced_custom_object_status(
            "split.smi-spec.io",
            "v1alpha2",
            "default",
            "trafficsplits",
            "web",
            {"status": {}},
        )
    assert caught.value.status == 404


def test_deployment_scale_reads_and_writes_replicas(apps: kubernetes.client.AppsV1Api) -> None:
    apps.create_namespaced_deployment("default", deployment("web", replicas=2))
    scale = apps.read_namespaced_deployment_scale("web", "default")
    assert isinstance(scale, kubernetes.client.V1Scale)
    assert (scale.kind, scale.spec.replicas, scale.status.selector) == ("Scale", 2, "app=web")
    patched = apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 0}})
    assert patched.spec.replicas == 0
    deployment_now = apps.read_namespaced_deployment("web", "default")
    assert deployment_now.spec.replicas == 0
    assert deployment_now.metadata.generation == 2


def test_statefulset_scale_replace_honours_resource_version(
    apps: kubernetes.client.AppsV1Api,
) -> None:
    body = deployment("db")
    body["kind"] = "StatefulSet"
    body["spec"]["serviceName"] = "db"
    apps.create_namespaced_stateful_set("default", body)
    scale = apps.read_namespaced_stateful_set_scale("db", "default")
    scale.spec.replicas = 3
    assert apps.replace_namespaced_stateful_set_scale("db", "default", scale).spec.replicas == 3
    scale.spec.replicas = 4  # still carrying the old resourceVersion
    with pytest.raises(ApiException) as caught:
        apps.replace_namespaced_stateful_set_scale("db", "default", scale)
    assert caught.value.status == 409


def test_a_crd_declaring_scale_gets_a_scale_view(
    apiserver: ApiServerHandle, client: kubernetes.client.ApiClient
) -> None:
    extensions = kubernetes.client.CustomObjectsApi(client)
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "workers.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "workers", "singular": "worker", "kind": "Worker"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                    "subresources": {
                        "status": {},
                        "scale": {
                            "specReplicasPath": ".spec.size",
                            "statusReplicasPath": ".status.size",
                            "labelSelectorPath": ".status.selector",
                        },
                    },
                }
            ],
        },
    }
    extensions.create_cluster_custom_object(
        "apiextensions.k8s.io", "v1", "customresourcedefinitions", crd
    )
    workers = ("example.com", "v1", "default", "workers")
    extensions.create_namespaced_custom_object(
        *workers, {"metadata": {"name": "w"}, "spec": {"size": 2}}
    )
    extensions.patch_namespaced_custom_object_status(
        *workers, "w", {"status": {"size": 1, "selector": "app=w"}}
    )
    scale = extensions.get_namespaced_custom_object_scale(*workers, "w")
    assert scale["spec"] == {"replicas": 2}
    assert scale["status"] == {"replicas": 1, "selector": "app=w"}
    extensions.patch_namespaced_custom_object_scale(*workers, "w", {"spec": {"replicas": 5}})
    assert apiserver.read("workers.example.com", "w", "default")["spec"] == {"size": 5}
