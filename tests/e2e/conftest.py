"""End to end: the operator as a subprocess (``roost run``) against an in-process sandbox.

The sandbox is the API server double plus the workload simulator, started per test; the
operator reads it through a kubeconfig like any cluster. Helpers wait by polling the API with a
generous deadline; nothing asserts on timing.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import kubernetes.client
import pytest

from controller import demo
from controller.sandbox.running import Sandbox, SandboxSettings
from ledger import EventRegistry, Ledger
from reducers.base import Event
from reducers.canary.evolving import fold
from reducers.canary.revisions import revision_of
from reducers.events import ALL_EVENTS
from reducers.spec import Phase

ROOST = Path(sys.executable).parent / "roost"
CRDS = Path(__file__).resolve().parents[2] / "deploy" / "crds"
NS = "default"
ISTIO = ("networking.istio.io", "v1beta1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def deployment(image: str, name: str = "podinfo") -> dict[str, Any]:
    return demo.deployment(image, name=name, namespace=NS)


def canary(name: str = "podinfo", **analysis: Any) -> dict[str, Any]:
    spec_analysis = {"interval": "1s", "threshold": 2, "maxWeight": 40, "stepWeight": 20}
    spec_analysis.update(analysis)
    for key in [k for k, v in spec_analysis.items() if v is None]:
        del spec_analysis[key]
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "provider": "istio",
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "progressDeadlineSeconds": 5,
            "service": {"port": 9898},
            "analysis": spec_analysis,
        },
    }


@dataclass
class Cluster:
    """A sandbox, its clients, and the operator processes started against it."""

    sandbox: Sandbox
    kubeconfig: Path
    workdir: Path
    client: kubernetes.client.ApiClient
    operators: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def apps(self) -> kubernetes.client.AppsV1Api:
        return kubernetes.client.AppsV1Api(self.client)

    @property
    def custom(self) -> kubernetes.client.CustomObjectsApi:
        return kubernetes.client.CustomObjectsApi(self.client)

    def operator(
        self, ledger: Path, *flags: str, port: int | None = None
    ) -> subprocess.Popen[bytes]:
        """Start ``roost run`` against the sandbox; its log goes to the work directory."""
        log = (self.workdir / f"operator-{len(self.operators)}.log").open("ab")
        args = [
            str(ROOST), "run", "-kubeconfig", str(self.kubeconfig), "-ledger", str(ledger),
            "-port", str(port or free_port()), "-mesh-provider", "istio",
            "-min-interval", "1s", *flags,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with log:
            process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
        self.operators.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes], *, kill: bool = False) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def create(self, *objects: dict[str, Any]) -> None:
        for obj in objects:
            if obj["kind"] == "Deployment":
                self.apps.create_namespaced_deployment(NS, obj)
            else:
                self.custom.create_namespaced_custom_object(
                    "flagger.app", "v1beta1", NS, "canaries", obj
                )

    def release(self, image: str, name: str = "podinfo") -> None:
        containers = [{"name": name, "image": image}]
        patch = {"spec": {"template": {"spec": {"containers": containers}}}}
        self.apps.patch_namespaced_deployment(name, NS, patch)

    def status(self, name: str = "podinfo") -> dict[str, Any]:
        obj = self.custom.get_namespaced_custom_object(
            "flagger.app", "v1beta1", NS, "canaries", name
        )
        found: dict[str, Any] = obj.get("status") or {}
        return found

    def wait_for(self, what: str, check: Callable[[], bool], timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            for process in self.operators:
                if process.poll() not in (None, 0, -9, -15):
                    raise AssertionError(f"operator exited {process.returncode}: {self.logs()}")
            time.sleep(0.2)
        raise AssertionError(
            f"timed out waiting for {what}: {self.status()}\n{self.logs()[-3000:]}"
        )

    def wait_phase(self, phase: str, name: str = "podinfo", timeout: float = 90.0) -> None:
        self.wait_for(f"{name} {phase}", lambda: self.status(name).get("phase") == phase, timeout)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.workdir.glob("*.log")))

    def deployment_document(self, name: str) -> dict[str, Any]:
        """The Deployment as the API serves it (raw JSON, as the operator reads it)."""
        response = self.apps.read_namespaced_deployment(name, NS, _preload_content=False)
        found: dict[str, Any] = json.loads(response.data)
        return found

    def primary_image(self, name: str = "podinfo") -> str:
        primary = self.deployment_document(f"{name}-primary")
        image: str = primary["spec"]["template"]["spec"]["containers"][0]["image"]
        return image

    def virtual_service(self, name: str = "podinfo") -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.custom.get_namespaced_custom_object(
                *ISTIO, NS, "virtualservices", name
            )
        except kubernetes.client.ApiException as e:
            if e.status == 404:
                return None
            raise
        return found

    def route_weights(self, name: str = "podinfo") -> list[int]:
        """Weights of the VirtualService's first HTTP rule (the weighted or A/B one)."""
        vs = self.virtual_service(name)
        assert vs is not None, f"VirtualService {name} not found"
        return [int(d.get("weight") or 0) for d in vs["spec"]["http"][0]["route"]]

    def lease_holder(self, name: str = "roost-leader") -> str:
        """Who holds the leader election Lease ('' when nobody or no Lease yet)."""
        api = kubernetes.client.CoordinationV1Api(self.client)
        try:
            lease = api.read_namespaced_lease(name, NS)
        except kubernetes.client.ApiException as e:
            if e.status == 404:
                return ""
            raise
        return str((lease.spec and lease.spec.holder_identity) or "")


def ledger_events(ledger: Path, name: str = "podinfo") -> list[Event]:
    """The canary's stream, decoded (the ledger may be read while an operator writes it)."""
    registry = EventRegistry(ALL_EVENTS)
    with Ledger.open(str(ledger)) as opened:
        return [registry.decode(e) for e in opened.read_stream(f"canary/{NS}/{name}")]


def verify_ledger(ledger: Path) -> None:
    done = subprocess.run(
        [str(ROOST), "ledger", "verify", "--ledger", str(ledger)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def assert_cluster_matches_ledger(
    cluster: Cluster, ledger: Path, image: str, name: str = "podinfo", *, routed: bool = True
) -> list[Event]:
    """The ledger says the release ended promoted, and the cluster shows it: the Canary's
    phase, the primary running ``image`` (the revision the ledger promoted), the target scaled
    to zero and, with a router, all traffic on the primary. Returns the stream's events."""
    events = ledger_events(ledger, name)
    state = fold(events)
    assert state.phase is Phase.SUCCEEDED, state.phase
    assert cluster.status(name).get("phase") == state.phase.value
    assert (state.routes.primary, state.routes.canary) == (100, 0)
    target = cluster.deployment_document(name)
    assert state.last_promoted_spec == revision_of(target["spec"]["template"], {})
    assert target["spec"]["replicas"] == 0
    assert cluster.primary_image(name) == image
    if routed:
        assert cluster.route_weights(name) == [state.routes.primary, state.routes.canary]
    return events


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    settings = SandboxSettings(
        kubeconfig_out=tmp_path / "kubeconfig",
        crds=CRDS,
        ready_after=timedelta(seconds=0.5),
        never_ready=("*:broken",),
    )
    sandbox = Sandbox(settings, thread_name="e2e-sandbox")
    info = sandbox.start()
    client = kubernetes.client.ApiClient(sandbox.server.configuration())
    found = Cluster(sandbox, info.kubeconfig, tmp_path, client)
    try:
        yield found
    finally:
        for process in found.operators:
            found.stop(process, kill=True)
        client.close()
        sandbox.stop()
