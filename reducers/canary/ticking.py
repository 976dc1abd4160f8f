"""The working context of one ``decide`` call: emit decisions, look up observations, need more.

Every emitted decision is folded into the working state at once (through ``evolve``), so later
steps of the same tick see the status exactly as the fold will — decide and evolve cannot drift
apart. A step that needs an answer the tick has not observed raises :class:`NeedInput`.
"""

from __future__ import annotations

from datetime import datetime

from reducers.base import Event
from reducers.canary import alerts
from reducers.canary.evolving import evolve
from reducers.canary.messages import Names
from reducers.canary.observing import (
    MetricNeeded,
    Need,
    Observed,
    WebhookNeeded,
)
from reducers.canary.state import CanaryState, Routes
from reducers.events import (
    CookieIssued,
    CookieRetired,
    EventType,
    KubeEventRecorded,
    MetricResult,
    MetricSource,
    RoutesSet,
    Severity,
    WebhookResult,
    WebhookVerdict,
    WorkloadAction,
    WorkloadActionDecided,
)
from reducers.spec import CanarySpec, CanaryWebhook, Provider, WebhookType


class NeedInput(Exception):
    """The tick cannot go on without one more observation."""

    def __init__(self, need: Need) -> None:
        super().__init__(need)
        self.need = need


class TickContext:
    """State, observations and output of the tick being decided."""

    def __init__(self, state: CanaryState, obs: Observed) -> None:
        self.start = state
        self.state = state
        self.obs = obs
        self.spec: CanarySpec = obs.spec
        self.analysis = obs.spec.analysis
        self.at: datetime = obs.tick.at
        self.events: list[Event] = []
        target = obs.spec.target_ref
        self.names = Names(obs.canary.name, obs.canary.namespace, target.name, target.kind.value)
        self.provider = obs.spec.provider.value if obs.spec.provider else obs.canary.mesh_provider
        self.kubernetes = self.provider == Provider.KUBERNETES.value
        self.skip_analysis = bool(obs.spec.skip_analysis)

    # -------------------------------------------------------------- output

    def emit(self, event: Event) -> None:
        self.events.append(event)
        self.state = evolve(self.state, event)

    def normal(self, message: str, phase: str | None = None) -> None:
        self._kube(EventType.NORMAL, message, phase)

    def warning(self, message: str, phase: str | None = None) -> None:
        self._kube(EventType.WARNING, message, phase)

    def _kube(self, kind: EventType, message: str, phase: str | None) -> None:
        shown = self.state.phase.value if phase is None else phase
        self.emit(KubeEventRecorded(at=self.at, type=kind, message=message, phase=shown))

    def alert(self, severity: Severity, message: str, *, with_metadata: bool = False) -> None:
        fields = alerts.metadata_fields(self.names, self.spec) if with_metadata else ()
        self.emit(alerts.alert(self.spec, severity, message, fields, at=self.at))

    def workload(self, action: WorkloadAction) -> None:
        self.emit(WorkloadActionDecided(at=self.at, action=action))

    # -------------------------------------------------------------- routes

    def routes(self) -> Routes:
        """Live routes; the kubernetes provider has no router and reports from the status."""
        if self.kubernetes:
            return kubernetes_routes(self.state.iterations)
        r = self.obs.routes
        return Routes(r.primary, r.canary, r.mirrored)

    def set_routes(self, primary: int, canary: int, mirrored: bool) -> None:
        if self.kubernetes:
            return
        self.emit(RoutesSet(at=self.at, primary=primary, canary=canary, mirrored=mirrored))
        self._cookies(canary)

    def _cookies(self, canary_weight: int) -> None:
        affinity = self.analysis.session_affinity
        if affinity is None:
            return
        state = self.state
        if canary_weight != 0 and not state.session_affinity_cookie:
            offered = self.obs.tick.cookie_candidates
            if not offered:
                return
            primary = ""
            if affinity.primary_cookie_name and not state.primary_session_affinity_cookie:
                second = offered[1] if len(offered) > 1 else offered[0]
                primary = f"{affinity.primary_cookie_name}={second}"
            self.emit(
                CookieIssued(
                    at=self.at,
                    canary_cookie=f"{affinity.cookie_name}={offered[0]}",
                    primary_cookie=primary,
                )
            )
        elif canary_weight == 0 and state.session_affinity_cookie:
            self.emit(CookieRetired(at=self.at, previous_cookie=state.session_affinity_cookie))

    # -------------------------------------------------------------- observations on demand

    def hook(self, hook: CanaryWebhook, phase: str) -> WebhookResult:
        kind = hook.effective_type().value
        found = self.obs.webhooks.get((hook.name, kind))
        if found is None:
            raise NeedInput(WebhookNeeded(hook.name, kind, str(hook.url), phase))
        return found

    def hooks(self, kind: WebhookType) -> tuple[CanaryWebhook, ...]:
        return self.analysis.webhooks_of(kind)

    def metric(self, name: str, source: MetricSource) -> MetricResult:
        found = self.obs.metrics.get((name, source))
        if found is None:
            raise NeedInput(MetricNeeded(name, source))
        return found


def kubernetes_routes(iterations: int) -> Routes:
    """What the kubernetes provider reports: all on the canary once an iteration ran."""
    return Routes(0, 100, False) if iterations > 0 else Routes(100, 0, False)


def succeeded(result: WebhookResult) -> bool:
    return result.verdict is WebhookVerdict.SUCCESS
