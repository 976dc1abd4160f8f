"""``roost demo``: the operator releasing an example app in a local sandbox (``make demo``).

All the work is in :mod:`controller.demo`, imported when the command runs (the sandbox needs
the optional ``sandbox`` extra). This module prints, says which commands read the ledger back
(only those this ``roost`` has), and turns the outcome into the exit status: 0 only when the
good release was promoted and the bad one rolled back.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

BANNER = "roost demo: a LOCAL SANDBOX (Kubernetes API double + simulated pods), not a cluster"


def _has(group: str, command: str) -> bool:
    """Whether ``roost <group> <command>`` exists in this build."""
    from controller.cli import app

    for info in app.registered_groups:
        if info.name == group and info.typer_instance is not None:
            names = {
                c.name or (c.callback.__name__ if c.callback else "")
                for c in info.typer_instance.registered_commands
            }
            return command in names
    return False


def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the ledger, kubeconfig and logs go.")
    ] = Path(".demo"),
    interval: Annotated[float, typer.Option(help="Seconds between ticks.")] = 1.0,
) -> None:
    """Release a good and a bad version of podinfo in a local sandbox, live."""
    try:
        from controller.demo import NAME, NAMESPACE, DemoSettings, run_demo
    except ImportError as e:
        typer.echo(f"error: {e}; install the sandbox extra: pip install 'roost[sandbox]'")
        raise typer.Exit(2) from e
    typer.echo(BANNER)
    settings = DemoSettings(directory=directory, interval=timedelta(seconds=interval))
    result = run_demo(settings, lambda line: typer.echo(line))
    ledger = result.ledger
    typer.echo(f"ledger: {ledger}  (plain SQLite; operator log: {directory / 'operator.log'})")
    typer.echo("read it back:")
    typer.echo(f"  roost replay --ledger {ledger}")
    typer.echo(f"  roost replay --ledger {ledger} --verify")
    typer.echo(f"  roost explain --ledger {ledger} --canary {NAMESPACE}/{NAME}")
    if _has("audit", "runs"):
        typer.echo(f"  roost audit runs --ledger {ledger}")
    typer.echo(f"  roost ledger verify --ledger {ledger}")
    if not result.ok:
        typer.echo(f"demo FAILED: {result.reason}", err=True)
        raise typer.Exit(1)
    typer.echo(f"demo OK: {result.reason} (local sandbox)")
