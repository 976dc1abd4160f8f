"""Loading canary histories from a ledger for the read commands (replay, whatif, explain).

The shell's half of the read model: it reads and decodes a stream (``ledger.reading``) and hands
the events to the pure ``reducers.canary.history``. Building a history keeps every decoded event
alive, which makes CPython's cycle collector walk an ever larger heap over and over (it halved
the replay rate in ``bench/history.py``); nothing built here forms reference cycles, so the
collector is paused while histories are built and resumed afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ledger import EventRegistry, Ledger
from ledger.reading import read_events
from reducers.canary.history import History, build_history
from reducers.events import ALL_EVENTS

STREAM_PREFIX = "canary/"


def canary_streams(ledger: Ledger) -> list[str]:
    """The canary streams of the ledger, in name order."""
    return [s for s in ledger.streams() if s.startswith(STREAM_PREFIX)]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector (if it runs) for a bulk build of acyclic values, then move
    what was built out of its sight (``gc.freeze``): otherwise the first collection after the
    build walks all of it once more. Frozen objects are still freed by reference counting."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def load_histories(
    ledger: Ledger, streams: Sequence[str], registry: EventRegistry | None = None
) -> list[History]:
    """The streams, each decoded and split into runs and ticks, with the collector paused for
    the whole load (resuming it between streams would let it walk the histories built so far)."""
    registry = registry or EventRegistry(ALL_EVENTS)
    with collector_paused():
        return [build_history(s, read_events(ledger, registry, s)) for s in streams]
