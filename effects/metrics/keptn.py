"""Keptn: a ``KeptnMetric`` value, or the verdict of a Keptn ``Analysis``.

Both go through the operator's injected ``ApiClient`` (``metrics.keptn.sh/v1``):

* ``keptnmetric/<namespace>/<name>`` reads ``status.value`` of that KeptnMetric;
* ``analysis/<namespace>/<definition>/<duration>/<k=v;k=v>`` creates an ``Analysis`` of that
  AnalysisDefinition over the recent ``duration`` (default ``1m``) with those arguments, polls it
  every second for up to ten seconds, and answers 1 when it passed and 0 when it failed, as in
  Flagger; the Analysis is deleted afterwards.

Availability: always online, as in Flagger.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from effects.metrics import kube, transport
from effects.metrics.base import (
    FailureKind,
    ProviderConfig,
    ProviderConfigError,
    QueryError,
    QueryOutcome,
)
from effects.metrics.transport import Empty, Failed

API = "/apis/metrics.keptn.sh/v1"
POLLS = 10
POLL_SECONDS = 1.0


class KeptnProvider:
    """Reads KeptnMetric values and runs Analyses in the cluster."""

    def __init__(
        self, config: ProviderConfig, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        if config.api_client is None:
            raise ProviderConfigError("the keptn provider needs a Kubernetes client")
        self._config = config
        self._sleep = sleep

    def run_query(self, query: str, *, at: datetime) -> QueryOutcome:
        return transport.guarded(lambda: self._query(query.strip()))

    def is_online(self, *, at: datetime) -> QueryError | None:
        return None

    def _call(self, path: str, *, method: str = "GET", body: Any = None) -> Any:
        return kube.get_json(
            self._config.api_client,
            f"{API}/{path}",
            method=method,
            body=body,
            timeout=self._config.timeout,
        )

    def _query(self, query: str) -> float | None:
        parts = query.split("/")
        if parts[0] == "keptnmetric" and len(parts) == 3 and all(parts):
            return self._metric(parts[1], parts[2])
        if parts[0] == "analysis" and 3 <= len(parts) <= 5 and all(parts[:3]):
            duration = parts[3] if len(parts) > 3 and parts[3] else "1m"
            return self._analysis(parts[1], parts[2], duration, parts[4] if len(parts) > 4 else "")
        raise Failed(
            FailureKind.BAD_QUERY,
            f"query {query!r} is neither keptnmetric/<namespace>/<name> nor "
            "analysis/<namespace>/<definition>/<duration>/<arguments>",
        )

    def _metric(self, namespace: str, name: str) -> float | None:
        body = self._call(f"namespaces/{namespace}/keptnmetrics/{name}")
        value = (body.get("status") or {}).get("value")
        if value in (None, ""):
            raise Empty("keptnmetric has no value yet")
        return float(value)

    def _analysis(self, namespace: str, definition: str, duration: str, args: str) -> float:
        arguments = dict(pair.split("=", 1) for pair in args.split(";") if "=" in pair)
        name = f"roost-{uuid.uuid4().hex[:10]}"
        self._call(
            f"namespaces/{namespace}/analyses",
            method="POST",
            body={
                "apiVersion": "metrics.keptn.sh/v1",
                "kind": "Analysis",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {
                    "timeframe": {"recent": duration},
                    "args": arguments,
                    "analysisDefinition": {"name": definition, "namespace": namespace},
                },
            },
        )
        path = f"namespaces/{namespace}/analyses/{name}"
        try:
            for _ in range(POLLS):
                status = self._call(path).get("status") or {}
                if status.get("state") == "Completed":
                    return 1.0 if status.get("pass") else 0.0
                self._sleep(POLL_SECONDS)
        finally:
            # The verdict stands either way; a leftover Analysis only costs a little storage.
            with contextlib.suppress(Failed):
                self._call(path, method="DELETE")
        raise Failed(FailureKind.TIMEOUT, f"analysis {namespace}/{name} did not complete in time")


def make(config: ProviderConfig) -> KeptnProvider:
    return KeptnProvider(config)
