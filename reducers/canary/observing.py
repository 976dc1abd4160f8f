"""The observations of one tick, gathered into one value, and what the decider may still need.

``decide`` is handed a flat list of observation events; this module indexes them (webhook answers
by hook and type, metric results by metric and pass) and defines the *needs*: when the decider
reaches a webhook or metric it has no answer for, it stops and names it, the shell asks the world,
records the answer as an observation and decides again. Only what Flagger would have called gets
called, and the recorded answers are enough to decide the same way again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import orjson

from reducers.base import Event
from reducers.events import (
    CommandObserved,
    MetricProvidersChecked,
    MetricResult,
    MetricSource,
    Readiness,
    ReadinessObserved,
    RoutesObserved,
    SpecObserved,
    TargetRevisionObserved,
    TickStarted,
    WebhookResult,
    Workload,
)
from reducers.spec import CanarySpec


class ObservationError(ValueError):
    """A tick's observations are incomplete or contradictory."""


@dataclass(frozen=True, slots=True)
class WebhookNeeded:
    """Call this hook with this payload phase, then decide again."""

    name: str
    type: str
    url: str
    phase: str


@dataclass(frozen=True, slots=True)
class MetricNeeded:
    """Evaluate this metric in this pass, then decide again."""

    name: str
    source: MetricSource


@dataclass(frozen=True, slots=True)
class ProvidersCheckNeeded:
    """Probe every metric provider of the canary, then decide again."""


Need = WebhookNeeded | MetricNeeded | ProvidersCheckNeeded


@dataclass(frozen=True, slots=True)
class Observed:
    """Everything one tick knows about the world."""

    tick: TickStarted
    canary: SpecObserved
    spec: CanarySpec
    revision: str
    primary: ReadinessObserved
    canary_readiness: ReadinessObserved
    routes: RoutesObserved
    providers: MetricProvidersChecked | None
    webhooks: Mapping[tuple[str, str], WebhookResult]
    metrics: Mapping[tuple[str, MetricSource], MetricResult]
    command: CommandObserved | None = None


@lru_cache(maxsize=256)
def _parse_spec(text: bytes) -> CanarySpec:
    return CanarySpec.model_validate_json(text)


def parse_spec(observed: SpecObserved) -> CanarySpec:
    """The spec model of an observation (cached: the same spec is observed every tick)."""
    return _parse_spec(orjson.dumps(observed.spec, option=orjson.OPT_SORT_KEYS))


def collect(observations: Iterable[Event]) -> Observed:
    """Index a tick's observations; raises :class:`ObservationError` when one is missing."""
    tick = spec = revision = routes = providers = command = None
    ready: dict[Workload, ReadinessObserved] = {}
    hooks: dict[tuple[str, str], WebhookResult] = {}
    metrics: dict[tuple[str, MetricSource], MetricResult] = {}
    for e in observations:
        if isinstance(e, TickStarted):
            tick = e
        elif isinstance(e, SpecObserved):
            spec = e
        elif isinstance(e, TargetRevisionObserved):
            revision = e
        elif isinstance(e, ReadinessObserved):
            ready[e.workload] = e
        elif isinstance(e, RoutesObserved):
            routes = e
        elif isinstance(e, MetricProvidersChecked):
            providers = e
        elif isinstance(e, WebhookResult):
            hooks[(e.name, e.type)] = e
        elif isinstance(e, MetricResult):
            metrics[(e.name, e.source)] = e
        elif isinstance(e, CommandObserved):
            command = e
    if tick is None or spec is None or revision is None:
        raise ObservationError("a tick needs TickStarted, SpecObserved and TargetRevisionObserved")
    default_ready = ReadinessObserved(at=tick.at, workload=Workload.PRIMARY, state=Readiness.READY)
    return Observed(
        tick=tick,
        canary=spec,
        spec=parse_spec(spec),
        revision=revision.revision,
        primary=ready.get(Workload.PRIMARY, default_ready),
        canary_readiness=ready.get(
            Workload.CANARY, default_ready.model_copy(update={"workload": Workload.CANARY})
        ),
        routes=routes or RoutesObserved(at=tick.at, primary=100, canary=0),
        providers=providers,
        webhooks=hooks,
        metrics=metrics,
        command=command,
    )
