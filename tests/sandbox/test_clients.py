"""Every client an operator might use talks to the double unchanged, in-process or not."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import kubernetes.client
import kubernetes.dynamic
import pytest
from kubernetes.client import ApiException

from tests.fixtures.apiserver import ApiServerHandle
from tests.sandbox.conftest import canary, deployment


@pytest.mark.asyncio
async def test_the_official_asyncio_client(apiserver: ApiServerHandle) -> None:
    import kubernetes.aio.client

    async with kubernetes.aio.client.ApiClient(apiserver.aio_configuration()) as client:
        apps = kubernetes.aio.client.AppsV1Api(client)
        created = await apps.create_namespaced_deployment("default", deployment("web"))
        assert created.metadata.generation == 1
        patched = await apps.patch_namespaced_deployment(
            "web", "default", {"spec": {"replicas": 3}}
        )
        assert patched.spec.replicas == 3
        listed = await apps.list_namespaced_deployment("default", label_selector="app=web")
        assert [d.metadata.name for d in listed.items] == ["web"]
        custom = kubernetes.aio.client.CustomObjectsApi(client)
        made = await custom.create_namespaced_custom_object(
            "flagger.app", "v1beta1", "default", "canaries", canary("podinfo")
        )
        assert made["metadata"]["uid"]
        with pytest.raises(kubernetes.aio.client.ApiException) as caught:
            await apps.read_namespaced_deployment("ghost", "default")
        assert caught.value.status == 404


def test_the_dynamic_client(client: kubernetes.client.ApiClient, tmp_path: Path) -> None:
    dynamic = kubernetes.dynamic.DynamicClient(client, cache_file=str(tmp_path / "discovery"))
    canaries = dynamic.resources.get(api_version="flagger.app/v1beta1", kind="Canary")
    canaries.create(body=canary("podinfo"), namespace="default")
    listed = canaries.get(namespace="default")
    assert (listed.kind, listed.apiVersion) == ("CanaryList", "flagger.app/v1beta1")
    assert [item.metadata.name for item in listed.items] == ["podinfo"]
    patched = canaries.patch(
        name="podinfo",
        namespace="default",
        body={"spec": {"suspend": True}},
        content_type="application/merge-patch+json",
    )
    assert patched.spec.suspend is True
    with pytest.raises(kubernetes.dynamic.exceptions.DynamicApiError) as caught:
        canaries.patch(name="podinfo", namespace="default", body={"spec": {"suspend": False}})
    assert caught.value.status == 415  # the dynamic client's default (strategic) is for builtins
    deployments = dynamic.resources.get(api_version="apps/v1", kind="Deployment")
    deployments.create(body=deployment("web"), namespace="default")
    scaled = deployments.patch(name="web", namespace="default", body={"spec": {"replicas": 4}})
    assert scaled.spec.replicas == 4


@pytest.fixture
def subprocess_apiserver() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "controller.sandbox.apiserver", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), process.stderr.read() if process.stderr else ""
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def test_subprocess_mode_serves_until_sigterm(
    subprocess_apiserver: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = subprocess_apiserver
    configuration = kubernetes.client.Configuration(host=url)
    with kubernetes.client.ApiClient(configuration) as client:
        core = kubernetes.client.CoreV1Api(client)
        core.create_namespaced_config_map("default", {"metadata": {"name": "cfg"}})
        assert [c.metadata.name for c in core.list_namespaced_config_map("default").items] == [
            "cfg"
        ]
        with pytest.raises(ApiException) as caught:
            core.create_namespaced_config_map("default", {"metadata": {"name": "cfg"}})
        assert caught.value.status == 409
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
