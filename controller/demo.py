"""``roost demo``: the operator releasing an example app in a local sandbox, narrated live.

Everything runs in this process, on threads, and stops before it returns: the sandbox (the
Kubernetes API double and the workload simulator), the load tester, and the operator itself
(:class:`~controller.operator.process.Process`, the same object ``roost run`` serves) with a
fresh SQLite ledger in the demo directory and a 1 s tick floor. The demo deploys podinfo with a
Canary (istio, stepWeight analysis, a pre-rollout acceptance test and a rollout load test on the
load tester), releases a good version, then a bad one whose pods the sandbox never makes ready,
so it is rolled back when ``progressDeadlineSeconds`` runs out (no Prometheus involved).

The timeline is read back from the ledger as it grows, one line per tick, never from the
operator's memory: what the terminal shows is what ``roost replay`` will show later. The demo
decides nothing itself; it only watches for the outcome it expects and says whether it came.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import kubernetes.client
import yaml

from controller.crdgen import render_files
from controller.loadtester import LoadTesterSettings, LoadTesterThread
from controller.operator.process import Process, RunConfig
from controller.operator.world import OperatorSettings
from controller.sandbox.kubeconfig import apply_crds
from controller.sandbox.running import Sandbox, SandboxSettings
from effects.kubeapi import KubeApi, ObjectRef
from ledger import EventRegistry, Ledger
from reducers.base import Event
from reducers.canary.history import Tick, split_ticks
from reducers.canary.timelines import decision_summary
from reducers.events import (
    ALL_EVENTS,
    Readiness,
    ReadinessObserved,
    RolledBack,
    Succeeded,
    WebhookResult,
)

NAMESPACE = "default"
NAME = "podinfo"
STREAM = f"canary/{NAMESPACE}/{NAME}"
PRIMARY = f"{NAME}-primary"
GOOD, BAD = "ghcr.io/stefanprodan/podinfo:6.0.1", "ghcr.io/stefanprodan/podinfo:6.0.2-broken"
FIRST = "ghcr.io/stefanprodan/podinfo:6.0.0"
DEADLINE_SECONDS = 5
LOGGERS = ("roost", "apscheduler")
"""Loggers sent to the operator's log file rather than the terminal."""
QUIET_SECONDS = 0.5
"""A tick is printed once another tick starts or the ledger has been still this long (a tick's
appends follow each other within milliseconds)."""


@dataclass(frozen=True)
class DemoSettings:
    """Where the demo keeps its files and how fast it goes."""

    directory: Path = Path(".demo")
    """Holds the ledger, the kubeconfig, the gate database and the operator's log."""
    interval: timedelta = timedelta(seconds=1)
    """The Canary's ``analysis.interval`` and the operator's tick floor."""
    ready_after: timedelta = timedelta(seconds=0.5)
    """How long the sandbox takes to make a good pod ready."""
    timeout: timedelta = timedelta(seconds=45)
    """How long each release may take before the demo gives up."""

    @property
    def ledger(self) -> Path:
        return self.directory / "ledger.db"


@dataclass(frozen=True)
class DemoResult:
    ok: bool
    reason: str
    ledger: Path


def deployment(
    image: str, name: str = NAME, namespace: str = NAMESPACE, replicas: int = 2
) -> dict[str, Any]:
    """The example app's Deployment (also what the bench and the end-to-end tests release)."""
    labels = {"app": name}
    container = {"name": name, "image": image, "ports": [{"containerPort": 9898}]}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def canary(loadtester: str, interval: timedelta) -> dict[str, Any]:
    """podinfo's Canary: 20 % steps to 60 %, an acceptance test and a load test that really run
    on the load tester (the load test sends requests to the load tester's own /healthz)."""
    seconds = max(1, int(interval.total_seconds()))
    webhooks = [
        {
            "name": "acceptance-test",
            "type": "pre-rollout",
            "url": f"{loadtester}/",
            "timeout": "10s",
            "metadata": {"type": "bash", "cmd": "echo acceptance test passed"},
        },
        {
            "name": "load-test",
            "type": "rollout",
            "url": f"{loadtester}/",
            "timeout": "5s",
            "metadata": {"type": "cmd", "cmd": f"hey -z 2s -q 5 -c 1 {loadtester}/healthz"},
        },
    ]
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": NAME, "namespace": NAMESPACE},
        "spec": {
            "provider": "istio",
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": NAME},
            "progressDeadlineSeconds": DEADLINE_SECONDS,
            "service": {"port": 9898, "targetPort": 9898},
            "analysis": {
                "interval": f"{seconds}s",
                "threshold": 2,
                "maxWeight": 60,
                "stepWeight": 20,
                "webhooks": webhooks,
            },
        },
    }


class Timeline:
    """Reads the canary's stream as it grows and prints each tick once, when it is complete."""

    def __init__(self, ledger: Ledger, out: Callable[[str], None]) -> None:
        self.ledger, self.out = ledger, out
        self.registry = EventRegistry(ALL_EVENTS)
        self.events: list[Event] = []
        self.printed = 0
        self.changed = time.monotonic()

    def poll(self, *, final: bool = False) -> None:
        rows = self.ledger.read_stream(STREAM, from_version=len(self.events) + 1)
        fresh = [self.registry.decode(row) for row in rows]
        if fresh:
            self.events.extend(fresh)
            self.changed = time.monotonic()
        ticks = [t for t in split_ticks(self.events) if t.number > 0]
        still = final or time.monotonic() - self.changed >= QUIET_SECONDS
        complete = len(ticks) if still else len(ticks) - 1
        for tick in ticks[self.printed : complete]:
            self.out(tick_line(tick))
        self.printed = max(self.printed, complete)

    def flush(self, seconds: float = 2.0) -> None:
        """Print every tick recorded so far (waits until the last one is complete)."""
        deadline = time.monotonic() + seconds
        known = len([t for t in split_ticks(self.events) if t.number > 0])
        while self.printed < known and time.monotonic() < deadline:
            time.sleep(0.1)
            self.poll()

    def ended(self, kind: type[Event], after: int) -> bool:
        """Whether a ``kind`` decision was recorded after the first ``after`` events."""
        return any(isinstance(e, kind) for e in self.events[after:])


def tick_line(tick: Tick) -> str:
    """``time  T<n>  phase  weight  routes  what happened``."""
    s = tick.after
    stamp = "--:--:--" if tick.at is None else tick.at.astimezone().strftime("%H:%M:%S")
    happened = decision_summary(tick.decisions)
    notes = [
        f"webhook {e.name} {e.status or '-'} {e.verdict.value}"
        for e in tick.events
        if isinstance(e, WebhookResult)
    ]
    notes += [
        f"{e.workload.value} {e.state.value}"
        for e in tick.events
        if isinstance(e, ReadinessObserved) and e.state is not Readiness.READY
    ]
    what = "; ".join(w for w in [happened if happened != "-" else "", *notes] if w)
    routes = f"{s.routes.primary}/{s.routes.canary}"
    return (
        f"  {stamp}  T{tick.number:<3} {s.phase.value or '-':<12} weight {s.canary_weight:>3}"
        f"  routes {routes:<7}  {what or 'no change'}"
    )


class Demo:
    """The parts of a demo run and the steps between them."""

    def __init__(self, settings: DemoSettings, out: Callable[[str], None]) -> None:
        self.settings, self.out = settings, out
        self.timeline: Timeline | None = None

    def run(self) -> DemoResult:
        s = self.settings
        _fresh(s.directory)
        _log_to(s.directory / "operator.log")
        sandbox = Sandbox(
            SandboxSettings(
                kubeconfig_out=s.directory / "kubeconfig",
                crds=s.directory / "no-crds-on-disk",  # applied below from the models
                ready_after=s.ready_after,
                never_ready=("*-broken",),
            ),
            thread_name="roost-demo-sandbox",
        )
        info = sandbox.start()
        client = kubernetes.client.ApiClient(sandbox.server.configuration())
        try:
            apply_crds(client, [yaml.safe_load(text) for text in render_files().values()])
            self.out(f"sandbox: Kubernetes API double at {info.url} (kubeconfig {info.kubeconfig})")
            gates = LoadTesterSettings(host="127.0.0.1", port=0, gate_db=s.directory / "gates.db")
            with LoadTesterThread(gates) as loadtester:
                self.out(f"load tester: {loadtester.url}")
                return self._with_operator(client, loadtester.url)
        finally:
            client.close()  # type: ignore[no-untyped-call]
            sandbox.stop()
            _close_log()

    def _with_operator(self, client: kubernetes.client.ApiClient, loadtester: str) -> DemoResult:
        s = self.settings
        config = RunConfig(
            ledger=str(s.ledger),
            settings=OperatorSettings(mesh_provider="istio", min_interval=s.interval),
            host="127.0.0.1",
            port=0,
        )
        process = Process(config, client)
        process.start()
        self.out(f"operator: ticking every {s.interval.total_seconds():g} s, ledger {s.ledger}")
        running = True
        try:
            with Ledger.open(str(s.ledger)) as reading:
                self.timeline = Timeline(reading, self.out)
                result = self._releases(client, loadtester)
                running = False
                process.stop()
                self.timeline.poll(final=True)  # the ticks the operator ran meanwhile
                return result
        finally:
            if running:
                process.stop()

    def _releases(self, client: kubernetes.client.ApiClient, loadtester: str) -> DemoResult:
        kube = KubeApi(client)
        kube.create(deployment(FIRST))
        kube.create(canary(loadtester, self.settings.interval))
        self.out(f"deployed {NAMESPACE}/{NAME} ({FIRST}) and its Canary; timeline:")
        if not self._wait(lambda: _phase(kube) == "Initialized"):
            return self._result(False, "the Canary was never initialized")
        self.out(f"-- release 1 (good): {GOOD}")
        ended = self._release(kube, GOOD)
        if ended is not Succeeded:
            return self._result(False, f"the good release {GOOD} {_ending(ended)}")
        # The next release waits until the promotion is applied and on the status, as a person
        # would: the phase is written after the tick's writes.
        if not self._wait(lambda: _phase(kube) == "Succeeded"):
            return self._result(False, "the Canary's status never said Succeeded")
        self._flush()
        self.out(f"outcome: good release {GOOD} promoted")
        self.out(f"-- release 2 (bad, pods never become ready): {BAD}")
        ended = self._release(kube, BAD)
        if ended is not RolledBack:
            return self._result(False, f"the bad release {BAD} {_ending(ended)}")
        serving = _image(kube.get(ObjectRef("apps/v1", "Deployment", NAMESPACE, PRIMARY)))
        if serving != GOOD:
            return self._result(False, f"the primary runs {serving}, not {GOOD}")
        self._flush()
        self.out(
            f"outcome: bad release {BAD} rolled back (its pods never became ready within "
            f"progressDeadlineSeconds={DEADLINE_SECONDS}); the primary still runs {GOOD}"
        )
        return self._result(True, "the good release was promoted and the bad one rolled back")

    def _release(self, kube: KubeApi, image: str) -> type[Event] | None:
        """Change the target's image; the run's end as recorded (``None``: none in time)."""
        mark = len(self._events())
        container = deployment(image)["spec"]["template"]["spec"]["containers"][0]
        patch = {"spec": {"template": {"spec": {"containers": [container]}}}}
        kube.patch(ObjectRef("apps/v1", "Deployment", NAMESPACE, NAME), patch)
        assert self.timeline is not None
        timeline = self.timeline
        self._wait(lambda: timeline.ended(Succeeded, mark) or timeline.ended(RolledBack, mark))
        for kind in (Succeeded, RolledBack):
            if timeline.ended(kind, mark):
                return kind
        return None

    def _events(self) -> Sequence[Event]:
        assert self.timeline is not None
        self.timeline.poll()
        return self.timeline.events

    def _flush(self) -> None:
        assert self.timeline is not None
        self.timeline.flush()

    def _wait(self, done: Callable[[], bool]) -> bool:
        deadline = time.monotonic() + self.settings.timeout.total_seconds()
        while time.monotonic() < deadline:
            self._events()
            if done():
                return True
            time.sleep(0.1)
        return False

    def _result(self, ok: bool, reason: str) -> DemoResult:
        return DemoResult(ok, reason, self.settings.ledger)


def _phase(kube: KubeApi) -> str:
    found = kube.get(ObjectRef("flagger.app/v1beta1", "Canary", NAMESPACE, NAME)) or {}
    return str((found.get("status") or {}).get("phase") or "")


def _image(found: Mapping[str, Any] | None) -> str:
    containers = (((found or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
    return str(((containers.get("containers") or [{}])[0]).get("image") or "")


def _ending(kind: type[Event] | None) -> str:
    if kind is Succeeded:
        return "was promoted"
    if kind is RolledBack:
        return "was rolled back"
    return "did not finish in time"


def _fresh(directory: Path) -> None:
    """Remove what an earlier demo left (only the files the demo writes)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("ledger.db", "gates.db", "kubeconfig", "operator.log"):
        for path in directory.glob(f"{name}*"):
            path.unlink()


def _log_to(path: Path) -> None:
    """The operator's log goes to a file: the terminal shows the timeline."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _close_log() -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for handler in logger.handlers:
            handler.close()
        logger.handlers = []
        logger.propagate = True


def run_demo(settings: DemoSettings, out: Callable[[str], None]) -> DemoResult:
    """Run the demo; every thread it started has stopped when this returns."""
    return Demo(settings, out).run()
