"""Builders for the effects tests: Canary models, target workloads, and schema validation."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate

from reducers.spec import Canary, validate_document

K8S_VERSION = "1.30"


def canary(**spec: Any) -> Canary:
    """A Canary ``podinfo`` in ``test`` releasing Deployment ``podinfo``; ``spec`` overrides."""
    doc: dict[str, Any] = {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test", "uid": "c-uid-1"},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898},
            "analysis": {"interval": "1m", "threshold": 5, "maxWeight": 50, "stepWeight": 10},
        },
    }
    doc["spec"].update(copy.deepcopy(spec))
    model = validate_document(doc)
    assert isinstance(model, Canary), model
    return model


def deployment(
    name: str = "podinfo",
    *,
    labels: dict[str, str] | None = None,
    selector: dict[str, str] | None = None,
    pod_spec: dict[str, Any] | None = None,
    kind: str = "Deployment",
    **spec: Any,
) -> dict[str, Any]:
    """A target workload with one container exposing port 9898 named ``http``."""
    selector = selector or {"app": name}
    body: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": "test", "labels": labels or {"app": name}},
        "spec": {
            "selector": {"matchLabels": dict(selector)},
            "template": {
                "metadata": {"labels": dict(selector)},
                "spec": pod_spec
                or {
                    "containers": [
                        {
                            "name": "podinfod",
                            "image": "ghcr.io/stefanprodan/podinfo:6.0.0",
                            "ports": [{"containerPort": 9898, "name": "http"}],
                        }
                    ]
                },
            },
            **spec,
        },
    }
    return body


def assert_valid(manifest: dict[str, Any]) -> None:
    """Built-in kinds must satisfy the Kubernetes OpenAPI schema (strict: no unknown fields)."""
    kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
