"""Text (and the what-if JSON) of ``roost replay``, ``whatif`` and ``explain``.

Layout only: every value shown was computed by the read model in ``reducers.canary``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.table import Table

from reducers.canary.history import History, Run, Tick
from reducers.canary.redeciding import WhatIf
from reducers.canary.state import CanaryState
from reducers.canary.timelines import decision_summary, describe, number, status_json
from reducers.events import (
    AlertDecided,
    KubeEventRecorded,
    MetricResult,
    SpecObserved,
    TickStarted,
    WebhookResult,
    WorkloadActionDecided,
)

_INDENT = "          "


def _name(history: History) -> str:
    return history.stream.removeprefix("canary/")


def _status(state: CanaryState) -> str:
    r = state.routes
    routes = f"{r.primary}/{r.canary}" + (" mirrored" if r.mirrored else "")
    return (
        f"{state.phase.value or '-':<16} weight {state.canary_weight:<3} "
        f"failed {state.failed_checks:<2} iter {state.iterations:<2} routes {routes}"
    )


def _when(tick: Tick) -> str:
    return "-" if tick.at is None else tick.at.strftime("%Y-%m-%d %H:%M:%S")


def _tick_lines(tick: Tick, previous_spec: dict[str, Any] | None) -> Iterator[str]:
    yield f"    T{tick.number:<5} {_when(tick)}  {_status(tick.after)}"
    seen: list[str] = []
    answers: list[str] = []
    for e in tick.observations:
        if type(e) is TickStarted:
            continue
        if isinstance(e, SpecObserved):
            if previous_spec is not None and e.spec != previous_spec:
                seen.append("spec changed")
            continue
        (answers if isinstance(e, MetricResult | WebhookResult) else seen).append(describe(e))
    if seen:
        yield f"{_INDENT}observed: {'; '.join(seen)}"
    for answer in answers:
        yield f"{_INDENT}          {answer}"
    decisions = tick.decisions
    yield f"{_INDENT}decided:  {decision_summary(decisions)}"
    actions = [e.action.value for e in decisions if isinstance(e, WorkloadActionDecided)]
    if actions:
        yield f"{_INDENT}workload: {', '.join(actions)}"
    for e in decisions:
        if isinstance(e, KubeEventRecorded | AlertDecided):
            yield f"{_INDENT}{describe(e)}"
    outcomes = [describe(e) for e in tick.outcomes]
    if outcomes:
        yield f"{_INDENT}applied:  {'; '.join(outcomes)}"


def _spec_of(tick: Tick) -> dict[str, Any] | None:
    return next((e.spec for e in tick.events if isinstance(e, SpecObserved)), None)


def _ticks(ticks: Sequence[Tick], spec: dict[str, Any] | None) -> Iterator[str]:
    for tick in ticks:
        yield from _tick_lines(tick, spec)
        spec = _spec_of(tick) or spec


def run_heading(run: Run) -> str:
    start = "-" if run.started_at is None else run.started_at.isoformat()
    end = "open" if run.ended_at is None else run.ended_at.isoformat()
    how = run.outcome.value + ("" if run.end is None else f" ({describe(run.end)})")
    return (
        f"  run {run.number}  revision {run.revision}  {start} -> {end}  {len(run.ticks)} ticks"
        f"  {how}"
    )


def replay_lines(history: History, runs: Sequence[Run]) -> Iterator[str]:
    ticks = sum(1 for t in history.ticks if t.number)
    yield f"canary {_name(history)}: {len(history.runs)} run(s), {ticks} ticks"
    everything = len(runs) == len(history.runs)
    if everything and history.preamble:
        yield "  before the first run"
        yield from _ticks(history.preamble, None)
    for run in runs:
        yield run_heading(run)
        spec = _spec_of(run.ticks[0]) if run.ticks else None
        yield from _ticks(run.ticks, spec)
        if run.after:
            yield f"  after run {run.number}"
            yield from _ticks(run.after, spec)


# ------------------------------------------------------------------ what-if


def _cell(state: CanaryState, decisions: str) -> str:
    return f"{state.phase.value or '-'} w{state.canary_weight} f{state.failed_checks}: {decisions}"


def whatif_lines(history: History, result: WhatIf) -> Iterator[str]:
    run = result.run
    yield f"what-if for {_name(history)} run {run.number} (revision {run.revision})"
    table = Table(box=None, pad_edge=False, show_edge=False)
    for title in ("tick", "time", "recorded", "", "what-if"):
        table.add_column(title, overflow="fold")
    by_index = {t.recorded.index: t for t in result.ticks}
    diverged = result.first_divergence
    for tick in run.ticks:
        mine = by_index.get(tick.index)
        recorded = _cell(tick.after, decision_summary(tick.decisions))
        if mine is None:
            other = "(not decided)"
        else:
            other = _cell(mine.state, decision_summary(mine.decisions))
        mark = "|" if mine is None or not mine.diverges else "≠"
        table.add_row(f"T{tick.number}", _when(tick), recorded, mark, other)
    out = io.StringIO()
    Console(file=out, width=200, highlight=False, no_color=True, soft_wrap=False).print(table)
    yield from out.getvalue().rstrip("\n").splitlines()
    if diverged is None and result.missing is not None:
        yield f"no divergence in the {len(result.ticks)} ticks the what-if could decide"
    elif diverged is None:
        yield "no divergence: the what-if decides every tick as recorded"
    else:
        t = diverged.recorded
        yield f"first divergence: tick {t.number} ({_when(t)})"
        yield f"  recorded: {decision_summary(t.decisions)}"
        yield f"  what-if:  {decision_summary(diverged.decisions)}"
    worded = result.first_message_difference
    if worded is not None and worded is not diverged:
        yield (
            f"(Kubernetes event or alert texts differ from tick {worded.recorded.number}: "
            "some quote the spec)"
        )
    yield f"recorded outcome: {_outcome_text(run.outcome.value, run.final)}"
    yield f"what-if outcome:  {_whatif_outcome(result)}"
    if result.missing is not None:
        yield f"stopped: missing observation: {result.missing.detail}"


def _outcome_text(outcome: str, state: CanaryState) -> str:
    return f"{outcome} ({state.phase.value}, weight {state.canary_weight})"


def _whatif_outcome(result: WhatIf) -> str:
    state = result.final
    if state.run_ended:
        return _outcome_text("succeeded" if state.phase.value == "Succeeded" else "failed", state)
    if result.missing is not None:
        return (
            f"unknown: stopped at tick {result.missing.tick} "
            f"({state.phase.value}, weight {state.canary_weight})"
        )
    last = result.run.ticks[-1].number if result.run.ticks else 0
    return f"unknown: still running after the recorded run's last tick {last} " + (
        f"({state.phase.value}, weight {state.canary_weight})"
    )


def whatif_json(history: History, result: WhatIf) -> dict[str, Any]:
    run = result.run
    diverged = result.first_divergence
    worded = result.first_message_difference
    by_index = {t.recorded.index: t for t in result.ticks}
    rows = []
    for tick in run.ticks:
        mine = by_index.get(tick.index)
        rows.append(
            {
                "tick": tick.number,
                "time": None if tick.at is None else tick.at.isoformat(),
                "recorded": {
                    "status": status_json(tick.after),
                    "decision": decision_summary(tick.decisions),
                },
                "whatif": None
                if mine is None
                else {
                    "status": status_json(mine.state),
                    "decision": decision_summary(mine.decisions),
                    "diverges": mine.diverges,
                },
            }
        )
    missing = result.missing
    return {
        "canary": _name(history),
        "run": run.number,
        "revision": run.revision,
        "ticks": rows,
        "firstDivergence": None if diverged is None else diverged.recorded.number,
        "firstMessageDifference": None if worded is None else worded.recorded.number,
        "recordedOutcome": run.outcome.value,
        "whatifOutcome": _whatif_outcome(result),
        "whatifStatus": status_json(result.final),
        "missing": None
        if missing is None
        else {
            "tick": missing.tick,
            "need": {"kind": type(missing.need).__name__, **asdict(missing.need)},
            "detail": missing.detail,
        },
    }


# ------------------------------------------------------------------ explain


def explanation_lines(data: dict[str, Any]) -> Iterator[str]:
    yield (
        f"{data['canary']} run {data['run']} of {data['runs']}: {data['outcome']} "
        f"(revision {data['revision']}, {data['ticks']} ticks, "
        f"{data['startedAt']} -> {data['endedAt'] or 'open'})"
    )
    ending = data["ending"]
    if ending is not None:
        yield f"ended: {ending['event']} at {ending['at']} (tick {ending['tick']})"
        for message in ending["messages"]:
            yield f"  {message}"
    failed = data["failedChecks"]
    yield (
        f"failed checks: {failed['max']} (most reached) of threshold {failed['threshold']}; "
        f"max canary weight {data['maxWeight']}"
    )
    yield from _halt_lines(data["halts"])
    yield from _metric_lines(data["metrics"])
    yield from _hook_lines(data["webhooks"])
    for gate in data["gates"]:
        yield (
            f"gate {gate['gate']} (webhook {gate['hook']}) refused {gate['ticks']} time(s), "
            f"{gate['since']} -> {gate['until']}"
        )
    waiting = data["waiting"]
    if waiting is not None:
        due = f"; next tick due {waiting['nextTickDue']}" if "nextTickDue" in waiting else ""
        yield (
            f"waiting for {waiting['for']}: {waiting['detail']} since {waiting['since']} "
            f"(tick {waiting['sinceTick']}){due}"
        )


def _halt_lines(halts: list[dict[str, Any]]) -> Iterator[str]:
    yield f"halts: {len(halts)}"
    for halt in _grouped(halts, ("reason", "evidence", "counts")):
        counted = " (counted)" if halt["counts"] else ""
        yield f"  {halt['when']}: {halt['reason']}{counted}: {halt['evidence']}"


def _metric_lines(metrics: list[dict[str, Any]]) -> Iterator[str]:
    for m in metrics:
        rng = f"min {number(m['min'])} max {number(m['max'])}"
        verdicts = ", ".join(f"{k} {v}" for k, v in sorted(m["verdicts"].items()))
        query = f" query {m['query']!r}" if m["query"] else ""
        yield (
            f"metric {m['name']} ({m['source']}, provider {m['provider']}{query}, "
            f"interval {m['interval'] or '-'}): {rng}; {m['results']} results ({verdicts}); "
            f"values {number(m['lowest'])}..{number(m['highest'])}, last "
            f"{number(m['last']['value'])} at {m['last']['at']}"
        )
        for f in _grouped(m["failures"], ("value", "verdict", "error")):
            error = f": {f['error']}" if f["error"] else ""
            yield f"  {f['when']}: {number(f['value'])} {f['verdict']}{error}"


def _hook_lines(hooks: list[dict[str, Any]]) -> Iterator[str]:
    for h in hooks:
        verdicts = ", ".join(f"{k} {v}" for k, v in sorted(h["verdicts"].items()))
        statuses = ", ".join(f"{k} x{v}" for k, v in sorted(h["statuses"].items()))
        last = h["last"]
        yield (
            f"webhook {h['name']} ({h['type']}, {h['url']}): {h['calls']} calls ({verdicts}); "
            f"status {statuses}; up to {h['maxAttempts']} attempt(s); last {last['status']} "
            f"{last['verdict']} at {last['at']}"
        )
        for f in _grouped(h["failures"], ("status", "attempts", "error")):
            error = f": {f['error']}" if f["error"] else ""
            yield f"  {f['when']}: status {f['status']} after {f['attempts']} attempt(s){error}"


def _grouped(items: list[dict[str, Any]], keys: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """Consecutive items with the same values, as one item naming the ticks they span."""
    groups: list[list[dict[str, Any]]] = []
    for item in items:
        if groups and all(groups[-1][-1][k] == item[k] for k in keys):
            groups[-1].append(item)
        else:
            groups.append([item])
    for group in groups:
        first, last = group[0], group[-1]
        when = f"tick {first['tick']} {first['at']}"
        if len(group) > 1:
            ticks = f"ticks {first['tick']}-{last['tick']}"
            when = f"{ticks} {first['at']} -> {last['at']} ({len(group)}x)"
        yield {**first, "when": when}
