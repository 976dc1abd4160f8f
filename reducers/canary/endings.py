"""How runs end: rollback, failed promotion, success, skip-analysis promotion, deletion.

flagger-core §2.5.8-2.5.10, §2.6 and §2.10, each a function over the tick context. Post-rollout
hooks run after every ending and cannot change its outcome.
"""

from __future__ import annotations

from reducers.canary import messages as msg
from reducers.canary.ticking import TickContext, succeeded
from reducers.events import (
    Finalising,
    Halted,
    HaltReason,
    PromotionFailed,
    Readiness,
    RollbackReason,
    RolledBack,
    Severity,
    Succeeded,
    Terminated,
    TerminationStarted,
    WorkloadAction,
)
from reducers.spec import AutoscalerKind, Phase, WebhookType


def _keda(t: TickContext) -> bool:
    ref = t.spec.autoscaler_ref
    return ref is not None and ref.kind is AutoscalerKind.SCALED_OBJECT


def pause_target_autoscaler(t: TickContext) -> None:
    """KEDA would scale a parked target back up; pause it first (HPAs need nothing)."""
    if _keda(t):
        t.workload(WorkloadAction.PAUSE_TARGET_AUTOSCALER)


def resume_target_autoscaler(t: TickContext) -> None:
    """The target is about to run again (or is handed back): let KEDA scale it."""
    if _keda(t):
        t.workload(WorkloadAction.RESUME_TARGET_AUTOSCALER)


def post_rollout(t: TickContext) -> None:
    """Post-rollout hooks with the ending phase; the first failure skips the rest."""
    phase = t.state.phase.value
    for hook in t.hooks(WebhookType.POST_ROLLOUT):
        result = t.hook(hook, phase)
        if not succeeded(result):
            t.warning(msg.post_rollout_failed(hook.name, result.error))
            return
        t.normal(msg.hook_passed("Post-rollout", hook.name))


def rollback(t: TickContext, reason: RollbackReason, deadline_error: str = "") -> None:
    """Traffic back to the primary, target scaled to zero, phase Failed (§2.5.9)."""
    failed = t.state.failed_checks
    if failed >= t.analysis.effective_threshold():
        t.warning(msg.threshold_reached(t.names, failed))
        t.alert(Severity.ERROR, msg.alert_threshold(failed))
    elif deadline_error:
        # Flagger has these texts but never reaches them (quirk 3); Roost sends them.
        t.warning(msg.deadline_rollback(t.names, deadline_error))
        t.alert(Severity.ERROR, msg.alert_deadline(deadline_error))
    t.set_routes(100, 0, False)
    t.warning(msg.canary_failed(t.names), phase=Phase.FAILED.value)
    pause_target_autoscaler(t)
    t.workload(WorkloadAction.SCALE_TARGET_TO_ZERO)
    t.emit(RolledBack(at=t.at, reason=reason, revision=t.obs.revision))
    post_rollout(t)


def promotion_failed(t: TickContext, error: str) -> None:
    """The primary broke while promoting: keep serving from the canary (§2.5.10)."""
    t.warning(msg.promotion_failed(t.names, error))
    t.alert(Severity.ERROR, msg.alert_promotion_failed(error))
    t.set_routes(0, 100, False)
    t.emit(PromotionFailed(at=t.at, error=error, revision=t.obs.revision))
    post_rollout(t)


def finalise(t: TickContext) -> None:
    """Finalising → Succeeded: scale the target down, report (§2.3 step 23)."""
    if t.spec.autoscaler_ref is not None:
        t.workload(WorkloadAction.UPDATE_PRIMARY_AUTOSCALER)
    pause_target_autoscaler(t)
    t.workload(WorkloadAction.SCALE_TARGET_TO_ZERO)
    t.emit(Succeeded(at=t.at))
    post_rollout(t)
    t.normal(msg.promotion_completed(t.names))
    t.alert(Severity.INFO, msg.ALERT_SUCCEEDED)


def skip_analysis(t: TickContext) -> None:
    """Promote at once, without Promoting and Finalising (§2.6)."""
    t.set_routes(100, 0, False)
    t.normal(msg.copying(t.names))
    t.workload(WorkloadAction.PROMOTE)
    if t.spec.autoscaler_ref is not None:
        t.workload(WorkloadAction.UPDATE_PRIMARY_AUTOSCALER)
    pause_target_autoscaler(t)
    t.workload(WorkloadAction.SCALE_TARGET_TO_ZERO)
    t.emit(Succeeded(at=t.at, skipped_analysis=True))
    post_rollout(t)
    t.normal(msg.promotion_skipped(t.names))
    t.alert(Severity.INFO, msg.ALERT_SKIPPED)


def start_finalising(t: TickContext) -> None:
    t.emit(Finalising(at=t.at))


def delete(t: TickContext) -> None:
    """A deleted Canary: revert when asked to (§2.10), otherwise leave it to garbage collection."""
    if not t.spec.revert_on_deletion or t.state.phase is Phase.TERMINATED:
        return
    if t.state.phase is not Phase.TERMINATING:
        t.emit(TerminationStarted(at=t.at))
        t.normal(msg.terminating(t.names))
        resume_target_autoscaler(t)
        t.workload(WorkloadAction.REVERT_TARGET)
    ready = t.obs.canary_readiness
    if ready.state is not Readiness.READY:
        error = msg.finalize_not_ready(msg.canary_not_ready(t.names, ready.message, True))
        t.emit(Halted(at=t.at, reason=HaltReason.FINALIZE_WAITING, evidence=error))
        return
    t.workload(WorkloadAction.RESTORE_ROUTING)
    t.emit(Terminated(at=t.at))
    t.normal(msg.terminated(t.names))
