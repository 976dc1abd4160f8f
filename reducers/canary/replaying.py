"""Replay: re-decide every recorded tick from its recorded observations and compare.

A stream is a sequence of ticks, each opening with ``TickStarted``: the observations the decider
read, the decisions it made, then the outcomes of applying them. Replaying folds the stream tick
by tick and checks that ``decide`` on the state before each tick and that tick's observations
gives exactly the recorded decisions — the promise that makes what-if and audit possible.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reducers.base import Event
from reducers.canary.deciding import decide
from reducers.canary.evolving import fold
from reducers.canary.state import INITIAL, CanaryState
from reducers.events import DECIDE_INPUTS, DECISIONS, TickStarted


@dataclass(frozen=True, slots=True)
class ReplayMismatch:
    """A tick whose decisions differ on replay."""

    tick: int
    recorded: tuple[Event, ...]
    replayed: tuple[Event, ...]
    need: str = ""


def split_ticks(events: Iterable[Event]) -> list[list[Event]]:
    """Group a stream into ticks (events before the first ``TickStarted`` form their own group)."""
    ticks: list[list[Event]] = []
    for event in events:
        if isinstance(event, TickStarted) or not ticks:
            ticks.append([])
        ticks[-1].append(event)
    return ticks


def replay(events: Sequence[Event], state: CanaryState = INITIAL) -> list[ReplayMismatch]:
    """Mismatches between recorded and re-decided ticks (empty: the stream replays exactly)."""
    mismatches: list[ReplayMismatch] = []
    for group in split_ticks(events):
        observations = [e for e in group if isinstance(e, DECIDE_INPUTS)]
        recorded = tuple(e for e in group if isinstance(e, DECISIONS))
        if observations and isinstance(observations[0], TickStarted):
            decision = decide(state, observations)
            if decision.events != recorded or decision.need is not None:
                mismatches.append(
                    ReplayMismatch(
                        observations[0].tick,
                        recorded,
                        decision.events,
                        "" if decision.need is None else repr(decision.need),
                    )
                )
        state = fold(group, state)
    return mismatches
