"""Kubernetes external metrics API (``external.metrics.k8s.io/v1beta1``).

The query is ``<namespace>/<metric>?labelSelector=<selector>`` (namespace ``default`` when
omitted), read through the operator's injected ``ApiClient``; ``provider.address`` overrides the
API host and the Secret's optional ``token`` is sent as a bearer token, as in Flagger. The first
item's quantity (``"123m"``, ``"2k"``) is the value; an empty list is no data. Availability:
listing ``kube-system/dummy-metric`` must answer.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from kubernetes.utils import parse_quantity

from effects.metrics import kube, transport
from effects.metrics.base import (
    FailureKind,
    ProviderConfig,
    ProviderConfigError,
    QueryError,
    QueryOutcome,
)
from effects.metrics.transport import Empty, Failed

API = "/apis/external.metrics.k8s.io/v1beta1"


class ExternalMetricsProvider:
    """Reads external metrics through the cluster's API server."""

    def __init__(self, config: ProviderConfig) -> None:
        if config.api_client is None:
            raise ProviderConfigError("the externalmetrics provider needs a Kubernetes client")
        self._config = config
        token = config.credentials.get("token")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    def run_query(self, query: str, *, at: datetime) -> QueryOutcome:
        return transport.guarded(lambda: self._query(query.strip()))

    def is_online(self, *, at: datetime) -> QueryError | None:
        return transport.probe(lambda: self._list("kube-system", "dummy-metric", []))

    def _list(self, namespace: str, metric: str, query: list[tuple[str, str]]) -> list[object]:
        body = kube.get_json(
            self._config.api_client,
            f"{API}/namespaces/{namespace}/{metric}",
            query=query,
            headers=self._headers,
            host=self._config.spec.address,
            timeout=self._config.timeout,
        )
        items: list[object] = body.get("items") or []
        return items

    def _query(self, query: str) -> float | None:
        path, _, params = query.partition("?")
        namespace, _, metric = path.rpartition("/")
        if not metric:
            raise Failed(FailureKind.BAD_QUERY, f"query {query!r} names no metric")
        items = self._list(namespace or "default", metric, parse_qsl(params))
        if not items:
            raise Empty("no values found")
        first: Any = items[0]
        quantity: Decimal = parse_quantity(first["value"])  # type: ignore[no-untyped-call]
        return float(quantity)


def make(config: ProviderConfig) -> ExternalMetricsProvider:
    return ExternalMetricsProvider(config)
