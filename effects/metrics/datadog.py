"""Datadog: timeseries points from the v1 metrics query API.

``GET /api/v1/query?from=&to=&query=`` over ``at - 10 x interval .. at`` (Unix seconds), with the
``DD-API-KEY`` and ``DD-APPLICATION-KEY`` headers from the Secret's ``datadog_api_key`` and
``datadog_application_key``. As in Flagger, the first point of the first series is the value.
Availability: ``GET /api/v1/validate`` answers 200 for a valid API key.
"""

from __future__ import annotations

from datetime import datetime

from effects.metrics import transport
from effects.metrics.base import ProviderConfig, QueryError, QueryOutcome, required, window
from effects.metrics.transport import Empty

DEFAULT_ADDRESS = "https://api.datadoghq.com"


class DatadogProvider:
    """Queries the Datadog API of one site."""

    def __init__(self, config: ProviderConfig) -> None:
        api_key, app_key = required(
            config.credentials, "datadog_api_key", "datadog_application_key"
        )
        self._config = config
        self._address = config.spec.address or DEFAULT_ADDRESS
        self._headers = {"DD-API-KEY": api_key, "DD-APPLICATION-KEY": app_key}

    def run_query(self, query: str, *, at: datetime) -> QueryOutcome:
        return transport.guarded(lambda: self._query(query, at))

    def is_online(self, *, at: datetime) -> QueryError | None:
        return transport.probe(self._validate)

    def _query(self, query: str, at: datetime) -> float | None:
        start = at - window(self._config)
        params: dict[str, str | int] = {
            "from": int(start.timestamp()),
            "to": int(at.timestamp()),
            "query": query,
        }
        with transport.client(self._config, base_url=self._address, headers=self._headers) as c:
            body = transport.checked(c.get("/api/v1/query", params=params))
        series = body.get("series") or []
        if not series or not series[0].get("pointlist"):
            raise Empty(f"no values found in response: {transport.truncate(str(body))}")
        point = series[0]["pointlist"][0]
        return None if point[1] is None else float(point[1])

    def _validate(self) -> float | None:
        with transport.client(self._config, base_url=self._address, headers=self._headers) as c:
            transport.checked(c.get("/api/v1/validate"), ok=lambda s: s == 200)
        return None


def make(config: ProviderConfig) -> DatadogProvider:
    return DatadogProvider(config)
