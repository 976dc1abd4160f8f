"""Alembic environment for the ledger: online migrations on a given connection or URL.

Roost passes its own open connection in ``config.attributes["connection"]``; the alembic CLI may
pass ``-x url=...`` (or set ``ROOST_LEDGER``) instead.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from ledger.engines import create_ledger_engine
from ledger.schema import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "ROOST_LEDGER", "./roost-ledger.db"
    )
    engine = create_ledger_engine(url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported for the Roost ledger")
run_online()
