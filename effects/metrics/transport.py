"""HTTP to metric backends, and the one place where failures become outcomes.

Every provider calls :func:`guarded` around its work and raises :class:`Failed` (or lets httpx
raise) when something goes wrong; ``guarded`` turns exceptions into a :class:`QueryError` of the
right kind, with the backend's text truncated, so that no provider classifies on its own and no
exception escapes into the tick. Providers build one short-lived client per call: a tick asks a
backend a handful of questions a minute, and nothing is left open between ticks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from effects.metrics.base import (
    FailureKind,
    NoData,
    ProviderConfig,
    QueryError,
    QueryOutcome,
    Value,
)

__all__ = ["Empty", "Failed", "FailureKind", "checked", "client", "guarded", "probe"]

MAX_REASON = 300
"""Characters of backend text kept in a reason: enough to read, not enough to flood events."""


class Failed(Exception):
    """Raised inside a provider; ``guarded`` records it as a :class:`QueryError`."""

    def __init__(self, kind: FailureKind, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class Empty(Exception):
    """Raised inside a provider when the query matched nothing."""

    def __init__(self, reason: str = "no values found") -> None:
        super().__init__(reason)
        self.reason = reason


def truncate(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def client(
    config: ProviderConfig, *, base_url: str, headers: Mapping[str, str] = {}
) -> httpx.Client:
    """A client for one call: base URL, timeout, TLS verification per ``insecureSkipVerify``."""
    verify = not bool(config.spec.insecure_skip_verify)
    return httpx.Client(
        base_url=base_url.rstrip("/"),
        timeout=config.timeout,
        verify=verify,
        headers=dict(headers),
        follow_redirects=False,
    )


def status_kind(status: int) -> FailureKind:
    """How an HTTP error status reads to a user."""
    if status in (401, 403):
        return FailureKind.AUTH
    if status >= 500:
        return FailureKind.SERVER
    if status in (404, 405):
        return FailureKind.CONFIG  # wrong address or API path, not a wrong query
    return FailureKind.BAD_QUERY


def checked(response: httpx.Response, *, ok: Callable[[int], bool] = lambda s: s < 400) -> Any:
    """The JSON body of an accepted response; raise :class:`Failed` for any other."""
    if not ok(response.status_code):
        raise Failed(
            status_kind(response.status_code),
            f"error response: Status {response.status_code} {response.reason_phrase}: "
            f"{truncate(response.text)}",
        )
    try:
        return response.json()
    except json.JSONDecodeError as e:
        raise Failed(FailureKind.BAD_RESPONSE, f"not JSON: {truncate(response.text)}") from e


def guarded(work: Callable[[], float | None]) -> QueryOutcome:
    """Run ``work`` (a value, or ``None`` for no data) and classify whatever it raises."""
    try:
        value = work()
    except Empty as e:
        return NoData(e.reason)
    except Failed as e:
        return QueryError(e.kind, truncate(e.reason))
    except httpx.TimeoutException as e:
        return QueryError(FailureKind.TIMEOUT, truncate(f"timed out: {e}"))
    except httpx.TransportError as e:
        return QueryError(FailureKind.UNREACHABLE, truncate(f"{type(e).__name__}: {e}"))
    except (AttributeError, KeyError, IndexError, TypeError, ValueError) as e:
        return QueryError(FailureKind.BAD_RESPONSE, truncate(f"unexpected answer: {e!r}"))
    if value is None:
        return NoData()
    return Value(value)


def probe(work: Callable[[], object]) -> QueryError | None:
    """``guarded`` for availability checks: any answer, even an empty one, means online."""

    def answered() -> float | None:
        work()
        return None

    outcome = guarded(answered)
    return outcome if isinstance(outcome, QueryError) else None
