"""A whole sandbox: the API server double, our CRDs, the workload simulator and a kubeconfig.

This is what ``roost sandbox`` runs, kept out of the CLI module so that tests and other tools can
start the same thing in-process; optionally with simulated application metrics for a Prometheus
to scrape (``appmetrics``). Start order matters to whoever waits on the kubeconfig: it is
written last, so its presence means the API answers, the CRDs are established and workloads are
being simulated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import kubernetes.client

from controller.sandbox.appmetrics import AppMetrics, AppMetricsServer
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
    app_metrics_port: int | None = None
    """Port of the simulated application metrics (Istio-style series); 0 picks a free one,
    None serves none."""
    faulty_images: tuple[str, ...] = field(default=())
    """Image patterns (fnmatch) whose simulated app answers 30% of requests with a 500, each
    taking 900 ms (pod template annotations override either)."""


@dataclass(frozen=True)
class SandboxInfo:
    url: str
    kubeconfig: Path
    crds: tuple[str, ...]
    app_metrics_url: str | None = None


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
        self.app_metrics: AppMetricsServer | None = None

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
            if settings.app_metrics_port is not None:
                metrics = AppMetrics(self._client, faulty_images=settings.faulty_images)
                self.app_metrics = AppMetricsServer(
                    metrics, host=settings.host, port=settings.app_metrics_port
                ).start()
            path = write_kubeconfig(settings.kubeconfig_out, self.server.url)
        except BaseException:
            self.stop()
            raise
        metrics_url = self.app_metrics.url if self.app_metrics is not None else None
        return SandboxInfo(self.server.url, path, tuple(names), metrics_url)

    def stop(self) -> None:
        try:
            if self.app_metrics is not None:
                self.app_metrics.stop()
        finally:
            try:
                if self.simulator is not None:
                    self.simulator.stop()
            finally:
                if self._client is not None:
                    self._client.close()  # type: ignore[no-untyped-call]
                self.server.stop()
