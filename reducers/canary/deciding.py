"""``decide(state, observations)``: one tick of a canary, flagger-core §2.3 step by step.

Pure: the same state and observations always give the same decisions. A tick that reaches a
webhook or metric it has no observation for returns a :class:`Decision` naming that need and no
events; the shell records the answer and calls again (see ``observing``). The status changes,
routes, workload actions, Kubernetes events and alerts of a complete tick are all in
``Decision.events``, in the order Flagger would produce them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reducers.base import Event
from reducers.canary import analysing, commanding, endings, strategies
from reducers.canary import messages as msg
from reducers.canary.observing import Need, Observed, ProvidersCheckNeeded, collect
from reducers.canary.revisions import has_changed
from reducers.canary.state import CanaryState
from reducers.canary.ticking import NeedInput, TickContext
from reducers.events import (
    AnalysisStarted,
    Halted,
    HaltReason,
    InitializationStarted,
    Initialized,
    Readiness,
    RollbackReason,
    RunRestarted,
    RunSuspended,
    Severity,
    StatusResynced,
    WorkloadAction,
)
from reducers.spec import Phase

_INITIAL = (Phase.UNSET, Phase.INITIALIZING)
_ADVANCING = (
    Phase.PROGRESSING,
    Phase.WAITING,
    Phase.WAITING_PROMOTION,
    Phase.PROMOTING,
    Phase.FINALISING,
)
_IN_RUN = (Phase.PROGRESSING, Phase.WAITING_PROMOTION, Phase.PROMOTING, Phase.FINALISING)
_RESTARTABLE = (Phase.PROGRESSING, Phase.WAITING_PROMOTION)


@dataclass(frozen=True, slots=True)
class Decision:
    """The decisions of a tick, or the one observation still needed to make them."""

    events: tuple[Event, ...]
    need: Need | None = None

    @property
    def complete(self) -> bool:
        return self.need is None


def decide(state: CanaryState, observations: Iterable[Event]) -> Decision:
    """Decide one tick from the state before it and the tick's observations."""
    observed = collect(observations)
    t = TickContext(state, observed)
    try:
        _tick(t, observed)
    except NeedInput as wanted:
        return Decision((), wanted.need)
    return Decision(tuple(t.events))


def _tick(t: TickContext, obs: Observed) -> None:
    if not commanding.handle(t, obs):
        return
    if obs.canary.deleting:
        endings.delete(t)
        return
    if obs.spec.suspend:
        t.emit(RunSuspended(at=t.at))
        t.normal(msg.SUSPENDED)
        return
    if t.state.phase in (Phase.TERMINATING, Phase.TERMINATED):
        return
    if not _initialise(t, obs):
        return
    if not _should_advance(t, obs):
        return
    if not t.skip_analysis and not _primary_ready(t, obs):
        return
    if t.state.phase not in _IN_RUN:
        _start(t, obs)
        return
    if t.state.phase in _RESTARTABLE and has_changed(t.state, obs.revision):
        t.normal(msg.restarting(t.names))
        t.set_routes(100, 0, False)
        t.emit(RunRestarted(at=t.at, revision=obs.revision))
        return
    if not _canary_ready(t, obs):
        return
    if t.skip_analysis:
        endings.skip_analysis(t)
        return
    _advance(t)


def _initialise(t: TickContext, obs: Observed) -> bool:
    """Steps 5-12: primary, readiness, scale-down, routes; False stops the tick."""
    initial = t.state.phase in _INITIAL
    if t.state.phase is Phase.UNSET:
        t.emit(InitializationStarted(at=t.at))
    if initial and not t.skip_analysis:
        if obs.providers is None:
            raise NeedInput(ProvidersCheckNeeded())
        if obs.providers.ok:
            t.normal(msg.PROVIDERS_OK)
        else:
            t.warning(msg.providers_failed(obs.providers.error))
    if not t.state.primary_exists:
        t.workload(WorkloadAction.CREATE_PRIMARY)
    if initial and not t.skip_analysis and not _primary_ready(t, obs):
        return False
    if not initial:
        return True
    if t.spec.autoscaler_ref is not None:
        t.workload(WorkloadAction.UPDATE_PRIMARY_AUTOSCALER)
    endings.pause_target_autoscaler(t)
    t.workload(WorkloadAction.SCALE_TARGET_TO_ZERO)
    t.set_routes(100, 0, False)
    t.emit(Initialized(at=t.at, revision=obs.revision))
    t.normal(msg.initialized(t.names))
    t.alert(Severity.INFO, msg.alert_initialized(t.names), with_metadata=True)
    return True


def _should_advance(t: TickContext, obs: Observed) -> bool:
    """Step 13: a run in flight, or a new revision (a failed canary re-reads its target)."""
    if t.state.phase in _ADVANCING:
        return True
    if t.state.phase is Phase.FAILED and t.state.retry_revision == obs.revision:
        return True  # an operator asked to run the failed revision again (roost retry)
    changed = has_changed(t.state, obs.revision)
    resync = not changed and obs.revision != t.state.last_applied_spec
    if t.state.phase is Phase.FAILED and resync:
        t.emit(StatusResynced(at=t.at, revision=obs.revision))
    return changed


def _primary_ready(t: TickContext, obs: Observed) -> bool:
    """Steps 7/15: a waiting primary stops the tick; a dead one fails the run."""
    ready = obs.primary
    if ready.state is Readiness.READY:
        return True
    text = msg.primary_not_ready(t.names, ready.message)
    t.warning(text)
    if ready.state is Readiness.WAITING:
        t.emit(Halted(at=t.at, reason=HaltReason.PRIMARY_NOT_READY, evidence=text))
    elif t.state.phase in (Phase.PROMOTING, Phase.FINALISING):
        endings.promotion_failed(t, text)
    else:
        endings.rollback(t, RollbackReason.PRIMARY_DEADLINE, deadline_error=text)
    return False


def _canary_ready(t: TickContext, obs: Observed) -> bool:
    """Step 19: a waiting canary stops the tick; a dead one rolls back."""
    ready = obs.canary_readiness
    if ready.state is Readiness.READY:
        return True
    waiting = ready.state is Readiness.WAITING
    text = msg.canary_not_ready(t.names, ready.message, waiting)
    t.warning(text)
    if waiting:
        t.emit(Halted(at=t.at, reason=HaltReason.CANARY_NOT_READY, evidence=text))
    else:
        endings.rollback(t, RollbackReason.CANARY_DEADLINE, deadline_error=text)
    return False


def _start(t: TickContext, obs: Observed) -> None:
    """Step 17: confirm-rollout, then start the run (scale the target up) and stop."""
    if analysing.confirm_rollout(t):
        strategies.start_run(t)


def _advance(t: TickContext) -> None:
    """Steps 21-28: rollback hooks, promotion phases, threshold, analysis, strategy step."""
    phase = t.state.phase
    if phase in (Phase.PROGRESSING, Phase.WAITING_PROMOTION) and analysing.rollback_requested(t):
        endings.rollback(t, RollbackReason.MANUAL_WEBHOOK)
        return
    if phase is Phase.PROMOTING:
        if t.spec.autoscaler_ref is not None:
            t.workload(WorkloadAction.UPDATE_PRIMARY_AUTOSCALER)
        strategies.promotion_shift(t)
        return
    if phase is Phase.FINALISING:
        endings.finalise(t)
        return
    if t.state.failed_checks >= t.analysis.effective_threshold():
        endings.rollback(t, RollbackReason.FAILED_CHECKS)
        return
    routes = t.routes()
    mirrored_first = bool(t.analysis.mirror) and routes.mirrored
    if routes.canary == 0 and t.state.iterations == 0 and not mirrored_first:
        t.emit(AnalysisStarted(at=t.at))
        t.normal(msg.starting_analysis(t.names))
        if not analysing.pre_rollout(t):
            return
    elif not analysing.analysis(t):
        return
    strategies.step(t)
