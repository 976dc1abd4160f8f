"""``evolve(state, event) -> state``: one small function per event type, dispatched on the class.

The only way a canary's state changes. Each function builds a new state from the old one and the
event (never the spec, never the world), so folding the recorded events always gives the same
status. ``evolve_at`` adds the continuity check: an event must carry the next stream version.
``CanaryFold`` packages all of it for ``ledger.snapshots.load_state``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from reducers.base import Event
from reducers.canary import messages
from reducers.canary.state import (
    INITIAL,
    CanaryState,
    PromotedCondition,
    Routes,
    dump_state,
    load_state,
)
from reducers.events import (
    ALL_EVENTS,
    Command,
    CommandHandled,
    CookieIssued,
    CookieRetired,
    EffectOutcome,
    EffectResult,
    Finalising,
    Gate,
    Halted,
    InitializationStarted,
    Initialized,
    IterationAdvanced,
    PromotionFailed,
    PromotionStarted,
    PromotionStepped,
    RolledBack,
    RoutesSet,
    RunRestarted,
    RunStarted,
    SpecObserved,
    StatusResynced,
    Succeeded,
    Terminated,
    TerminationStarted,
    TickStarted,
    WaitingForApproval,
    WeightAdvanced,
    WorkloadAction,
    WorkloadActionDecided,
)
from reducers.spec import ConditionStatus, Phase


class StreamContinuityError(ValueError):
    """An event does not carry the stream version right after the state's."""


E = TypeVar("E", bound=Event)
_Changes = dict[str, Any]
_Handler = Callable[[CanaryState, Any], _Changes]
_HANDLERS: dict[type[Event], _Handler] = {}


def _on(cls: type[E]) -> Callable[[Callable[[CanaryState, E], _Changes]], None]:
    def register(fn: Callable[[CanaryState, E], _Changes]) -> None:
        _HANDLERS[cls] = fn

    return register


def evolve(state: CanaryState, event: Event) -> CanaryState:
    """The state after ``event``; the stream version moves on by one."""
    handler = _HANDLERS.get(type(event))
    changes = {} if handler is None else handler(state, event)
    return state.evolved(version=state.version + 1, **changes)


def evolve_at(state: CanaryState, event: Event, version: int) -> CanaryState:
    """:func:`evolve`, refusing an event stored at any version but the next one."""
    if version != state.version + 1:
        raise StreamContinuityError(
            f"event {type(event).TYPE} at version {version} does not follow state version "
            f"{state.version}"
        )
    return evolve(state, event)


def fold(events: Iterable[Event], state: CanaryState = INITIAL) -> CanaryState:
    """Left fold of ``events`` starting from ``state``: the same state as ``evolve`` one event
    at a time. Events no handler reads (most observations, messages) only move the version on,
    so their version steps are carried to the next state built instead of each copying the
    state: replay folds whole ledgers, and most of their events are of that kind."""
    skipped = 0
    for event in events:
        handler = _HANDLERS.get(type(event))
        if handler is None:
            skipped += 1
            continue
        # No handler reads ``version``, so handing it the not-yet-bumped state is safe.
        changes = handler(state, event)
        state = state.evolved(version=state.version + skipped + 1, **changes)
        skipped = 0
    return state.evolved(version=state.version + skipped) if skipped else state


# ------------------------------------------------------------------ status helpers


def _phase(state: CanaryState, phase: Phase, at: datetime, **changes: Any) -> _Changes:
    """A status write of ``phase`` with the Promoted-condition rule of flagger-core §1.5."""
    status = {
        Phase.INITIALIZED: ConditionStatus.TRUE,
        Phase.SUCCEEDED: ConditionStatus.TRUE,
        Phase.FAILED: ConditionStatus.FALSE,
    }.get(phase, ConditionStatus.UNKNOWN)
    cond = state.condition
    if cond is None or cond.status is not status or cond.reason != phase.value:
        keep = cond is not None and cond.status is status
        cond = PromotedCondition(
            status=status,
            reason=phase.value,
            message=messages.condition_message(phase.value, state.kind),
            last_update_time=at,
            last_transition_time=cond.last_transition_time if keep and cond else at,
        )
    return {"phase": phase, "condition": cond, "last_transition_time": at, **changes}


def _touch(at: datetime, **changes: Any) -> _Changes:
    return {"last_transition_time": at, **changes}


# ------------------------------------------------------------------ observations


@_on(TickStarted)
def _tick(state: CanaryState, e: TickStarted) -> _Changes:
    return {"tick": e.tick, "now": e.at}


@_on(SpecObserved)
def _spec(state: CanaryState, e: SpecObserved) -> _Changes:
    target = e.spec.get("targetRef", {})
    return {
        "name": e.name,
        "namespace": e.namespace,
        "target": str(target.get("name", "")),
        "kind": str(target.get("kind", "Deployment")),
    }


@_on(EffectOutcome)
def _outcome(state: CanaryState, e: EffectOutcome) -> _Changes:
    failed = e.result in (EffectResult.ERROR, EffectResult.CONFLICT)
    return {"last_effect_error": f"{e.effect}: {e.detail}" if failed else ""}


# ------------------------------------------------------------------ run decisions


@_on(InitializationStarted)
def _initializing(state: CanaryState, e: InitializationStarted) -> _Changes:
    return _phase(state, Phase.INITIALIZING, e.at)


@_on(Initialized)
def _initialized(state: CanaryState, e: Initialized) -> _Changes:
    return _phase(
        state,
        Phase.INITIALIZED,
        e.at,
        canary_weight=0,
        failed_checks=0,
        iterations=0,
        last_applied_spec=e.revision,
        last_promoted_spec=e.revision,
    )


def _run_reset(
    state: CanaryState, phase: Phase, at: datetime, revision: str, *, weight: int = 0
) -> _Changes:
    """A run starts or ends: counters go back to zero and the revision becomes the applied one."""
    return _phase(
        state,
        phase,
        at,
        canary_weight=weight,
        failed_checks=0,
        iterations=0,
        last_applied_spec=revision,
        retry_revision="",
    )


@_on(RunStarted)
def _run_started(state: CanaryState, e: RunStarted) -> _Changes:
    return _run_reset(state, Phase.PROGRESSING, e.at, e.revision)


@_on(RunRestarted)
def _run_restarted(state: CanaryState, e: RunRestarted) -> _Changes:
    return _run_reset(state, Phase.PROGRESSING, e.at, e.revision)


@_on(StatusResynced)
def _resynced(state: CanaryState, e: StatusResynced) -> _Changes:
    return _touch(e.at, last_applied_spec=e.revision)


@_on(Halted)
def _halted(state: CanaryState, e: Halted) -> _Changes:
    if not e.counts:
        return {}
    return _touch(e.at, failed_checks=state.failed_checks + 1)


@_on(WaitingForApproval)
def _waiting(state: CanaryState, e: WaitingForApproval) -> _Changes:
    # Roost keeps weight and iterations while waiting for promotion (Flagger zeroes the weight
    # and writes iterations N-1; see docs/compatibility.md).
    target = {Gate.CONFIRM_ROLLOUT: Phase.WAITING, Gate.CONFIRM_PROMOTION: Phase.WAITING_PROMOTION}
    phase = target.get(e.gate)
    if phase is None or state.phase is phase:
        return {}
    return _phase(state, phase, e.at)


@_on(WeightAdvanced)
def _weight(state: CanaryState, e: WeightAdvanced) -> _Changes:
    return _touch(e.at, canary_weight=e.weight)


@_on(IterationAdvanced)
def _iteration(state: CanaryState, e: IterationAdvanced) -> _Changes:
    return _touch(e.at, iterations=e.iteration)


@_on(PromotionStarted)
def _promoting(state: CanaryState, e: PromotionStarted) -> _Changes:
    return _phase(state, Phase.PROMOTING, e.at)


@_on(PromotionStepped)
def _promotion_step(state: CanaryState, e: PromotionStepped) -> _Changes:
    return _touch(e.at, canary_weight=e.canary_weight)


@_on(Finalising)
def _finalising(state: CanaryState, e: Finalising) -> _Changes:
    return _phase(state, Phase.FINALISING, e.at, canary_weight=0, iterations=0)


@_on(Succeeded)
def _succeeded(state: CanaryState, e: Succeeded) -> _Changes:
    return _phase(
        state,
        Phase.SUCCEEDED,
        e.at,
        canary_weight=0,
        iterations=0,
        last_promoted_spec=state.last_applied_spec,
    )


@_on(RolledBack)
def _rolled_back(state: CanaryState, e: RolledBack) -> _Changes:
    return _run_reset(state, Phase.FAILED, e.at, e.revision)


@_on(PromotionFailed)
def _promotion_failed(state: CanaryState, e: PromotionFailed) -> _Changes:
    return _run_reset(state, Phase.FAILED, e.at, e.revision, weight=100)


@_on(TerminationStarted)
def _terminating(state: CanaryState, e: TerminationStarted) -> _Changes:
    return _phase(state, Phase.TERMINATING, e.at, canary_weight=0, iterations=0)


@_on(Terminated)
def _terminated(state: CanaryState, e: Terminated) -> _Changes:
    return _phase(state, Phase.TERMINATED, e.at)


@_on(CommandHandled)
def _command(state: CanaryState, e: CommandHandled) -> _Changes:
    retrying = e.accepted and e.command is Command.RETRY
    return {
        "last_command_id": e.id,
        "retry_revision": e.revision if retrying else state.retry_revision,
    }


# ------------------------------------------------------------------ effect decisions


@_on(RoutesSet)
def _routes(state: CanaryState, e: RoutesSet) -> _Changes:
    return {"routes": Routes(e.primary, e.canary, e.mirrored)}


@_on(WorkloadActionDecided)
def _workload(state: CanaryState, e: WorkloadActionDecided) -> _Changes:
    if e.action is WorkloadAction.CREATE_PRIMARY:
        return {"primary_exists": True}
    if e.action is WorkloadAction.SCALE_TARGET_TO_ZERO:
        return {"target_scaled_down": True}
    if e.action in (WorkloadAction.SCALE_TARGET_UP, WorkloadAction.REVERT_TARGET):
        return {"target_scaled_down": False}
    return {}


@_on(CookieIssued)
def _cookie(state: CanaryState, e: CookieIssued) -> _Changes:
    return {
        "session_affinity_cookie": e.canary_cookie,
        "primary_session_affinity_cookie": e.primary_cookie
        or state.primary_session_affinity_cookie,
    }


@_on(CookieRetired)
def _cookie_retired(state: CanaryState, e: CookieRetired) -> _Changes:
    return {"session_affinity_cookie": "", "previous_session_affinity_cookie": e.previous_cookie}


class CanaryFold:
    """:class:`reducers.folding.Fold` of a canary stream (name ``canary``)."""

    name = "canary"
    code_version = 1

    def initial(self) -> CanaryState:
        return INITIAL

    def evolve(self, state: CanaryState, event: Event) -> CanaryState:
        return evolve(state, event)

    def dump(self, state: CanaryState) -> dict[str, Any]:
        return dump_state(state)

    def load(self, data: dict[str, Any]) -> CanaryState:
        return load_state(data)


def _check_every_event_is_known() -> None:
    unknown = set(_HANDLERS) - set(ALL_EVENTS)
    if unknown:  # pragma: no cover - a programming error caught at import
        raise RuntimeError(f"handlers for unregistered events: {unknown}")


_check_every_event_is_known()
