"""JSON requests through an injected Kubernetes ``ApiClient``, for the in-cluster backends.

The externalmetrics and keptn providers read aggregated or custom APIs of the cluster the
operator runs in; the caller hands them the operator's ``ApiClient`` (so authentication and the
API server's address are the operator's, not read from the environment here). This module turns
that client's exceptions into :class:`Failed` of the right kind; ``transport.guarded`` does the
rest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import urllib3
from kubernetes.client import ApiClient

from effects.metrics import transport
from effects.metrics.base import FailureKind
from effects.metrics.transport import Failed


def get_json(
    api_client: ApiClient,
    path: str,
    *,
    method: str = "GET",
    body: Any = None,
    query: Sequence[tuple[str, str]] = (),
    headers: Mapping[str, str] = {},
    host: str | None = None,
    timeout: float,
) -> Any:
    """The decoded JSON of ``method path``; raise :class:`Failed` for any error answer."""
    method, url, header_params, payload, _ = api_client.param_serialize(
        method,
        path,
        body=body,
        query_params=list(query),
        header_params={
            "Accept": "application/json",
            **({"Content-Type": "application/json"} if body is not None else {}),
            **headers,
        },
        # A token of the template's own (externalmetrics' Secret) replaces the operator's.
        auth_settings=[] if "Authorization" in headers else ["BearerToken"],
        _host=host.rstrip("/") if host else None,
    )
    try:
        response = api_client.call_api(
            method, url, header_params, payload, _request_timeout=timeout
        )
        response.read()  # type: ignore[no-untyped-call]
    except urllib3.exceptions.TimeoutError as e:
        raise Failed(FailureKind.TIMEOUT, f"timed out: {e}") from e
    except urllib3.exceptions.HTTPError as e:
        raise Failed(FailureKind.UNREACHABLE, f"{type(e).__name__}: {e}") from e
    text = (response.data or b"").decode("utf-8", errors="replace")
    if not 200 <= response.status <= 299:
        try:
            message = json.loads(text).get("message", text)
        except (json.JSONDecodeError, AttributeError):
            message = text
        raise Failed(
            transport.status_kind(response.status),
            f"error response: Status {response.status} {response.reason}: "
            f"{transport.truncate(message)}",
        )
    return json.loads(text)
