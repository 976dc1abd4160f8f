"""Why a run ended as it did: its halts, metric values against their ranges, webhook answers,
failed checks against the threshold and, for a run still open, what it waits for and since when.

Everything comes from the run's recorded events (and the spec it observed); nothing is judged
again. The result is plain JSON-able data: ``roost explain --json`` prints it as is and the text
form is drawn from it, so the two always agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from reducers.base import Event
from reducers.canary.history import History, Outcome, Run, Tick
from reducers.canary.observing import parse_spec
from reducers.canary.timelines import describe, status_json
from reducers.events import (
    Halted,
    HaltReason,
    KubeEventRecorded,
    MetricResult,
    MetricVerdict,
    RolledBack,
    SpecObserved,
    WaitingForApproval,
    WebhookResult,
    WebhookVerdict,
)
from reducers.spec import CanarySpec

_READINESS = (HaltReason.CANARY_NOT_READY, HaltReason.PRIMARY_NOT_READY)
_HOOKS = (HaltReason.PRE_ROLLOUT_FAILED, HaltReason.ROLLOUT_HOOK_FAILED)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def explain(history: History, run: Run) -> dict[str, Any]:
    """The explanation of one run of ``history`` as JSON-able data."""
    spec = _last_spec(run.ticks)
    threshold = None if spec is None else spec.analysis.effective_threshold()
    halts: list[dict[str, Any]] = []
    metrics: dict[tuple[str, str], list[tuple[Tick, MetricResult]]] = {}
    hooks: dict[tuple[str, str], list[tuple[Tick, WebhookResult]]] = {}
    gates: list[tuple[Tick, WaitingForApproval]] = []
    max_failed = max_weight = max_iterations = 0
    for tick in run.ticks:
        after = tick.after
        max_failed = max(max_failed, after.failed_checks)
        max_weight = max(max_weight, after.canary_weight)
        max_iterations = max(max_iterations, after.iterations)
        for e in tick.events:
            kind = type(e)
            if kind is MetricResult:
                metric = cast(MetricResult, e)
                metrics.setdefault((metric.name, metric.source), []).append((tick, metric))
            elif kind is WebhookResult:
                answer = cast(WebhookResult, e)
                hooks.setdefault((answer.name, answer.type), []).append((tick, answer))
            elif kind is WaitingForApproval:
                gates.append((tick, cast(WaitingForApproval, e)))
            elif kind is Halted:
                halts.append(_halt(tick, cast(Halted, e)))
    return {
        "canary": history.stream.removeprefix("canary/"),
        "run": run.number,
        "runs": len(history.runs),
        "revision": run.revision,
        "outcome": run.outcome.value,
        "startedAt": _iso(run.started_at),
        "endedAt": _iso(run.ended_at),
        "ticks": len(run.ticks),
        "ending": _ending(run),
        "failedChecks": {"max": max_failed, "threshold": threshold},
        "maxWeight": max_weight,
        "maxIterations": max_iterations,
        "status": status_json(run.final),
        "halts": halts,
        "metrics": [_metric_summary(seen) for seen in metrics.values()],
        "webhooks": [_hook_summary(seen) for seen in hooks.values()],
        "gates": _gate_summary(gates),
        "waiting": _waiting(run, spec),
    }


def _last_spec(ticks: Sequence[Tick]) -> CanarySpec | None:
    for tick in reversed(ticks):
        for e in tick.events:
            if isinstance(e, SpecObserved):
                return parse_spec(e)
    return None


def _halt(tick: Tick, e: Halted) -> dict[str, Any]:
    return {
        "tick": tick.number,
        "at": _iso(e.at),
        "reason": e.reason.value,
        "evidence": e.evidence,
        "counts": e.counts,
        "failedChecks": tick.after.failed_checks,
    }


def _metric_summary(seen: Sequence[tuple[Tick, MetricResult]]) -> dict[str, Any]:
    first_tick, first = seen[0]
    last_tick, last = seen[-1]
    verdicts = Counter(e.verdict for _, e in seen)
    values = [e.value for _, e in seen if e.value is not None]
    return {
        "name": last.name,
        "source": last.source.value,
        # The provider, query and range as last recorded (a spec change mid-run shows its
        # latest form).
        "provider": last.provider,
        "query": last.query,
        "interval": last.interval,
        "min": last.min,
        "max": last.max,
        "results": len(seen),
        "verdicts": {k.value: n for k, n in verdicts.items()},
        "lowest": min(values) if values else None,
        "highest": max(values) if values else None,
        "first": {"tick": first_tick.number, "at": _iso(first.at), "value": first.value},
        "last": {"tick": last_tick.number, "at": _iso(last.at), "value": last.value},
        "failures": [
            {
                "tick": tick.number,
                "at": _iso(e.at),
                "value": e.value,
                "verdict": e.verdict.value,
                "error": e.error,
            }
            for tick, e in seen
            if e.verdict is not MetricVerdict.PASS
        ],
    }


def _hook_summary(seen: Sequence[tuple[Tick, WebhookResult]]) -> dict[str, Any]:
    first_tick, first = seen[0]
    last_tick, last = seen[-1]
    verdicts = Counter(e.verdict for _, e in seen)
    statuses = Counter(e.status for _, e in seen)
    return {
        "name": last.name,
        "type": last.type,
        "url": last.url,
        "calls": len(seen),
        "verdicts": {k.value: n for k, n in verdicts.items()},
        "statuses": {str(k): n for k, n in statuses.items()},
        "maxAttempts": max(e.attempts for _, e in seen),
        "first": {"tick": first_tick.number, "at": _iso(first.at)},
        "last": {
            "tick": last_tick.number,
            "at": _iso(last.at),
            "status": last.status,
            "verdict": last.verdict.value,
            "attempts": last.attempts,
            "durationMs": last.duration_ms,
        },
        "failures": [
            {
                "tick": tick.number,
                "at": _iso(e.at),
                "status": e.status,
                "attempts": e.attempts,
                "error": e.error,
            }
            for tick, e in seen
            if e.verdict is not WebhookVerdict.SUCCESS
        ],
    }


def _gate_summary(seen: Sequence[tuple[Tick, WaitingForApproval]]) -> list[dict[str, Any]]:
    """Refusals of consecutive ticks on the same gate, as one span each."""
    spans: list[list[tuple[Tick, WaitingForApproval]]] = []
    for tick, e in seen:
        if spans:
            last_tick, last = spans[-1][-1]
            if (last.gate, last.hook) == (e.gate, e.hook) and last_tick.index == tick.index - 1:
                spans[-1].append((tick, e))
                continue
        spans.append([(tick, e)])
    return [
        {
            "gate": span[0][1].gate.value,
            "hook": span[0][1].hook,
            "since": _iso(span[0][1].at),
            "sinceTick": span[0][0].number,
            "until": _iso(span[-1][1].at),
            "untilTick": span[-1][0].number,
            "ticks": len(span),
        }
        for span in spans
    ]


def _ending(run: Run) -> dict[str, Any] | None:
    end = run.end
    if end is None:
        return None
    tick = next((t for t in run.ticks if any(e is end for e in t.events)), None)
    messages = [] if tick is None else _messages(tick.events)
    return {
        "event": describe(end),
        "type": type(end).TYPE,
        "at": _iso(end.at),
        "tick": None if tick is None else tick.number,
        "reason": end.reason.value if isinstance(end, RolledBack) else None,
        "messages": messages,
    }


def _messages(events: Iterable[Event]) -> list[str]:
    return [f"{e.type.value}: {e.message}" for e in events if isinstance(e, KubeEventRecorded)]


def _waiting(run: Run, spec: CanarySpec | None) -> dict[str, Any] | None:
    """What the canary waits for after the run's last tick (``None`` once it has ended and no
    tick after it waits on anything)."""
    if run.outcome is not Outcome.RUNNING:
        if not run.after:
            return None
        found = _wait_of(run.after, spec)
        return found if found["for"] == "gate" else None
    return _wait_of(run.ticks, spec)


def _wait_of(ticks: Sequence[Tick], spec: CanarySpec | None) -> dict[str, Any]:
    kind, detail = _wait_kind(ticks[-1], spec)
    since = ticks[-1]
    for tick in reversed(ticks):
        if _wait_kind(tick, spec) != (kind, detail):
            break
        since = tick
    data: dict[str, Any] = {
        "for": kind,
        "detail": detail,
        "since": _iso(since.at),
        "sinceTick": since.number,
        "lastTick": ticks[-1].number,
    }
    last = ticks[-1].at
    if spec is not None and last is not None:
        data["nextTickDue"] = _iso(last + spec.analysis.effective_interval())
    return data


def _wait_kind(tick: Tick, spec: CanarySpec | None) -> tuple[str, str]:
    for e in tick.events:
        if isinstance(e, WaitingForApproval):
            return "gate", f"{e.gate.value} webhook {e.hook}"
        if isinstance(e, Halted):
            if e.reason in _READINESS:
                return "readiness", e.evidence
            if e.reason in _HOOKS:
                return "webhook", e.evidence
            if e.reason is HaltReason.FINALIZE_WAITING:
                return "finalize", e.evidence
            return "analysis", e.evidence
    every = None if spec is None else spec.analysis.effective_interval().total_seconds()
    interval = "" if every is None else f" (every {every:g}s)"
    return "next interval", f"the next tick{interval}"
