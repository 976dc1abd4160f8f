"""Amazon CloudWatch: ``GetMetricData`` over the documented Query API, signed with SigV4.

The template's query is a JSON array of ``MetricDataQuery`` structures (as in Flagger). It is
flattened into Query-API parameters (``MetricDataQueries.member.1.MetricStat.Metric…``), sent as
a form POST to ``https://monitoring.<region>.amazonaws.com/`` (or ``provider.address``) with the
window ``at - 10 x interval .. at`` and ``MaxDatapoints=20``, and the first value of the first
result is the value. Credentials come from the Secret (``aws_access_key_id``,
``aws_secret_access_key``, optional ``aws_session_token``) rather than ambient AWS settings, so
nothing is read from the environment. Availability: an empty request must be refused with 400
(a 403 means the credentials are wrong), as in Flagger.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

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
from effects.metrics.sigv4 import AwsCredentials, sign
from effects.metrics.transport import Empty, Failed

VERSION = "2010-08-01"
MAX_DATAPOINTS = 20


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Query-API parameters of a JSON value: objects by ``.Key``, lists by ``.member.N``."""
    if isinstance(value, dict):
        out: list[tuple[str, str]] = []
        for key, item in value.items():
            out += flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(value, list):
        out = []
        for i, item in enumerate(value, start=1):
            out += flatten(item, f"{prefix}.member.{i}")
        return out
    if isinstance(value, bool):
        return [(prefix, "true" if value else "false")]
    return [(prefix, str(value))]


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


class CloudWatchProvider:
    """Queries CloudWatch in one region."""

    def __init__(self, config: ProviderConfig) -> None:
        region = config.spec.region
        if not region:
            raise ProviderConfigError("the cloudwatch provider needs a region")
        key_id, secret = required(config.credentials, "aws_access_key_id", "aws_secret_access_key")
        self._credentials = AwsCredentials(
            key_id, secret, config.credentials.get("aws_session_token") or None
        )
        self._region = region
        self._config = config
        self._address = config.spec.address or f"https://monitoring.{region}.amazonaws.com"

    def run_query(self, query: str, *, at: datetime) -> QueryOutcome:
        return transport.guarded(lambda: self._query(query, at))

    def is_online(self, *, at: datetime) -> QueryError | None:
        def empty_request() -> None:
            response = self._post([("Action", "GetMetricData"), ("Version", VERSION)], at)
            if response.status_code != 400:
                transport.checked(response, ok=lambda s: s == 400)
                raise Failed(FailureKind.BAD_RESPONSE, "an empty request was not refused")

        return transport.probe(empty_request)

    def _post(self, params: list[tuple[str, str]], at: datetime) -> httpx.Response:
        body = urlencode(params).encode()
        url = urlsplit(self._address)
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        headers |= sign(
            method="POST",
            host=url.netloc,
            path=url.path or "/",
            query="",
            headers=headers,
            body=body,
            credentials=self._credentials,
            region=self._region,
            service="monitoring",
            at=at,
        )
        with transport.client(self._config, base_url=self._address, headers=headers) as c:
            return c.post(url.path or "/", content=body)

    def _query(self, query: str, at: datetime) -> float | None:
        try:
            queries = json.loads(query)
        except json.JSONDecodeError as e:
            raise Failed(FailureKind.BAD_QUERY, f"query is not a JSON array: {e}") from e
        if not isinstance(queries, list):
            raise Failed(FailureKind.BAD_QUERY, "query is not a JSON array of MetricDataQuery")
        params = [
            ("Action", "GetMetricData"),
            ("Version", VERSION),
            ("StartTime", _iso(at - window(self._config))),
            ("EndTime", _iso(at)),
            ("MaxDatapoints", str(MAX_DATAPOINTS)),
            *flatten(queries, "MetricDataQueries"),
        ]
        response = self._post(params, at)
        if response.status_code >= 400:
            raise Failed(
                transport.status_kind(response.status_code),
                f"error response: Status {response.status_code}: {_error_text(response.text)}",
            )
        try:
            root = ET.fromstring(response.text)
        except ET.ParseError as e:
            raise Failed(
                FailureKind.BAD_RESPONSE, f"not XML: {transport.truncate(response.text)}"
            ) from e
        for result in root.iter():
            if _local(result.tag) != "MetricDataResults":
                continue
            for member in result:
                for child in member:
                    if _local(child.tag) == "Values":
                        values = [v.text for v in child if v.text]
                        if values:
                            return float(values[0])
                break  # Flagger reads the first result only
        raise Empty("no values found")


def _error_text(text: str) -> str:
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return transport.truncate(text)
    found = {_local(e.tag): (e.text or "") for e in root.iter()}
    return transport.truncate(f"{found.get('Code', '')}: {found.get('Message', text)}")


def make(config: ProviderConfig) -> CloudWatchProvider:
    return CloudWatchProvider(config)
