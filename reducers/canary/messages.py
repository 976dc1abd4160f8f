"""Every Kubernetes event and alert text a tick can produce, exactly as Flagger words them.

Users grep for these strings and dashboards match on them, so they are reproduced verbatim
(flagger-core §5.1 and §6); the few texts Roost adds for quirks it fixes are marked as Roost's.
``Names`` carries the three names the texts are built from.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Names:
    """Canary name, namespace, target name and kind."""

    name: str
    namespace: str
    target: str
    kind: str

    @property
    def canary(self) -> str:
        return f"{self.name}.{self.namespace}"

    @property
    def workload(self) -> str:
        return f"{self.target}.{self.namespace}"

    @property
    def primary(self) -> str:
        return f"{self.target}-primary.{self.namespace}"


SUSPENDED = "skipping canary run as object is suspended"
PROVIDERS_OK = "all the metrics providers are available!"


def providers_failed(error: str) -> str:
    return f"Error checking metric providers: {error}"


def primary_not_ready(n: Names, reason: str) -> str:
    if n.kind == "DaemonSet":
        return f"primary daemonset {n.primary} not ready: {reason}"
    return f"{n.primary} not ready: {reason}"


def canary_not_ready(n: Names, reason: str, retryable: bool) -> str:
    if n.kind == "DaemonSet":
        flag = "true" if retryable else "false"
        return f"canary damonset {n.workload} not ready with retryable {flag}: {reason}"
    return f"canary deployment {n.workload} not ready: {reason}"


def initialized(n: Names) -> str:
    return f"Initialization done! {n.canary}"


def hook_passed(kind: str, hook: str) -> str:
    return f"{kind} check {hook} passed"


def waiting_for_approval(n: Names, hook: str) -> str:
    return f"Halt {n.canary} advancement waiting for approval {hook}"


def waiting_for_promotion(n: Names, hook: str) -> str:
    return f"Halt {n.canary} advancement waiting for promotion approval {hook}"


def waiting_for_traffic(n: Names, hook: str) -> str:
    return f"Halt {n.canary} advancement waiting for traffic increase approval {hook}"


def scaling_up(n: Names) -> str:
    return f"New revision detected! Scaling up {n.workload}"


def restarting(n: Names) -> str:
    return f"New revision detected! Restarting analysis for {n.workload}"


def rollback_not_signaling(hook: str) -> str:
    return f"Rollback hook {hook} not signaling a rollback"


def manual_rollback(n: Names) -> str:
    return f"Rolling back {n.canary} manual webhook invoked"


def starting_analysis(n: Names) -> str:
    return f"Starting canary analysis for {n.workload}"


def pre_rollout_failed(n: Names, hook: str, error: str) -> str:
    return f"Halt {n.canary} advancement pre-rollout check {hook} failed {error}"


def rollout_hook_failed(n: Names, hook: str, error: str) -> str:
    return f"Halt {n.canary} advancement external check {hook} failed {error}"


KUBERNETES_NO_AB = "A/B testing is not supported when using the kubernetes provider"

KUBERNETES_NO_PROGRESSIVE = (
    "Progressive traffic is not supported when using the kubernetes provider"
)
KUBERNETES_ITERATIONS = "Setting canaryAnalysis.iterations: 10"


def advance_weight(n: Names, weight: int) -> str:
    return f"Advance {n.canary} canary weight {weight}"


def advance_iteration(n: Names, iteration: int, of: int) -> str:
    return f"Advance {n.canary} canary iteration {iteration}/{of}"


ROUTING_TO_CANARY = "Routing all traffic to canary"
STOP_MIRRORING = "Stop traffic mirroring and route all traffic to canary"
ROUTING_TO_PRIMARY = "Routing all traffic to primary"


def copying(n: Names) -> str:
    return f"Copying {n.workload} template spec to {n.primary}"


def advance_primary(n: Names, weight: int) -> str:
    return f"Advance {n.canary} primary weight {weight}"


def post_rollout_failed(hook: str, error: str) -> str:
    return f"Post-rollout hook {hook} failed {error}"


def promotion_completed(n: Names) -> str:
    return f"Promotion completed! Scaling down {n.workload}"


def promotion_skipped(n: Names) -> str:
    return f"Promotion completed! Canary analysis was skipped for {n.workload}"


def threshold_reached(n: Names, failed: int) -> str:
    return f"Rolling back {n.canary} failed checks threshold reached {failed}"


def canary_failed(n: Names) -> str:
    return f"Canary failed! Scaling down {n.canary}"


def promotion_failed(n: Names, error: str) -> str:
    return f"Promotion of {n.workload} failed, primary not ready: {error}"


def deadline_rollback(n: Names, error: str) -> str:
    return f"Rolling back {n.canary} progress deadline exceeded {error}"


def terminating(n: Names) -> str:
    return f"Terminating canary {n.canary}"


def terminated(n: Names) -> str:
    return f"Terminated canary {n.canary}"


def finalize_not_ready(error: str) -> str:
    return f"canary not ready during finalizing: {error}"


def no_traffic_step(n: Names) -> str:
    """Roost's text: Flagger stays silent when neither stepWeight nor stepWeights can advance."""
    return f"Halt {n.canary} advancement stepWeight is 0: the canary weight can never increase"


# ------------------------------------------------------------------ alerts (flagger-core §5.1)


def alert_initialized(n: Names) -> str:
    return f"New {n.kind} detected, initialization completed."


ALERT_RUN_STARTED = "New revision detected, progressing canary analysis."
ALERT_WAITING = "Canary is waiting for approval."
ALERT_WAITING_TRAFFIC = "Canary traffic increase is waiting for approval."
ALERT_WAITING_PROMOTION = "Canary promotion is waiting for approval."
ALERT_MANUAL_ROLLBACK = "Rolling back manual webhook invoked"
ALERT_SUCCEEDED = "Canary analysis completed successfully, promotion finished."
ALERT_SKIPPED = "Canary analysis was skipped, promotion finished."


def alert_threshold(failed: int) -> str:
    return f"Failed checks threshold reached {failed}"


def alert_promotion_failed(error: str) -> str:
    return f"Promotion failed, primary not ready: {error}"


def alert_deadline(error: str) -> str:
    return f"Progress deadline exceeded {error}"


# ------------------------------------------------------------------ Promoted condition (§1.5)


def condition_message(phase: str, kind: str) -> str:
    """Message of the ``Promoted`` condition for a phase."""
    return {
        "Initialized": f"{kind} initialization completed.",
        "Waiting": "Waiting for approval.",
        "WaitingPromotion": "Waiting for approval.",
        "Progressing": "New revision detected, progressing canary analysis.",
        "Promoting": "Canary analysis completed, starting primary rolling update.",
        "Finalising": "Canary analysis completed, routing all traffic to primary.",
        "Succeeded": "Canary analysis completed successfully, promotion finished.",
        "Failed": f"Canary analysis failed, {kind} scaled to zero.",
    }.get(phase, f"New {kind} detected, starting initialization.")
