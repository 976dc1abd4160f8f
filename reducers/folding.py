"""What a fold over a stream looks like to whoever loads state: the ``Fold`` protocol.

A fold has a name and a code version (bumped whenever ``evolve`` would produce different state
from the same events, so snapshots from older code are not trusted), an initial state, a pure
``evolve``, and a JSON form of its state for snapshots.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from reducers.base import Event

S = TypeVar("S")


class Fold(Protocol[S]):
    """A pure left fold of events into a state of type ``S``."""

    name: str
    code_version: int

    def initial(self) -> S: ...

    def evolve(self, state: S, event: Event) -> S: ...

    def dump(self, state: S) -> dict[str, Any]: ...

    def load(self, data: dict[str, Any]) -> S: ...
