"""Metric backends and the evaluation of analysis metrics into ``MetricResult`` observations.

``base`` holds the small ``MetricProvider`` interface and its outcomes, ``transport`` the one
place errors are classified, ``registry`` maps MetricTemplate provider types to one module per
backend, ``rendering`` and ``builtins`` make the query text, and ``evaluating`` turns one metric
into one observation event. Nothing here decides what a canary does, writes the ledger or reads
the clock.
"""

from effects.metrics.base import (
    FailureKind,
    MetricProvider,
    NoData,
    ProviderConfig,
    ProviderConfigError,
    QueryError,
    QueryOutcome,
    Value,
)
from effects.metrics.builtins import builtin_query, metrics_provider, metrics_server, observer_name
from effects.metrics.evaluating import (
    Subject,
    evaluate,
    failed,
    query_context,
    query_text,
    template_config,
)
from effects.metrics.prometheus import PrometheusProvider, for_builtins
from effects.metrics.registry import PROVIDERS, make_provider
from effects.metrics.rendering import QueryContext, RenderError, render

__all__ = [
    "PROVIDERS",
    "FailureKind",
    "MetricProvider",
    "NoData",
    "PrometheusProvider",
    "ProviderConfig",
    "ProviderConfigError",
    "QueryContext",
    "QueryError",
    "QueryOutcome",
    "RenderError",
    "Subject",
    "Value",
    "builtin_query",
    "evaluate",
    "failed",
    "for_builtins",
    "make_provider",
    "metrics_provider",
    "metrics_server",
    "observer_name",
    "query_context",
    "query_text",
    "render",
    "template_config",
]
