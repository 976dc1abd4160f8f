"""New Relic: one NRQL number from the Insights query API.

``GET /v1/accounts/<account>/query?nrql=<query> SINCE <interval s> seconds ago`` with the
``X-Query-Key`` header; the Secret holds ``newrelic_account_id`` and ``newrelic_query_key``.
As in Flagger, exactly one result whose ``result`` field is a number is a value; anything else is
no data. Availability: ``SELECT * FROM Metric`` answers 200.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from effects.metrics import transport
from effects.metrics.base import ProviderConfig, QueryError, QueryOutcome, required
from effects.metrics.transport import Empty

DEFAULT_ADDRESS = "https://insights-api.newrelic.com"


class NewRelicProvider:
    """Queries the NRQL endpoint of one account."""

    def __init__(self, config: ProviderConfig) -> None:
        self._account, key = required(
            config.credentials, "newrelic_account_id", "newrelic_query_key"
        )
        self._config = config
        self._address = config.spec.address or DEFAULT_ADDRESS
        self._headers = {"X-Query-Key": key}

    def run_query(self, query: str, *, at: datetime) -> QueryOutcome:
        return transport.guarded(lambda: self._query(query))

    def is_online(self, *, at: datetime) -> QueryError | None:
        return transport.probe(lambda: self._get("SELECT * FROM Metric"))

    def _get(self, nrql: str) -> Any:
        path = f"/v1/accounts/{self._account}/query"
        with transport.client(self._config, base_url=self._address, headers=self._headers) as c:
            return transport.checked(c.get(path, params={"nrql": nrql}))

    def _query(self, query: str) -> float | None:
        seconds = int((self._config.interval or timedelta(minutes=1)).total_seconds())
        body = self._get(f"{query} SINCE {seconds} seconds ago")
        results = body.get("results") or []
        if len(results) != 1 or results[0].get("result") is None:
            raise Empty(f"no values found in response: {transport.truncate(str(body))}")
        return float(results[0]["result"])


def make(config: ProviderConfig) -> NewRelicProvider:
    return NewRelicProvider(config)
