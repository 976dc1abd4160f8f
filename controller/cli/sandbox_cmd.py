"""``roost sandbox``: a local stand-in for a cluster, for trying Roost and kubectl against.

Runs the API server double and the workload simulator on loopback, applies our CRDs, writes a
kubeconfig and waits for Ctrl-C or SIGTERM. All the work is in ``controller.sandbox.running``;
that package needs the optional ``sandbox`` extra (kmock), so it is imported only when the
command runs, and a missing extra is one line on stderr rather than a traceback.
"""

from __future__ import annotations

import signal
import threading
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer


def sandbox(
    kubeconfig_out: Annotated[
        Path, typer.Option("--kubeconfig-out", help="Where to write the kubeconfig.")
    ] = Path(".sandbox/kubeconfig"),
    host: Annotated[str, typer.Option(help="Loopback address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one.")] = 0,
    crds: Annotated[
        Path, typer.Option(help="Directory of CRD manifests to apply at start.")
    ] = Path("deploy/crds"),
    ready_after: Annotated[
        float, typer.Option(help="Seconds before new pods of a rollout become ready.")
    ] = 2.0,
    never_ready: Annotated[
        list[str] | None,
        typer.Option(help="Image pattern (fnmatch) whose pods never become ready; repeatable."),
    ] = None,
    nodes: Annotated[int, typer.Option(help="Nodes that DaemonSets schedule onto.")] = 1,
    app_metrics_port: Annotated[
        int | None,
        typer.Option(
            help="Serve simulated Istio request metrics of every ready Deployment on this port "
            "(0 picks a free one) for a Prometheus to scrape."
        ),
    ] = None,
    faulty_image: Annotated[
        list[str] | None,
        typer.Option(
            help="Image pattern (fnmatch) whose simulated app fails 30% of requests and takes "
            "900 ms; repeatable."
        ),
    ] = None,
) -> None:
    """Run a local Kubernetes API double with simulated workloads until Ctrl-C."""
    try:
        from controller.sandbox.running import Sandbox, SandboxSettings
    except ImportError as e:
        typer.echo(f"error: {e}; install the sandbox extra: pip install 'roost[sandbox]'", err=True)
        raise typer.Exit(2) from e

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    settings = SandboxSettings(
        kubeconfig_out=kubeconfig_out,
        host=host,
        port=port,
        crds=crds,
        ready_after=timedelta(seconds=ready_after),
        never_ready=tuple(never_ready or ()),
        nodes=nodes,
        app_metrics_port=app_metrics_port,
        faulty_images=tuple(faulty_image or ()),
    )
    running = Sandbox(settings)
    info = running.start()
    try:
        metrics_note = (
            f"  app metrics: {info.app_metrics_url}  (simulated Istio series to scrape)\n"
            if info.app_metrics_url
            else ""
        )
        crd_note = f"{len(info.crds)} applied from {crds}" if info.crds else f"none found in {crds}"
        typer.echo(
            f"Roost sandbox is running.\n"
            f"  API server:  {info.url}  (plain HTTP, no authentication)\n"
            f"  kubeconfig:  {info.kubeconfig}\n"
            f"  CRDs:        {crd_note}; flagger.app resources are served regardless\n"
            f"  workloads:   new pods become ready after {ready_after:g} s\n"
            f"{metrics_note}"
            f"\n"
            f"Point kubectl and Roost at it:\n"
            f"  export KUBECONFIG={info.kubeconfig}\n"
            f"  kubectl get canaries --all-namespaces\n"
            f"  roost run        # reads KUBECONFIG like any Kubernetes client\n"
            f"\n"
            f"Stop with Ctrl-C."
        )
        stop.wait()
    finally:
        running.stop()
    typer.echo("Roost sandbox stopped.")
