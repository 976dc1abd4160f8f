"""Words and JSON for a recorded timeline: one short phrase per event, one object per tick.

Shared by ``roost replay``, ``whatif`` and ``explain`` so an event reads the same everywhere.
Pure formatting of values already recorded; it decides nothing and reads nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from reducers.base import Event
from reducers.canary.history import Run, Tick
from reducers.canary.state import CanaryState
from reducers.events import (
    AlertDecided,
    AnalysisStarted,
    CookieIssued,
    CookieRetired,
    EffectOutcome,
    Finalising,
    Halted,
    InitializationStarted,
    Initialized,
    IterationAdvanced,
    KubeEventRecorded,
    MetricProvidersChecked,
    MetricResult,
    PromotionFailed,
    PromotionStarted,
    PromotionStepped,
    ReadinessObserved,
    RolledBack,
    RoutesObserved,
    RoutesSet,
    RunRestarted,
    RunStarted,
    RunSuspended,
    SpecObserved,
    StatusResynced,
    Succeeded,
    TargetRevisionObserved,
    Terminated,
    TerminationStarted,
    TickStarted,
    WaitingForApproval,
    WebhookResult,
    WeightAdvanced,
    WorkloadActionDecided,
)


def number(value: float | None) -> str:
    """A metric value or bound without a useless ``.0``."""
    if value is None:
        return "-"
    return f"{value:g}"


def metric_range(e: MetricResult) -> str:
    if e.min is not None and e.max is not None:
        return f"{number(e.min)}..{number(e.max)}"
    if e.min is not None:
        return f">= {number(e.min)}"
    if e.max is not None:
        return f"<= {number(e.max)}"
    return "any"


_PHRASES: dict[type[Event], Callable[[Any], str]] = {
    TickStarted: lambda e: f"tick {e.tick}",
    SpecObserved: lambda e: "spec" + (" (deleting)" if e.deleting else ""),
    TargetRevisionObserved: lambda e: f"revision {e.label or e.revision}",
    ReadinessObserved: lambda e: (
        f"{e.workload.value} {e.state.value}" + (f" ({e.message})" if e.message else "")
    ),
    RoutesObserved: lambda e: f"routes {e.primary}/{e.canary}" + (" mirrored" * e.mirrored),
    MetricProvidersChecked: lambda e: "providers ok" if e.ok else f"providers failed: {e.error}",
    MetricResult: lambda e: (
        f"metric {e.name} = {number(e.value)} ({metric_range(e)}) "
        f"{e.verdict.value}" + (f": {e.error}" if e.error else "")
    ),
    WebhookResult: lambda e: (
        f"webhook {e.name} ({e.type}) -> {e.status} {e.verdict.value}"
        + (f" after {e.attempts} attempts" if e.attempts > 1 else "")
    ),
    EffectOutcome: lambda e: (
        f"{e.effect}: {e.result.value}" + (f" ({e.detail})" if e.detail else "")
    ),
    InitializationStarted: lambda e: "initializing",
    Initialized: lambda e: f"initialized ({e.revision})",
    RunStarted: lambda e: f"run started ({e.revision})",
    RunRestarted: lambda e: f"run restarted ({e.revision})",
    StatusResynced: lambda e: f"status resynced ({e.revision})",
    AnalysisStarted: lambda e: "analysis started",
    Halted: lambda e: f"halted {e.reason.value}" + (" (counts)" if e.counts else ""),
    WaitingForApproval: lambda e: f"waiting for {e.gate.value} ({e.hook})",
    WeightAdvanced: lambda e: f"weight {e.weight}",
    IterationAdvanced: lambda e: f"iteration {e.iteration}/{e.of}",
    PromotionStarted: lambda e: "promotion started",
    PromotionStepped: lambda e: f"promotion step (canary {e.canary_weight})",
    Finalising: lambda e: "finalising",
    Succeeded: lambda e: "succeeded" + (" (analysis skipped)" if e.skipped_analysis else ""),
    RolledBack: lambda e: f"rolled back: {e.reason.value}",
    PromotionFailed: lambda e: f"promotion failed: {e.error}",
    RunSuspended: lambda e: "suspended",
    TerminationStarted: lambda e: "terminating",
    Terminated: lambda e: "terminated",
    RoutesSet: lambda e: f"routes -> {e.primary}/{e.canary}" + (" mirrored" * e.mirrored),
    WorkloadActionDecided: lambda e: e.action.value,
    KubeEventRecorded: lambda e: f"{e.type.value}: {e.message}",
    AlertDecided: lambda e: f"alert[{e.severity.value}] {e.message}",
    CookieIssued: lambda e: "cookie issued",
    CookieRetired: lambda e: "cookie retired",
}


def describe(event: Event) -> str:
    """One phrase for an event."""
    phrase = _PHRASES.get(type(event))
    return type(event).TYPE if phrase is None else phrase(event)


_QUIET = (KubeEventRecorded, AlertDecided, WorkloadActionDecided, CookieIssued, CookieRetired)


def decision_summary(decisions: Iterable[Event]) -> str:
    """The decisions that change the run (status, routes), without messages and actions."""
    words = [describe(e) for e in decisions if not isinstance(e, _QUIET)]
    return ", ".join(words) or "-"


def event_json(event: Event) -> dict[str, Any]:
    """An event as JSON: its type name and its fields."""
    return {"type": type(event).TYPE, **event.model_dump(mode="json")}


def status_json(state: CanaryState) -> dict[str, Any]:
    return {
        "phase": state.phase.value,
        "canaryWeight": state.canary_weight,
        "failedChecks": state.failed_checks,
        "iterations": state.iterations,
        "routes": {
            "primary": state.routes.primary,
            "canary": state.routes.canary,
            "mirrored": state.routes.mirrored,
        },
    }


def tick_json(tick: Tick) -> dict[str, Any]:
    routes = tick.routes_set
    return {
        "tick": tick.number,
        "time": None if tick.at is None else tick.at.isoformat(),
        "observations": [event_json(e) for e in tick.observations if type(e) is not SpecObserved],
        "decisions": [event_json(e) for e in tick.decisions],
        "outcomes": [event_json(e) for e in tick.outcomes],
        "routesSet": None
        if routes is None
        else {"primary": routes.primary, "canary": routes.canary, "mirrored": routes.mirrored},
        "status": status_json(tick.after),
    }


def run_json(run: Run, *, with_ticks: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "run": run.number,
        "revision": run.revision,
        "outcome": run.outcome.value,
        "startedAt": _iso(run.started_at),
        "endedAt": _iso(run.ended_at),
        "end": None if run.end is None else describe(run.end),
        "ticks": len(run.ticks),
        "status": status_json(run.final),
    }
    if with_ticks:
        data["timeline"] = [tick_json(t) for t in run.ticks]
        data["after"] = [tick_json(t) for t in run.after]
    return data


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())
