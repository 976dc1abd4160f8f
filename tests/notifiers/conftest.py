"""Notifier tests: AlertProviders and alerts built from spec documents, posted to local servers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reducers.events import AlertDecided, Severity
from reducers.spec import AlertProviderSpec, CanarySpec

AT = datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)
FIELDS = (("Target", "Deployment/podinfo.test"), ("Failed checks threshold", "5"))


def provider(**spec: Any) -> AlertProviderSpec:
    return AlertProviderSpec.model_validate(spec)


def canary_spec(alerts: list[dict[str, Any]] | None = None) -> CanarySpec:
    analysis: dict[str, Any] = {"interval": "1m", "threshold": 5, "stepWeight": 10}
    if alerts is not None:
        analysis["alerts"] = alerts
    return CanarySpec.model_validate(
        {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898},
            "analysis": analysis,
        }
    )


def alert(
    severity: Severity = Severity.INFO,
    recipients: tuple[str, ...] = (),
    *,
    global_notifier: bool = False,
    message: str = "Canary analysis completed successfully, promotion finished.",
) -> AlertDecided:
    return AlertDecided(
        at=AT,
        severity=severity,
        message=message,
        fields=FIELDS,
        recipients=recipients,
        global_notifier=global_notifier,
    )
