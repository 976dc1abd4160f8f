"""Kubernetes events about a Canary: their bodies, and reasons for the events the decider words.

Flagger gives every event the reason ``Synced``; Roost names what happened, so
``kubectl get events --field-selector reason=RolledBack`` finds the rollbacks. The decider
records the message text (Flagger's wording, kept for compatibility) and the reason is read off
it here, first matching phrase wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from controller.operator.measuring import CANARY_API
from reducers.canary.state import rfc3339
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


def event_body(
    canary: Mapping[str, Any], *, reason: str, message: str, kind: str, at: datetime
) -> dict[str, Any]:
    """A core/v1 Event about a Canary (the server names it from ``generateName``)."""
    meta = canary.get("metadata") or {}
    name, namespace = str(meta.get("name")), str(meta.get("namespace") or "default")
    stamp = rfc3339(at)
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"generateName": f"{name}.", "namespace": namespace},
        "involvedObject": {
            "apiVersion": CANARY_API,
            "kind": "Canary",
            "name": name,
            "namespace": namespace,
            "uid": meta.get("uid", ""),
        },
        "reason": reason,
        "message": message[:1000],
        "type": kind,
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
        "source": {"component": "roost"},
        "reportingComponent": "roost",
    }
