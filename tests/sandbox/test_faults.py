"""Fault injection: the next N matching requests fail or wait; kmock's DSL stays usable."""

from __future__ import annotations

import json

import kmock
import kubernetes.client
import pytest
import urllib3
from kubernetes.client import ApiException

from tests.fixtures.apiserver import ApiServerHandle
from tests.sandbox.conftest import deployment, error_status


def test_the_next_patch_fails_then_patches_go_through(
    apiserver: ApiServerHandle, apps: kubernetes.client.AppsV1Api
) -> None:
    apps.create_namespaced_deployment("default", deployment("web"))
    apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 3}})  # before: fine
    apiserver.fail("patch", "deployments.apps", code=409)
    with pytest.raises(ApiException) as caught:
        apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 4}})
    assert caught.value.status == 409
    assert error_status(caught.value)["reason"] == "Conflict"
    assert apps.read_namespaced_deployment("web", "default").spec.replicas == 3  # never stored
    patched = apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 4}})
    assert patched.spec.replicas == 4


def test_faults_match_verb_resource_and_namespace(
    apiserver: ApiServerHandle, core: kubernetes.client.CoreV1Api
) -> None:
    apiserver.fail("list", "configmaps", code=503, times=2, namespace="kube-system", retry_after=3)
    assert core.list_namespaced_config_map("default").items == []  # other namespace: served
    core.create_namespaced_config_map("kube-system", {"metadata": {"name": "a"}})  # other verb
    for _ in range(2):
        with pytest.raises(ApiException) as caught:
            core.list_namespaced_config_map("kube-system")
        assert caught.value.status == 503
        assert caught.value.headers["Retry-After"] == "3"
    assert [c.metadata.name for c in core.list_namespaced_config_map("kube-system").items] == ["a"]


def test_status_writes_can_fail_alone(
    apiserver: ApiServerHandle, apps: kubernetes.client.AppsV1Api
) -> None:
    apps.create_namespaced_deployment("default", deployment("web"))
    apiserver.fail("patch", "deployments", code=500, subresource="status")
    apps.patch_namespaced_deployment("web", "default", {"metadata": {"labels": {"a": "b"}}})
    with pytest.raises(ApiException) as caught:
        apps.patch_namespaced_deployment_status("web", "default", {"status": {"replicas": 1}})
    assert caught.value.status == 500


def test_a_delayed_request_outlasts_a_short_client_timeout(
    apiserver: ApiServerHandle, core: kubernetes.client.CoreV1Api
) -> None:
    apiserver.delay("get", "configmaps", seconds=2)
    core.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    with pytest.raises(urllib3.exceptions.MaxRetryError) as caught:
        core.read_namespaced_config_map("a", "default", _request_timeout=0.2)
    assert isinstance(caught.value.reason, urllib3.exceptions.ReadTimeoutError)
    assert core.read_namespaced_config_map("a", "default", _request_timeout=5).metadata.name == "a"


def test_kmock_dsl_reactions_and_request_log_still_work(
    apiserver: ApiServerHandle, core: kubernetes.client.CoreV1Api
) -> None:
    teapot = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "reason": "Teapot",
        "code": 418,
        "message": "short and stout",
    }
    apiserver.call(lambda: apiserver.kmock["get", kmock.resource("v1", "secrets")] << 418 << teapot)
    with pytest.raises(ApiException) as caught:
        core.read_namespaced_secret("x", "default")
    assert caught.value.status == 418
    assert json.loads(caught.value.body)["message"] == "short and stout"
    core.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    core.patch_namespaced_config_map("a", "default", {"data": {"k": "v"}})
    patches = apiserver.call(lambda: list(apiserver.kmock[kmock.method.PATCH]))
    assert [(p.resource.plural, p.name, p.data) for p in patches] == [
        ("configmaps", "a", {"data": {"k": "v"}})
    ]


def test_reset_forgets_objects_and_faults(
    apiserver: ApiServerHandle, core: kubernetes.client.CoreV1Api
) -> None:
    core.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    apiserver.fail("list", "configmaps", code=500, times=None)
    apiserver.reset()
    assert core.list_namespaced_config_map("default").items == []
    assert [n.metadata.name for n in core.list_namespace().items] == [
        "default",
        "kube-node-lease",
        "kube-public",
        "kube-system",
    ]


def test_session_double_keeps_tests_apart_by_namespace(
    session_apiserver: ApiServerHandle,
) -> None:
    namespace = session_apiserver.namespace()
    core = kubernetes.client.CoreV1Api(session_apiserver.api_client())
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "a"}})
    assert [c.metadata.name for c in core.list_namespaced_config_map(namespace).items] == ["a"]
