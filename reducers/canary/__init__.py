"""The canary decider: state, ``evolve``, ``decide`` and replay, after flagger-core §2.

Public surface
--------------
State
    ``CanaryState`` (frozen; ``version`` is the stream version), ``Routes``, ``INITIAL``.
Folding
    ``evolve(state, event)``, ``evolve_at(state, event, version)`` (refuses a version gap with
    ``StreamContinuityError``), ``fold(events, state=INITIAL)``, ``CanaryFold`` (the
    ``reducers.folding.Fold`` for snapshots).
Deciding
    ``decide(state, observations) -> Decision``: ``Decision.events`` are the tick's decisions;
    ``Decision.need`` names a webhook call, metric query or provider probe still to be observed
    (``WebhookNeeded``, ``MetricNeeded``, ``ProvidersCheckNeeded``).
Replay
    ``split_ticks(events)``, ``replay(events) -> list[ReplayMismatch]``.
Helpers shared with whoever observes
    ``revision_of(pod_template, config_checksums)``, ``has_changed(state, revision)``,
    ``checks.judge`` / ``checks.bounds_of`` / ``checks.webhook_succeeded``.
"""

from __future__ import annotations

from reducers.canary.deciding import Decision, decide
from reducers.canary.evolving import (
    CanaryFold,
    StreamContinuityError,
    evolve,
    evolve_at,
    fold,
)
from reducers.canary.observing import (
    MetricNeeded,
    Need,
    ObservationError,
    ProvidersCheckNeeded,
    WebhookNeeded,
)
from reducers.canary.replaying import ReplayMismatch, replay, split_ticks
from reducers.canary.revisions import has_changed, revision_of
from reducers.canary.state import INITIAL, CanaryState, Routes

__all__ = [
    "INITIAL",
    "CanaryFold",
    "CanaryState",
    "Decision",
    "MetricNeeded",
    "Need",
    "ObservationError",
    "ProvidersCheckNeeded",
    "ReplayMismatch",
    "Routes",
    "StreamContinuityError",
    "WebhookNeeded",
    "decide",
    "evolve",
    "evolve_at",
    "fold",
    "has_changed",
    "replay",
    "revision_of",
    "split_ticks",
]
