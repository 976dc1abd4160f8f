"""Prometheus: the backend of builtin and inline metrics, and of ``prometheus`` templates.

Follows the HTTP API (``GET /api/v1/query``) at the evaluation time ``at`` passed in, so a
recorded query can be re-run against the same instant. Credentials: ``token`` (bearer) or
``username`` + ``password`` (basic), both from the template's Secret; ``provider.headers`` are
sent as well. Answer handling is Flagger's: the last sample of an instant vector, empty or NaN is
no data, a matrix is an error.
"""

from __future__ import annotations

import math
from datetime import datetime

import httpx

from effects.metrics import transport
from effects.metrics.base import (
    DEFAULT_TIMEOUT,
    FailureKind,
    ProviderConfig,
    ProviderConfigError,
    QueryError,
    QueryOutcome,
    Value,
)
from effects.metrics.transport import Empty, Failed
from reducers.spec import MetricProvider as ProviderSpec

DEFAULT_ADDRESS = "http://prometheus:9090"


class PrometheusProvider:
    """Queries one Prometheus server."""

    def __init__(self, config: ProviderConfig, *, address: str | None = None) -> None:
        self._config = config
        self._address = address or config.spec.address or DEFAULT_ADDRESS
        creds = config.credentials
        headers: dict[str, str] = {}
        for name, values in (config.spec.headers or {}).items():
            headers[name] = ", ".join(values)
        self._auth: httpx.Auth | None = None
        if creds.get("token"):
            headers["Authorization"] = f"Bearer {creds['token']}"
        elif config.spec.secret_ref is not None or creds:
            if not creds.get("username") or not creds.get("password"):
                raise ProviderConfigError("prometheus secret needs token, or username and password")
            self._auth = httpx.BasicAuth(creds["username"], creds["password"])
        self._headers = headers

    def run_query(self, query: str, *, at: datetime) -> QueryOutcome:
        return transport.guarded(lambda: self._query(query, at))

    def is_online(self, *, at: datetime) -> QueryError | None:
        outcome = self.run_query("vector(1)", at=at)
        if isinstance(outcome, QueryError):
            return outcome
        if not isinstance(outcome, Value) or outcome.value != 1.0:
            return QueryError(FailureKind.BAD_RESPONSE, f"vector(1) answered {outcome}")
        return None

    def _query(self, query: str, at: datetime) -> float | None:
        params = {"query": " ".join(query.split()), "time": f"{at.timestamp():.3f}"}
        with transport.client(self._config, base_url=self._address, headers=self._headers) as c:
            response = c.get(
                "/api/v1/query", params=params, auth=self._auth or httpx.USE_CLIENT_DEFAULT
            )
        if response.status_code == 400 or response.status_code == 422:
            # Prometheus explains a bad query in the body's ``error`` field.
            body = response.json()
            raise Failed(FailureKind.BAD_QUERY, f"{body.get('errorType')}: {body.get('error')}")
        data = transport.checked(response)["data"]
        if data["resultType"] == "matrix":
            raise Failed(FailureKind.BAD_RESPONSE, "query returned multiple values")
        if data["resultType"] == "scalar":
            value = float(data["result"][1])
        else:
            result = data["result"]
            if not result:
                raise Empty("no values found")
            value = float(result[-1]["value"][1])
        if math.isnan(value):
            raise Empty("no values found (NaN)")
        return value


def make(config: ProviderConfig) -> PrometheusProvider:
    return PrometheusProvider(config)


def for_builtins(address: str, *, timeout: float = DEFAULT_TIMEOUT) -> PrometheusProvider:
    """The Prometheus of builtin and inline metrics (see ``builtins.metrics_server``): no
    template, so no Secret and no extra headers."""
    spec = ProviderSpec.model_validate({"type": "prometheus", "address": address})
    return PrometheusProvider(ProviderConfig(spec=spec, timeout=timeout))
