"""Options shared by several commands, defined once so every command spells them the same way."""

from __future__ import annotations

from typing import Annotated

import typer

from ledger.engines import Synchronous

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

SyncOption = Annotated[
    Synchronous,
    typer.Option(
        "--ledger-sync",
        envvar="ROOST_LEDGER_SYNC",
        case_sensitive=False,
        help="SQLite durability: FULL survives power loss after every commit; NORMAL is faster "
        "and may lose the last commits on power loss (never on a crash).",
    ),
]
