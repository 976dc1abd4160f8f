"""One tick of one canary, the same in the simulator and the operator.

A tick is flagger-core §2.3 around the pure decider: the world's observations are taken, ``decide``
is called until it needs nothing more (each answer — a metric value, a webhook reply — is
recorded as an observation), the observations and decisions are appended to the ledger in one
batch, the decisions are applied, and the outcomes are appended in a second batch. Only the
:class:`World` differs: the simulator's is scripted, the operator's talks to the cluster.

The first append carries the expected stream version, so a second writer (a deposed leader, a
crashed process coming back) fails instead of interleaving; decisions are on the ledger before
anything is applied, so a crash between the two never loses one, and applying is idempotent
(desired state, keyed by the decision), so a restart applies it at most once more to no effect.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from reducers.base import Event
from reducers.canary import CanaryState, decide, fold
from reducers.canary.observing import Need

MAX_NEEDS = 1000
"""Answers one tick may ask for before it is declared stuck (a decider bug)."""


class TickError(RuntimeError):
    """The decider kept asking for observations: a bug, not a cluster problem."""


class World(Protocol):
    """What a tick observes and acts on."""

    def observe(self, tick: int, at: datetime) -> list[Event]:
        """The observations a tick starts with, ``TickStarted`` first."""
        ...

    def answer(self, need: Need, at: datetime) -> Event:
        """Fulfil one need of the decider (call the webhook, run the query)."""
        ...

    def apply(self, decisions: Sequence[Event], state: CanaryState, at: datetime) -> list[Event]:
        """Carry out ``decisions`` (``state`` is the state after them); one outcome each."""
        ...


Append = Callable[[Sequence[Event], int], None]
"""Append events to the canary's stream at an expected version (raises on conflict)."""


@dataclass(frozen=True, slots=True)
class Tick:
    """What one tick recorded and where it left the canary."""

    observations: tuple[Event, ...]
    decisions: tuple[Event, ...]
    outcomes: tuple[Event, ...]
    state: CanaryState

    @property
    def recorded(self) -> tuple[Event, ...]:
        return (*self.observations, *self.decisions, *self.outcomes)


def decide_fully(
    state: CanaryState, observations: list[Event], world: World, at: datetime
) -> tuple[Event, ...]:
    """Call ``decide`` until it needs nothing; answers are appended to ``observations``."""
    for _ in range(MAX_NEEDS):
        decision = decide(state, observations)
        if decision.need is None:
            return decision.events
        observations.append(world.answer(decision.need, at))
    raise TickError(f"tick at {at} still needs observations after {MAX_NEEDS} answers")


def run_tick(
    state: CanaryState, world: World, tick: int, at: datetime, append: Append | None = None
) -> Tick:
    """Observe, decide, record, apply, record the outcomes; return the new state."""
    observations = world.observe(tick, at)
    decisions = decide_fully(state, observations, world, at)
    batch = [*observations, *decisions]
    if append is not None:
        append(batch, state.version)
    decided = fold(batch, state)
    outcomes = world.apply(decisions, decided, at)
    if append is not None and outcomes:
        append(outcomes, decided.version)
    return Tick(tuple(observations), decisions, tuple(outcomes), fold(outcomes, decided))
