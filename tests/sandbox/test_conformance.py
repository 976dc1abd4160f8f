"""The API double behaves like kube-apiserver, as seen through the official client.

One test per behaviour an operator depends on: the probe matrix of docs/testing.md (status codes,
resource versions, replace, the three patch formats, conflicts, errors as Status bodies).
"""

from __future__ import annotations

import kubernetes.client
import pytest
from kubernetes.client import ApiException

from tests.fixtures.apiserver import ApiServerHandle
from tests.sandbox.conftest import canary, deployment, error_status

CANARIES = ("flagger.app", "v1beta1", "default", "canaries")


def test_create_answers_201_with_a_typed_object(apps: kubernetes.client.AppsV1Api) -> None:
    created, code, _ = apps.create_namespaced_deployment_with_http_info(
        "default", deployment("web")
    )
    assert code == 201
    assert isinstance(created, kubernetes.client.V1Deployment)
    assert created.kind == "Deployment"
    assert created.api_version == "apps/v1"


def test_custom_objects_create_returns_the_object(
    custom: kubernetes.client.CustomObjectsApi,
) -> None:
    # kubernetes 37 maps only 201 for custom objects: a 200 would make this return None.
    created = custom.create_namespaced_custom_object(*CANARIES, canary("podinfo"))
    assert created["metadata"]["name"] == "podinfo"
    assert created["kind"] == "Canary"


def test_create_stamps_system_metadata_from_one_global_counter(
    apps: kubernetes.client.AppsV1Api, core: kubernetes.client.CoreV1Api
) -> None:
    first = apps.create_namespaced_deployment("default", deployment("web"))
    second = core.create_namespaced_config_map("default", {"metadata": {"name": "cfg"}})
    assert first.metadata.uid and second.metadata.uid and first.metadata.uid != second.metadata.uid
    assert first.metadata.creation_timestamp is not None
    assert first.metadata.generation == 1
    assert int(second.metadata.resource_version) > int(first.metadata.resource_version)
    assert second.metadata.generation is None  # ConfigMaps keep no generation


def test_create_of_an_existing_name_is_409_already_exists(
    apps: kubernetes.client.AppsV1Api,
) -> None:
    apps.create_namespaced_deployment("default", deployment("web"))
    with pytest.raises(ApiException) as caught:
        apps.create_namespaced_deployment("default", deployment("web"))
    assert caught.value.status == 409
    status = error_status(caught.value)
    assert status["kind"] == "Status"
    assert status["reason"] == "AlreadyExists"
    assert status["message"] == 'deployments.apps "web" already exists'


@pytest.mark.parametrize("verb", ["read", "patch", "delete", "replace"])
def test_missing_objects_are_404_not_found(apps: kubernetes.client.AppsV1Api, verb: str) -> None:
    calls = {
        "read": lambda: apps.read_namespaced_deployment("ghost", "default"),
        "patch": lambda: apps.patch_namespaced_deployment("ghost", "default", {"spec": {}}),
        "delete": lambda: apps.delete_namespaced_deployment("ghost", "default"),
        "replace": lambda: apps.replace_namespaced_deployment(
            "ghost", "default", deployment("ghost")
        ),
    }
    with pytest.raises(ApiException) as caught:
        calls[verb]()
    assert caught.value.status == 404
    status = error_status(caught.value)
    assert (status["reason"], status["code"]) == ("NotFound", 404)
    assert status["details"] == {"name": "ghost", "group": "apps", "kind": "deployments"}


def test_unknown_resources_are_404(custom: kubernetes.client.CustomObjectsApi) -> None:
    with pytest.raises(ApiException) as caught:
        custom.list_namespaced_custom_object("example.com", "v1", "default", "widgets")
    assert caught.value.status == 404


def test_replace_writes_the_object_and_bumps_its_version(
    apps: kubernetes.client.AppsV1Api,
) -> None:
    created = apps.create_namespaced_deployment("default", deployment("web"))
    body = apps.read_namespaced_deployment("web", "default")
    body.spec.replicas = 5
    replaced = apps.replace_namespaced_deployment("web", "default", body)
    assert replaced.spec.replicas == 5
    assert replaced.metadata.generation == 2
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)
    assert replaced.metadata.uid == created.metadata.uid


def test_replace_with_a_stale_resource_version_is_409_conflict(
    apps: kubernetes.client.AppsV1Api,
) -> None:
    stale = apps.create_namespaced_deployment("default", deployment("web"))
    apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 3}})
    stale.spec.replicas = 7
    with pytest.raises(ApiException) as caught:
        apps.replace_namespaced_deployment("web", "default", stale)
    assert caught.value.status == 409
    status = error_status(caught.value)
    assert status["reason"] == "Conflict"
    assert "the object has been modified" in status["message"]
    assert apps.read_namespaced_deployment("web", "default").spec.replicas == 3


def test_patch_carrying_a_stale_resource_version_is_409(
    custom: kubernetes.client.CustomObjectsApi,
) -> None:
    created = custom.create_namespaced_custom_object(*CANARIES, canary("podinfo"))
    custom.patch_namespaced_custom_object(*CANARIES, "podinfo", {"spec": {"suspend": True}})
    stale = {
        "metadata": {"resourceVersion": created["metadata"]["resourceVersion"]},
        "spec": {"suspend": False},
    }
    with pytest.raises(ApiException) as caught:
        custom.patch_namespaced_custom_object(*CANARIES, "podinfo", stale)
    assert caught.value.status == 409


def test_replace_of_a_custom_object_needs_a_resource_version(
    custom: kubernetes.client.CustomObjectsApi,
) -> None:
    custom.create_namespaced_custom_object(*CANARIES, canary("podinfo"))
    with pytest.raises(ApiException) as caught:
        custom.replace_namespaced_custom_object(*CANARIES, "podinfo", canary("podinfo"))
    assert caught.value.status == 422
    assert "must be specified for an update" in error_status(caught.value)["message"]


def test_generation_moves_only_with_the_spec(apps: kubernetes.client.AppsV1Api) -> None:
    apps.create_namespaced_deployment("default", deployment("web"))
    labelled = apps.patch_namespaced_deployment(
        "web", "default", {"metadata": {"labels": {"team": "a"}}}
    )
    assert labelled.metadata.generation == 1
    status_written = apps.patch_namespaced_deployment_status(
        "web", "default", {"status": {"observedGeneration": 1}}
    )
    assert status_written.metadata.generation == 1
    rescaled = apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 4}})
    assert rescaled.metadata.generation == 2


def test_a_write_that_changes_nothing_keeps_the_resource_version(
    apps: kubernetes.client.AppsV1Api,
) -> None:
    created = apps.create_namespaced_deployment("default", deployment("web"))
    same = apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 2}})
    assert same.metadata.resource_version == created.metadata.resource_version


def test_merge_patch_merges_objects_and_deletes_nulls(
    custom: kubernetes.client.CustomObjectsApi,
) -> None:
    custom.create_namespaced_custom_object(
        *CANARIES, canary("podinfo", skipAnalysis=True, progressDeadlineSeconds=60)
    )
    patched = custom.patch_namespaced_custom_object(
        *CANARIES, "podinfo", {"spec": {"skipAnalysis": None, "analysis": {"threshold": 9}}}
    )
    assert "skipAnalysis" not in patched["spec"]
    assert patched["spec"]["progressDeadlineSeconds"] == 60
    assert patched["spec"]["analysis"] == {"interval": "1m", "threshold": 9}


def test_json_patch_applies_operations(custom: kubernetes.client.CustomObjectsApi) -> None:
    custom.create_namespaced_custom_object(*CANARIES, canary("podinfo"))
    patched = custom.patch_namespaced_custom_object(
        *CANARIES,
        "podinfo",
        [
            {"op": "test", "path": "/spec/analysis/threshold", "value": 5},
            {"op": "replace", "path": "/spec/analysis/threshold", "value": 10},
            {"op": "add", "path": "/metadata/labels", "value": {"team": "a"}},
        ],
        _content_type="application/json-patch+json",
    )
    assert patched["spec"]["analysis"]["threshold"] == 10
    assert patched["metadata"]["labels"] == {"team": "a"}


def test_json_patch_with_a_failed_test_is_422(custom: kubernetes.client.CustomObjectsApi) -> None:
    custom.create_namespaced_custom_object(*CANARIES, canary("podinfo"))
    with pytest.raises(ApiException) as caught:
        custom.patch_namespaced_custom_object(
            *CANARIES,
            "podinfo",
            [
                {"op": "test", "path": "/spec/analysis/threshold", "value": 6},
                {"op": "replace", "path": "/spec/analysis/threshold", "value": 10},
            ],
            _content_type="application/json-patch+json",
        )
    assert caught.value.status == 422
    stored = custom.get_namespaced_custom_object(*CANARIES, "podinfo")
    assert stored["spec"]["analysis"]["threshold"] == 5


def test_a_list_sent_as_a_merge_patch_is_rejected(
    custom: kubernetes.client.CustomObjectsApi,
) -> None:
    custom.create_namespaced_custom_object(*CANARIES, canary("podinfo"))
    with pytest.raises(ApiException) as caught:
        custom.patch_namespaced_custom_object(
            *CANARIES,
            "podinfo",
            [{"op": "remove", "path": "/spec/service"}],
            _content_type="application/merge-patch+json",
        )
    assert caught.value.status == 400


def test_custom_resources_refuse_strategic_merge_patches(
    custom: kubernetes.client.CustomObjectsApi,
) -> None:
    custom.create_namespaced_custom_object(*CANARIES, canary("podinfo"))
    with pytest.raises(ApiException) as caught:
        custom.patch_namespaced_custom_object(
            *CANARIES,
            "podinfo",
            {"spec": {"suspend": True}},
            _content_type="application/strategic-merge-patch+json",
        )
    assert caught.value.status == 415


def test_dry_run_validates_without_storing(apps: kubernetes.client.AppsV1Api) -> None:
    answered = apps.create_namespaced_deployment("default", deployment("web"), dry_run="All")
    assert answered.metadata.name == "web"
    with pytest.raises(ApiException) as caught:
        apps.read_namespaced_deployment("web", "default")
    assert caught.value.status == 404


def test_defaults_are_filled_in_as_by_an_apiserver(
    apps: kubernetes.client.AppsV1Api, core: kubernetes.client.CoreV1Api
) -> None:
    created = apps.create_namespaced_deployment("default", deployment("web", replicas=None))
    assert created.spec.replicas == 1
    assert created.spec.progress_deadline_seconds == 600
    assert created.spec.strategy.rolling_update.max_surge == "25%"
    container = created.spec.template.spec.containers[0]
    assert container.image_pull_policy == "IfNotPresent"
    assert container.ports[0].protocol == "TCP"
    service = core.create_namespaced_service(
        "default", {"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}
    )
    assert service.spec.type == "ClusterIP"
    assert service.spec.ports[0].target_port == 80
    ip = service.spec.cluster_ip
    assert ip.startswith("10.43.")
    replaced = core.replace_namespaced_service(
        "web", "default", {"metadata": {"name": "web"}, "spec": {"ports": [{"port": 81}]}}
    )
    assert replaced.spec.cluster_ip == ip  # an allocated ClusterIP survives an update


@pytest.mark.parametrize(
    ("metadata", "field"),
    [
        ({"name": "Web"}, "metadata.name"),
        ({"name": "web", "labels": {"app": "x" * 64}}, "metadata.labels"),
        ({"name": "web", "labels": {"bad key!": "x"}}, "metadata.labels"),
    ],
)
def test_invalid_metadata_is_422(
    core: kubernetes.client.CoreV1Api, metadata: dict[str, object], field: str
) -> None:
    with pytest.raises(ApiException) as caught:
        core.create_namespaced_config_map("default", {"metadata": metadata})
    assert caught.value.status == 422
    assert error_status(caught.value)["details"]["causes"][0]["field"] == field


def test_generate_name_gets_a_unique_suffix(core: kubernetes.client.CoreV1Api) -> None:
    first = core.create_namespaced_config_map("default", {"metadata": {"generateName": "cfg-"}})
    second = core.create_namespaced_config_map("default", {"metadata": {"generateName": "cfg-"}})
    assert first.metadata.name.startswith("cfg-")
    assert first.metadata.name != second.metadata.name


def test_seeded_objects_are_served_as_stored(
    apiserver: ApiServerHandle, apps: kubernetes.client.AppsV1Api
) -> None:
    seeded = apiserver.seed({**deployment("web"), "status": {"readyReplicas": 2}})
    served = apps.read_namespaced_deployment("web", "default")
    assert served.status.ready_replicas == 2
    assert served.metadata.uid == seeded["metadata"]["uid"]
    assert apiserver.read("deployments.apps", "web", "default") == {
        **seeded,
        "metadata": {**seeded["metadata"]},
    }
    assert apiserver.read("deployments", "missing", "default") is None
