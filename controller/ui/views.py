"""What each dashboard page shows, drawn from canary histories: rows, events, YAML, chart series.

Projections only: every value is read off a ``History`` built by ``controller.histories`` (the
read model of ``roost replay`` and ``roost explain``) or computed there by
``reducers.canary.explaining``. The JSON API returns these same values, so the HTML and the API
always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml

from controller.ui.charts import Marker, Series
from reducers.canary.history import History, Run
from reducers.canary.timelines import describe
from reducers.events import Halted, KubeEventRecorded, MetricResult, RolledBack, SpecObserved

STREAM_PREFIX = "canary/"


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def key_of(history: History) -> tuple[str, str]:
    """(namespace, name) of a canary stream ``canary/NS/NAME``."""
    namespace, _, name = history.stream.removeprefix(STREAM_PREFIX).partition("/")
    return namespace, name


def last_spec(history: History) -> SpecObserved | None:
    """The last spec the canary was seen with."""
    for tick in reversed(history.ticks):
        for e in reversed(tick.events):
            if isinstance(e, SpecObserved):
                return e
    return None


def max_weight(run: Run) -> int:
    return max((t.after.canary_weight for t in run.ticks), default=0)


@dataclass(frozen=True, slots=True)
class CanaryRow:
    """One line of the delivery table."""

    namespace: str
    name: str
    provider: str
    target: str
    phase: str
    weight: int
    last_transition: str | None
    last_outcome: str | None
    runs: int

    def json(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "provider": self.provider,
            "target": self.target,
            "phase": self.phase,
            "weight": self.weight,
            "lastTransition": self.last_transition,
            "lastOutcome": self.last_outcome,
            "runs": self.runs,
        }


def canary_row(history: History) -> CanaryRow:
    namespace, name = key_of(history)
    spec = last_spec(history)
    provider = ""
    if spec is not None:
        provider = str(spec.spec.get("provider") or spec.mesh_provider)
    state = history.state
    target = f"{state.kind}/{state.target}" if state.target else ""
    return CanaryRow(
        namespace,
        name,
        provider,
        target,
        state.phase.value,
        state.canary_weight,
        iso(state.last_transition_time),
        history.runs[-1].outcome.value if history.runs else None,
        len(history.runs),
    )


def run_row(run: Run) -> dict[str, Any]:
    started, ended = run.started_at, run.ended_at
    duration = None if started is None or ended is None else (ended - started).total_seconds()
    return {
        "run": run.number,
        "revision": run.revision,
        "startedAt": iso(started),
        "endedAt": iso(ended),
        "durationSeconds": duration,
        "outcome": run.outcome.value,
        "end": None if run.end is None else describe(run.end),
        "maxWeight": max_weight(run),
        "ticks": len(run.ticks),
    }


def kube_events(history: History, limit: int = 50) -> list[dict[str, Any]]:
    """The canary's most recent Kubernetes events (``canary.kube-event``), newest first."""
    found: list[dict[str, Any]] = []
    for tick in reversed(history.ticks):
        for e in reversed(tick.events):
            if isinstance(e, KubeEventRecorded):
                found.append(
                    {"at": iso(e.at), "type": e.type.value, "phase": e.phase, "message": e.message}
                )
                if len(found) >= limit:
                    return found
    return found


def canary_manifest(observed: SpecObserved) -> dict[str, Any]:
    """The Canary as recorded: the observed spec under its apiVersion, kind and metadata."""
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": observed.name, "namespace": observed.namespace},
        "spec": observed.spec,
    }


def to_yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


# ------------------------------------------------------------------ charts of a run


@dataclass(frozen=True, slots=True)
class RunCharts:
    """The series of one run's charts, x in seconds since the run's first tick."""

    start: datetime | None
    weight: Series
    metrics: tuple[tuple[str, tuple[Series, ...]], ...]
    markers: tuple[Marker, ...]

    def json(self) -> dict[str, Any]:
        def points(s: Series) -> list[list[float]]:
            return [[x, y] for x, y in s.points]

        return {
            "start": iso(self.start),
            "weight": points(self.weight),
            "metrics": {name: {s.label: points(s) for s in group} for name, group in self.metrics},
            "markers": [{"x": m.x, "kind": m.kind, "title": m.title} for m in self.markers],
        }


def run_charts(run: Run) -> RunCharts:
    start = run.started_at
    ticks = [t for t in run.ticks if t.at is not None]

    def x(at: datetime | None) -> float:
        return 0.0 if at is None or start is None else (at - start).total_seconds()

    weight = Series("canary weight", tuple((x(t.at), float(t.after.canary_weight)) for t in ticks))
    values: dict[str, list[tuple[float, float]]] = {}
    bounds: dict[str, tuple[float | None, float | None]] = {}
    markers: list[Marker] = []
    for tick in run.ticks:
        for e in tick.events:
            if isinstance(e, MetricResult):
                if e.value is not None:
                    values.setdefault(e.name, []).append((x(e.at), e.value))
                bounds[e.name] = (e.min, e.max)
            elif isinstance(e, Halted):
                title = f"halted at {iso(e.at)}: {e.reason.value}" + (
                    f" ({e.evidence})" if e.evidence else ""
                )
                markers.append(Marker(x(e.at), "halt", title))
            elif isinstance(e, RolledBack):
                markers.append(Marker(x(e.at), "rollback", f"rolled back at {iso(e.at)}: "
                                      f"{e.reason.value}"))  # fmt: skip
    metrics: list[tuple[str, tuple[Series, ...]]] = []
    for name, points in values.items():
        group = [Series(name, tuple(points))]
        low, high = bounds.get(name, (None, None))
        first, last = points[0][0], points[-1][0]
        for label, bound in (("min", low), ("max", high)):
            if bound is not None:
                group.append(Series(f"{label} {bound:g}", ((first, bound), (last, bound)), True))
        metrics.append((name, tuple(group)))
    return RunCharts(start, weight, tuple(metrics), tuple(markers))
