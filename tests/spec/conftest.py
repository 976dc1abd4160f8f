"""Shared material of the spec tests: the conformance examples and a small valid Canary.

The conformance manifests live in the ``shared/`` checkout next to the repository (CI clones it
there); they are read-only reference data.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
EXAMPLES = SHARED / "conformance" / "flagger-examples"
COMPLETE = sorted((EXAMPLES / "complete").glob("*.yaml"))
FRAGMENTS = sorted((EXAMPLES / "fragments").glob("*.yaml"))
FLAGGER_CRDS = SHARED / "schemas" / "flagger-crd.yaml"

MINIMAL_CANARY: dict[str, Any] = {
    "apiVersion": "flagger.app/v1beta1",
    "kind": "Canary",
    "metadata": {"name": "podinfo", "namespace": "test"},
    "spec": {
        "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
        "service": {"port": 9898},
        "analysis": {"interval": "1m", "threshold": 5, "stepWeight": 10},
    },
}

MINIMAL_TEMPLATE: dict[str, Any] = {
    "apiVersion": "flagger.app/v1beta1",
    "kind": "MetricTemplate",
    "metadata": {"name": "latency", "namespace": "test"},
    "spec": {
        "provider": {"type": "prometheus", "address": "http://prometheus:9090"},
        "query": "vector(1)",
    },
}

MINIMAL_ALERT_PROVIDER: dict[str, Any] = {
    "apiVersion": "flagger.app/v1beta1",
    "kind": "AlertProvider",
    "metadata": {"name": "on-call", "namespace": "flagger"},
    "spec": {"type": "slack", "address": "https://hooks.slack.com/services/x"},
}


def load_all(path: Path) -> list[Any]:
    """Every non-empty YAML document of a file."""
    with path.open(encoding="utf-8") as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc is not None]


@pytest.fixture
def canary() -> dict[str, Any]:
    """A fresh, valid Canary document to mutate."""
    return copy.deepcopy(MINIMAL_CANARY)


@pytest.fixture
def template() -> dict[str, Any]:
    """A fresh, valid MetricTemplate document to mutate."""
    return copy.deepcopy(MINIMAL_TEMPLATE)


@pytest.fixture
def alert_provider() -> dict[str, Any]:
    """A fresh, valid AlertProvider document to mutate."""
    return copy.deepcopy(MINIMAL_ALERT_PROVIDER)
