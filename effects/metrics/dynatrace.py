"""Dynatrace: the Metrics API v2 with one aggregated point.

``GET /api/v2/metrics/query?metricSelector=<query>&resolution=Inf&from=&to=`` over
``at - 10 x interval .. at`` in Unix milliseconds, with ``Authorization: Api-Token <token>``
from the Secret's ``dynatrace_token``. The value is the last data entry's first value of the
first result. Availability: ``GET /api/v2/metrics?pageSize=1`` answers 200.
"""

from __future__ import annotations

from datetime import datetime

import httpx

from effects.metrics import transport
from effects.metrics.base import (
    ProviderConfig,
    ProviderConfigError,
    QueryError,
    QueryOutcome,
    required,
    window,
)
from effects.metrics.transport import Empty


class DynatraceProvider:
    """Queries one Dynatrace environment."""

    def __init__(self, config: ProviderConfig) -> None:
        if not config.spec.address:
            raise ProviderConfigError("the dynatrace provider needs an address")
        (token,) = required(config.credentials, "dynatrace_token")
        self._config = config
        self._address = config.spec.address
        self._headers = {"Authorization": f"Api-Token {token}", "Accept": "application/json"}

    def run_query(self, query: str, *, at: datetime) -> QueryOutcome:
        return transport.guarded(lambda: self._query(query, at))

    def is_online(self, *, at: datetime) -> QueryError | None:
        def list_one() -> None:
            with self._client() as c:
                transport.checked(c.get("/api/v2/metrics", params={"pageSize": 1}))

        return transport.probe(list_one)

    def _client(self) -> httpx.Client:
        return transport.client(self._config, base_url=self._address, headers=self._headers)

    def _query(self, query: str, at: datetime) -> float | None:
        start = at - window(self._config)
        params: dict[str, str | int] = {
            "metricSelector": query,
            "resolution": "Inf",
            "from": int(start.timestamp() * 1000),
            "to": int(at.timestamp() * 1000),
        }
        with self._client() as c:
            body = transport.checked(c.get("/api/v2/metrics/query", params=params))
        results = body.get("result") or []
        data = results[0].get("data") or [] if results else []
        values = data[-1].get("values") or [] if data else []
        if not values or values[0] is None:
            raise Empty("no values found")
        return float(values[0])


def make(config: ProviderConfig) -> DynatraceProvider:
    return DynatraceProvider(config)
