"""Options shared by several commands, defined once so every command spells them the same way."""

from __future__ import annotations

from typing import Annotated

import typer

DEFAULT_LEDGER = "./roost-ledger.db"

LedgerOption = Annotated[
    str,
    typer.Option(
        "--ledger",
        envvar="ROOST_LEDGER",
        help="Ledger location: a file path (SQLite) or an SQLAlchemy URL (sqlite://, postgresql://).",
        show_default=True,
    ),
]
