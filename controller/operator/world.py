"""The operator's :class:`~controller.ticking.World`: one canary, against a real cluster.

``observe`` reads the Canary, its target, the primary and the routing objects and turns them into
observation events; ``answer`` runs the metric queries and calls the webhooks the decider asks
for; ``apply`` brings the cluster to the state after the tick's decisions (render, then the shared
applier), delivers the decided Kubernetes events, alerts and event webhooks, and returns one
outcome per write that changed something or failed. Reading and writing go through the official
client; everything that decides what to write lives in ``effects`` and ``reducers``.

Cluster facts the shell must draw are drawn here and recorded: the cookie candidates of a tick
(random letters), the time (``at``, from the scheduler). The ``flagger-id`` that forces a
primary rollout is derived from the stream and the promoted revision, so applying the same
decision twice writes the same primary.
"""

from __future__ import annotations

import logging
import secrets
import string
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from controller.operator.commands import command_of
from controller.operator.measuring import CANARY_API as CANARY_API  # re-exported
from controller.operator.measuring import Measurer, decode_secret
from controller.operator.reasons import event_body, event_reason
from effects.applying import Applier
from effects.configs import track
from effects.configs.tracking import discover_refs
from effects.errors import EffectsError
from effects.kubeapi import KubeApi, ObjectRef, classify
from effects.notifiers.base import Notifier, NullNotifier
from effects.notifiers.delivering import deliver_alert
from effects.readiness import (
    WorkloadReadiness,
    daemonset_readiness,
    deployment_readiness,
    knative_revision_readiness,
)
from effects.rendering import RenderRequest, apply_policy, render_canary
from effects.reverting import revert_patches
from effects.routing import Cookies, RouterSettings, Routes, RoutesError, router_for
from effects.routing.base import live_key
from effects.settings import WorkloadSettings
from effects.webhooks.calling import call_webhook
from effects.webhooks.events import event_hooks, send_event
from effects.webhooks.payloads import CanaryRef
from effects.workloads.service_targets import PRIMARY_REVISION
from reducers.base import Event
from reducers.canary.observing import Need, ProvidersCheckNeeded, WebhookNeeded
from reducers.canary.revisions import revision_of
from reducers.canary.state import CanaryState
from reducers.events import (
    AlertDecided,
    EffectOutcome,
    EffectResult,
    KubeEventRecorded,
    Readiness,
    ReadinessObserved,
    RoutesObserved,
    SpecObserved,
    TargetRevisionObserved,
    TickStarted,
    Workload,
    WorkloadAction,
    WorkloadActionDecided,
)
from reducers.spec import (
    AlertProviderSpec,
    Canary,
    Phase,
    ProviderChoice,
    TargetKind,
    parse_provider,
)

log = logging.getLogger("roost.operator")

COOKIE_LETTERS = string.ascii_letters
COOKIE_LENGTH = 10


class ObservationError(RuntimeError):
    """The tick cannot start: the target is missing, unreadable, or routes cannot be read."""


@dataclass(frozen=True)
class OperatorSettings:
    """The operator's flags, as the world needs them."""

    mesh_provider: str = "istio"
    metrics_server: str = "http://prometheus:9090"
    workload: WorkloadSettings = field(default_factory=WorkloadSettings)
    router: RouterSettings = field(default_factory=RouterSettings)
    event_webhook: str | None = None
    cluster_name: str = ""
    no_cross_namespace_refs: bool = False
    min_interval: timedelta = timedelta(seconds=10)
    """Shortest tick period the scheduler uses (Flagger's floor is 10 s)."""


@dataclass
class Services:
    """The long-lived clients a world uses."""

    kube: KubeApi
    applier: Applier
    notifier: Notifier = field(default_factory=NullNotifier)
    remember_secret: Callable[[Sequence[str]], None] = lambda values: None
    """Hands secret values to the ledger's redactor before anything could record them."""


def referenced_configs(target: Mapping[str, Any]) -> set[tuple[str, str]]:
    """The (kind, name) of every ConfigMap and Secret the pod template of ``target`` uses, as
    config tracking finds them (:func:`effects.configs.tracking.discover_refs`)."""
    pod = ((target.get("spec") or {}).get("template") or {}).get("spec") or {}
    kinds = {"configmap": "ConfigMap", "secret": "Secret"}
    return {(kinds[ref.kind], ref.name) for ref in discover_refs(pod)}


def flagger_id(stream: str, state: CanaryState) -> str:
    """A stable UUID per promoted revision: the same decision always writes the same primary."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"roost:{stream}:{state.last_promoted_spec}"))


class ClusterWorld:
    """One tick's view of one canary in the cluster."""

    def __init__(
        self,
        services: Services,
        settings: OperatorSettings,
        canary_doc: Mapping[str, Any],
        state: CanaryState,
        stream: str,
    ) -> None:
        self.services = services
        self.settings = settings
        self.doc = dict(canary_doc)
        self.canary = Canary.model_validate(self.doc)
        self.state = state
        self.stream = stream
        self.namespace = self.canary.metadata.namespace or "default"
        self.provider = self._provider()
        self.target: dict[str, Any] | None = None
        self.resources: dict[tuple[str, str], dict[str, Any]] = {}
        self.live: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.revision = ""

    # ------------------------------------------------------------------ reading

    def _provider(self) -> ProviderChoice:
        spec_provider = self.canary.spec.provider
        return parse_provider(str(spec_provider) if spec_provider else self.settings.mesh_provider)

    def _get(self, api_version: str, kind: str, name: str) -> dict[str, Any] | None:
        return self.services.kube.get(ObjectRef(api_version, kind, self.namespace, name))

    def read(self) -> None:
        """Read everything rendering and observing need: target, primary, configs, routers."""
        ref = self.canary.spec.target_ref
        target = self._get(ref.api_version, str(ref.kind), ref.name)
        if target is None:
            raise ObservationError(f"{ref.kind} {self.namespace}/{ref.name} not found")
        self.target = target
        self.live = {live_key(target): target}
        if ref.kind in (TargetKind.DEPLOYMENT, TargetKind.DAEMON_SET):
            primary = self._get("apps/v1", str(ref.kind), f"{ref.name}-primary")
            if primary is not None:
                self.live[live_key(primary)] = primary
                self.resources[(str(ref.kind), f"{ref.name}-primary")] = primary
        self._read_configs(target)
        self._read_autoscaler()
        self._read_services()
        inp = self._render_request(self.state).router_input()
        for obj_ref in router_for(self.provider).reads(inp):
            obj = self.services.kube.get(obj_ref)
            if obj is not None:
                self.live[live_key(obj)] = obj

    def _read_configs(self, target: Mapping[str, Any]) -> None:
        names = referenced_configs(target)
        for kind, name in sorted(names):
            for suffix in ("", "-primary"):
                obj = self._get("v1", kind, f"{name}{suffix}")
                if obj is None:
                    continue
                if kind == "Secret":
                    self.services.remember_secret(list(decode_secret(obj.get("data")).values()))
                self.resources[(kind, f"{name}{suffix}")] = obj

    def _read_autoscaler(self) -> None:
        ref = self.canary.spec.autoscaler_ref
        if ref is None:
            return
        for name in (ref.name, f"{ref.name}-primary"):
            obj = self._get(ref.api_version, str(ref.kind), name)
            if obj is not None:
                self.resources[(str(ref.kind), name)] = obj

    def _read_services(self) -> None:
        if self.canary.spec.service is None:
            return
        apex = self.canary.spec.effective_service_name()
        for name in (apex, f"{apex}-primary", f"{apex}-canary"):
            obj = self._get("v1", "Service", name)
            if obj is not None:
                self.resources[("Service", name)] = obj
                self.live[live_key(obj)] = obj

    def _render_request(self, state: CanaryState) -> RenderRequest:
        assert self.target is not None
        return RenderRequest(
            canary=self.canary,
            target=self.target,
            provider=self.provider,
            resources=self.resources,
            settings=self.settings.workload,
            phase=state.phase,
            flagger_id=flagger_id(self.stream, state),
            routes=_routes_of(state),
            live=self.live,
            cookies=Cookies(
                canary=state.session_affinity_cookie,
                primary=state.primary_session_affinity_cookie,
                previous=state.previous_session_affinity_cookie,
            ),
            router_settings=self.settings.router,
            target_at_zero=state.target_scaled_down,
            # the primary takes the target's spec in the Promoting phase only (afterwards the
            # target is parked at zero and would hand the primary zero replicas), and only
            # while the target still runs the revision the run analysed
            promote=state.phase is Phase.PROMOTING and self._promoted_revision_live(state),
        )

    def _promoted_revision_live(self, state: CanaryState) -> bool:
        """Whether the target still runs the revision of the run: only then may the primary be
        written from it. A release made after the promotion decision (or while the primary
        was not ready to start its run) waits for its own run instead of being copied over."""
        assert self.target is not None
        try:
            return self._revision(self.target) == state.last_applied_spec
        except ObservationError:
            return False

    # ------------------------------------------------------------------ observing

    def observe(self, tick: int, at: datetime) -> list[Event]:
        if self.target is None:
            self.read()
        assert self.target is not None
        meta = self.canary.metadata
        deleting = bool((self.doc.get("metadata") or {}).get("deletionTimestamp"))
        self.revision = self._revision(self.target)
        routes = self._routes()
        candidates = tuple(
            "".join(secrets.choice(COOKIE_LETTERS) for _ in range(COOKIE_LENGTH)) for _ in range(2)
        )
        return [
            TickStarted(at=at, tick=tick, cookie_candidates=candidates),
            SpecObserved(
                at=at,
                name=meta.name,
                namespace=self.namespace,
                spec=self.doc.get("spec") or {},
                deleting=deleting,
                mesh_provider=self.settings.mesh_provider,
            ),
            TargetRevisionObserved(at=at, revision=self.revision, label=_label(self.target)),
            self._readiness(at, Workload.PRIMARY),
            self._readiness(at, Workload.CANARY),
            RoutesObserved(
                at=at, primary=routes.primary, canary=routes.canary, mirrored=routes.mirrored
            ),
            *command_of(self.doc, at),
        ]

    def _revision(self, target: Mapping[str, Any]) -> str:
        if self.canary.spec.target_ref.is_knative:
            return str((target.get("status") or {}).get("latestCreatedRevisionName") or "")
        template = (target.get("spec") or {}).get("template") or {}
        checksums: dict[str, str] = {}
        if self.settings.workload.config_tracking:
            observed = {
                f"{kind.lower()}/{name}": obj
                for (kind, name), obj in self.resources.items()
                if kind in ("ConfigMap", "Secret")
            }
            try:
                checksums = track(template.get("spec") or {}, observed).checksums
            except EffectsError as e:
                raise ObservationError(str(e)) from e
        return revision_of(template, checksums)

    def _routes(self) -> Routes:
        router = router_for(self.provider)
        inp = self._render_request(self.state).router_input()
        try:
            return router.read_routes(inp)
        except RoutesError as e:
            if not self.state.primary_exists:
                # nothing is routed yet: the first tick creates the objects (initial split)
                return _routes_of(self.state)
            raise ObservationError(str(e)) from e

    def _readiness(self, at: datetime, workload: Workload) -> ReadinessObserved:
        found = self._workload_readiness(workload, at)
        return ReadinessObserved(at=at, workload=workload, state=found.state, message=found.message)

    def _workload_readiness(self, workload: Workload, at: datetime) -> WorkloadReadiness:
        assert self.target is not None
        ref = self.canary.spec.target_ref
        analysis = self.canary.spec.analysis
        deadline = self.canary.spec.effective_progress_deadline()
        threshold = (
            analysis.effective_primary_ready_threshold()
            if workload is Workload.PRIMARY
            else analysis.effective_canary_ready_threshold()
        )
        if ref.is_knative:
            annotations = (self.target.get("metadata") or {}).get("annotations") or {}
            status = self.target.get("status") or {}
            name = (
                annotations.get(PRIMARY_REVISION, "")
                if workload is Workload.PRIMARY
                else status.get("latestCreatedRevisionName", "")
            )
            revision = self._get("serving.knative.dev/v1", "Revision", name) if name else None
            return knative_revision_readiness(revision, name)
        if ref.kind is TargetKind.SERVICE:
            return WorkloadReadiness(Readiness.READY)
        obj = (
            self.resources.get((str(ref.kind), f"{ref.name}-primary"))
            if workload is Workload.PRIMARY
            else self.target
        )
        if obj is None:
            return WorkloadReadiness(Readiness.WAITING, f"{ref.kind} not found")
        if ref.kind is TargetKind.DAEMON_SET:
            return daemonset_readiness(
                obj,
                threshold_percent=threshold,
                deadline=deadline,
                now=at,
                since=self.state.last_transition_time,
            )
        return deployment_readiness(obj, threshold_percent=threshold, deadline=deadline, now=at)

    # ------------------------------------------------------------------ answering

    def answer(self, need: Need, at: datetime) -> Event:
        if isinstance(need, WebhookNeeded):
            hook = next(h for h in self.canary.spec.analysis.webhooks or () if h.name == need.name)
            ref = CanaryRef(self.canary.metadata.name, self.namespace, self.revision)
            return call_webhook(hook, ref, need.phase, at=at)
        measurer = Measurer(
            self.services.kube,
            self.canary,
            str(self.provider.provider),
            metrics_server=self.settings.metrics_server,
            no_cross_namespace_refs=self.settings.no_cross_namespace_refs,
            remember_secret=self.services.remember_secret,
        )
        if isinstance(need, ProvidersCheckNeeded):
            return measurer.check_providers(at)
        return measurer.measure(need, at)

    # ------------------------------------------------------------------ applying

    def apply(self, decisions: Sequence[Event], state: CanaryState, at: datetime) -> list[Event]:
        outcomes: list[Event] = []
        actions = {e.action for e in decisions if isinstance(e, WorkloadActionDecided)}
        if WorkloadAction.RESTORE_ROUTING in actions or WorkloadAction.REVERT_TARGET in actions:
            outcomes.extend(self._finalize(at, actions))
        elif state.phase is not Phase.TERMINATED:
            outcomes.extend(self.reconcile(state, at))
        for event in decisions:
            if isinstance(event, KubeEventRecorded):
                outcomes.extend(self._kube_event(event, at))
            elif isinstance(event, AlertDecided):
                outcomes.extend(self._alert(event, at))
        return outcomes

    def reconcile(self, state: CanaryState, at: datetime) -> list[Event]:
        """Bring the cluster to ``state``: every rendered object applied, every patch sent."""
        if self.target is None:
            self.read()
        request = self._render_request(state)
        try:
            rendered = render_canary(request)
        except EffectsError as e:
            return [_error("render", at, str(e))]
        outcomes: list[Event] = []
        for manifest in rendered.owned:
            outcome = self.services.applier.apply(
                manifest,
                at=at,
                policy=apply_policy(manifest, request, rendered),
                known=self._known(manifest),
            )
            outcomes.extend(_worth_recording(outcome))
        for patch in rendered.patches:
            outcome = self.services.applier.patch(patch.ref, patch.patch, at=at)
            outcomes.extend(_worth_recording(outcome))
        return outcomes

    def _known(self, manifest: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The live copy of ``manifest`` read this tick, if any (saves the applier a read)."""
        found = self.live.get(live_key(manifest))
        if found is None:
            meta = manifest.get("metadata") or {}
            found = self.resources.get((str(manifest.get("kind")), str(meta.get("name"))))
            if found is not None and found.get("apiVersion") != manifest.get("apiVersion"):
                found = None
        return found

    def _finalize(self, at: datetime, actions: set[WorkloadAction]) -> list[Event]:
        assert self.target is not None
        outcomes: list[Event] = []
        request = self._render_request(self.state)
        if WorkloadAction.RESTORE_ROUTING in actions:
            plan = router_for(self.provider).finalize(request.router_input())
            for desired in plan.apply:
                outcome = self.services.applier.apply(
                    desired.manifest, at=at, policy=desired.policy
                )
                outcomes.extend(_worth_recording(outcome))
            for change in plan.patches:
                outcomes.extend(
                    _worth_recording(self.services.applier.patch(change.ref, change.patch, at=at))
                )
            for gone in plan.delete:
                outcomes.extend(_worth_recording(self.services.applier.delete(gone, at=at)))
        if WorkloadAction.REVERT_TARGET in actions:
            target_ref = self.canary.spec.target_ref
            primary = self.resources.get((str(target_ref.kind), f"{target_ref.name}-primary"))
            apex_name = self.canary.spec.effective_service_name()
            apex = self.resources.get(("Service", apex_name))
            for patch in revert_patches(
                self.canary, self.target, self.settings.workload, primary=primary, apex=apex
            ):
                outcomes.extend(
                    _worth_recording(self.services.applier.patch(patch.ref, patch.patch, at=at))
                )
        return outcomes

    def _kube_event(self, event: KubeEventRecorded, at: datetime) -> list[Event]:
        name = str((self.doc.get("metadata") or {}).get("name"))
        body = event_body(
            self.doc,
            reason=event_reason(event),
            message=event.message,
            kind=event.type.value,
            at=at,
        )
        outcomes: list[Event] = []
        try:
            self.services.kube.create(body)
        except Exception as e:  # classified: every failure is an outcome, never a crash
            found = classify(e)
            outcomes.append(
                EffectOutcome(
                    at=at,
                    effect="event",
                    result=EffectResult.ERROR,
                    retryable=found.retryable,
                    detail=found.detail,
                )
            )
        hooks = event_hooks(self.canary.spec, self.settings.event_webhook)
        if hooks:
            ref = CanaryRef(name, self.namespace, self.revision)
            for result in send_event(hooks, ref, event, at=at):
                if result.error:
                    outcomes.append(
                        EffectOutcome(
                            at=at,
                            effect=f"event-webhook/{result.name}",
                            result=EffectResult.ERROR,
                            retryable=True,
                            detail=result.error[:300],
                        )
                    )
        return outcomes

    def _alert(self, alert: AlertDecided, at: datetime) -> list[Event]:
        providers: dict[tuple[str, str], AlertProviderSpec] = {}
        secrets_by_key: dict[tuple[str, str], dict[str, str]] = {}
        for entry in self.canary.spec.analysis.alerts or ():
            ns = entry.provider_ref.namespace or self.namespace
            if self.settings.no_cross_namespace_refs and ns != self.namespace:
                continue  # delivery reports the provider as not found, naming it
            doc = self.services.kube.get(
                ObjectRef(CANARY_API, "AlertProvider", ns, entry.provider_ref.name)
            )
            if doc is None:
                continue
            spec = AlertProviderSpec.model_validate(doc.get("spec") or {})
            providers[(ns, entry.provider_ref.name)] = spec
            if spec.secret_ref is not None:
                secret = self.services.kube.get(ObjectRef("v1", "Secret", ns, spec.secret_ref.name))
                if secret is not None:
                    data = decode_secret(secret.get("data"))
                    self.services.remember_secret(list(data.values()))
                    secrets_by_key[(ns, spec.secret_ref.name)] = data
        outcomes = deliver_alert(
            alert,
            name=self.canary.metadata.name,
            namespace=self.namespace,
            spec=self.canary.spec,
            providers=providers,
            secrets=secrets_by_key,
            global_notifier=self.services.notifier,
            cluster_name=self.settings.cluster_name,
            at=at,
        )
        return [o for o in outcomes if o.result is not EffectResult.APPLIED]


def _routes_of(state: CanaryState) -> Routes:
    return Routes(state.routes.primary, state.routes.canary, state.routes.mirrored)


def _label(target: Mapping[str, Any]) -> str:
    for container in (((target.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
        "containers"
    ) or ():
        image = str(container.get("image") or "")
        if ":" in image:
            return image.rsplit(":", 1)[1]
    return ""


def _error(effect: str, at: datetime, detail: str) -> EffectOutcome:
    return EffectOutcome(
        at=at, effect=effect, result=EffectResult.ERROR, retryable=False, detail=detail[:300]
    )


def _worth_recording(outcome: EffectOutcome) -> list[Event]:
    """Writes that changed something or failed; a no-op read is not an event worth keeping."""
    return [] if outcome.result is EffectResult.UNCHANGED else [outcome]
