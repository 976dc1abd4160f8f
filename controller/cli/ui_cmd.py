"""``roost ui``: serve the read-only delivery dashboard over a ledger (see ``controller.ui``).

The shell only: it opens the sources, warns when the address is reachable from other machines,
prints the URL and serves until interrupted. A ledger that cannot be opened is one line on
stderr and exit status 2, like the other read commands.
"""

from __future__ import annotations

from typing import Annotated

import typer

from controller.cli.options import DEFAULT_LEDGER, LedgerOption

EXIT_BAD_INPUT = 2


def ui(
    ledger: LedgerOption = DEFAULT_LEDGER,
    kubeconfig: Annotated[
        str | None,
        typer.Option("--kubeconfig", help="Also show the live Canary resources of this cluster."),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on (0: any free one).")
    ] = 8765,
) -> None:
    """Serve a read-only web dashboard of the canaries, runs and events in the ledger."""
    # Imported here: ``controller.ui`` reuses ``controller.cli.history_text``, so importing it
    # while ``controller.cli`` is still being assembled would be circular.
    from controller.ui.serving import Dashboard, DashboardServer, is_loopback
    from controller.ui.sources import LedgerSource, LiveSource, SourceError, open_read_only

    try:
        source = LedgerSource(open_read_only(ledger))
    except SourceError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from e
    live = None
    if kubeconfig is not None:
        try:
            live = LiveSource(kubeconfig)
        except SourceError as e:
            source.close()
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from e
    dashboard = Dashboard(source, live)
    try:
        server = DashboardServer(dashboard, host, port)
    except OSError as e:
        dashboard.close()
        typer.echo(f"error: cannot listen on {host}:{port}: {e.strerror or e}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from e
    if not is_loopback(host):
        typer.echo(
            f"warning: listening on {host}, reachable from other machines; the dashboard has "
            "no authentication and shows every canary in the ledger",
            err=True,
        )
    typer.echo(f"roost ui: serving {ledger} (read-only) at {server.url}/", err=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
