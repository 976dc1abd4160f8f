"""InfluxDB 2: a Flux query through the HTTP query API, answered as annotated CSV.

``POST /api/v2/query?org=<org>`` with ``Authorization: Token <token>`` (the Secret's ``token``
and ``org``), a JSON body ``{"query": <flux>, "type": "flux"}`` and ``Accept: application/csv``.
The first record's ``_value`` is the value, as in Flagger (which reads it through the client
library); an empty table or an empty value is no data. Flux queries get 15 s, not 5.
Availability: ``from(bucket: "default") |> range(start: -2h)`` must run.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import datetime

from effects.metrics import transport
from effects.metrics.base import (
    ProviderConfig,
    ProviderConfigError,
    QueryError,
    QueryOutcome,
    required,
)
from effects.metrics.transport import Empty, Failed

DEFAULT_ADDRESS = "http://localhost:8086"
FLUX_TIMEOUT = 15.0
PROBE = 'from(bucket: "default") |> range(start: -2h)'


class InfluxDBProvider:
    """Runs Flux against one InfluxDB organisation."""

    def __init__(self, config: ProviderConfig) -> None:
        if config.spec.secret_ref is None and not config.credentials:
            raise ProviderConfigError("the influxdb provider needs a secretRef with token and org")
        self._token, self._org = required(config.credentials, "token", "org")
        self._config = replace(config, timeout=max(config.timeout, FLUX_TIMEOUT))
        self._address = config.spec.address or DEFAULT_ADDRESS

    def run_query(self, query: str, *, at: datetime) -> QueryOutcome:
        return transport.guarded(lambda: self._query(query))

    def is_online(self, *, at: datetime) -> QueryError | None:
        outcome = self.run_query(PROBE, at=at)
        return outcome if isinstance(outcome, QueryError) else None

    def _query(self, query: str) -> float | None:
        headers = {
            "Authorization": f"Token {self._token}",
            "Accept": "application/csv",
        }
        body = {"query": query, "type": "flux", "dialect": {"annotations": ["datatype"]}}
        with transport.client(self._config, base_url=self._address, headers=headers) as c:
            response = c.post("/api/v2/query", params={"org": self._org}, json=body)
        if response.status_code >= 400:
            transport.checked(response)  # raises with the JSON error message
        return _first_value(response.text)


def _first_value(text: str) -> float | None:
    """``_value`` of the first record of annotated CSV (``#datatype`` row, header, records)."""
    header: list[str] | None = None
    for row in csv.reader(io.StringIO(text)):
        if not row or not any(row):
            header = None  # a blank line separates tables
            continue
        if row[0].startswith("#"):
            continue
        if header is None:
            header = row
            continue
        if "_value" not in header:
            raise Failed(transport.FailureKind.BAD_RESPONSE, "no _value column in the result")
        cell = row[header.index("_value")]
        if cell == "":
            raise Empty("null value")
        try:
            return float(cell)
        except ValueError as e:
            raise Failed(
                transport.FailureKind.BAD_RESPONSE, f"value {cell!r} is not a float"
            ) from e
    raise Empty("no values found")


def make(config: ProviderConfig) -> InfluxDBProvider:
    return InfluxDBProvider(config)
