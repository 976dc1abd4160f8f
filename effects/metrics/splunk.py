"""Splunk Observability Cloud: a SignalFlow program executed over HTTP.

``POST /v2/signalflow/execute?start=&stop=&immediate=true`` (Unix ms, ``at - 10 x interval ..
at``) with the program as the body and ``X-SF-Token`` from the Secret's ``sf_token_key``; the
answer is a Server-Sent Events stream whose ``data`` messages carry ``{"tsId", "value"}`` points.
As in Flagger, the last non-null value is the value and more than one time series is an error.
An ``api.<realm>…`` address is turned into the ``stream.<realm>…`` host SignalFlow lives on.
Availability: ``GET /v2/metric?limit=1`` on the API host answers 200.
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from effects.metrics import transport
from effects.metrics.base import (
    FailureKind,
    ProviderConfig,
    ProviderConfigError,
    QueryError,
    QueryOutcome,
    required,
    window,
)
from effects.metrics.transport import Empty, Failed


def stream_address(address: str) -> str:
    """The SignalFlow host for an API address (``api.us1…`` → ``stream.us1…``)."""
    parts = urlsplit(address)
    host = parts.netloc
    if host.startswith("api."):
        host = "stream." + host.removeprefix("api.")
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def events(text: str) -> list[tuple[str, str]]:
    """``(event, data)`` pairs of a Server-Sent Events body."""
    found: list[tuple[str, str]] = []
    event, data = "message", list[str]()
    for line in [*text.splitlines(), ""]:
        if not line:
            if data:
                found.append((event, "\n".join(data)))
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    return found


class SplunkProvider:
    """Runs SignalFlow in one Splunk Observability realm."""

    def __init__(self, config: ProviderConfig) -> None:
        if not config.spec.address:
            raise ProviderConfigError("the splunk provider needs an address")
        (token,) = required(config.credentials, "sf_token_key")
        self._config = config
        self._address = config.spec.address
        self._headers = {"X-SF-Token": token}

    def run_query(self, query: str, *, at: datetime) -> QueryOutcome:
        return transport.guarded(lambda: self._query(query, at))

    def is_online(self, *, at: datetime) -> QueryError | None:
        def list_one() -> None:
            with transport.client(self._config, base_url=self._address, headers=self._headers) as c:
                transport.checked(c.get("/v2/metric", params={"limit": 1}))

        return transport.probe(list_one)

    def _query(self, query: str, at: datetime) -> float | None:
        start = at - window(self._config)
        params: dict[str, str | int] = {
            "start": int(start.timestamp() * 1000),
            "stop": int(at.timestamp() * 1000),
            "immediate": "true",
        }
        headers = {**self._headers, "Content-Type": "text/plain", "Accept": "text/event-stream"}
        base = stream_address(self._address)
        with transport.client(self._config, base_url=base, headers=headers) as c:
            response = c.post("/v2/signalflow/execute", params=params, content=query.encode())
        if response.status_code >= 400:
            transport.checked(response)
        series: set[str] = set()
        last: float | None = None
        for event, data in events(response.text):
            message = json.loads(data)
            if event == "error" or message.get("type") == "error":
                raise Failed(FailureKind.BAD_QUERY, str(message.get("message", message)))
            if event != "data":
                continue
            for point in message.get("data") or []:
                series.add(point["tsId"])
                if point.get("value") is not None:
                    last = float(point["value"])
        if len(series) > 1:
            raise Failed(FailureKind.BAD_RESPONSE, "query returned multiple values")
        if last is None:
            raise Empty("no values found")
        return last


def make(config: ProviderConfig) -> SplunkProvider:
    return SplunkProvider(config)
