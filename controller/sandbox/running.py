"""A whole sandbox: the API server double, our CRDs, the workload simulator and a kubeconfig.

This is what ``roost sandbox`` runs, kept out of the CLI module so that tests and other tools can
start the same thing in-process. Start order matters to whoever waits on the kubeconfig: it is
written last, so its presence means the API answers, the CRDs are established and workloads are
being simulated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import kubernetes.client

from controller.sandbox.kubeconfig import apply_crds, read_crds, write_kubeconfig
from controller.sandbox.serving import ApiServerThread
from controller.sandbox.workloads import WorkloadSimulator


@dataclass(frozen=True)
class SandboxSettings:
    """How to run a sandbox."""

    kubeconfig_out: Path = Path(".sandbox/kubeconfig")
    """Where to write the kubeconfig pointing at the double."""
    host: str = "127.0.0.1"
    """Loopback address to listen on."""
    port: int = 0
    """Port to listen on; 0 picks a free one."""
    crds: Path = Path("deploy/crds")
    """Directory whose CustomResourceDefinitions are applied at start (skipped if absent)."""
    ready_after: timedelta = timedelta(seconds=2)
    """How long new pods take to become ready."""
    never_ready: tuple[str, ...] = field(default=())
    """Image patterns (fnmatch) whose pods never become ready."""
    nodes: int = 1
    """How many nodes DaemonSets schedule onto."""


@dataclass(frozen=True)
class SandboxInfo:
    url: str
    kubeconfig: Path
    crds: tuple[str, ...]


class Sandbox:
    """Start with ``start()``, stop with ``stop()``; each part stops even if another fails."""

    def __init__(self, settings: SandboxSettings, thread_name: str = "roost-sandbox") -> None:
        self.settings = settings
        self.server = ApiServerThread(
            host=settings.host,
            port=settings.port,
            name=f"{thread_name}-apiserver",
            request_log_limit=1_000,
        )
        self._client: kubernetes.client.ApiClient | None = None
        self.simulator: WorkloadSimulator | None = None

    def start(self) -> SandboxInfo:
        settings = self.settings
        self.server.start()
        try:
            self._client = kubernetes.client.ApiClient(self.server.configuration())
            names = apply_crds(self._client, read_crds(settings.crds))
            self.simulator = WorkloadSimulator(
                self._client,
                ready_after=settings.ready_after,
                never_ready=settings.never_ready,
                nodes=settings.nodes,
            ).start()
            path = write_kubeconfig(settings.kubeconfig_out, self.server.url)
        except BaseException:
            self.stop()
            raise
        return SandboxInfo(self.server.url, path, tuple(names))

    def stop(self) -> None:
        try:
            if self.simulator is not None:
                self.simulator.stop()
        finally:
            if self._client is not None:
                self._client.close()  # type: ignore[no-untyped-call]
            self.server.stop()
