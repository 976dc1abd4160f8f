"""The strategy step of an analysis tick and the promotion traffic shift.

Canary (progressive weights, mirroring, overshoot), A/B testing and Blue/Green after
flagger-core §2.5.1-2.5.5, and the Promoting phase after §2.5.7. Roost fixes two ways a run could
get stuck without saying so: a ``maxWeight`` above 100 promotes at 100, and a stepped promotion
whose canary weight is already 0 finalises (quirks 10 and 18; docs/compatibility.md).
"""

from __future__ import annotations

from reducers.canary import analysing
from reducers.canary import messages as msg
from reducers.canary.endings import resume_target_autoscaler, start_finalising
from reducers.canary.ticking import TickContext
from reducers.events import (
    Halted,
    HaltReason,
    IterationAdvanced,
    PromotionStarted,
    PromotionStepped,
    RunStarted,
    Severity,
    WeightAdvanced,
    WorkloadAction,
)
from reducers.spec import Phase, Strategy

KUBERNETES_ITERATIONS = 10
"""Iterations the kubernetes provider forces on a canary that has none."""

_NO_TRAFFIC_GATE = (Phase.PROMOTING, Phase.WAITING_PROMOTION, Phase.FINALISING)


def max_weight(t: TickContext) -> int:
    """Weight at which promotion starts; capped at 100 (Flagger never promotes above)."""
    return min(100, t.analysis.effective_max_weight())


def step(t: TickContext) -> None:
    """One strategy step after a passed analysis."""
    iterations = t.analysis.iterations or 0
    strategy = t.analysis.strategy()
    if t.kubernetes:
        if t.analysis.match:
            t.warning(msg.KUBERNETES_NO_AB)
        if iterations < 1:
            t.warning(msg.KUBERNETES_NO_PROGRESSIVE)
            t.warning(msg.KUBERNETES_ITERATIONS)
            iterations = KUBERNETES_ITERATIONS
        strategy = Strategy.BLUE_GREEN
    if strategy is Strategy.AB_TESTING:
        _ab_testing(t, iterations)
    elif strategy is Strategy.BLUE_GREEN:
        _blue_green(t, iterations)
    else:
        _canary(t)


def promote(t: TickContext) -> None:
    """Start the promotion: the target's spec goes to the primary, phase Promoting."""
    t.normal(msg.copying(t.names))
    t.workload(WorkloadAction.PROMOTE)
    t.emit(PromotionStarted(at=t.at))


def start_run(t: TickContext) -> None:
    """A run of the observed revision starts: phase Progressing, the target scaled up."""
    t.emit(RunStarted(at=t.at, revision=t.obs.revision))
    t.normal(msg.scaling_up(t.names))
    t.alert(Severity.INFO, msg.ALERT_RUN_STARTED, with_metadata=True)
    resume_target_autoscaler(t)
    t.workload(WorkloadAction.SCALE_TARGET_UP)


def _canary(t: TickContext) -> None:
    routes = t.routes()
    increment = t.analysis.next_step_weight(routes.canary)
    if increment <= 0:
        text = msg.no_traffic_step(t.names)
        t.warning(text)
        t.emit(Halted(at=t.at, reason=HaltReason.NO_TRAFFIC_STEP, evidence=text))
        return
    if (
        not routes.mirrored
        and t.state.phase not in _NO_TRAFFIC_GATE
        and not analysing.confirm_traffic_increase(t)
    ):
        return
    if routes.canary < max_weight(t):
        if t.analysis.mirror and routes.canary == 0:
            if routes.mirrored:
                primary, canary, mirrored = 100 - increment, increment, False
            else:
                primary, canary, mirrored = 100, 0, True
        else:
            primary = max(0, routes.primary - increment)
            canary = min(100, routes.canary + increment)
            mirrored = False
        t.set_routes(primary, canary, mirrored)
        t.emit(WeightAdvanced(at=t.at, weight=canary))
        t.normal(msg.advance_weight(t.names, canary))
        return
    if analysing.confirm_promotion(t):
        promote(t)


def _ab_testing(t: TickContext, total: int) -> None:
    done = t.state.iterations
    if total > done:
        t.set_routes(0, 100, False)
        t.emit(IterationAdvanced(at=t.at, iteration=done + 1, of=total))
        t.normal(msg.advance_iteration(t.names, done + 1, total))
        return
    if analysing.confirm_promotion(t) and total == done:
        promote(t)


def _blue_green(t: TickContext, total: int) -> None:
    done = t.state.iterations
    mirror = bool(t.analysis.mirror) and not t.kubernetes
    if total > done:
        if mirror and not t.routes().mirrored:
            t.set_routes(100, 0, True)
        t.emit(IterationAdvanced(at=t.at, iteration=done + 1, of=total))
        t.normal(msg.advance_iteration(t.names, done + 1, total))
        return
    if not analysing.confirm_promotion(t):
        return
    if total == done:
        if not t.kubernetes:
            t.normal(msg.STOP_MIRRORING if mirror else msg.ROUTING_TO_CANARY)
            t.set_routes(0, 100, False)
            # Roost records the weight the canary now serves (Flagger leaves 0; quirk 5).
            t.emit(WeightAdvanced(at=t.at, weight=100))
        t.emit(IterationAdvanced(at=t.at, iteration=total + 1, of=total))
        return
    promote(t)


def promotion_shift(t: TickContext) -> None:
    """Phase Promoting: move traffic back to the (now updated) primary."""
    if t.kubernetes:
        start_finalising(t)
        return
    increment = t.analysis.effective_step_weight_promotion()
    routes = t.routes()
    if increment == 0 or routes.canary == 0:
        if increment == 0:
            t.normal(msg.ROUTING_TO_PRIMARY)
        t.set_routes(100, 0, False)
        start_finalising(t)
        return
    primary = min(100, routes.primary + increment)
    canary = max(0, routes.canary - increment)
    t.set_routes(primary, canary, False)
    t.normal(msg.advance_primary(t.names, primary))
    if primary == 100:
        start_finalising(t)
    else:
        t.emit(PromotionStepped(at=t.at, canary_weight=canary))
