"""``roost ledger ...``: upgrade, verify, export, import and summarise the event ledger.

Each command opens the ledger through ``Ledger.open``, which migrates it first, and turns every
ledger error into one line on stderr and exit status 2 (1 for a ledger that fails verification).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from controller.cli.options import DEFAULT_LEDGER, LedgerOption, SyncOption
from ledger import Ledger, LedgerError
from ledger.engines import Synchronous
from ledger.migrating import current_revision

app = typer.Typer(help="Inspect and maintain the event ledger.", no_args_is_help=True)


@contextmanager
def opened(location: str, synchronous: Synchronous = Synchronous.FULL) -> Iterator[Ledger]:
    try:
        ledger = Ledger.open(location, synchronous=synchronous)
    except LedgerError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    try:
        yield ledger
    except LedgerError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    finally:
        ledger.close()


@app.command()
def upgrade(ledger: LedgerOption = DEFAULT_LEDGER) -> None:
    """Create the ledger or migrate it to this Roost's schema."""
    with opened(ledger) as opened_ledger:
        revision = current_revision(opened_ledger.engine)
    typer.echo(f"ledger {ledger} is at schema revision {revision}")


@app.command()
def verify(ledger: LedgerOption = DEFAULT_LEDGER) -> None:
    """Walk the hash chain; exit 1 naming the first event that does not follow."""
    with opened(ledger) as opened_ledger:
        report = opened_ledger.verify()
    if report.ok:
        typer.echo(f"ok: {report.checked} events, hash chain intact")
        return
    typer.echo(
        f"FAILED at position {report.first_bad_position}: {report.problem} "
        f"({report.checked} events before it are intact)",
        err=True,
    )
    raise typer.Exit(1)


@app.command()
def info(ledger: LedgerOption = DEFAULT_LEDGER) -> None:
    """Summarise the ledger: schema revision, events, streams, head hash."""
    with opened(ledger) as opened_ledger:
        position, head_hash = opened_ledger.head()
        streams = opened_ledger.streams()
        revision = current_revision(opened_ledger.engine)
    typer.echo(f"schema revision: {revision}")
    typer.echo(f"events:          {position}")
    typer.echo(f"streams:         {len(streams)}")
    typer.echo(f"head hash:       {head_hash}")


@app.command("export")
def export_(
    ledger: LedgerOption = DEFAULT_LEDGER,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; stdout when omitted.")
    ] = None,
) -> None:
    """Write every event as JSON Lines (one event per line, enough to re-import)."""
    from ledger.transfer import export_jsonl

    with opened(ledger) as opened_ledger:
        if output is None:
            count = export_jsonl(opened_ledger, sys.stdout.buffer)
            sys.stdout.flush()
        else:
            with output.open("wb") as out:
                count = export_jsonl(opened_ledger, out)
    typer.echo(f"exported {count} events", err=True)


@app.command("import")
def import_(
    source: Annotated[Path, typer.Argument(help="A file written by `roost ledger export`.")],
    ledger: LedgerOption = DEFAULT_LEDGER,
    sync: SyncOption = Synchronous.FULL,
) -> None:
    """Append an export into an empty ledger, checking the hash chain, then verify it."""
    from ledger.transfer import import_jsonl

    if not source.is_file():
        typer.echo(f"error: {source}: no such file", err=True)
        raise typer.Exit(2)
    with opened(ledger, sync) as opened_ledger:
        with source.open("rb") as fp:
            count = import_jsonl(opened_ledger, fp)
        report = opened_ledger.verify()
    if not report.ok:
        typer.echo(f"imported, but verify FAILED at position {report.first_bad_position}", err=True)
        raise typer.Exit(1)
    typer.echo(f"imported {count} events; hash chain verified")
