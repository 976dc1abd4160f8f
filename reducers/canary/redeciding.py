"""What-if: re-decide a recorded run under another spec, from the recorded observations only.

Each tick of the run is decided again with ``decide`` on the what-if state, its ``SpecObserved``
carrying the changed spec; the new decisions (never the recorded ones) are folded into the
what-if state. A recorded observation is used only where it answers the question the what-if
asks:

- a metric result only for a metric the new spec still checks with the same query, interval and
  template, and only when the what-if's traffic split before the tick equals the recorded one
  (values measured at another weight say nothing about this one); its verdict is judged again
  against the new spec's range;
- a webhook answer only for a hook of the same name, type and URL;
- the live routes are the what-if's own last routes where they differ from the recorded ones
  (the router reports what was set).

When the decider needs an observation the ledger does not hold, the what-if stops at that tick
and says what was missing: it never invents data. It also stops where the recorded run ends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reducers.base import Event
from reducers.canary.checks import bounds_of, judge
from reducers.canary.deciding import decide
from reducers.canary.evolving import fold
from reducers.canary.history import Run, Tick
from reducers.canary.observing import (
    MetricNeeded,
    Need,
    ProvidersCheckNeeded,
    WebhookNeeded,
    parse_spec,
)
from reducers.canary.state import CanaryState
from reducers.events import (
    AlertDecided,
    KubeEventRecorded,
    MetricResult,
    MetricSource,
    MetricVerdict,
    RoutesObserved,
    RunRestarted,
    SpecObserved,
    WebhookResult,
)
from reducers.spec import CanaryMetric, CanarySpec

SpecChange = Callable[[dict[str, Any]], dict[str, Any]]


class SettingError(ValueError):
    """A ``--set`` path that does not lead anywhere in the spec."""


@dataclass(frozen=True, slots=True)
class Missing:
    """The observation a what-if tick needed and the ledger does not hold."""

    tick: int
    need: Need
    detail: str


@dataclass(frozen=True, slots=True)
class WhatIfTick:
    """One re-decided tick beside the recorded one."""

    recorded: Tick
    decisions: tuple[Event, ...]
    state: CanaryState

    @property
    def diverges(self) -> bool:
        """Whether the what-if decided otherwise about the run: status, routes, workload
        actions (Kubernetes event and alert texts aside; see ``messages_differ``)."""
        return _substance(self.decisions) != _substance(self.recorded.decisions)

    @property
    def messages_differ(self) -> bool:
        return self.decisions != self.recorded.decisions


@dataclass(frozen=True, slots=True)
class WhatIf:
    """A run re-decided: the ticks it could decide, and why it stopped if it stopped early."""

    run: Run
    ticks: tuple[WhatIfTick, ...]
    missing: Missing | None

    @property
    def first_divergence(self) -> WhatIfTick | None:
        return next((t for t in self.ticks if t.diverges), None)

    @property
    def first_message_difference(self) -> WhatIfTick | None:
        return next((t for t in self.ticks if t.messages_differ), None)

    @property
    def final(self) -> CanaryState:
        return self.ticks[-1].state if self.ticks else self.run.before


def _substance(events: Sequence[Event]) -> tuple[Event, ...]:
    return tuple(e for e in events if not isinstance(e, KubeEventRecorded | AlertDecided))


def with_settings(spec: Mapping[str, Any], settings: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """``spec`` with each dotted path set to its value. A list step is an index or, for lists of
    named items (metrics, webhooks, alerts), a name; a missing mapping key is created."""
    result: dict[str, Any] = _copy(spec)
    for path, value in settings:
        steps = path.split(".")
        if not path or not all(steps):
            raise SettingError(f"{path!r}: not a dotted path")
        node: Any = result
        for depth, step in enumerate(steps):
            last = depth == len(steps) - 1
            where = ".".join(steps[: depth + 1])
            if isinstance(node, dict):
                if last:
                    node[step] = value
                else:
                    node = node.setdefault(step, {})
            elif isinstance(node, list):
                index = _index(node, step, where)
                if last:
                    node[index] = value
                else:
                    node = node[index]
            else:
                raise SettingError(f"{where}: {'.'.join(steps[:depth])} is not a mapping or list")
    return result


def _index(items: list[Any], step: str, where: str) -> int:
    if step.isdigit():
        if int(step) >= len(items):
            raise SettingError(f"{where}: index out of range (the list has {len(items)} items)")
        return int(step)
    names = [item.get("name") if isinstance(item, dict) else None for item in items]
    if step not in names:
        known = ", ".join(str(n) for n in names if n is not None) or "none"
        raise SettingError(f"{where}: no item named {step!r} (there are: {known})")
    return names.index(step)


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value


def redecide(run: Run, change: SpecChange) -> WhatIf:
    """Re-decide ``run`` tick by tick with each recorded spec passed through ``change``."""
    state = run.before
    done: list[WhatIfTick] = []
    for tick in run.ticks:
        observations, dropped = _observations(tick, state, change)
        decision = decide(state, observations)
        if decision.need is not None:
            detail = _explain_need(decision.need, tick, dropped)
            return WhatIf(run, tuple(done), Missing(tick.number, decision.need, detail))
        state = fold((*observations, *decision.events), state)
        done.append(WhatIfTick(tick, decision.events, state))
        if state.run_ended or _restarted(decision.events):
            break
    return WhatIf(run, tuple(done), None)


def _restarted(events: Sequence[Event]) -> bool:
    return any(type(e) is RunRestarted for e in events)


def _traffic(state: CanaryState) -> tuple[int, int, bool, int, int]:
    r = state.routes
    return (r.primary, r.canary, r.mirrored, state.canary_weight, state.iterations)


def _observations(
    tick: Tick, state: CanaryState, change: SpecChange
) -> tuple[list[Event], dict[tuple[str, str], str]]:
    """The tick's observations as the what-if may use them, and why any were left out."""
    same_traffic = _traffic(state) == _traffic(tick.before)
    recorded = tick.observations
    spec: CanarySpec | None = None
    out: list[Event] = []
    dropped: dict[tuple[str, str], str] = {}
    for e in recorded:
        if isinstance(e, SpecObserved):
            e = e.model_copy(update={"spec": change(e.spec)})
            spec = parse_spec(e)
        out.append(e)
    kept: list[Event] = []
    for e in out:
        if isinstance(e, RoutesObserved) and not same_traffic:
            r = state.routes
            e = RoutesObserved(at=e.at, primary=r.primary, canary=r.canary, mirrored=r.mirrored)
        elif isinstance(e, MetricResult):
            used = _metric(e, spec, same_traffic, tick)
            if isinstance(used, str):
                dropped[("metric", e.name)] = used
                continue
            e = used
        elif isinstance(e, WebhookResult) and spec is not None:
            why = _hook_unusable(e, spec)
            if why:
                dropped[("webhook", e.name)] = why
                continue
        kept.append(e)
    return kept, dropped


def _metric(
    e: MetricResult, spec: CanarySpec | None, same_traffic: bool, tick: Tick
) -> MetricResult | str:
    """The recorded result judged against the new range, or why it cannot be used."""
    if not same_traffic:
        routes = tick.before.routes
        return (
            f"it was measured at traffic {routes.primary}/{routes.canary} "
            f"(canary weight {tick.before.canary_weight}), not the what-if's"
        )
    metric = _find_metric(spec, e.name)
    if metric is None:
        return "the new spec has no such metric"
    if (metric.query or "") != e.query and e.source is MetricSource.INLINE:
        return f"the new spec queries {metric.query!r}, the recorded query was {e.query!r}"
    interval = metric.interval or ""
    if e.interval and interval and interval != e.interval:
        return f"the new spec's interval is {interval}, the recorded one was {e.interval}"
    if e.source is MetricSource.TEMPLATE and metric.template_ref is None:
        return "the new spec no longer uses a template for it"
    if e.value is None or e.verdict is MetricVerdict.ERROR:
        return e
    bounds = bounds_of(metric, e.source)
    verdict = judge(metric, e.source, e.value)
    return e.model_copy(update={"verdict": verdict, "min": bounds.min, "max": bounds.max})


def _find_metric(spec: CanarySpec | None, name: str) -> CanaryMetric | None:
    if spec is None:
        return None
    return next((m for m in spec.analysis.metrics or () if m.name == name), None)


def _hook_unusable(e: WebhookResult, spec: CanarySpec) -> str:
    for hook in spec.analysis.webhooks or ():
        if hook.name == e.name:
            if hook.effective_type().value != e.type:
                return f"its type is now {hook.effective_type().value}, it was called as {e.type}"
            if str(hook.url) != e.url:
                return f"its URL is now {hook.url}, the recorded call went to {e.url}"
            return ""
    return "the new spec has no such webhook"


def _explain_need(need: Need, tick: Tick, dropped: Mapping[tuple[str, str], str]) -> str:
    at = "" if tick.at is None else f" ({tick.at.isoformat()})"
    where = f"at tick {tick.number}{at}"
    if isinstance(need, MetricNeeded):
        why = dropped.get(("metric", need.name))
        what = f"metric {need.name} ({need.source.value})"
        if why:
            return f"{what} {where}: the recorded value cannot be used: {why}"
        return f"{what} {where}: never measured in this tick"
    if isinstance(need, WebhookNeeded):
        why = dropped.get(("webhook", need.name))
        what = f"webhook {need.name} ({need.type}, {need.url}, phase {need.phase})"
        if why:
            return f"{what} {where}: the recorded answer cannot be used: {why}"
        return f"{what} {where}: never called in this tick"
    assert isinstance(need, ProvidersCheckNeeded)
    return f"metric providers check {where}: never probed in this tick"
