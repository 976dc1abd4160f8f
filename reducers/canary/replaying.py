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
    return replay_ticks(split_ticks(events), state)


_INPUTS = frozenset(DECIDE_INPUTS)
_DECIDED = frozenset(DECISIONS)


def replay_ticks(
    ticks: Iterable[Sequence[Event]], state: CanaryState = INITIAL
) -> list[ReplayMismatch]:
    """:func:`replay` of a stream already split into ticks (as ``split_ticks`` splits it).

    Events are exact instances of their registered classes (decoding builds nothing else), so
    classes are told apart by a set lookup on their type rather than ``isinstance`` against
    the long tuples of classes, which cost a third of a replay."""
    mismatches: list[ReplayMismatch] = []
    for group in ticks:
        observations = [e for e in group if type(e) in _INPUTS]
        recorded = tuple(e for e in group if type(e) in _DECIDED)
        if observations and type(observations[0]) is TickStarted:
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


def first_difference(recorded: Sequence[Event], replayed: Sequence[Event]) -> int:
    """Index of the first event where two decision sequences differ (the shorter one's length
    when one is a prefix of the other)."""
    for index, (a, b) in enumerate(zip(recorded, replayed, strict=False)):
        if a != b:
            return index
    return min(len(recorded), len(replayed))
