"""The read model of a recorded canary stream: its runs, their ticks, and the status after each.

``replay``, ``whatif`` and ``explain`` all start here. A stream is split into ticks (each opens
with ``TickStarted``) and the ticks into runs: a run begins at ``RunStarted`` and ends at the
first ``Succeeded``, ``RolledBack``, ``PromotionFailed`` or ``Terminated``; a ``RunRestarted``
(new revision mid-run) ends the current run as *superseded* and begins the next one, whose first
tick is the restarting tick. Ticks before the first run are the preamble ("run 0"); ticks after a
run ended and before the next began are kept on that run as ``after`` (a failed canary waiting,
a confirm-rollout gate refusing). Runs are numbered from 1 per stream.

Pure and fast: one pass folds every event with ``evolve`` and classifies it by its class; what a
tick observed and decided is computed only when asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from reducers.base import Event
from reducers.canary.evolving import fold
from reducers.canary.replaying import first_difference, replay_ticks
from reducers.canary.state import INITIAL, CanaryState
from reducers.events import (
    DECIDE_INPUTS,
    DECISIONS,
    PromotionFailed,
    RolledBack,
    RoutesSet,
    RunRestarted,
    RunStarted,
    Succeeded,
    Terminated,
    TickStarted,
)


class Outcome(StrEnum):
    """How a run ended (``running``: it has not yet)."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TERMINATED = "terminated"
    SUPERSEDED = "superseded"
    RUNNING = "running"


_ENDINGS: dict[type[Event], Outcome] = {
    Succeeded: Outcome.SUCCEEDED,
    RolledBack: Outcome.FAILED,
    PromotionFailed: Outcome.FAILED,
    Terminated: Outcome.TERMINATED,
}
_STARTS = frozenset({RunStarted, RunRestarted})
_OBSERVED = frozenset(DECIDE_INPUTS)
_DECIDED = frozenset(DECISIONS)


@dataclass(frozen=True, slots=True)
class Tick:
    """One tick: every event it holds (observations, decisions, outcomes) and the status after.

    ``index`` counts the stream's ticks from 0; ``number`` is the recorded ``TickStarted.tick``
    (0 for events recorded before any tick)."""

    index: int
    number: int
    at: datetime | None
    events: tuple[Event, ...]
    before: CanaryState
    after: CanaryState

    @property
    def observations(self) -> tuple[Event, ...]:
        """What the decider read: the clock, spec, revision, readiness, routes, answers."""
        return tuple(e for e in self.events if type(e) in _OBSERVED)

    @property
    def decisions(self) -> tuple[Event, ...]:
        """What was decided (status changes, routes, workload actions, messages, alerts)."""
        return tuple(e for e in self.events if type(e) in _DECIDED)

    @property
    def outcomes(self) -> tuple[Event, ...]:
        """The recorded results of applying the decisions."""
        return tuple(e for e in self.events if type(e) not in _OBSERVED | _DECIDED)

    @property
    def routes_set(self) -> RoutesSet | None:
        """The last traffic split decided in this tick, if any."""
        found = [e for e in self.events if type(e) is RoutesSet]
        return found[-1] if found else None


@dataclass(frozen=True, slots=True)
class Run:
    """One rollout attempt of one canary."""

    number: int
    revision: str
    outcome: Outcome
    ticks: tuple[Tick, ...]
    before: CanaryState
    """The state before the run's first tick (what a re-decision starts from)."""
    end: Event | None = None
    """The event that ended the run (``RunRestarted`` for a superseded run)."""
    after: tuple[Tick, ...] = ()
    """Ticks after the run ended and before the next began."""

    @property
    def started_at(self) -> datetime | None:
        return self.ticks[0].at if self.ticks else None

    @property
    def ended_at(self) -> datetime | None:
        return None if self.end is None else self.end.at

    @property
    def final(self) -> CanaryState:
        """The status after the run's last tick."""
        return self.ticks[-1].after if self.ticks else self.before

    @property
    def events(self) -> list[Event]:
        return [e for tick in self.ticks for e in tick.events]


@dataclass(frozen=True, slots=True)
class History:
    """A stream split into runs; ``preamble`` holds the ticks before the first run."""

    stream: str
    runs: tuple[Run, ...]
    preamble: tuple[Tick, ...] = ()
    ticks: tuple[Tick, ...] = field(default=(), repr=False)
    """Every tick of the stream, in order."""

    @property
    def state(self) -> CanaryState:
        """The status after the whole stream."""
        return self.ticks[-1].after if self.ticks else INITIAL

    def run(self, number: int | None = None) -> Run:
        """Run ``number`` (default: the last); ``LookupError`` names the runs there are."""
        if not self.runs:
            raise LookupError(f"{self.stream} has no run yet")
        if number is None:
            return self.runs[-1]
        if not 1 <= number <= len(self.runs):
            raise LookupError(f"{self.stream} has no run {number} (runs 1-{len(self.runs)})")
        return self.runs[number - 1]


def split_ticks(events: Iterable[Event], state: CanaryState = INITIAL) -> list[Tick]:
    """Fold ``events`` from ``state`` and group them into ticks, each with its status after."""
    groups: list[list[Event]] = []
    current: list[Event] = []
    for event in events:
        if type(event) is TickStarted and current:
            groups.append(current)
            current = []
        current.append(event)
    if current:
        groups.append(current)
    ticks: list[Tick] = []
    for group in groups:
        first = group[0]
        started = type(first) is TickStarted
        after = fold(group, state)
        ticks.append(
            Tick(
                len(ticks),
                first.tick if started else 0,  # type: ignore[attr-defined]
                first.at if started else None,
                tuple(group),
                state,
                after,
            )
        )
        state = after
    return ticks


def build_history(stream: str, events: Iterable[Event]) -> History:
    """Split a stream's decoded events into ticks and runs (see the module's docstring)."""
    ticks = split_ticks(events)
    return History(stream, _runs(ticks), _preamble(ticks), tuple(ticks))


def _preamble(ticks: Sequence[Tick]) -> tuple[Tick, ...]:
    out: list[Tick] = []
    for tick in ticks:
        if any(type(e) in _STARTS for e in tick.events):
            break
        out.append(tick)
    return tuple(out)


class _Open:
    """A run being assembled."""

    def __init__(self, revision: str, before: CanaryState) -> None:
        self.revision = revision
        self.before = before
        self.ticks: list[Tick] = []
        self.after: list[Tick] = []
        self.end: Event | None = None
        self.outcome = Outcome.RUNNING

    def close(self, number: int) -> Run:
        return Run(
            number,
            self.revision,
            self.outcome,
            tuple(self.ticks),
            self.before,
            self.end,
            tuple(self.after),
        )


def _runs(ticks: Sequence[Tick]) -> tuple[Run, ...]:
    runs: list[Run] = []
    current: _Open | None = None
    for tick in ticks:
        start = next((e for e in tick.events if type(e) in _STARTS), None)
        if start is not None:
            if current is not None:
                if current.end is None:
                    current.outcome, current.end = Outcome.SUPERSEDED, start
                runs.append(current.close(len(runs) + 1))
            current = _Open(start.revision, tick.before)  # type: ignore[attr-defined]
        elif current is None:
            continue
        elif current.end is not None:
            current.after.append(tick)
            continue
        current.ticks.append(tick)
        for event in tick.events:
            ending = _ENDINGS.get(type(event))
            if ending is not None and current.end is None:
                current.outcome, current.end = ending, event
    if current is not None:
        runs.append(current.close(len(runs) + 1))
    return tuple(runs)


@dataclass(frozen=True, slots=True)
class Divergence:
    """The first tick whose recorded decisions the reducers do not make again."""

    stream: str
    run: int
    """The run holding the tick (0: before the first run)."""
    tick: int
    at: datetime | None
    index: int
    """Position of the first differing decision within the tick."""
    recorded: Event | None
    replayed: Event | None
    need: str = ""
    """What the decider still asked for, when it could not finish the tick."""


def verify(history: History) -> Divergence | None:
    """Re-decide every tick of the stream from its recorded observations (``replay``) and name
    the first decision that differs, or ``None`` when the stream replays exactly."""
    mismatches = replay_ticks(tick.events for tick in history.ticks)
    if not mismatches:
        return None
    first = mismatches[0]
    index = first_difference(first.recorded, first.replayed)
    run, at = _place(history, first.tick)
    return Divergence(
        history.stream,
        run,
        first.tick,
        at,
        index,
        first.recorded[index] if index < len(first.recorded) else None,
        first.replayed[index] if index < len(first.replayed) else None,
        first.need,
    )


def _place(history: History, tick: int) -> tuple[int, datetime | None]:
    for run in history.runs:
        for t in (*run.ticks, *run.after):
            if t.number == tick:
                return run.number, t.at
    found = [t for t in history.preamble if t.number == tick]
    return 0, found[0].at if found else None
