"""Hooks and metrics of a tick: the gates, pre-rollout, the analysis and the rollback hooks.

flagger-core §2.5.6, §3.1 and §4.3. Each function returns whether the tick may go on; a refusal
has already been recorded (events, alerts, the counted failure or the gate waited on).
"""

from __future__ import annotations

from reducers.canary import checks
from reducers.canary import messages as msg
from reducers.canary.ticking import TickContext, succeeded
from reducers.events import (
    Gate,
    Halted,
    HaltReason,
    MetricSource,
    MetricVerdict,
    Severity,
    WaitingForApproval,
)
from reducers.spec import CanaryWebhook, Phase, WebhookType

_ANALYSIS_PHASE = Phase.PROGRESSING.value
"""Pre-rollout, rollout and confirm-* (but rollout) hooks always see phase Progressing."""


def _gate_refused(t: TickContext, gate: Gate, hook: CanaryWebhook) -> None:
    t.emit(WaitingForApproval(at=t.at, gate=gate, hook=hook.name))


def confirm_rollout(t: TickContext) -> bool:
    """Gate at the start of a run; refusing parks the canary in Waiting."""
    for hook in t.hooks(WebhookType.CONFIRM_ROLLOUT):
        if not succeeded(t.hook(hook, t.state.phase.value)):
            first = t.state.phase is not Phase.WAITING
            _gate_refused(t, Gate.CONFIRM_ROLLOUT, hook)
            if first:
                t.warning(msg.waiting_for_approval(t.names, hook.name))
                if not hook.mute_alert:
                    t.alert(Severity.WARN, msg.ALERT_WAITING)
            return False
        t.normal(msg.hook_passed("Confirm-rollout", hook.name))
    return True


def confirm_promotion(t: TickContext) -> bool:
    """Gate before promotion; refusing parks the canary in WaitingPromotion."""
    for hook in t.hooks(WebhookType.CONFIRM_PROMOTION):
        if not succeeded(t.hook(hook, _ANALYSIS_PHASE)):
            first = t.state.phase is not Phase.WAITING_PROMOTION
            _gate_refused(t, Gate.CONFIRM_PROMOTION, hook)
            if first:
                t.warning(msg.waiting_for_promotion(t.names, hook.name))
                if not hook.mute_alert:
                    t.alert(Severity.WARN, msg.ALERT_WAITING_PROMOTION)
            return False
        t.normal(msg.hook_passed("Confirm-promotion", hook.name))
    return True


def confirm_traffic_increase(t: TickContext) -> bool:
    """Gate before every weight increase (and the canary strategy's promotion)."""
    for hook in t.hooks(WebhookType.CONFIRM_TRAFFIC_INCREASE):
        if not succeeded(t.hook(hook, _ANALYSIS_PHASE)):
            _gate_refused(t, Gate.CONFIRM_TRAFFIC_INCREASE, hook)
            t.warning(msg.waiting_for_traffic(t.names, hook.name))
            if not hook.mute_alert:
                t.alert(Severity.WARN, msg.ALERT_WAITING_TRAFFIC)
            return False
        t.normal(msg.hook_passed("Confirm-traffic-increase", hook.name))
    return True


def rollback_requested(t: TickContext) -> bool:
    """Rollback hooks: the first that answers successfully asks for a rollback."""
    for hook in t.hooks(WebhookType.ROLLBACK):
        if succeeded(t.hook(hook, t.state.phase.value)):
            t.warning(msg.hook_passed("Rollback", hook.name))
            t.warning(msg.manual_rollback(t.names))
            t.alert(Severity.WARN, msg.ALERT_MANUAL_ROLLBACK)
            return True
        t.normal(msg.rollback_not_signaling(hook.name))
    return False


def _fail(t: TickContext, reason: HaltReason, text: str) -> bool:
    t.warning(text)
    t.emit(Halted(at=t.at, reason=reason, evidence=text, counts=True))
    return False


def pre_rollout(t: TickContext) -> bool:
    """Pre-rollout hooks of the first analysis tick; a failure counts as a failed check."""
    for hook in t.hooks(WebhookType.PRE_ROLLOUT):
        result = t.hook(hook, _ANALYSIS_PHASE)
        if not succeeded(result):
            text = msg.pre_rollout_failed(t.names, hook.name, result.error)
            return _fail(t, HaltReason.PRE_ROLLOUT_FAILED, text)
        t.normal(msg.hook_passed("Pre-rollout", hook.name))
    return True


_REASONS = {
    MetricVerdict.FAIL: HaltReason.METRIC_FAILED,
    MetricVerdict.NO_DATA: HaltReason.METRIC_NO_DATA,
    MetricVerdict.ERROR: HaltReason.METRIC_ERROR,
}


def analysis(t: TickContext) -> bool:
    """Rollout hooks, then the builtin/inline pass, then the template pass (§3.1)."""
    for hook in t.hooks(WebhookType.ROLLOUT):
        result = t.hook(hook, _ANALYSIS_PHASE)
        if not succeeded(result):
            text = msg.rollout_hook_failed(t.names, hook.name, result.error)
            return _fail(t, HaltReason.ROLLOUT_HOOK_FAILED, text)
    metrics = t.analysis.metrics or ()
    passes: list[tuple[int, MetricSource]] = []
    for index, metric in enumerate(metrics):
        if metric.is_builtin:
            passes.append((index, MetricSource.BUILTIN))
        if metric.query:
            passes.append((index, MetricSource.INLINE))
    passes.extend(
        (index, MetricSource.TEMPLATE)
        for index, metric in enumerate(metrics)
        if metric.template_ref is not None
    )
    for index, source in passes:
        metric = metrics[index]
        measured = t.metric(metric.name, source)
        if measured.verdict is not MetricVerdict.PASS:
            text = checks.halt_message(t.names, metric, measured)
            return _fail(t, _REASONS[measured.verdict], text)
    return True
