"""``roost loadtester``: run the flagger-loadtester compatible service until Ctrl-C or SIGTERM.

Flags mirror flagger-loadtester's (``--port``, ``--timeout``, ``--namespace-regexp``) plus
``--host`` and ``--gate-db`` (where gate state and the gate log persist). The server needs
aiohttp (the ``loadtester`` extra), imported only when the command runs so a missing extra is one
line on stderr. The listening URL is printed once ready (useful with ``--port 0``).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import Annotated

import typer

from reducers.spec.durations import parse_go_duration


def loadtester(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "0.0.0.0",
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one.")] = 9090,
    timeout: Annotated[str, typer.Option(help="Deadline of one command (Go duration).")] = "1h",
    namespace_regexp: Annotated[
        str, typer.Option(help="Serve only payloads whose namespace matches; empty allows all.")
    ] = "",
    gate_db: Annotated[
        Path, typer.Option(help="SQLite file keeping gate state and the gate log.")
    ] = Path("roost-gates.sqlite"),
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run a flagger-loadtester compatible load tester and gate service."""
    try:
        from controller.loadtester import LoadTesterSettings, serve
    except ImportError as e:
        typer.echo(f"error: {e}; install the loadtester extra: pip install 'roost[loadtester]'")
        raise typer.Exit(2) from e
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    settings = LoadTesterSettings(
        host=host,
        port=port,
        timeout=parse_go_duration(timeout),
        namespace_regexp=namespace_regexp,
        gate_db=gate_db,
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await serve(settings, stop, lambda url: typer.echo(f"roost loadtester listening on {url}"))

    asyncio.run(main())
