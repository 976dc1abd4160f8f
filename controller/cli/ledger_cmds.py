"""``roost ledger ...``: upgrade, verify, export and import the event ledger."""

from __future__ import annotations

import typer

app = typer.Typer(help="Inspect and maintain the event ledger.", no_args_is_help=True)
