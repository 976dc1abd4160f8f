"""``roost run`` as a process: clients, ledger, informers, leader election, HTTP, scheduling.

:func:`serve` wires the parts and blocks until ``stop`` is set (SIGTERM/SIGINT in the CLI).
Only the leader writes: without leader election the process leads from the start; with it, the
scheduler and the informers that trigger ticks start when the Lease is won and stop when it is
lost, so a deposed leader stops writing the ledger and the cluster (and the ledger's expected
versions refuse an append that raced the hand-over).
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import kubernetes.client
import kubernetes.config

from controller.operator.leader import LeaderElector
from controller.operator.references import (
    CONFIG_KINDS,
    REFERENCED_KINDS,
    References,
    change_digest,
    ref_of,
)
from controller.operator.running import CanaryRunner, Operator
from controller.operator.telemetry import HealthServer, Telemetry
from controller.operator.watching import Informer, Watched, served, watched
from controller.operator.world import CANARY_API, OperatorSettings, Services
from controller.ticking import Tick
from effects.applying import Applier
from effects.kubeapi import KubeApi, ObjectRef
from effects.notifiers.settings import GlobalNotifierSettings, global_notifier
from ledger import Ledger
from reducers.events import (
    EffectOutcome,
    EffectResult,
    MetricResult,
    PromotionFailed,
    RolledBack,
    RunRestarted,
    RunStarted,
    Succeeded,
)
from reducers.spec import Canary, Phase

log = logging.getLogger("roost.operator")

TARGET_KINDS = (("apps/v1", "Deployment"), ("apps/v1", "DaemonSet"))
FAILED = frozenset({EffectResult.ERROR, EffectResult.CONFLICT})
ANALYSING = frozenset({Phase.PROGRESSING, Phase.WAITING, Phase.WAITING_PROMOTION})
_BOOKKEEPING = frozenset({"resourceVersion", "managedFields", "generation"})


def _canary_change(obj: Mapping[str, Any]) -> str:
    """What of a Canary calls for a prompt tick when it changes: all but its status and the
    bookkeeping every write moves. The operator's own status patch comes back as a watch event;
    ticking on it at once would run the analysis steps back to back, not at the interval."""
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _BOOKKEEPING}
    return json.dumps({"metadata": meta, "spec": obj.get("spec")}, sort_keys=True, default=str)


def _target_change(obj: Mapping[str, Any]) -> str:
    """What of a target calls for a prompt tick: its pod template (a new revision); scaling and
    readiness, which the operator and the cluster change during a run, wait for the interval."""
    template = (obj.get("spec") or {}).get("template")
    return json.dumps(template, sort_keys=True, default=str)


@dataclass(frozen=True)
class RunConfig:
    """Everything ``roost run`` was told."""

    ledger: str
    settings: OperatorSettings = field(default_factory=OperatorSettings)
    notifier: GlobalNotifierSettings = field(default_factory=GlobalNotifierSettings)
    kubeconfig: str | None = None
    namespace: str | None = None
    port: int = 8080
    host: str = "0.0.0.0"
    workers: int = 8
    leader_election: bool = False
    leader_election_namespace: str = "default"
    leader_election_lease_duration: float = 15.0
    """Seconds a Lease holds without renewal (a standby waits this long after a crash)."""
    leader_election_renew_deadline: float = 10.0
    leader_election_retry_period: float = 2.0
    identity: str = field(default_factory=socket.gethostname)


def api_client_for(kubeconfig: str | None) -> kubernetes.client.ApiClient:
    """In-cluster configuration by default; a kubeconfig file when given."""
    configuration = kubernetes.client.Configuration()
    if kubeconfig:
        kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=kubeconfig, client_configuration=configuration
        )
    else:
        kubernetes.config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    return kubernetes.client.ApiClient(configuration)


class Targets:
    """Which canaries release which workload, to tick a canary promptly when its target moves."""

    def __init__(self) -> None:
        self._by_target: dict[tuple[str, str, str], set[tuple[str, str]]] = {}
        self._lock = threading.Lock()

    def note(self, doc: Mapping[str, Any], deleted: bool = False) -> None:
        meta = doc.get("metadata") or {}
        key = (str(meta.get("namespace") or "default"), str(meta.get("name")))
        ref = (doc.get("spec") or {}).get("targetRef") or {}
        target = (key[0], str(ref.get("kind")), str(ref.get("name")))
        with self._lock:
            for canaries in self._by_target.values():
                canaries.discard(key)
            if not deleted:
                self._by_target.setdefault(target, set()).add(key)

    def canaries_of(self, obj: Mapping[str, Any]) -> set[tuple[str, str]]:
        meta = obj.get("metadata") or {}
        target = (
            str(meta.get("namespace") or "default"),
            str(obj.get("kind")),
            str(meta.get("name")),
        )
        with self._lock:
            return set(self._by_target.get(target, ()))


class Process:
    """The running operator (``serve`` drives it; tests drive it too)."""

    def __init__(self, config: RunConfig, api_client: kubernetes.client.ApiClient) -> None:
        self.config = config
        self.api_client = api_client
        self.ledger = Ledger.open(config.ledger)
        self.telemetry = Telemetry()
        notifier = global_notifier(config.notifier)
        services = Services(
            kube=KubeApi(api_client),
            applier=Applier(api_client),
            notifier=notifier,
            remember_secret=self.ledger.redactor.remember,
        )
        self.operator = Operator(
            services=services,
            settings=config.settings,
            ledger=self.ledger,
            workers=config.workers,
            on_append=self.telemetry.ledger_append,
            on_lag=self.telemetry.tick_lag,
            on_tick_done=self._ticked,
        )
        self.targets = Targets()
        self.references = References()
        self.informers: list[Informer] = []
        self.leading = threading.Event()
        self.health = HealthServer(
            self.telemetry,
            host=config.host,
            port=config.port,
            ready=self._ready,
            healthy=lambda: True,
        )
        self.elector: LeaderElector | None = None
        self.run_started: dict[tuple[str, str], datetime] = {}
        self.seen: dict[tuple[str, ...], str] = {}
        """The last change seen of each Canary and target (see ``_canary_change``), and the
        digest of each referenced object (see ``change_digest``)."""

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self.health.start()
        if self.config.leader_election:
            self.elector = LeaderElector(
                self.api_client,
                namespace=self.config.leader_election_namespace,
                identity=self.config.identity,
                lease_duration=self.config.leader_election_lease_duration,
                renew_deadline=self.config.leader_election_renew_deadline,
                retry_period=self.config.leader_election_retry_period,
                on_started=self._lead,
                on_stopped=self._follow,
            )
            self.elector.start()
        else:
            self._lead()

    def stop(self) -> None:
        if self.elector is not None:
            self.elector.stop()
        self._follow()
        self.health.stop()
        self.ledger.close()

    def _ready(self) -> bool:
        # a standby is ready too: it serves /metrics and takes over when the leader goes
        return not self.leading.is_set() or all(i.synced for i in self.informers)

    def _lead(self) -> None:
        log.info("leading: starting the scheduler and the informers")
        self.seen.clear()  # every canary is scheduled anew, with a prompt first tick
        self.operator.start()
        namespace = self.config.namespace
        canaries = Informer(
            self.api_client,
            watched(CANARY_API, "Canary", namespace),
            on_event=self._canary_event,
        )
        self.informers = [canaries]
        for api_version, kind in TARGET_KINDS:
            self.informers.append(
                Informer(
                    self.api_client,
                    watched(api_version, kind, namespace),
                    on_event=self._target_event,
                )
            )
        self.informers += self._reference_informers()
        for informer in self.informers:
            informer.start()
        self.leading.set()

    def _reference_informers(self) -> list[Informer]:
        """Informers of what canaries reference, for the kinds the API serves.

        Scoped like the others: with ``-namespace`` unset the Secret informer caches every
        Secret of the cluster (as Flagger's cluster-wide secret read access allows); no label
        or field selector can narrow it, since referenced Secrets carry no mark of ours.
        """
        kinds = list(REFERENCED_KINDS)
        if self.config.settings.workload.config_tracking:
            kinds = [*CONFIG_KINDS, *kinds]  # without it, no config makes a new revision
        found = []
        for api_version, kind in kinds:
            what = watched(api_version, kind, self.config.namespace)
            if served(self.api_client, what):
                found.append(self._reference_informer(what))
        return found

    def _reference_informer(self, what: Watched) -> Informer:
        informer: Informer | None = None

        def on_event(kind: str, obj: dict[str, Any]) -> None:
            first_list = informer is None or not informer.synced
            self._reference_event(kind, obj, first_list=first_list)

        informer = Informer(self.api_client, what, on_event=on_event)
        return informer

    def _follow(self) -> None:
        if not self.leading.is_set():
            return
        log.info("not leading: stopping the scheduler and the informers")
        for informer in self.informers:
            informer.stop()
        self.informers = []
        self.operator.stop()
        self.leading.clear()

    # ------------------------------------------------------------------ events

    def _canary_event(self, kind: str, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        namespace, name = str(meta.get("namespace") or "default"), str(meta.get("name"))
        if kind == "DELETED":
            self.targets.note(obj, deleted=True)
            self.references.note_canary(obj, deleted=True)
            self.operator.forget(namespace, name)
            self.telemetry.forget(name, namespace)
            self.seen.pop(("Canary", namespace, name), None)
            return
        self.targets.note(obj)
        self.references.note_canary(obj)
        change, key = _canary_change(obj), ("Canary", namespace, name)
        self.operator.sync(obj, prompt=self.seen.get(key) != change)
        self.seen[key] = change

    def _target_event(self, kind: str, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        key = (str(obj.get("kind")), str(meta.get("namespace")), str(meta.get("name")))
        self.references.note_target(obj, deleted=kind == "DELETED")
        if kind == "DELETED":
            self.seen.pop(key, None)
            return
        change = _target_change(obj)
        if self.seen.get(key) == change:
            return
        self.seen[key] = change
        self._prompt(self.targets.canaries_of(obj))

    def _reference_event(self, kind: str, obj: dict[str, Any], *, first_list: bool) -> None:
        """A ConfigMap, Secret, autoscaler, MetricTemplate or AlertProvider was seen: tick the
        canaries that read it if what they read of it changed. The first list only records
        digests (every canary gets a prompt first tick anyway); a deletion is a change."""
        ref = ref_of(obj)
        key = ("ref", *ref)
        if kind == "DELETED":
            if self.seen.pop(key, None) is not None:
                self._prompt(self.references.canaries_of(ref))
            return
        digest = change_digest(obj)
        before = self.seen.get(key)
        self.seen[key] = digest
        if before == digest or (before is None and first_list):
            return
        canaries = self.references.canaries_of(ref)
        if canaries:
            log.info("%s %s/%s changed: ticking %d canaries", *ref, len(canaries))
        self._prompt(canaries)

    def _prompt(self, canaries: set[tuple[str, str]]) -> None:
        for namespace, name in sorted(canaries):
            doc = self.operator.services.kube.get(ObjectRef(CANARY_API, "Canary", namespace, name))
            if doc is not None:
                self.operator.sync(doc)

    def _ticked(self, runner: CanaryRunner, doc: Mapping[str, Any], done: Tick) -> None:
        """Flagger's metrics (and Roost's) from what the tick recorded."""
        state, name, namespace = done.state, runner.name, runner.namespace
        telemetry = self.telemetry
        telemetry.canary_status(name, namespace, state.phase.value)
        telemetry.canary_weight(name, namespace, state.routes.primary, state.routes.canary)
        telemetry.canary_total(
            namespace, sum(1 for ns, _ in self.operator.runners if ns == namespace)
        )
        telemetry.tick("ok")
        if runner.last is not None and state.phase in ANALYSING:
            telemetry.analysis_duration(name, namespace, runner.last.seconds)
        for event in done.observations:
            if isinstance(event, MetricResult) and event.value is not None:
                telemetry.metric_analysis(name, namespace, event.name, event.value)
        for outcome in done.outcomes:
            if isinstance(outcome, EffectOutcome) and outcome.result in FAILED:
                verb, _, rest = outcome.effect.partition(" ")
                kind = rest.split(" ", 1)[0] if rest else verb
                reason = outcome.detail.split(" ", 1)[0] if outcome.detail else "error"
                telemetry.api_error(verb, kind, reason)
        for event in done.decisions:
            if isinstance(event, RunStarted | RunRestarted):
                self.run_started[(namespace, name)] = event.at
            elif isinstance(event, Succeeded | RolledBack | PromotionFailed):
                began = self.run_started.pop((namespace, name), None)
                strategy = str(Canary.model_validate(doc).spec.analysis.strategy())
                telemetry.run_finished(
                    name,
                    namespace,
                    isinstance(event, Succeeded),
                    None if began is None else (event.at - began).total_seconds(),
                    strategy=strategy,
                    analysis_status="skipped"
                    if isinstance(event, Succeeded) and event.skipped_analysis
                    else "completed",
                )


def serve(
    config: RunConfig, stop: threading.Event, on_ready: Callable[[Process], None] | None = None
) -> None:
    """Run until ``stop`` is set."""
    process = Process(config, api_client_for(config.kubeconfig))
    process.start()
    if on_ready is not None:
        on_ready(process)
    try:
        stop.wait()
    finally:
        process.stop()
