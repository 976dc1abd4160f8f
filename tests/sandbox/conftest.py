"""Helpers for the sandbox tests: typed API objects on the per-test double, and manifests."""

from __future__ import annotations

from typing import Any

import kubernetes.client
import pytest

from tests.fixtures.apiserver import ApiServerHandle


@pytest.fixture
def client(apiserver: ApiServerHandle) -> kubernetes.client.ApiClient:
    return apiserver.api_client()


@pytest.fixture
def apps(client: kubernetes.client.ApiClient) -> kubernetes.client.AppsV1Api:
    return kubernetes.client.AppsV1Api(client)


@pytest.fixture
def core(client: kubernetes.client.ApiClient) -> kubernetes.client.CoreV1Api:
    return kubernetes.client.CoreV1Api(client)


@pytest.fixture
def custom(client: kubernetes.client.ApiClient) -> kubernetes.client.CustomObjectsApi:
    return kubernetes.client.CustomObjectsApi(client)


def deployment(
    name: str,
    image: str = "ghcr.io/stefanprodan/podinfo:6.0.0",
    replicas: int | None = 2,
    labels: dict[str, str] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """A Deployment manifest with one container, env and a port (things SMP merges by key)."""
    labels = labels or {"app": name}
    body: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": image,
                            "env": [{"name": "LEVEL", "value": "info"}],
                            "ports": [{"containerPort": 9898, "name": "http"}],
                        }
                    ]
                },
            },
            **spec,
        },
    }
    if replicas is not None:
        body["spec"]["replicas"] = replicas
    return body


def canary(name: str, target: str = "podinfo", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": name},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "service": {"port": 9898},
            "analysis": {"interval": "1m", "threshold": 5},
            **spec,
        },
    }


def error_status(error: kubernetes.client.ApiException) -> dict[str, Any]:
    """The ``Status`` body of an API error, decoded."""
    import json

    body: dict[str, Any] = json.loads(error.body)
    return body
