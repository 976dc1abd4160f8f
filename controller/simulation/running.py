"""Drive a simulated canary tick by tick through the real decider, optionally into a ledger.

One tick is one run of flagger-core §2.3: the world's changes for the tick are applied, the
tick's observations are taken, ``decide`` is called until it needs nothing more (each answer is
recorded as an observation), the decisions are applied to the world, and everything is folded.
With a ledger, each tick appends observations + decisions in one batch and the effect outcomes in
a second one — the same two writes the operator makes — so ``replay`` works on simulated runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from controller.simulation.scripts import Script, ScriptError, Step, check_against
from controller.simulation.world import World
from controller.ticking import TickError, run_tick
from ledger import EventRegistry, Ledger
from reducers.base import Event
from reducers.canary import INITIAL, CanaryState
from reducers.canary.state import rfc3339
from reducers.events import ALL_EVENTS, AlertDecided, KubeEventRecorded, WebhookResult
from reducers.spec import Canary

DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)
MAX_DEFAULT_TICKS = 200


class SimulationError(RuntimeError):
    """The simulation could not go on (a decider that never completes, a spec patch refused)."""


@dataclass(frozen=True, slots=True)
class TickReport:
    """What one tick did, as ``roost simulate`` shows it."""

    tick: int
    time: datetime
    state: CanaryState
    routes: tuple[int, int, bool]
    events: tuple[KubeEventRecorded, ...]
    webhooks: tuple[WebhookResult, ...]
    alerts: tuple[AlertDecided, ...]
    recorded: tuple[Event, ...]

    def as_json(self) -> dict[str, Any]:
        s = self.state
        return {
            "tick": self.tick,
            "time": rfc3339(self.time),
            "phase": s.phase.value,
            "canaryWeight": s.canary_weight,
            "failedChecks": s.failed_checks,
            "iterations": s.iterations,
            "routes": {
                "primary": self.routes[0],
                "canary": self.routes[1],
                "mirrored": self.routes[2],
            },
            "events": [e.message for e in self.events],
            "webhooks": [
                {"name": w.name, "type": w.type, "phase": w.phase, "status": w.status}
                for w in self.webhooks
            ],
            "alerts": [
                {"severity": a.severity.value, "message": a.message, "to": list(a.recipients)}
                for a in self.alerts
            ],
        }


def default_script() -> Script:
    """Initialise, bring a new revision, then healthy ticks until the run ends."""
    return Script(ticks=(Step(), Step.model_validate({"target": {"revision": "v2"}})))


def _steps(script: Script) -> Iterator[Step]:
    for step in script.ticks:
        count = step.repeat or 1
        yield step
        quiet = Step()
        for _ in range(count - 1):
            yield quiet


def simulate(
    canary: Canary,
    script: Script | None = None,
    *,
    ledger: Ledger | None = None,
    on_tick: Callable[[TickReport], None] | None = None,
) -> list[TickReport]:
    """Run ``script`` (or the default run) and return one report per tick."""
    scripted = script is not None
    script = script or default_script()
    check_against(script, canary)
    world = World(canary)
    registry = EventRegistry(ALL_EVENTS)
    meta = canary.metadata
    stream = f"canary/{meta.namespace or 'default'}/{meta.name}"
    state = INITIAL
    at = script.start or DEFAULT_START
    reports: list[TickReport] = []
    steps = _steps(script)
    tick = 0
    while True:
        step = next(steps, None)
        if step is None:
            if scripted or state.run_ended or tick >= MAX_DEFAULT_TICKS:
                break
            step = Step()
        tick += 1
        try:
            world.change(step)
        except ValueError as e:
            raise ScriptError(f"script ticks[{tick - 1}].spec: {e}") from e
        world.calls.clear()

        def append(events: Sequence[Event], version: int) -> None:
            if ledger is not None:
                encoded = [registry.encode(e) for e in events]
                ledger.append(stream, encoded, expected_version=version)

        try:
            done = run_tick(state, world, tick, at, append)
        except TickError as e:
            raise SimulationError(str(e)) from e
        state = done.state
        decisions = done.decisions
        report = TickReport(
            tick=tick,
            time=at,
            state=state,
            routes=world.live_routes(state),
            events=tuple(e for e in decisions if isinstance(e, KubeEventRecorded)),
            webhooks=tuple(world.calls),
            alerts=tuple(e for e in decisions if isinstance(e, AlertDecided)),
            recorded=done.recorded,
        )
        reports.append(report)
        if on_tick is not None:
            on_tick(report)
        at = at + _interval(world)
    return reports


def _interval(world: World) -> timedelta:
    return world.spec.analysis.effective_interval()
