"""Kubernetes event reasons for the events the decider words.

Flagger gives every event the reason ``Synced``; Roost names what happened, so
``kubectl get events --field-selector reason=RolledBack`` finds the rollbacks. The decider
records the message text (Flagger's wording, kept for compatibility) and the reason is read off
it here, first matching phrase wins.
"""

from __future__ import annotations

from reducers.events import KubeEventRecorded


def event_reason(event: KubeEventRecorded) -> str:
    """A Kubernetes event reason that says what happened (Flagger writes ``Synced`` for all)."""
    text = event.message.lower()
    for needle, reason in _REASONS:
        if needle in text:
            return reason
    return "Synced"


_REASONS = (
    ("ignoring", "CommandIgnored"),
    ("requested by", "CommandAccepted"),
    ("initialization done", "Initialized"),
    ("new revision detected", "NewRevision"),
    ("starting canary analysis", "AnalysisStarted"),
    ("advance", "WeightAdvanced"),
    ("waiting for approval", "WaitingForApproval"),
    ("copying", "Promoting"),
    ("promotion completed", "Succeeded"),
    ("rolling back", "RolledBack"),
    ("canary failed", "Failed"),
    ("halt", "Halted"),
    ("not ready", "NotReady"),
    ("skipping analysis", "AnalysisSkipped"),
    ("terminat", "Terminating"),
    ("metric", "MetricCheck"),
)
