"""Builders for the metric tests: a canary, a template, a provider configuration, a fixed time.

Every provider test talks to a real local server (pytest-httpserver, the recording server, or a
real Prometheus), never to a patched client.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import kubernetes.client
import pytest
from pytest_httpserver import HTTPServer

from effects.metrics import ProviderConfig
from reducers.spec import Canary, MetricProvider, MetricTemplate

AT = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
"""Evaluation time of the tests (Unix 1_700_000_000)."""
AT_S = 1_700_000_000


def canary(metrics: list[dict[str, Any]] | None = None, **spec: Any) -> Canary:
    """The podinfo canary of the scenarios, with the given metrics and spec fields."""
    doc: dict[str, Any] = {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898},
            "analysis": {
                "interval": "1m",
                "threshold": 5,
                "stepWeight": 10,
                "metrics": metrics or [{"name": "request-success-rate", "threshold": 99}],
            },
            **spec,
        },
    }
    return Canary.model_validate(doc)


def template(provider: Mapping[str, Any], query: str) -> MetricTemplate:
    return MetricTemplate.model_validate(
        {
            "apiVersion": "flagger.app/v1beta1",
            "kind": "MetricTemplate",
            "metadata": {"name": "tmpl", "namespace": "test"},
            "spec": {"provider": dict(provider), "query": query},
        }
    )


def config(
    kind: str,
    address: str | None = None,
    credentials: Mapping[str, str] | None = None,
    *,
    interval: timedelta | None = timedelta(minutes=1),
    timeout: float = 5.0,
    api_client: Any = None,
    **extra: Any,
) -> ProviderConfig:
    spec: dict[str, Any] = {"type": kind, **extra}
    if address is not None:
        spec["address"] = address
    if credentials is not None:
        spec["secretRef"] = {"name": "creds"}
    return ProviderConfig(
        spec=MetricProvider.model_validate(spec),
        credentials=dict(credentials or {}),
        interval=interval,
        timeout=timeout,
        api_client=api_client,
    )


@pytest.fixture
def base_url(httpserver: HTTPServer) -> str:
    return httpserver.url_for("/").rstrip("/")


@pytest.fixture
def kube_client(httpserver: HTTPServer) -> Iterator[kubernetes.client.ApiClient]:
    """An official ``ApiClient`` pointed at the local server, with a bearer token."""
    configuration = kubernetes.client.Configuration(host=httpserver.url_for("/").rstrip("/"))
    configuration.api_key = {"authorization": "operator-token"}
    configuration.api_key_prefix = {"authorization": "Bearer"}
    client = kubernetes.client.ApiClient(configuration)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port
