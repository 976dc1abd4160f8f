"""What every metric backend offers the operator: one query, one availability probe.

This module owns the small interface (``MetricProvider``) and the three outcomes of a query —
a value, no data, or an error whose kind tells a bad query from missing traffic, refused
credentials, a timeout or an unreachable backend. ``explain`` shows that kind to users, so it is
decided once, in :mod:`effects.metrics.transport`, and never guessed from message text later.

Providers never read a clock: the evaluation time arrives as ``at`` and their query windows are
computed from it, so the recorded query is the one that was run. They never decide pass or fail
either; that is :func:`reducers.canary.checks.judge`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from reducers.spec import MetricProvider as ProviderSpec

DEFAULT_TIMEOUT = 5.0
"""Seconds one call to a backend may take (Flagger's 5 s; InfluxDB gets 15 s)."""


class FailureKind(StrEnum):
    """Why a query produced no value, in the words ``explain`` uses."""

    BAD_QUERY = "bad-query"
    """The backend rejected the query text."""
    AUTH = "auth"
    """The backend refused the credentials (401/403)."""
    TIMEOUT = "timeout"
    """No answer within the per-call timeout."""
    UNREACHABLE = "unreachable"
    """No connection (DNS, refused, TLS handshake)."""
    SERVER = "server"
    """The backend answered with a server error (5xx)."""
    BAD_RESPONSE = "bad-response"
    """An answer Roost cannot read, or more than one value where one was expected."""
    CONFIG = "config"
    """The template or Secret lacks something the backend needs."""


RETRYABLE = frozenset({FailureKind.TIMEOUT, FailureKind.UNREACHABLE, FailureKind.SERVER})


@dataclass(frozen=True, slots=True)
class Value:
    """The query answered with one number."""

    value: float


@dataclass(frozen=True, slots=True)
class NoData:
    """The query ran and matched nothing — most often: no traffic reached the workload yet."""

    reason: str = "no values found"


@dataclass(frozen=True, slots=True)
class QueryError:
    """The query did not run to an answer."""

    kind: FailureKind
    reason: str

    @property
    def retryable(self) -> bool:
        """Whether asking again later may help (as opposed to fixing the template or Secret)."""
        return self.kind in RETRYABLE

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason}"


QueryOutcome = Value | NoData | QueryError


class MetricProvider(Protocol):
    """One metric backend, configured for one metric of one canary."""

    def run_query(self, query: str, *, at: datetime) -> QueryOutcome:
        """Run a rendered query, evaluated at (or over the window ending at) ``at``."""
        ...

    def is_online(self, *, at: datetime) -> QueryError | None:
        """Probe the backend the way Flagger does at initialisation; ``None`` means online."""
        ...


@dataclass(frozen=True)
class ProviderConfig:
    """Everything a provider is built from; the caller has already read the Secret."""

    spec: ProviderSpec
    """The MetricTemplate's ``spec.provider``."""
    credentials: Mapping[str, str] = field(default_factory=dict)
    """The referenced Secret's data, decoded to text (empty without ``secretRef``)."""
    interval: timedelta | None = None
    """The metric's interval; windowed backends query ``at - 10 x interval .. at``."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds one call may take."""
    api_client: Any = None
    """A ``kubernetes.client.ApiClient`` (externalmetrics and keptn only)."""


class ProviderConfigError(ValueError):
    """The provider cannot be built: unknown type, missing credential or setting."""


def required(credentials: Mapping[str, str], *keys: str) -> tuple[str, ...]:
    """The values of ``keys``; raise naming every missing one."""
    missing = [k for k in keys if not credentials.get(k)]
    if missing:
        raise ProviderConfigError(f"secret is missing {', '.join(missing)}")
    return tuple(credentials[k] for k in keys)


def window(config: ProviderConfig) -> timedelta:
    """Look-back of windowed backends: ten intervals, as Flagger does (1 m when unset)."""
    return 10 * (config.interval or timedelta(minutes=1))
