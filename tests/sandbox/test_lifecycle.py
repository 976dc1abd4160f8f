"""Deletion as a cluster does it: finalizers, owner-reference garbage collection, namespaces."""

from __future__ import annotations

from typing import Any

import kubernetes.client
import pytest
from kubernetes.client import ApiException

from tests.fixtures.apiserver import ApiServerHandle
from tests.sandbox.conftest import canary, deployment, error_status

CANARIES = ("flagger.app", "v1beta1", "default", "canaries")


def _gone(read: Any) -> bool:
    try:
        read()
    except ApiException as e:
        return e.status == 404
    return False


def test_delete_with_finalizers_marks_the_object_until_they_are_removed(
    custom: kubernetes.client.CustomObjectsApi,
) -> None:
    body = canary("podinfo")
    body["metadata"]["finalizers"] = ["finalizer.roost"]
    custom.create_namespaced_custom_object(*CANARIES, body)
    pending = custom.delete_namespaced_custom_object(*CANARIES, "podinfo")
    assert pending["metadata"]["deletionTimestamp"]
    still_there = custom.get_namespaced_custom_object(*CANARIES, "podinfo")
    assert still_there["metadata"]["deletionTimestamp"] == pending["metadata"]["deletionTimestamp"]
    custom.delete_namespaced_custom_object(*CANARIES, "podinfo")  # a second delete is harmless
    with pytest.raises(ApiException) as caught:
        custom.patch_namespaced_custom_object(
            *CANARIES, "podinfo", {"metadata": {"finalizers": ["finalizer.roost", "another"]}}
        )
    assert caught.value.status == 422  # no new finalizers on an object being deleted
    custom.patch_namespaced_custom_object(*CANARIES, "podinfo", {"metadata": {"finalizers": []}})
    assert _gone(lambda: custom.get_namespaced_custom_object(*CANARIES, "podinfo"))


def test_delete_without_finalizers_answers_a_success_status_for_builtins(
    apps: kubernetes.client.AppsV1Api,
) -> None:
    created = apps.create_namespaced_deployment("default", deployment("web"))
    status = apps.delete_namespaced_deployment("web", "default")
    assert (status["kind"], status["status"]) == ("Status", "Success")
    assert status["details"]["uid"] == created.metadata.uid


def test_delete_preconditions_are_checked(apps: kubernetes.client.AppsV1Api) -> None:
    apps.create_namespaced_deployment("default", deployment("web"))
    with pytest.raises(ApiException) as caught:
        apps.delete_namespaced_deployment(
            "web", "default", body={"preconditions": {"uid": "someone-else"}}
        )
    assert caught.value.status == 409
    assert "Precondition failed" in error_status(caught.value)["message"]


def _owned(owner: dict[str, Any], name: str, **extra: Any) -> dict[str, Any]:
    reference = {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
    return {"metadata": {"name": name, "ownerReferences": [reference], **extra}}


def test_deleting_an_owner_deletes_its_dependents(
    custom: kubernetes.client.CustomObjectsApi, core: kubernetes.client.CoreV1Api
) -> None:
    owner = custom.create_namespaced_custom_object(*CANARIES, canary("podinfo"))
    core.create_namespaced_config_map("default", _owned(owner, "podinfo-primary"))
    core.create_namespaced_config_map("default", {"metadata": {"name": "unrelated"}})
    custom.delete_namespaced_custom_object(*CANARIES, "podinfo")
    assert _gone(lambda: core.read_namespaced_config_map("podinfo-primary", "default"))
    assert core.read_namespaced_config_map("unrelated", "default").metadata.name == "unrelated"


def test_a_dependent_with_another_live_owner_loses_only_the_dangling_reference(
    custom: kubernetes.client.CustomObjectsApi, core: kubernetes.client.CoreV1Api
) -> None:
    first = custom.create_namespaced_custom_object(*CANARIES, canary("one"))
    second = custom.create_namespaced_custom_object(*CANARIES, canary("two"))
    shared = _owned(first, "shared")
    shared["metadata"]["ownerReferences"] += _owned(second, "x")["metadata"]["ownerReferences"]
    core.create_namespaced_config_map("default", shared)
    custom.delete_namespaced_custom_object(*CANARIES, "one")
    refs = core.read_namespaced_config_map("shared", "default").metadata.owner_references
    assert [ref.name for ref in refs] == ["two"]


def test_orphan_propagation_keeps_dependents(
    custom: kubernetes.client.CustomObjectsApi, core: kubernetes.client.CoreV1Api
) -> None:
    owner = custom.create_namespaced_custom_object(*CANARIES, canary("podinfo"))
    core.create_namespaced_config_map("default", _owned(owner, "kept"))
    custom.delete_namespaced_custom_object(*CANARIES, "podinfo", propagation_policy="Orphan")
    kept = core.read_namespaced_config_map("kept", "default")
    assert not kept.metadata.owner_references


def test_foreground_deletion_waits_for_dependents(
    custom: kubernetes.client.CustomObjectsApi, core: kubernetes.client.CoreV1Api
) -> None:
    owner = custom.create_namespaced_custom_object(*CANARIES, canary("podinfo"))
    core.create_namespaced_config_map("default", _owned(owner, "held", finalizers=["hold"]))
    custom.delete_namespaced_custom_object(*CANARIES, "podinfo", propagation_policy="Foreground")
    waiting = custom.get_namespaced_custom_object(*CANARIES, "podinfo")
    assert "foregroundDeletion" in waiting["metadata"]["finalizers"]
    assert core.read_namespaced_config_map("held", "default").metadata.deletion_timestamp
    core.patch_namespaced_config_map("held", "default", {"metadata": {"finalizers": None}})
    assert _gone(lambda: core.read_namespaced_config_map("held", "default"))
    assert _gone(lambda: custom.get_namespaced_custom_object(*CANARIES, "podinfo"))


def test_deleting_a_namespace_deletes_what_is_in_it(
    apiserver: ApiServerHandle, core: kubernetes.client.CoreV1Api
) -> None:
    core.create_namespace({"metadata": {"name": "team"}})
    assert core.read_namespace("team").status.phase == "Active"
    core.create_namespaced_config_map("team", {"metadata": {"name": "cfg"}})
    core.create_namespaced_config_map("default", {"metadata": {"name": "cfg"}})
    core.delete_namespace("team")
    assert apiserver.objects("configmaps", "team") == []
    assert [c["metadata"]["name"] for c in apiserver.objects("configmaps", "default")] == ["cfg"]
