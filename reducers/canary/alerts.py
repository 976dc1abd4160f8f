"""Who receives an alert (flagger-core §5.2) and the metadata fields some alerts carry (§5.1).

Roost delivers to an entry with no severity as if it said ``info`` — what Flagger documents;
Flagger's code sends such an entry nothing (quirk 1, fixed; see docs/compatibility.md).
"""

from __future__ import annotations

from datetime import datetime

from reducers.canary.messages import Names
from reducers.events import AlertDecided, Severity
from reducers.spec import AlertSeverity, CanarySpec, Strategy

_RANK = {Severity.INFO: 0, Severity.WARN: 1, Severity.ERROR: 2}


def receives(entry: AlertSeverity | None, severity: Severity) -> bool:
    """Whether an alert entry with severity ``entry`` gets an alert of ``severity``."""
    wanted = Severity.INFO if entry in (None, AlertSeverity.UNSET) else Severity(str(entry))
    return _RANK[severity] >= _RANK[wanted]


def metadata_fields(n: Names, spec: CanarySpec) -> tuple[tuple[str, str], ...]:
    """Target, threshold, deadline and traffic-routing fields."""
    analysis = spec.analysis
    fields = [
        ("Target", f"{n.kind}/{n.workload}"),
        ("Failed checks threshold", str(analysis.effective_threshold())),
        ("Progress deadline", f"{int(spec.effective_progress_deadline().total_seconds())}s"),
    ]
    strategy = analysis.strategy()
    written_max = analysis.max_weight or 0
    if strategy is Strategy.AB_TESTING:
        fields.append(("Traffic routing", "A/B Testing"))
    elif strategy is Strategy.BLUE_GREEN:
        fields.append(("Traffic routing", "Blue/Green"))
    elif (analysis.step_weight or 0) > 0:
        fields.append(
            ("Traffic routing", f"Weight step: {analysis.step_weight} max: {written_max}")
        )
    elif analysis.step_weights:
        ladder = ",".join(str(w) for w in analysis.step_weights)
        fields.append(("Traffic routing", f"Weight steps: {ladder} max: {written_max}"))
    return tuple(fields)


def alert(
    spec: CanarySpec,
    severity: Severity,
    message: str,
    fields: tuple[tuple[str, str], ...] = (),
    *,
    at: datetime,
) -> AlertDecided:
    """An alert addressed to the entries that receive it (or to the global notifier)."""
    entries = spec.analysis.alerts or ()
    recipients = tuple(e.name for e in entries if receives(e.severity, severity))
    return AlertDecided(
        at=at,
        severity=severity,
        message=message,
        fields=fields,
        recipients=recipients,
        global_notifier=not entries,
    )
