"""The simulated world: a cluster, Prometheus and webhook servers that answer as scripted.

It holds what a real cluster would (the Canary, the target's revision, workload readiness, live
routes) and turns it into observation events; it answers the decider's needs (webhook calls,
metric queries) and applies decided routes and workload actions, reporting outcomes. By default
everything is healthy: workloads are ready as soon as they exist, every metric sits inside its
range and every webhook answers 200.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus

from controller.simulation.scripts import CommandStep, MetricValue, Step, WorkloadChange
from reducers.base import Event
from reducers.canary import checks
from reducers.canary.observing import MetricNeeded, Need, ProvidersCheckNeeded, WebhookNeeded
from reducers.canary.revisions import revision_of
from reducers.canary.state import CanaryState
from reducers.canary.ticking import kubernetes_routes
from reducers.events import (
    CommandHandled,
    CommandObserved,
    EffectOutcome,
    EffectResult,
    MetricProvidersChecked,
    MetricResult,
    MetricSource,
    MetricVerdict,
    Readiness,
    ReadinessObserved,
    RoutesObserved,
    RoutesSet,
    SpecObserved,
    TargetRevisionObserved,
    TickStarted,
    WebhookResult,
    WebhookVerdict,
    Workload,
    WorkloadActionDecided,
)
from reducers.patching import merge_patch
from reducers.spec import Canary, CanaryMetric, CanarySpec, Provider

MESH_PROVIDER = "istio"
"""The operator-wide provider the simulated operator runs with."""


@dataclass
class _Health:
    ready: bool = True
    deadline_exceeded: bool = False
    message: str | None = None


@dataclass
class World:
    """Mutable world state of one simulation."""

    canary: Canary
    revision_label: str = "v1"
    primary: _Health = field(default_factory=_Health)
    canary_health: _Health = field(default_factory=_Health)
    metrics: dict[str, MetricValue] = field(default_factory=dict)
    webhooks: dict[str, int] = field(default_factory=dict)
    routes: tuple[int, int, bool] = (100, 0, False)
    deleting: bool = False
    calls: list[WebhookResult] = field(default_factory=list)
    scripted_command: CommandStep | None = None
    """A command the script gave, observed from the next tick on."""
    command: CommandObserved | None = None
    """The command on the Canary, until a tick handles it."""
    commands_given: int = 0

    # ------------------------------------------------------------------ script steps

    def change(self, step: Step) -> None:
        """Apply one script step's changes (``ScriptError`` for an invalid spec patch)."""
        if step.target is not None:
            self.revision_label = step.target.revision
        if step.primary is not None:
            self.primary = _health(step.primary)
        if step.canary is not None:
            self.canary_health = _health(step.canary)
        self.metrics.update(step.metrics or {})
        self.webhooks.update(step.webhooks or {})
        if step.spec is not None:
            doc = self.canary.to_document()
            doc["spec"] = merge_patch(doc["spec"], step.spec)
            self.canary = Canary.model_validate(doc)
        if step.delete:
            self.deleting = True
        if step.command is not None:
            self.scripted_command = step.command

    @property
    def spec(self) -> CanarySpec:
        return self.canary.spec

    @property
    def kubernetes(self) -> bool:
        provider = self.spec.provider.value if self.spec.provider else MESH_PROVIDER
        return provider == Provider.KUBERNETES.value

    def revision(self) -> str:
        target = self.spec.target_ref.name
        template = {
            "metadata": {"labels": {"app": target}},
            "spec": {"containers": [{"name": target, "image": f"{target}:{self.revision_label}"}]},
        }
        return revision_of(template, {})

    # ------------------------------------------------------------------ observing

    def observe(self, tick: int, at: datetime) -> list[Event]:
        """The observations every tick starts with (a pending command last)."""
        meta = self.canary.metadata
        target = self.spec.target_ref.name
        if self.scripted_command is not None:
            self.commands_given += 1
            step, self.scripted_command = self.scripted_command, None
            self.command = CommandObserved(
                at=at,
                command=step.command,
                id=step.id or f"command-{self.commands_given}",
                by=step.by,
                requested_at=at,
            )
        return [
            TickStarted(at=at, tick=tick, cookie_candidates=_cookies(tick)),
            SpecObserved(
                at=at,
                name=meta.name,
                namespace=meta.namespace or "default",
                spec=self.canary.to_document()["spec"],
                deleting=self.deleting,
                mesh_provider=MESH_PROVIDER,
            ),
            TargetRevisionObserved(at=at, revision=self.revision(), label=self.revision_label),
            _readiness(at, Workload.PRIMARY, self.primary, f"{target}-primary"),
            _readiness(at, Workload.CANARY, self.canary_health, target),
            RoutesObserved(
                at=at, primary=self.routes[0], canary=self.routes[1], mirrored=self.routes[2]
            ),
            *([self.command] if self.command is not None else []),
        ]

    def answer(self, need: Need, at: datetime) -> Event:
        """Fulfil one need of the decider."""
        if isinstance(need, ProvidersCheckNeeded):
            return MetricProvidersChecked(at=at, ok=True)
        if isinstance(need, WebhookNeeded):
            result = self._call(need, at)
            self.calls.append(result)
            return result
        return self._measure(need, at)

    def _call(self, need: WebhookNeeded, at: datetime) -> WebhookResult:
        status = self.webhooks.get(need.name, 200)
        hook = next(h for h in self.spec.analysis.webhooks or () if h.name == need.name)
        attempts = 1
        error = ""
        if not checks.webhook_succeeded(status):
            if checks.webhook_retryable(status):
                attempts = (hook.retries or 0) + 1
                error = f"POST {need.url} giving up after {attempts} attempt(s)"
            else:
                error = _phrase(status)
        return WebhookResult(
            at=at,
            name=need.name,
            type=need.type,
            url=need.url,
            phase=need.phase,
            status=status,
            attempts=attempts,
            verdict=WebhookVerdict.SUCCESS
            if checks.webhook_succeeded(status)
            else WebhookVerdict.FAILURE,
            error=error,
        )

    def _measure(self, need: MetricNeeded, at: datetime) -> MetricResult:
        metric = next(m for m in self.spec.analysis.metrics or () if m.name == need.name)
        scripted = self.metrics.get(need.name, "default")
        provider = self.spec.provider.value if self.spec.provider else MESH_PROVIDER
        bounds = checks.bounds_of(metric, need.source)
        base = {
            "at": at,
            "name": need.name,
            "source": need.source,
            "provider": provider,
            "query": metric.query or "",
            "interval": metric.interval or "",
            "min": bounds.min,
            "max": bounds.max,
        }
        if scripted is None or scripted == "none":
            return MetricResult(**base, verdict=MetricVerdict.NO_DATA, error="no values found")
        if scripted == "error":
            return MetricResult(
                **base, verdict=MetricVerdict.ERROR, error="simulated query failure"
            )
        value = _healthy_value(metric, need.source) if scripted == "default" else float(scripted)
        return MetricResult(**base, value=value, verdict=checks.judge(metric, need.source, value))

    # ------------------------------------------------------------------ effects

    def apply(self, decisions: Sequence[Event], state: CanaryState, at: datetime) -> list[Event]:
        """Apply decided routes and workload actions; one outcome each."""
        outcomes: list[Event] = []
        for event in decisions:
            if isinstance(event, RoutesSet):
                wanted = (event.primary, event.canary, event.mirrored)
                result = EffectResult.UNCHANGED if wanted == self.routes else EffectResult.APPLIED
                self.routes = wanted
                outcomes.append(EffectOutcome(at=at, effect="routes", result=result))
            elif isinstance(event, WorkloadActionDecided):
                outcomes.append(
                    EffectOutcome(at=at, effect=event.action.value, result=EffectResult.APPLIED)
                )
            elif isinstance(event, CommandHandled) and event.id == self._command_id():
                self.command = None  # handled: the operator removes the annotation
        return outcomes

    def _command_id(self) -> str:
        return "" if self.command is None else self.command.id

    def live_routes(self, state: CanaryState) -> tuple[int, int, bool]:
        """Routes as a router would report them now."""
        if self.kubernetes:
            r = kubernetes_routes(state.iterations)
            return (r.primary, r.canary, r.mirrored)
        return self.routes


def _health(change: WorkloadChange) -> _Health:
    return _Health(
        change.ready and not change.deadline_exceeded, change.deadline_exceeded, change.message
    )


def _readiness(at: datetime, workload: Workload, health: _Health, name: str) -> ReadinessObserved:
    if health.deadline_exceeded:
        message = health.message or f'deployment "{name}" exceeded its progress deadline'
        return ReadinessObserved(
            at=at, workload=workload, state=Readiness.DEADLINE_EXCEEDED, message=message
        )
    if not health.ready:
        message = health.message or (
            "waiting for rollout to finish: 0 out of 1 new replicas have been updated"
            if workload is Workload.PRIMARY
            else "waiting for rollout to finish: 0 of 1 (readyThreshold 100%) updated replicas "
            "are available"
        )
        return ReadinessObserved(at=at, workload=workload, state=Readiness.WAITING, message=message)
    return ReadinessObserved(at=at, workload=workload, state=Readiness.READY)


def _healthy_value(metric: CanaryMetric, source: MetricSource) -> float:
    """A value comfortably inside the metric's accepted range."""
    b = checks.bounds_of(metric, source)
    if b.min is not None and b.max is not None:
        return (b.min + b.max) / 2
    if b.min is not None:
        return max(b.min, 100.0) if metric.name == checks.SUCCESS_RATE else b.min
    if b.max is not None:
        return b.max / 2 if b.max > 0 else b.max
    return 0.0


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def _cookies(tick: int) -> tuple[str, ...]:
    """Two deterministic 10-letter cookie values per tick (a real shell draws random ones)."""
    values = []
    for index in range(2):
        digest = hashlib.sha256(f"roost-simulate-{tick}-{index}".encode()).digest()
        letters = string.ascii_letters
        values.append("".join(letters[b % len(letters)] for b in digest[:10]))
    return tuple(values)
