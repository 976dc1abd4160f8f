"""Evaluating one analysis metric into a ``MetricResult`` observation.

Given the canary, one of its ``analysis.metrics`` entries, the pass it is evaluated in (builtin,
inline or template), the resolved MetricTemplate when there is one, and a provider, this renders
the query, runs it, and records what happened: the query text, interval, value, range and
verdict. The verdict comes from :func:`reducers.canary.checks.judge`, the same pure function the
simulated world uses, so effects never hold threshold logic of their own. The time of the event
is an argument; nothing here reads a clock, and nothing here decides what the canary does next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from effects.metrics.base import (
    DEFAULT_TIMEOUT,
    MetricProvider,
    NoData,
    ProviderConfig,
    ProviderConfigError,
    QueryError,
    Value,
)
from effects.metrics.builtins import builtin_query
from effects.metrics.rendering import QueryContext, RenderError, render
from reducers.canary.checks import bounds_of, judge
from reducers.events import MetricResult, MetricSource, MetricVerdict
from reducers.spec import Canary, CanaryMetric, MetricTemplate


@dataclass(frozen=True)
class Subject:
    """Which metric of which canary, in which pass, against which backend."""

    canary: Canary
    metric: CanaryMetric
    source: MetricSource
    provider_name: str
    """Metrics-provider string (builtin, inline) or the template's provider type."""
    template: MetricTemplate | None = None
    route: str | None = None
    """Knative: the latest created revision, which Flagger uses as ``route``."""


def interval_text(metric: CanaryMetric, source: MetricSource) -> str:
    """The interval as the query sees it: ``1m`` by default except for templates (§3.3)."""
    if metric.interval:
        return str(metric.interval)
    return "" if source is MetricSource.TEMPLATE else "1m"


def query_context(subject: Subject) -> QueryContext:
    """The template functions of §3.3 for this canary and metric."""
    spec = subject.canary.spec
    target = spec.target_ref.name
    return QueryContext(
        name=subject.canary.metadata.name,
        namespace=subject.canary.metadata.namespace or "default",
        target=target,
        service=spec.effective_service_name(),
        ingress=spec.ingress_ref.name if spec.ingress_ref else target,
        route=subject.route or (spec.route_ref.name if spec.route_ref else target),
        interval=interval_text(subject.metric, subject.source),
        variables=dict(subject.metric.template_variables or {}),
    )


def query_text(subject: Subject) -> tuple[str, float]:
    """The rendered query and the factor its answer is scaled by; raise ``RenderError``."""
    context = query_context(subject)
    if subject.source is MetricSource.BUILTIN:
        builtin = builtin_query(subject.metric.name, subject.provider_name, context)
        return builtin.query, builtin.scale
    if subject.source is MetricSource.INLINE:
        return render(subject.metric.query or "", context), 1.0
    if subject.template is None:
        raise RenderError(f"metric {subject.metric.name} has no resolved template")
    return render(subject.template.spec.query, context), 1.0


def template_config(
    subject: Subject,
    credentials: Mapping[str, str],
    *,
    api_client: Any = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> ProviderConfig:
    """How to build the provider of a template metric (§3.4 step 3): the template's provider
    spec, the Secret's data, and the metric's interval as written (no default)."""
    if subject.template is None:
        raise ProviderConfigError(f"metric {subject.metric.name} has no resolved template")
    return ProviderConfig(
        spec=subject.template.spec.provider,
        credentials=credentials,
        interval=subject.metric.effective_interval(from_template=True),
        timeout=timeout,
        api_client=api_client,
    )


def failed(subject: Subject, reason: str, *, at: datetime) -> MetricResult:
    """The result of a metric that could not even be queried: template or Secret missing,
    provider not buildable. Recorded like any other error so ``explain`` shows it."""
    metric, source = subject.metric, subject.source
    bounds = bounds_of(metric, source)
    return MetricResult(
        at=at,
        name=metric.name,
        source=source,
        provider=subject.provider_name,
        interval=interval_text(metric, source),
        min=bounds.min,
        max=bounds.max,
        verdict=MetricVerdict.ERROR,
        error=reason,
    )


def evaluate(subject: Subject, provider: MetricProvider, *, at: datetime) -> MetricResult:
    """Run the metric's query at ``at`` and record the outcome as an observation."""
    base = failed(subject, "", at=at)
    try:
        query, scale = query_text(subject)
    except RenderError as e:
        return base.model_copy(update={"error": f"render error: {e}"})
    outcome = provider.run_query(query, at=at)
    if isinstance(outcome, Value):
        value = outcome.value * scale
        verdict = judge(subject.metric, subject.source, value)
        return base.model_copy(update={"query": query, "value": value, "verdict": verdict})
    if isinstance(outcome, NoData):
        update = {"query": query, "verdict": MetricVerdict.NO_DATA, "error": outcome.reason}
        return base.model_copy(update=update)
    assert isinstance(outcome, QueryError)
    return base.model_copy(update={"query": query, "error": str(outcome)})
