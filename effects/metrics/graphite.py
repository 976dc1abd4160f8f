"""Graphite: the render API's JSON output.

The query is a render query string (``target=…&from=-5min``) sent as
``GET /render?<query>&format=json``; optional ``username`` + ``password`` in the Secret give
basic auth. The value is the last non-null datapoint across every returned target, as in
Flagger. Availability: ``target=test`` must answer (no data is fine).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl

import httpx

from effects.metrics import transport
from effects.metrics.base import (
    ProviderConfig,
    ProviderConfigError,
    QueryError,
    QueryOutcome,
    required,
)
from effects.metrics.transport import Empty


class GraphiteProvider:
    """Queries one Graphite (or graphite-web compatible) server."""

    def __init__(self, config: ProviderConfig) -> None:
        if not config.spec.address:
            raise ProviderConfigError("the graphite provider needs an address")
        self._config = config
        self._address = config.spec.address
        self._auth: httpx.Auth | None = None
        if config.credentials:
            user, password = required(config.credentials, "username", "password")
            self._auth = httpx.BasicAuth(user, password)

    def run_query(self, query: str, *, at: datetime) -> QueryOutcome:
        return transport.guarded(lambda: self._query(query))

    def is_online(self, *, at: datetime) -> QueryError | None:
        return transport.probe(lambda: self._query("target=test"))

    def _query(self, query: str) -> float | None:
        # Templates spread long render queries over lines; the breaks are not part of a value.
        pairs = [(k.strip(), v.strip()) for k, v in parse_qsl(query, keep_blank_values=True)]
        params: list[tuple[str, str | int | float | bool | None]] = [*pairs, ("format", "json")]
        with transport.client(self._config, base_url=self._address) as c:
            auth = self._auth or httpx.USE_CLIENT_DEFAULT
            body = transport.checked(c.get("/render", params=params, auth=auth))
        last: float | None = None
        for target in body:
            for value, _ in target.get("datapoints") or []:
                if value is not None:
                    last = float(value)
        if last is None:
            raise Empty("no values found")
        return last


def make(config: ProviderConfig) -> GraphiteProvider:
    return GraphiteProvider(config)
