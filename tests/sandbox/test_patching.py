"""Strategic merge patches merge lists by key, as the typed clients and kubectl expect."""

from __future__ import annotations

from typing import Any

import kubernetes.client
import pytest

from tests.sandbox.conftest import deployment

Patch = dict[str, Any]


def _container(apps: kubernetes.client.AppsV1Api, patch: Patch) -> Any:
    patched = apps.patch_namespaced_deployment("web", "default", patch)
    return patched.spec.template.spec


@pytest.fixture
def web(apps: kubernetes.client.AppsV1Api) -> None:
    body = deployment("web")
    pod = body["spec"]["template"]["spec"]
    pod["containers"][0]["volumeMounts"] = [{"name": "cfg", "mountPath": "/etc/app"}]
    pod["volumes"] = [{"name": "cfg", "configMap": {"name": "app"}}]
    apps.create_namespaced_deployment("default", body)


def _template(patch: Patch) -> Patch:
    return {"spec": {"template": {"spec": patch}}}


@pytest.mark.usefixtures("web")
def test_containers_merge_by_name_keeping_their_other_fields(
    apps: kubernetes.client.AppsV1Api,
) -> None:
    spec = _container(apps, _template({"containers": [{"name": "app", "image": "podinfo:6.1"}]}))
    [app] = spec.containers
    assert app.image == "podinfo:6.1"
    assert [(e.name, e.value) for e in app.env] == [("LEVEL", "info")]
    assert [p.container_port for p in app.ports] == [9898]


@pytest.mark.usefixtures("web")
def test_a_new_container_name_is_appended(apps: kubernetes.client.AppsV1Api) -> None:
    sidecar = {"name": "proxy", "image": "envoy:1"}
    spec = _container(apps, _template({"containers": [sidecar]}))
    assert [c.name for c in spec.containers] == ["app", "proxy"]


@pytest.mark.usefixtures("web")
def test_env_merges_by_name(apps: kubernetes.client.AppsV1Api) -> None:
    patch = _template(
        {
            "containers": [
                {
                    "name": "app",
                    "env": [
                        {"name": "LEVEL", "value": "debug"},
                        {"name": "COLOR", "value": "blue"},
                    ],
                }
            ]
        }
    )
    [app] = _container(apps, patch).containers
    assert [(e.name, e.value) for e in app.env] == [("LEVEL", "debug"), ("COLOR", "blue")]


@pytest.mark.usefixtures("web")
def test_container_ports_merge_by_container_port(apps: kubernetes.client.AppsV1Api) -> None:
    patch = _template(
        {
            "containers": [
                {
                    "name": "app",
                    "ports": [
                        {"containerPort": 9898, "name": "web"},
                        {"containerPort": 9797, "name": "metrics"},
                    ],
                }
            ]
        }
    )
    [app] = _container(apps, patch).containers
    assert [(p.container_port, p.name) for p in app.ports] == [(9898, "web"), (9797, "metrics")]


@pytest.mark.usefixtures("web")
def test_volumes_and_mounts_merge_by_their_keys(apps: kubernetes.client.AppsV1Api) -> None:
    patch = _template(
        {
            "volumes": [{"name": "cache", "emptyDir": {}}],
            "containers": [
                {
                    "name": "app",
                    "volumeMounts": [
                        {"name": "cfg-v2", "mountPath": "/etc/app"},
                        {"name": "cache", "mountPath": "/tmp"},
                    ],
                }
            ],
        }
    )
    spec = _container(apps, patch)
    assert [v.name for v in spec.volumes] == ["cfg", "cache"]
    assert [(m.name, m.mount_path) for m in spec.containers[0].volume_mounts] == [
        ("cfg-v2", "/etc/app"),
        ("cache", "/tmp"),
    ]


@pytest.mark.usefixtures("web")
def test_patch_delete_and_null_remove_entries(apps: kubernetes.client.AppsV1Api) -> None:
    patch = _template(
        {
            "volumes": [{"name": "cfg", "$patch": "delete"}],
            "containers": [
                {
                    "name": "app",
                    "env": [{"name": "LEVEL", "$patch": "delete"}],
                    "volumeMounts": None,
                }
            ],
        }
    )
    spec = _container(apps, patch)
    assert spec.volumes is None or spec.volumes == []
    assert not spec.containers[0].env
    assert spec.containers[0].volume_mounts is None


@pytest.mark.usefixtures("web")
def test_patch_replace_replaces_a_whole_list(apps: kubernetes.client.AppsV1Api) -> None:
    patch = _template(
        {
            "containers": [
                {"$patch": "replace"},
                {"name": "only", "image": "busybox"},
            ]
        }
    )
    assert [c.name for c in _container(apps, patch).containers] == ["only"]


@pytest.mark.usefixtures("web")
def test_conditions_merge_by_type(apps: kubernetes.client.AppsV1Api) -> None:
    first = {
        "status": {
            "conditions": [
                {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"},
                {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"},
            ]
        }
    }
    apps.patch_namespaced_deployment_status("web", "default", first)
    second = {
        "status": {
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
            ]
        }
    }
    patched = apps.patch_namespaced_deployment_status("web", "default", second)
    assert [(c.type, c.status) for c in patched.status.conditions] == [
        ("Available", "True"),
        ("Progressing", "True"),
    ]


@pytest.mark.usefixtures("web")
def test_finalizers_merge_as_a_set(apps: kubernetes.client.AppsV1Api) -> None:
    apps.patch_namespaced_deployment("web", "default", {"metadata": {"finalizers": ["a"]}})
    patched = apps.patch_namespaced_deployment(
        "web", "default", {"metadata": {"finalizers": ["b", "a"]}}
    )
    assert patched.metadata.finalizers == ["a", "b"]
    removed = apps.patch_namespaced_deployment(
        "web", "default", {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}
    )
    assert removed.metadata.finalizers == ["b"]


def test_service_ports_merge_by_port(core: kubernetes.client.CoreV1Api) -> None:
    core.create_namespaced_service(
        "default",
        {
            "metadata": {"name": "web"},
            "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
        },
    )
    patched = core.patch_namespaced_service(
        "web",
        "default",
        {
            "spec": {
                "ports": [
                    {"port": 80, "targetPort": 9090},
                    {"name": "grpc", "port": 81},
                ]
            }
        },
    )
    assert [(p.name, p.port, p.target_port) for p in patched.spec.ports] == [
        ("http", 80, 9090),
        ("grpc", 81, 81),
    ]
